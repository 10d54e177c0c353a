//go:build e2e

// "Use a different phone or tablet" in the desktop app (Linux and macOS: the FIDO hybrid
// transport, app/hybrid), driven through the pages in headless Chromium as the webview would
// be: the person chooses the phone, the page shows the QR code, which is read off a
// screenshot of the page by zbarimg as a phone's camera would read the screen, and handed to
// a simulated phone (internal/phonetest/simphone). The phone transmits its advert into an Air
// standing in for this computer's Bluetooth and answers through a fake tunnel server on
// loopback (device.Phone.TunnelURL). The page's steps, its messages, and axe are checked.
package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nhs-passkeys/companion/app/bluetooth"
	"github.com/nhs-passkeys/companion/app/device"
	"github.com/nhs-passkeys/companion/app/hybrid"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/e2e/harness"
	"github.com/nhs-passkeys/companion/internal/phonetest/faketunnel"
	"github.com/nhs-passkeys/companion/internal/phonetest/simphone"
)

// phoneQRAlt is the QR code's text alternative (frontend/src/ceremony/device-steps.ts, QR_ALT).
const phoneQRAlt = "QR code to scan with the camera on your phone or tablet"

// phoneRadio is this computer's Bluetooth in the journeys: the Air the simulated phone
// transmits into, and what Available answers (nil: on).
type phoneRadio struct {
	*simphone.Air
	mu  sync.Mutex
	why error
}

func (r *phoneRadio) Available(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.why
}

// phoneWorld is the phone's side: the tunnel server, the Air, the phone, and the
// device.Phone the desktop app is given.
type phoneWorld struct {
	tunnel *faketunnel.Server
	radio  *phoneRadio
	phone  *simphone.Phone
	config *device.Phone
}

// newPhoneWorld is made before the desktop, so that the tunnel server outlives the device
// service. advertTimeout bounds the wait for the phone (0: the ceremony's own time).
func newPhoneWorld(t *testing.T, fault faketunnel.Fault, behaviour simphone.Behaviour, advertTimeout time.Duration) *phoneWorld {
	t.Helper()
	tunnel := faketunnel.New(t, fault)
	air := simphone.NewAir()
	w := &phoneWorld{
		tunnel: tunnel,
		radio:  &phoneRadio{Air: air},
		phone:  &simphone.Phone{Tunnel: tunnel.URL(), Air: air, Behaviour: behaviour},
	}
	w.config = &device.Phone{Bluetooth: w.radio, TunnelURL: tunnel.BaseURL, AdvertTimeout: advertTimeout}
	return w
}

// scan is the person pointing the phone at the QR code on the screen: the text zbarimg read
// off the page goes to the phone. Its result comes on the channel when its side is over.
func (w *phoneWorld) scan(t *testing.T, text string) <-chan error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	done := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() { done <- w.phone.Scan(ctx, text) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return done
}

// readQROnScreen waits for the page's QR code, takes a screenshot of it as shown, and reads
// it with zbarimg (Debian's zbar-tools), as a phone's camera reads the screen.
func readQROnScreen(t *testing.T, ctx context.Context) string {
	t.Helper()
	zbarimg, err := exec.LookPath("zbarimg")
	if err != nil {
		t.Fatal("zbarimg is not installed: `scripts/deps.sh test` installs zbar-tools")
	}
	sel := `main img[alt="` + phoneQRAlt + `"]`
	harness.WaitFor(t, ctx, `(() => { const i = document.querySelector('`+sel+`'); return !!i && i.complete && i.naturalWidth > 0 })()`,
		"the page should show the QR code, with its text alternative, loaded")
	shot := harness.Get(t, ctx, chromedp.Screenshot(chromedp.CSS(sel), chromedp.NodeVisible))
	file := filepath.Join(t.TempDir(), "qr.png")
	if err := os.WriteFile(file, shot, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), zbarimg, "--raw", "-q", file).Output()
	if err != nil {
		t.Fatalf("zbarimg cannot read the QR code on the screen: %v", err)
	}
	text := strings.TrimSpace(string(out))
	if !strings.HasPrefix(text, "FIDO:/") {
		t.Fatalf("the QR code on the screen holds %.12q…, not a FIDO:/ URL", text)
	}
	return text
}

