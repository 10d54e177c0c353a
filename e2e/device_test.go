//go:build e2e

// Desktop journeys: the same built frontend in headless Chromium, but served as the desktop
// app serves it (run.go without `serve`): the backend with device ceremonies, and the shell's
// device endpoints (app/device) in front of it on the virtual security key. Chromium's own
// WebAuthn is taken away, as the Linux webview has none, so every passkey goes through the
// device endpoints and the virtual key, driven by the page's steps (which key, its PIN, touch).
// Run with `make test` or `go test -tags e2e -run Journey .` after `npm run build`.
package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/nhs-passkeys/companion/app/device"
	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/app/sessionjar"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/session"
)

// desktopServer is the desktop app's handler on a loopback port.
type desktopServer struct {
	origin string
	// ceremonies counts POST /api/device/ceremonies: ceremonies the page ran on the shell.
	ceremonies atomic.Int32
	// quit is closed when the app would quit (kiosk mode: the administrator's exit).
	quit chan struct{}
}

// desktopOptions are the desktop app's settings a test changes.
type desktopOptions struct {
	// kiosk is --kiosk: the backend and device endpoints in kiosk mode (administrator secret
	// kioskAdminSecret), the memory-only session jar in front (Chromium then keeps no session
	// cookie, as the webview keeps none), and kiosk.Watch on the device endpoints' keys.
	kiosk bool
	// idle is --idle-timeout; 0 keeps the default.
	idle time.Duration
	// phone is device.Config.Phone: "A different phone or tablet" (journey_phone_test.go).
	phone *device.Phone
}

// kioskAdminSecret is the administrator secret of kiosk tests.
const kioskAdminSecret = "staff only, not patients"

// startDesktop builds the handler as run.go builds the desktop app's (backend with
// Ceremonies "device", device.Service.Wrap in front, the virtual key on), with the test's
// origin where the app has the webview's, and serves it over loopback HTTP for Chromium.
func startDesktop(t *testing.T, key *virtualkey.Key) *desktopServer {
	t.Helper()
	return startDesktopWith(t, key, desktopOptions{})
}

// startDesktopWith is startDesktop with the settings in opts.
func startDesktopWith(t *testing.T, key *virtualkey.Key, opts desktopOptions) *desktopServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// http://localhost is a secure context and a valid RP ID; 127.0.0.1 is neither.
	origin := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)

	frontend := builtFrontend(t)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})

	srv, err := backend.New(context.Background(), backend.Config{
		DataDir:        t.TempDir(),
		Origin:         origin,
		RequestOrigins: []string{origin},
		Ceremonies:     "device",
		Kiosk:          opts.kiosk,
		Frontend:       frontend,
		Logger:         logger,
	}, backend.WithSessionTimeouts(opts.idle, 0))
	if err != nil {
		t.Fatal(err)
	}
	d := &desktopServer{origin: origin, quit: make(chan struct{})}
	cfg := device.Config{
		Origins:    []string{origin},
		RPOrigin:   origin,
		VirtualKey: key,
		Logger:     logger,
		Phone:      opts.phone,
	}
	if opts.kiosk {
		hash, err := kiosk.HashSecret(kioskAdminSecret)
		if err != nil {
			t.Fatal(err)
		}
		var quitOnce sync.Once
		cfg.Kiosk = &device.Kiosk{Admin: kiosk.NewAdmin(hash, nil), Quit: func() { quitOnce.Do(func() { close(d.quit) }) }}
	}
	devices, err := device.New(cfg)
	if err != nil {
		t.Fatal(err)
	}

	inner := devices.Wrap(srv.Handler())
	var handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/device/ceremonies" {
			d.ceremonies.Add(1)
		}
		inner.ServeHTTP(w, sameOriginDeviceReads(origin, r))
	})
	stopWatch := func() {}
	if opts.kiosk {
		jar := sessionjar.New(sessionjar.NewMemoryStore(), logger, session.CookieName, session.SecureCookieName)
		handler = jar.Wrap(handler)
		watchCtx, cancel := context.WithCancel(context.Background())
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			kiosk.Watch{
				Keys:     devices.ConnectedKeys,
				SignedIn: jar.SignedIn,
				End:      kiosk.Logout(handler, origin),
				Ended:    devices.SessionEnded,
				Every:    200 * time.Millisecond,
				Logger:   logger,
			}.Run(watchCtx)
		}()
		stopWatch = func() { cancel(); <-watched }
	}
	hs := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: handler}
	go hs.Serve(ln)
	t.Cleanup(func() {
		stopWatch()
		hs.Close()
		devices.Close()
		srv.Close()
	})
	return d
}

