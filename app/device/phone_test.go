//go:build cgo && !windows

package device_test

// "Use a different phone or tablet" through the device endpoints, with real parts: the real
// backend, the real device handler and app/hybrid, a simulated phone (internal/phonetest)
// that scans the QR code the page would show (read from the PNG, as a camera would), a fake
// tunnel server on loopback, and an Air the phone transmits its advert into standing in for
// Bluetooth.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/nhs-passkeys/companion/app/device"
	"github.com/nhs-passkeys/companion/app/hybrid"
	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/internal/phonetest/faketunnel"
	"github.com/nhs-passkeys/companion/internal/phonetest/simphone"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

// radio is this computer's Bluetooth in the tests: the Air the simulated phone transmits
// into (a scan), and what Available answers.
type radio struct {
	*simphone.Air
	mu  sync.Mutex
	why error
}

func (r *radio) Available(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.why
}

func (r *radio) switchOff(why error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.why = why
}

// gates hold the transaction at named points until the test has seen the page's state
// there: "found" (the desktop about to dial the tunnel server), and the phone's Steps.
type gates struct {
	mu    sync.Mutex
	armed map[string]chan struct{}
}

// arm makes the transaction stop at each of names until open(name). Every gate opens at the
// end of the test, before the device service closes.
func (g *gates) arm(t *testing.T, names ...string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed = map[string]chan struct{}{}
	for _, n := range names {
		g.armed[n] = make(chan struct{})
	}
	t.Cleanup(func() {
		for _, n := range names {
			g.open(n)
		}
	})
}

func (g *gates) open(name string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ch, ok := g.armed[name]; ok {
		select {
		case <-ch:
		default:
			close(ch)
		}
	}
}