// axeClean fails the test if axe finds anything on the page as it is now.
func axeClean(t *testing.T, a *harness.Audit, state string) {
	t.Helper()
	if problems := a.Axe(); len(problems) > 0 {
		t.Errorf("%s: axe:\n  %s", state, strings.Join(problems, "\n  "))
	}
}

// startPhoneSetUp goes from Login and security settings to the phone's QR code page.
func startPhoneSetUp(t *testing.T, ctx context.Context) {
	t.Helper()
	harness.OpenSetUpPasskey(t, ctx)
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Where do you want to save your passkey?")
	harness.Choose(t, ctx, "Use a different phone or tablet")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Setting up your passkey")
}

func TestJourneyDesktopSetUpAndLogInWithAPhone(t *testing.T) {
	w := newPhoneWorld(t, faketunnel.Relay, simphone.Confirm, 0)
	key := harness.NewVirtualKey(t, virtualkey.Succeed())
	srv := harness.StartDesktopWith(t, key, harness.DesktopOptions{Phone: w.config})
	ctx := harness.NewWebview(t)
	a := harness.NewAudit(t, ctx)
	const email = "patient.phone@example.com"

	harness.CreateAccount(t, ctx, srv.Origin, email, "a long enough password")
	startPhoneSetUp(t, ctx)
	harness.DeviceStatus(t, ctx, "Waiting for your phone or tablet")
	if summary := harness.Text(t, ctx, "main details summary"); !strings.Contains(summary, "If you cannot scan the QR code") {
		t.Errorf("the QR page should say what to do if the code cannot be scanned, says %q", summary)
	}
	a.Check("Desktop: the QR code to set up a passkey")
	phone := w.scan(t, readQROnScreen(t, ctx))
	harness.Page(t, ctx, "Passkeys")
	if err := <-phone; err != nil {
		t.Fatalf("the phone: %v", err)
	}
	if banner := harness.Text(t, ctx, ".nhsuk-notification-banner--success"); !strings.Contains(banner, "Passkey set up") {
		t.Errorf("Passkeys should confirm the new passkey, banner says %q", banner)
	}
	if n := harness.PasskeyCount(t, ctx); n != 1 || w.phone.Passkeys() != 1 {
		t.Fatalf("the account has %d passkeys and the phone %d, want 1 and 1", n, w.phone.Passkeys())
	}
	if len(key.Credentials()) != 0 {
		t.Error("the virtual key should hold nothing: the passkey is on the phone")
	}

	// Log out, then log in with the phone: a new QR code.
	backToSettings(t, ctx)
	harness.LogOut(t, ctx)
	harness.StartLogIn(t, ctx, email)
	harness.Page(t, ctx, "Where is your passkey saved?")
	harness.Choose(t, ctx, "Use a different phone or tablet")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Logging in with your passkey")
	a.Check("Desktop: the QR code to log in")
	phone = w.scan(t, readQROnScreen(t, ctx))
	harness.Page(t, ctx, "Login and security settings")
	if err := <-phone; err != nil {
		t.Fatalf("the phone: %v", err)
	}
	if !harness.SignedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the passkey on the phone")
	}
	if n := srv.Ceremonies.Load(); n != 2 {
		t.Errorf("the page should have run 2 ceremonies through the device endpoints, ran %d", n)
	}
	if n := w.tunnel.Open(); n != 0 {
		t.Errorf("the tunnel server still holds %d connections from the desktop", n)
	}
}