// sameOriginDeviceReads does for Chromium what the desktop shell does for the webview
// (app/desktop, originOnDeviceReads): the device endpoints want an Origin on every request,
// reads included, and a browser sends none with a same-origin GET (Fetch standard,
// "append a request Origin header"). A GET that Chromium marks as coming from this origin's
// own page (Sec-Fetch-Site: same-origin) gets the page's origin; anything else is left to be
// refused.
func sameOriginDeviceReads(origin string, r *http.Request) *http.Request {
	if (r.Method != http.MethodGet && r.Method != http.MethodHead) || r.Header.Get("Origin") != "" ||
		r.Header.Get("Sec-Fetch-Site") != "same-origin" || !strings.HasPrefix(r.URL.Path, "/api/device/") {
		return r
	}
	r = r.Clone(r.Context())
	r.Header.Set("Origin", origin)
	return r
}

// newWebview starts headless Chromium without WebAuthn, as the Linux webview is
// (PLATFORM-NOTES.md): every document loses PublicKeyCredential and navigator.credentials
// before its own scripts run.
func newWebview(t *testing.T) context.Context {
	t.Helper()
	ctx := startChromium(t)
	const noWebAuthn = `delete window.PublicKeyCredential;
Object.defineProperty(Navigator.prototype, "credentials", { get: () => undefined, configurable: true });`
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument,
		cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: noWebAuthn}); err != nil {
		t.Fatalf("take WebAuthn away from the page: %v", err)
	}
	return ctx
}