func (g *gates) wait(ctx context.Context, name string) {
	g.mu.Lock()
	ch, ok := g.armed[name]
	g.mu.Unlock()
	if !ok {
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// phoneRig is the phone's world: the tunnel server, the Air, the phone, and the
// device.Phone the desktop app is given.
type phoneRig struct {
	t      *testing.T
	tunnel *faketunnel.Server
	radio  *radio
	phone  *simphone.Phone
	gates  *gates
	config *device.Phone
}

// newPhoneRig is made before the env, so that the tunnel server outlives the device service.
func newPhoneRig(t *testing.T, fault faketunnel.Fault) *phoneRig {
	t.Helper()
	tunnel := faketunnel.New(t, fault)
	air := simphone.NewAir()
	r := &phoneRig{
		t:      t,
		tunnel: tunnel,
		radio:  &radio{Air: air},
		phone:  &simphone.Phone{Tunnel: tunnel.URL(), Air: air},
		gates:  &gates{},
	}
	r.phone.Pause = func(ctx context.Context, step simphone.Step) {
		r.gates.wait(ctx, map[simphone.Step]string{simphone.BeforeHandshake: "handshake", simphone.BeforeAnswer: "answer"}[step])
	}
	r.config = &device.Phone{
		Bluetooth: r.radio,
		TunnelURL: func(domain string) string {
			r.gates.wait(context.Background(), "found")
			return tunnel.BaseURL(domain)
		},
	}
	return r
}

// readQR reads a data:image/png QR code as a phone's camera would.
func readQR(t *testing.T, dataURL string) string {
	t.Helper()
	raw, ok := strings.CutPrefix(dataURL, "data:image/png;base64,")
	if !ok {
		t.Fatalf("the QR image is not a PNG data URL: %.40q", dataURL)
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		t.Fatalf("the QR image: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the QR image is not a PNG: %v", err)
	}
	if size := img.Bounds().Size(); size.X != 360 || size.Y != 360 {
		t.Errorf("the QR image is %v pixels, want 360×360", size)
	}
	bitmap, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	// The page shows the code alone, with its quiet zone and nothing else: read as a pure
	// barcode, module by module. (gozxing's finder-pattern search, for photos, misses about 1
	// in 70 of these clean images; pure mode read 2,000 of 2,000.)
	res, err := qrcode.NewQRCodeReader().Decode(bitmap, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("the QR image cannot be read: %v", err)
	}
	return res.GetText()
}

// scan is the person scanning the QR code on the page with the phone. The phone's result
// comes on the channel when the transaction is over on its side.
func (r *phoneRig) scan(c ceremony) <-chan error {
	r.t.Helper()
	if c.QR == nil {
		r.t.Fatalf("no QR code to scan: %s", c)
	}
	text := readQR(r.t, c.QR.Image)
	if text != c.QR.Text {
		r.t.Fatal("the QR image does not hold the QR text")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	done := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() { done <- r.phone.Scan(ctx, text) })
	r.t.Cleanup(func() { cancel(); wg.Wait() })
	return done
}

// tunnelClosed waits until the tunnel server holds no connection from the desktop.
func (r *phoneRig) tunnelClosed() {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for r.tunnel.Open() != 0 {
		if time.Now().After(deadline) {
			r.t.Fatal("the desktop's tunnel connection is still open")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startPhone starts a ceremony on the phone, for the account typed (gets), and waits for
// its QR code.
func (e *env) startPhone(kind string, publicKey json.RawMessage, account string) ceremony {
	e.t.Helper()
	body := map[string]any{"kind": kind, "authenticator": "phone", "publicKey": publicKey}
	if account != "" {
		body["account"] = account
	}
	r := e.do("POST", "/api/device/ceremonies", body)
	if r.status != http.StatusAccepted {
		e.t.Fatalf("start %s ceremony on the phone: %d %s", kind, r.status, r.body)
	}
	c := ceremonyOf(e.t, r)
	if c.State != "working" && c.State != "phone-scan" {
		e.t.Errorf("a phone ceremony starts %s", c)
	}
	return c
}

// awaitQR waits for the QR code (state phone-scan).
func (e *env) awaitQR(id string) ceremony {
	e.t.Helper()
	c := e.await(id, "phone-scan")
	if c.QR == nil || !strings.HasPrefix(c.QR.Text, "FIDO:/") {
		e.t.Fatalf("phone-scan without a FIDO:/ QR code: %+v", c.QR)
	}
	return c
}

// phoneDone runs a ceremony on the phone to the end and returns its credential.
func (e *env) phoneDone(r *phoneRig, kind string, publicKey json.RawMessage, account string) json.RawMessage {
	e.t.Helper()
	c := e.awaitQR(e.startPhone(kind, publicKey, account).ID)
	phone := r.scan(c)
	c = e.await(c.ID, "done")
	if err := <-phone; err != nil {
		e.t.Fatalf("phone: %v", err)
	}
	if c.QR != nil {
		e.t.Error("a finished ceremony still shows its QR code")
	}
	return c.Credential
}

// phoneProof re-authenticates for action with the passkey on the phone.
func (e *env) phoneProof(r *phoneRig, action string) string {
	e.t.Helper()
	b := decode[begin](e.t, e.do("POST", "/api/reauth/passkey/begin", map[string]string{"action": action}))
	credential := e.phoneDone(r, "get", b.PublicKey, "")
	res := e.do("POST", "/api/reauth/passkey/finish", map[string]any{"ceremony": b.Ceremony, "credential": credential})
	if res.status != http.StatusOK {
		e.t.Fatalf("re-authenticate with the phone: %d %s", res.status, res.body)
	}
	return decode[struct {
		Proof string `json:"proof"`
	}](e.t, res).Proof
}

// registerPhone sets up a passkey on the phone and has the backend accept it.
func (e *env) registerPhone(r *phoneRig) {
	e.t.Helper()
	reg := e.registerBegin()
	credential := e.phoneDone(r, "create", reg.PublicKey, "")
	e.finishRegister(reg, credential)
}

func TestAPasskeySetUpWithAPhoneIsThenUsedToLogIn(t *testing.T) {
	r := newPhoneRig(t, faketunnel.Relay)
	e := newEnv(t, setup{noVirtual: true, phone: r.config})
	e.signUp()

	// Set up: each state the page announces, in order, held until the test has seen it.
	r.gates.arm(t, "found", "handshake", "answer")
	reg := e.registerBegin()
	c := e.awaitQR(e.startPhone("create", reg.PublicKey, "").ID)
	phone := r.scan(c)
	for _, step := range []struct{ state, gate string }{
		{"phone-found", "found"},
		{"phone-connecting", "handshake"},
		{"phone-confirm", "answer"},
	} {
		c = e.await(c.ID, step.state)
		if c.QR != nil {
			t.Errorf("%s still shows the QR code", c.State)
		}
		r.gates.open(step.gate)
	}
	c = e.await(c.ID, "done")
	if err := <-phone; err != nil {
		t.Fatalf("phone: %v", err)
	}
	var cred struct {
		AuthenticatorAttachment string `json:"authenticatorAttachment"`
		Response                struct {
			Transports []string `json:"transports"`
		} `json:"response"`
	}
	if err := json.Unmarshal(c.Credential, &cred); err != nil || cred.AuthenticatorAttachment != "cross-platform" ||
		len(cred.Response.Transports) != 1 || cred.Response.Transports[0] != "hybrid" {
		t.Errorf("the credential does not say a phone over hybrid: %s", c.Credential)
	}
	res := e.do("POST", "/api/passkeys/register/finish", map[string]any{"ceremony": reg.Ceremony, "credential": c.Credential})
	if res.status != http.StatusCreated {
		t.Fatalf("register finish: %d %s", res.status, res.body)
	}
	if !strings.Contains(string(res.body), `"Google Password Manager"`) {
		t.Errorf("the passkey is not named after the phone's passkey provider: %s", res.body)
	}
	if n := e.passkeys(); n != 1 || r.phone.Passkeys() != 1 {
		t.Fatalf("the account has %d passkeys and the phone %d, want 1 and 1", n, r.phone.Passkeys())
	}
	if r.tunnel.Open() != 0 {
		r.tunnelClosed()
	}

	// Log in with it, by the email typed (the account hint goes with it) and discoverably.
	for _, address := range []string{email, ""} {
		e.logout()
		login := e.loginBegin(address)
		credential := e.phoneDone(r, "get", login.PublicKey, address)
		res := e.do("POST", "/api/login/passkey/finish", map[string]any{"ceremony": login.Ceremony, "credential": credential})
		if res.status != http.StatusOK || !e.signedIn() {
			t.Fatalf("login with the phone (email %q): %d %s", address, res.status, res.body)
		}
	}
	seen := r.phone.Seen()
	if len(seen) != 3 || seen[0].Command != 1 || seen[1].Command != 2 || seen[2].Command != 2 {
		t.Errorf("the phone was asked %+v, want a makeCredential and two getAssertions", seen)
	}
}

func TestEachPhoneCeremonyShowsANewQRCodeOnlyWhileItWaitsForThePhone(t *testing.T) {
	var logs testkit.Buffer
	r := newPhoneRig(t, faketunnel.Relay)
	r.config.AdvertTimeout = 2 * time.Second
	e := newEnv(t, setup{noVirtual: true, phone: r.config, logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	e.signUp()

	var texts []string
	// Nobody scans the first: it ends without its QR code.
	first := e.awaitQR(e.startPhone("get", e.loginBegin("").PublicKey, "").ID)
	texts = append(texts, first.QR.Text)
	if c := e.await(first.ID, "failed"); c.QR != nil || c.Error.Code != "phone_not_found" {
		t.Errorf("after no phone came: %s, QR %v", c, c.QR != nil)
	}
	// The second is cancelled while it is shown.
	second := e.awaitQR(e.startPhone("get", e.loginBegin("").PublicKey, "").ID)
	texts = append(texts, second.QR.Text)
	res := e.do("POST", "/api/device/ceremonies/"+second.ID+"/cancel", struct{}{})
	if c := ceremonyOf(t, res); c.QR != nil || c.State != "failed" || c.Error.Code != "cancelled" {
		t.Errorf("after cancelling: %s, QR %v", c, c.QR != nil)
	}
	// The third is set up on the phone.
	reg := e.registerBegin()
	third := e.awaitQR(e.startPhone("create", reg.PublicKey, "").ID)
	texts = append(texts, third.QR.Text)
	phone := r.scan(third)
	if c := e.await(third.ID, "done"); c.QR != nil {
		t.Error("a finished ceremony shows its QR code")
	}
	if err := <-phone; err != nil {
		t.Fatalf("phone: %v", err)
	}

	if texts[0] == texts[1] || texts[1] == texts[2] || texts[0] == texts[2] {
		t.Error("a QR code was shown twice: each ceremony needs its own (its secret is for one transaction)")
	}
	// The QR code's text is the transaction's secret: it is never logged.
	e.svc.Close() // every ceremony has logged its outcome
	for i, text := range texts {
		digits := strings.TrimPrefix(text, "FIDO:/")
		if strings.Contains(logs.String(), digits[:40]) {
			t.Errorf("QR code %d is in the log", i+1)
		}
	}
	if !strings.Contains(logs.String(), "phone_not_found") || !strings.Contains(logs.String(), "authenticator=phone") {
		t.Errorf("the outcomes are not logged: %s", logs.String())
	}
}

// unreachable is a tunnel URL where nothing listens: a port that was free a moment ago.
func unreachable(t *testing.T) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "ws://" + addr
}

func TestAPhoneCeremonyThatFailsSaysWhyAndChangesNothing(t *testing.T) {
	bluetooth := func(why error) func(*phoneRig) {
		return func(r *phoneRig) { r.radio.switchOff(why) }
	}
	tests := []struct {
		name       string
		kind       string // create or get
		fault      faketunnel.Fault
		maxTimeout time.Duration
		arrange    func(r *phoneRig)
		// scans: the person scans the QR code (with the phone as arranged); false: nobody does,
		// or no QR code is ever shown.
		scans       bool
		code, words string
	}{
		{name: "Bluetooth switched off is said before any QR code is shown", kind: "create",
			arrange: bluetooth(fmt.Errorf("bluez hci0: Powered false: %w", hybrid.ErrBluetoothOff)),
			code:    "bluetooth_unavailable", words: "Bluetooth is turned off on this computer. Turn it on in your computer's settings, then try again."},
		{name: "a computer without a Bluetooth adapter says so", kind: "get",
			arrange: bluetooth(fmt.Errorf("bluez: no adapter: %w", hybrid.ErrNoBluetoothAdapter)),
			code:    "bluetooth_unavailable", words: "Your computer does not have Bluetooth"},
		{name: "Bluetooth blocked by flight mode says how to unblock it", kind: "create",
			arrange: bluetooth(fmt.Errorf("rfkill: %w", hybrid.ErrBluetoothBlocked)),
			code:    "bluetooth_unavailable", words: "Bluetooth is blocked on this computer, for example because flight mode is on."},
		{name: "an app not allowed to use Bluetooth says where to allow it", kind: "get",
			arrange: bluetooth(fmt.Errorf("CoreBluetooth: %w", hybrid.ErrBluetoothNotAllowed)),
			code:    "bluetooth_unavailable", words: "This app is not allowed to use Bluetooth."},
		{name: "Bluetooth failing for a reason the scanner does not know still says Bluetooth", kind: "get",
			arrange: bluetooth(errors.New("org.freedesktop.DBus.Error.ServiceUnknown")),
			code:    "bluetooth_unavailable", words: "Bluetooth is not working on this computer at the moment."},
		{name: "a scan that cannot start once the QR code is shown fails as Bluetooth", kind: "create",
			arrange: func(r *phoneRig) {
				r.radio.Unavailable = fmt.Errorf("bluez: StartDiscovery: %w", hybrid.ErrBluetoothOff)
			},
			code: "bluetooth_unavailable", words: "Bluetooth is turned off on this computer."},
		{name: "no phone near in time is phone_not_found", kind: "create",
			arrange: func(r *phoneRig) { r.config.AdvertTimeout = 300 * time.Millisecond },
			code:    "phone_not_found", words: "We could not find your phone or tablet."},
		{name: "a phone that scanned another QR code is the wrong phone", kind: "get", scans: true,
			arrange: func(r *phoneRig) {
				r.config.AdvertTimeout = 2 * time.Second
				r.phone.Behaviour = simphone.WrongQR
			},
			code: "wrong_phone", words: "A phone was found, but it was not the one that scanned this QR code."},
		{name: "a tunnel server that refuses the connection is tunnel_refused", kind: "create", scans: true,
			fault: faketunnel.Refuse,
			code:  "tunnel_refused", words: "The phone's passkey service on the internet did not accept the connection"},
		{name: "a tunnel server this computer cannot reach is tunnel_unreachable", kind: "get", scans: true,
			arrange: func(r *phoneRig) {
				url := unreachable(r.t)
				r.config.TunnelURL = func(string) string { return url }
			},
			code: "tunnel_unreachable", words: "This computer could not reach the phone's passkey service on the internet. Check you are connected to the internet"},
		{name: "a tampered handshake is a failed secure connection", kind: "create", scans: true,
			fault: faketunnel.TamperHandshake,
			code:  "phone_connection_failed", words: "A secure connection with your phone or tablet could not be set up."},
		{name: "the person cancelling on the phone while setting up is phone_cancelled", kind: "create", scans: true,
			arrange: func(r *phoneRig) { r.phone.Behaviour = simphone.Decline },
			code:    "phone_cancelled", words: "Setting up your passkey was cancelled on your phone or tablet."},
		{name: "the person cancelling on the phone while logging in is phone_cancelled", kind: "get", scans: true,
			arrange: func(r *phoneRig) { r.phone.Behaviour = simphone.Decline },
			code:    "phone_cancelled", words: "Logging in was cancelled on your phone or tablet."},
		{name: "a phone that hangs up without answering has cancelled", kind: "create", scans: true,
			arrange: func(r *phoneRig) { r.phone.Behaviour = simphone.HangUp },
			code:    "phone_cancelled", words: "cancelled on your phone or tablet"},
		{name: "a phone without a passkey for NHS login says so", kind: "get", scans: true,
			code: "no_passkey_on_key", words: "There are no passkeys for your NHS login on that phone or tablet."},
		{name: "a phone that never confirms runs out of time", kind: "create", scans: true, maxTimeout: 2 * time.Second,
			arrange: func(r *phoneRig) { r.phone.Behaviour = simphone.Hold },
			code:    "timed_out", words: "Your phone or tablet did not respond in time."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newPhoneRig(t, tt.fault)
			if tt.arrange != nil {
				tt.arrange(r)
			}
			e := newEnv(t, setup{noVirtual: true, phone: r.config, maxTimeout: tt.maxTimeout})
			e.signUp()
			var options json.RawMessage
			if tt.kind == "create" {
				options = e.registerBegin().PublicKey
			} else {
				e.logout()
				options = e.loginBegin("").PublicKey
			}
			c := e.startPhone(tt.kind, options, "")
			if tt.scans {
				r.scan(e.awaitQR(c.ID))
			}
			c = e.await(c.ID, "failed")
			if c.Error.Code != tt.code || !strings.Contains(c.Error.Message, tt.words) {
				t.Errorf("failed with %s; want %s saying %q", c, tt.code, tt.words)
			}
			if c.QR != nil || c.Credential != nil {
				t.Errorf("a failed ceremony carries a QR code or a credential: %+v", c)
			}
			r.tunnelClosed()
			if tt.kind == "create" {
				if n := e.passkeys(); n != 0 {
					t.Errorf("the account has %d passkeys after a failed set-up", n)
				}
			} else if e.signedIn() {
				t.Error("signed in after a failed login")
			}
		})
	}
}

func TestAPhoneAlreadySetUpForTheAccountIsNotSetUpAgain(t *testing.T) {
	r := newPhoneRig(t, faketunnel.Relay)
	e := newEnv(t, setup{noVirtual: true, phone: r.config})
	e.signUp()
	e.registerPhone(r)

	// Adding a second passkey needs the first (re-authentication, on the phone), and the
	// options then exclude it (WebAuthn L3 §5.4.3 excludeCredentials): the phone refuses.
	res := e.do("POST", "/api/passkeys/register/begin", map[string]string{"proof": e.phoneProof(r, "add-passkey")})
	if res.status != http.StatusOK {
		t.Fatalf("register begin: %d %s", res.status, res.body)
	}
	c := e.awaitQR(e.startPhone("create", decode[begin](t, res).PublicKey, "").ID)
	r.scan(c)
	c = e.await(c.ID, "failed")
	if c.Error.Code != "already_registered" || c.Error.Message != "This phone or tablet is already set up for your NHS login." {
		t.Fatalf("setting up the same phone again: %s", c)
	}
	if n, held := e.passkeys(), r.phone.Passkeys(); n != 1 || held != 1 {
		t.Fatalf("the account has %d passkeys and the phone %d, want 1 and 1", n, held)
	}
}

func TestThePersonCancellingClosesThePhonesTunnel(t *testing.T) {
	r := newPhoneRig(t, faketunnel.Relay)
	r.phone.Behaviour = simphone.Hold // the person never confirms on the phone
	e := newEnv(t, setup{noVirtual: true, phone: r.config})
	e.signUp()
	c := e.awaitQR(e.startPhone("create", e.registerBegin().PublicKey, "").ID)
	r.scan(c)
	c = e.await(c.ID, "phone-confirm")
	if n := r.tunnel.Open(); n != 1 {
		t.Fatalf("the tunnel holds %d connections from the desktop while the phone waits, want 1", n)
	}
	c = ceremonyOf(t, e.do("POST", "/api/device/ceremonies/"+c.ID+"/cancel", struct{}{}))
	if c.State != "failed" || c.Error.Code != "cancelled" || c.Error.Message != "You cancelled setting up your passkey." {
		t.Fatalf("cancelled: %s", c)
	}
	r.tunnelClosed()
	if c = e.await(c.ID, "failed"); c.Error.Code != "cancelled" {
		t.Fatalf("later: %s", c)
	}
}

func TestTheEndOfAKioskVisitCancelsThePhoneCeremony(t *testing.T) {
	tests := []struct {
		name string
		end  func(e *env) // what ends the visit (or, for the last, does not)
		ends bool
	}{
		{"a security key taken out ends the visit", func(e *env) { e.svc.SessionEnded(kiosk.ReasonKeyRemoved) }, true},
		{"logging out (also what the idle timeout does) ends the visit", func(e *env) {
			if r := e.do("POST", "/api/logout", struct{}{}); r.status != http.StatusOK {
				e.t.Fatalf("logout: %d %s", r.status, r.body)
			}
		}, true},
		{"a logout the backend refuses ends nothing", func(e *env) {
			if r := e.request(e.h, "POST", "/api/logout", struct{}{}, "https://elsewhere.example"); r.status != http.StatusForbidden {
				e.t.Fatalf("logout from another page: %d %s", r.status, r.body)
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newPhoneRig(t, faketunnel.Relay)
			r.phone.Behaviour = simphone.Hold
			e := newEnv(t, setup{noVirtual: true, phone: r.config, kiosk: kioskDevices(t, nil)})
			e.signUp()
			c := e.awaitQR(e.startPhone("create", e.registerBegin().PublicKey, "").ID)
			r.scan(c)
			e.await(c.ID, "phone-confirm")

			tt.end(e)
			if !tt.ends {
				time.Sleep(100 * time.Millisecond)
				if e.await(c.ID, "phone-confirm"); r.tunnel.Open() != 1 {
					t.Fatal("the tunnel was closed although the visit goes on")
				}
				return
			}
			c = e.await(c.ID, "failed")
			if c.Error.Code != "cancelled" {
				t.Fatalf("after the visit ended: %s", c)
			}
			r.tunnelClosed()
		})
	}
}

// authenticatorEntry is an Authenticator with unavailable.
type authenticatorEntry struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	PINSet      bool   `json:"pinSet"`
	Unavailable *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"unavailable"`
}

func TestThePhoneIsOfferedWhenTheComputerCanUseOne(t *testing.T) {
	tests := []struct {
		name    string
		phone   bool  // device.Config.Phone set
		kiosk   bool  // kiosk mode
		why     error // what Bluetooth's Available says
		offered bool
		words   string // unavailable's message
	}{
		{name: "a computer without the phone path does not offer it", phone: false},
		{name: "a computer with Bluetooth on offers it", phone: true, offered: true},
		{name: "a kiosk offers it too: the passkey leaves with the patient's phone", phone: true, kiosk: true, offered: true},
		{name: "Bluetooth switched off offers it with how to turn it on", phone: true, offered: true,
			why: fmt.Errorf("bluez: %w", hybrid.ErrBluetoothOff), words: "Bluetooth is turned off on this computer. Turn it on in your computer's settings, then try again."},
		{name: "no Bluetooth adapter offers it with what to use instead", phone: true, offered: true,
			why: fmt.Errorf("bluez: %w", hybrid.ErrNoBluetoothAdapter), words: "Your computer does not have Bluetooth, which is needed to use a phone or tablet. Use a security key instead, or use a computer that has Bluetooth."},
		{name: "Bluetooth blocked offers it with how to unblock it", phone: true, kiosk: true, offered: true,
			why: fmt.Errorf("rfkill: %w", hybrid.ErrBluetoothBlocked), words: "Bluetooth is blocked on this computer, for example because flight mode is on. Turn off flight mode or unblock Bluetooth in your computer's settings, then try again."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newPhoneRig(t, faketunnel.Relay)
			r.radio.switchOff(tt.why)
			s := setup{}
			if tt.phone {
				s.phone = r.config
			}
			if tt.kiosk {
				s.kiosk = kioskDevices(t, nil)
			}
			e := newEnv(t, s)
			res := e.do("GET", "/api/device/authenticators", nil)
			list := decode[struct {
				Authenticators []authenticatorEntry `json:"authenticators"`
			}](t, res).Authenticators
			var phone *authenticatorEntry
			for i, a := range list {
				if a.ID == "phone" {
					phone = &list[i]
				}
			}
			if !tt.offered {
				if phone != nil {
					t.Fatalf("the phone is offered: %s", res.body)
				}
				e.signUp()
				start := e.do("POST", "/api/device/ceremonies", map[string]any{"kind": "create", "authenticator": "phone", "publicKey": e.registerBegin().PublicKey})
				if start.status != http.StatusBadRequest || start.code() != "invalid_request" {
					t.Fatalf("a ceremony on a phone the computer does not offer: %d %s", start.status, start.body)
				}
				return
			}
			if phone == nil {
				t.Fatalf("the phone is not offered: %s", res.body)
			}
			if list[0].ID != "virtual" {
				t.Errorf("the phone comes before the keys: %s", res.body)
			}
			if phone.Kind != "phone" || phone.Name != "Use a different phone or tablet" || phone.PINSet {
				t.Errorf("the phone is listed as %+v", *phone)
			}
			if tt.why == nil {
				if !strings.Contains(string(res.body), `{"id":"phone","kind":"phone","name":"Use a different phone or tablet","pinSet":false}`) {
					t.Errorf("an available phone is listed as %s", res.body)
				}
				return
			}
			if phone.Unavailable == nil || phone.Unavailable.Code != "bluetooth_unavailable" || phone.Unavailable.Message != tt.words {
				t.Errorf("unavailable = %+v, want bluetooth_unavailable %q", phone.Unavailable, tt.words)
			}
		})
	}
}