func TestJourneyDesktopPhoneFailuresSayWhatHappened(t *testing.T) {
	_, bluetoothOff, _ := bluetooth.Problem(hybrid.ErrBluetoothOff)
	for _, tc := range []struct {
		name      string
		fault     faketunnel.Fault
		behaviour simphone.Behaviour
		bluetooth error
		// unreachable: no tunnel server answers (this computer is offline, or its network
		// blocks the tunnel servers).
		unreachable bool
		// scan: the phone scans the QR code (false: nobody does).
		scan bool
		want string
	}{
		{name: "Bluetooth off on this computer: the phone is listed with why, and choosing it starts nothing",
			bluetooth: hybrid.ErrBluetoothOff, want: bluetoothOff},
		{name: "no phone comes in time", behaviour: simphone.Silent, scan: true,
			want: "We could not find your phone or tablet."},
		{name: "nobody scans the QR code in time",
			want: "We could not find your phone or tablet."},
		{name: "this computer cannot reach the tunnel server", unreachable: true, scan: true,
			want: "This computer could not reach the phone's passkey service on the internet."},
		{name: "the tunnel server refuses this computer", fault: faketunnel.Refuse, scan: true,
			want: "did not accept the connection from this computer"},
		{name: "the person cancels on the phone", behaviour: simphone.Decline, scan: true,
			want: "Setting up your passkey was cancelled on your phone or tablet."},
		{name: "a phone that scanned another QR code answers", behaviour: simphone.WrongQR, scan: true,
			want: "it was not the one that scanned this QR code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newPhoneWorld(t, tc.fault, tc.behaviour, 3*time.Second)
			w.radio.why = tc.bluetooth
			if tc.unreachable {
				w.config.TunnelURL = func(string) string { return closedPortURL(t) }
			}
			srv := harness.StartDesktopWith(t, harness.NewVirtualKey(t, virtualkey.Succeed()), harness.DesktopOptions{Phone: w.config})
			ctx := harness.NewWebview(t)
			a := harness.NewAudit(t, ctx)
			harness.CreateAccount(t, ctx, srv.Origin, "patient.phone.fails@example.com", "a long enough password")

			if tc.bluetooth != nil {
				harness.OpenSetUpPasskey(t, ctx)
				harness.Click(t, ctx, "Continue")
				harness.Page(t, ctx, "Where do you want to save your passkey?")
				hint := harness.Get(t, ctx, chromedp.Evaluate[string](`(() => { const r = document.querySelector('main input[value="phone"]');
					const h = r && document.getElementById(r.getAttribute("aria-describedby")); return h ? h.textContent.trim() : "" })()`))
				if hint != "You cannot use this at the moment. "+tc.want {
					t.Errorf("the phone's hint should say why it cannot be used, says %q", hint)
				}
				axeClean(t, a, "the phone listed as unavailable")
				harness.Choose(t, ctx, "Use a different phone or tablet")
				harness.Click(t, ctx, "Continue")
			} else {
				startPhoneSetUp(t, ctx)
				text := readQROnScreen(t, ctx)
				if tc.scan {
					w.scan(t, text)
				}
			}
			harness.WaitFor(t, ctx, `(() => { const s = document.querySelector("main .nhsuk-error-summary");
				return !!s && s.textContent.includes(`+jsString(tc.want)+`) })()`, "the error summary should say "+tc.want)
			if harness.Get(t, ctx, chromedp.Evaluate[bool](`!!document.querySelector('main img[alt="`+phoneQRAlt+`"]')`)) {
				t.Error("the QR code is still shown after the ceremony failed")
			}
			axeClean(t, a, tc.name)
			if n := harness.PasskeyCount(t, ctx); n != 0 || w.phone.Passkeys() != 0 {
				t.Errorf("the account has %d passkeys and the phone %d, want none", n, w.phone.Passkeys())
			}
			if tc.bluetooth != nil && srv.Ceremonies.Load() != 0 {
				t.Errorf("with Bluetooth off, %d ceremonies were started", srv.Ceremonies.Load())
			}
			deadline := time.Now().Add(5 * time.Second)
			for w.tunnel.Open() != 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if n := w.tunnel.Open(); n != 0 {
				t.Errorf("the tunnel server still holds %d connections from the desktop", n)
			}
		})
	}
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// closedPortURL is a ws:// URL on loopback where nothing listens.
func closedPortURL(t *testing.T) string {
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Error(err)
		return "ws://127.0.0.1:1"
	}
	addr := ln.Addr().String()
	ln.Close()
	return "ws://" + addr
}