func newVirtualKey(t *testing.T, behaviour virtualkey.Behaviour) *virtualkey.Key {
	t.Helper()
	key, err := virtualkey.New(virtualkey.Options{Behaviour: behaviour})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// choose selects the radio whose label is label.
func choose(t *testing.T, ctx context.Context, label string) {
	t.Helper()
	must(t, ctx, chromedp.Click(chromedp.Search(fmt.Sprintf(`//main//label[normalize-space()=%q]`, label)), chromedp.NodeVisible))
}

// deviceStatus waits until the live region says want.
func deviceStatus(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	waitFor(t, ctx, fmt.Sprintf(`(() => { const s = document.querySelector('main [role="status"][aria-live="polite"]');
		return !!s && s.textContent.includes(%q) })()`, want),
		fmt.Sprintf("the status should say %q", want))
}

func createAccount(t *testing.T, ctx context.Context, origin, email, password string) {
	t.Helper()
	open(t, ctx, origin+"/create-account")
	page(t, ctx, "Create an account")
	if get(t, ctx, chromedp.Evaluate[bool](`typeof window.PublicKeyCredential === "undefined" && navigator.credentials === undefined`)) != true {
		t.Fatal("the page should have no WebAuthn of its own, as in the webview")
	}
	fillIn(t, ctx, "Email address", email)
	fillIn(t, ctx, "Create a password", password)
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
}

func TestJourneyDesktopSetUpPasskeyOnVirtualKeyAndLogInWithItsPIN(t *testing.T) {
	key := newVirtualKey(t, virtualkey.Succeed())
	srv := startDesktop(t, key)
	ctx := newWebview(t)
	const email = "patient.three@example.com"
	const pin = "2468"

	createAccount(t, ctx, srv.origin, email, "a long enough password")

	// Set up a passkey on the virtual key. It has no PIN yet, so the page asks for a new one
	// (the key then verifies the person with it, which this RP requires).
	setUpPasskeyOnNewVirtualKey(t, ctx, pin)
	if banner := text(t, ctx, ".nhsuk-notification-banner--success"); !strings.Contains(banner, "Passkey set up") {
		t.Errorf("Passkeys should confirm the new passkey, banner says %q", banner)
	}
	if n := passkeyCount(t, ctx); n != 1 {
		t.Fatalf("after setting up a passkey the API lists %d passkeys, want 1", n)
	}
	creds := key.Credentials()
	if len(creds) != 1 || creds[0].RPID != "localhost" {
		t.Fatalf("the virtual key should hold one passkey for localhost, holds %+v", creds)
	}
	if retries, pinSet := key.PINRetries(); !pinSet || retries != 8 {
		t.Fatalf("the key should now have the PIN the person chose (set %v, %d tries left)", pinSet, retries)
	}
	signCount := creds[0].SignCount

	// Log out, then log in with the passkey: a wrong PIN first, then the right one.
	backToSettings(t, ctx)
	click(t, ctx, "Log out")
	page(t, ctx, "Manage passkeys for your NHS login")
	click(t, ctx, "Log in")
	page(t, ctx, "Log in")
	fillIn(t, ctx, "Email address", email)
	click(t, ctx, "Continue")
	page(t, ctx, "Which security key has your passkey?")
	choose(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Continue")
	page(t, ctx, "Enter your security key PIN")
	if ac := get(t, ctx, chromedp.Evaluate[string](`document.querySelector("#pin").getAttribute("autocomplete")`)); ac != "off" {
		t.Errorf("the PIN field should have autocomplete=off, has %q", ac)
	}

	fillIn(t, ctx, "Enter your security key PIN", "1357")
	click(t, ctx, "Continue")
	waitFor(t, ctx, `(() => { const a = document.activeElement;
		return !!a && a.classList.contains("nhsuk-error-summary") && a.textContent.includes("The PIN is not correct. You have 7 tries left.") })()`,
		"after a wrong PIN the focused error summary should say how many tries are left")
	if title := get(t, ctx, chromedp.Title()); !strings.HasPrefix(title, "Error: Enter your security key PIN") {
		t.Errorf("page title after a wrong PIN = %q", title)
	}
	if signedIn(t, ctx) {
		t.Fatal("a wrong PIN signed the person in")
	}
	if retries, _ := key.PINRetries(); retries != 7 {
		t.Fatalf("the key should count the wrong PIN: %d tries left, want 7", retries)
	}

	fillIn(t, ctx, "Enter your security key PIN", pin)
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
	if !signedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the passkey on the virtual key")
	}
	if creds := key.Credentials(); len(creds) != 1 || creds[0].SignCount <= signCount {
		t.Fatalf("the virtual key should have signed the login (sign count above %d): %+v", signCount, creds)
	}
	if retries, _ := key.PINRetries(); retries != 8 {
		t.Errorf("the right PIN should reset the key's tries to 8, %d left", retries)
	}
	if strings.Contains(text(t, ctx, "main"), "Not used yet") {
		t.Error("after logging in with the passkey, the list should show when it was last used")
	}
	if n := srv.ceremonies.Load(); n != 2 {
		t.Errorf("the page should have run 2 ceremonies through the device endpoints, ran %d", n)
	}
}

func TestJourneyDesktopCancelWhileTheKeyWaitsForATouchThenTryAgain(t *testing.T) {
	// Nobody touches the key unless the test does.
	key := newVirtualKey(t, virtualkey.WaitForTouch(time.Minute))
	srv := startDesktop(t, key)
	ctx := newWebview(t)
	const email = "patient.four@example.com"
	const password = "a long enough password"
	const pin = "864213"

	createAccount(t, ctx, srv.origin, email, password)
	click(t, ctx, "Passkeys")
	page(t, ctx, "Passkeys")
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	click(t, ctx, "Continue")
	page(t, ctx, "Where do you want to save your passkey?")
	choose(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Continue")
	page(t, ctx, "Create a PIN for your security key")
	fillIn(t, ctx, "New PIN", pin)
	fillIn(t, ctx, "Enter the new PIN again", pin)
	click(t, ctx, "Continue")
	page(t, ctx, "Setting up your passkey")
	deviceStatus(t, ctx, "Touch your security key")
	deviceStatus(t, ctx, "It may flash or light up.")

	click(t, ctx, "Cancel")
	page(t, ctx, "Set up a passkey")
	if inset := text(t, ctx, "main .nhsuk-inset-text"); !strings.Contains(inset, "You cancelled setting up your passkey.") {
		t.Errorf("back on the page, it should say the person cancelled; first inset text says %q", inset)
	}
	if has := get(t, ctx, chromedp.Evaluate[bool](`!!document.querySelector("main .nhsuk-error-summary")`)); has {
		t.Error("cancelling is not an error: no error summary expected")
	}
	if n := len(key.Credentials()); n != 0 {
		t.Fatalf("a cancelled set-up left %d passkeys on the key", n)
	}
	if n := passkeyCount(t, ctx); n != 0 {
		t.Fatalf("a cancelled set-up left %d passkeys on the account", n)
	}

	// Come back later (a fresh login allows one change without confirming it is you again)
	// and try again: the key kept the PIN chosen before the cancel, so it asks for it, then
	// waits for the touch.
	click(t, ctx, "Back")
	page(t, ctx, "Passkeys")
	backToSettings(t, ctx)
	click(t, ctx, "Log out")
	page(t, ctx, "Manage passkeys for your NHS login")
	open(t, ctx, srv.origin+"/login/password")
	page(t, ctx, "Log in with your password")
	fillIn(t, ctx, "Email address", email)
	fillIn(t, ctx, "Password", password)
	click(t, ctx, "Log in")
	page(t, ctx, "Login and security settings")
	click(t, ctx, "Passkeys")
	page(t, ctx, "Passkeys")
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	click(t, ctx, "Continue")
	page(t, ctx, "Where do you want to save your passkey?")
	choose(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Continue")
	page(t, ctx, "Enter your security key PIN")
	fillIn(t, ctx, "Enter your security key PIN", pin)
	click(t, ctx, "Continue")
	page(t, ctx, "Setting up your passkey")
	deviceStatus(t, ctx, "Touch your security key")
	key.Touch()
	page(t, ctx, "Passkeys")
	if n := len(key.Credentials()); n != 1 {
		t.Fatalf("after the touch the key holds %d passkeys, want 1", n)
	}
	if n := passkeyCount(t, ctx); n != 1 {
		t.Fatalf("after the touch the API lists %d passkeys, want 1", n)
	}
}

func TestJourneyDesktopRemoveAPasskeyConfirmingItsYouWithTheVirtualKey(t *testing.T) {
	key := newVirtualKey(t, virtualkey.Succeed())
	srv := startDesktop(t, key)
	ctx := newWebview(t)
	const email = "patient.six@example.com"
	const pin = "97531"

	// Set up a passkey on the virtual key: the fresh login allows this one change.
	createAccount(t, ctx, srv.origin, email, "a long enough password")
	setUpPasskeyOnNewVirtualKey(t, ctx, pin)
	banner(t, ctx, "Passkey set up")
	passkeys := listPasskeys(t, ctx)
	if len(passkeys) != 1 {
		t.Fatalf("after setting up a passkey the API lists %d, want 1", len(passkeys))
	}
	name := passkeys[0].Name
	signCount := key.Credentials()[0].SignCount

	// Remove it, as the help article says: select Login and security settings, select Remove
	// for the passkey. The login's one change is used up, so the page asks to confirm it's you,
	// and the key's steps run inside the page: which key, its PIN, then the key signs.
	backToSettings(t, ctx)
	click(t, ctx, "Remove "+name)
	page(t, ctx, "Are you sure you want to remove “"+name+"”?")
	if body := text(t, ctx, "main"); !strings.Contains(body, "Security keys") {
		t.Errorf("in the desktop app, removing a passkey on a security key should point to Security keys; the page says:\n%s", body)
	}
	expectStatus(t, ctx, "DELETE /api/passkeys/*", http.StatusForbidden) // reauth_required: the page asks
	click(t, ctx, "Remove passkey")
	page(t, ctx, "Confirm it's you")
	if body := text(t, ctx, "main"); !strings.Contains(body, "choose the security key that has your passkey") {
		t.Errorf("the step should say what the desktop app will ask; it says:\n%s", body)
	}
	click(t, ctx, "Continue")
	page(t, ctx, "Which security key has your passkey?")
	choose(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Continue")
	page(t, ctx, "Enter your security key PIN")
	fillIn(t, ctx, "Enter your security key PIN", pin)
	click(t, ctx, "Continue")
	// The key is still plugged in, so the app offers to delete the passkey from it too
	// (journey_keys_test.go goes on to do that); not now.
	page(t, ctx, "Delete the passkey from your security key too?")
	click(t, ctx, "Not now")
	page(t, ctx, "Login and security settings")
	banner(t, ctx, "Passkey removed")

	if n := len(listPasskeys(t, ctx)); n != 0 {
		t.Fatalf("after removing it the API lists %d passkeys, want 0", n)
	}
	creds := key.Credentials()
	if len(creds) != 1 || creds[0].SignCount <= signCount {
		t.Fatalf("the key should have signed to confirm it's you (sign count above %d) and still hold the passkey (deleting it from the key is the Security keys section's job): %+v", signCount, creds)
	}
	if n := srv.ceremonies.Load(); n != 2 {
		t.Errorf("the page should have run 2 ceremonies on the shell (set up, confirm it's you), ran %d", n)
	}
	if !signedIn(t, ctx) {
		t.Error("removing a passkey should keep the person logged in")
	}
}

// setUpPasskeyOnNewVirtualKey walks the help article's steps from Login and security settings
// (select Passkeys, select Set up a passkey) onto the virtual key, which has no PIN yet, so the
// page asks for a new one (entered twice); it ends on Passkeys, with the banner.
func setUpPasskeyOnNewVirtualKey(t *testing.T, ctx context.Context, pin string) {
	t.Helper()
	click(t, ctx, "Passkeys")
	page(t, ctx, "Passkeys")
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	click(t, ctx, "Continue")
	page(t, ctx, "Where do you want to save your passkey?")
	choose(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Continue")
	page(t, ctx, "Create a PIN for your security key")
	fillIn(t, ctx, "New PIN", pin)
	fillIn(t, ctx, "Enter the new PIN again", pin)
	click(t, ctx, "Continue")
	page(t, ctx, "Passkeys")
}

// backToSettings follows the Passkeys page's back link to Login and security settings.
func backToSettings(t *testing.T, ctx context.Context) {
	t.Helper()
	click(t, ctx, "Back to login and security settings")
	page(t, ctx, "Login and security settings")
}