func TestJourneyDesktopCancelWhileThePhoneAsksThePersonClosesTheTunnel(t *testing.T) {
	w := newPhoneWorld(t, faketunnel.Relay, simphone.Hold, 0)
	srv := harness.StartDesktopWith(t, harness.NewVirtualKey(t, virtualkey.Succeed()), harness.DesktopOptions{Phone: w.config})
	ctx := harness.NewWebview(t)
	harness.CreateAccount(t, ctx, srv.Origin, "patient.phone.cancels@example.com", "a long enough password")
	startPhoneSetUp(t, ctx)
	// The phone scans and shows the request, and the person never confirms on it: the
	// desktop holds its tunnel connection when the person cancels on the computer.
	w.scan(t, readQROnScreen(t, ctx))
	deadline := time.Now().Add(10 * time.Second)
	for w.tunnel.Open() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if w.tunnel.Open() == 0 {
		t.Fatal("the desktop never connected to the tunnel server")
	}
	harness.DeviceStatus(t, ctx, "Follow the instructions on your phone or tablet")
	harness.Click(t, ctx, "Cancel")
	harness.Page(t, ctx, "Set up a passkey")
	if inset := harness.Text(t, ctx, "main .nhsuk-inset-text"); !strings.Contains(inset, "You cancelled setting up your passkey.") {
		t.Errorf("back on the page, it should say the person cancelled; first inset text says %q", inset)
	}
	deadline = time.Now().Add(5 * time.Second)
	for w.tunnel.Open() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := w.tunnel.Open(); n != 0 {
		t.Errorf("cancelling should close the tunnel connection; the tunnel server still holds %d", n)
	}
	if n := harness.PasskeyCount(t, ctx); n != 0 {
		t.Errorf("the account has %d passkeys after cancelling, want none", n)
	}
}

func TestJourneyDesktopKioskOffersThePhoneAndTheVisitsEndClosesItsTunnel(t *testing.T) {
	w := newPhoneWorld(t, faketunnel.Relay, simphone.Hold, 0)
	key := harness.NewVirtualKey(t, virtualkey.Succeed())
	srv := harness.StartDesktopWith(t, key, harness.DesktopOptions{Kiosk: true, Phone: w.config})
	ctx := harness.NewWebview(t)

	// The visit ends (here the key taken out) while the phone waits for the patient: the
	// shell ends the ceremony with the visit, and closes its tunnel.
	harness.CreateAccount(t, ctx, srv.Origin, "patient.kiosk.leaves@example.com", "a long enough password")
	startPhoneSetUp(t, ctx)
	w.scan(t, readQROnScreen(t, ctx))
	harness.DeviceStatus(t, ctx, "Follow the instructions on your phone or tablet")
	if n := w.tunnel.Open(); n != 1 {
		t.Fatalf("the desktop should hold one tunnel connection while the phone asks, holds %d", n)
	}
	harness.MarkPage(t, ctx)
	key.Unplug()
	harness.Reloaded(t, ctx, "taking the key out should end the visit with a new load of the page")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	deadline := time.Now().Add(5 * time.Second)
	for w.tunnel.Open() != 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := w.tunnel.Open(); n != 0 {
		t.Errorf("the end of the visit should close the tunnel connection; the tunnel server still holds %d", n)
	}
	if harness.SignedIn(t, ctx) {
		t.Error("the visit should have ended")
	}

	// The next patient saves their passkey on their own phone: it leaves with them.
	w.phone.Behaviour = simphone.Confirm
	harness.CreateAccount(t, ctx, srv.Origin, "patient.kiosk.phone@example.com", "a long enough password")
	startPhoneSetUp(t, ctx)
	w.scan(t, readQROnScreen(t, ctx))
	harness.Page(t, ctx, "Passkeys")
	if n := harness.PasskeyCount(t, ctx); n != 1 || w.phone.Passkeys() != 1 {
		t.Fatalf("the account has %d passkeys and the phone %d, want 1 and 1: the passkey leaves with the patient's phone", n, w.phone.Passkeys())
	}
}
