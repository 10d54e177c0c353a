package harness

import (
	"context"
	"fmt"
	"io/fs"
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
	"github.com/nhs-passkeys/companion/app/remoterp"
	"github.com/nhs-passkeys/companion/app/sessionjar"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/session"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

// DesktopServer is the desktop app's handler on a loopback port.
type DesktopServer struct {
	Origin string
	// Ceremonies counts POST /api/device/ceremonies: ceremonies the page ran on the shell.
	Ceremonies atomic.Int32
	// Quit is closed when the app would quit (kiosk mode: the administrator's exit).
	Quit chan struct{}
}

// DesktopOptions are the desktop app's settings a test changes.
type DesktopOptions struct {
	// Kiosk is --kiosk: the backend and device endpoints in kiosk mode (administrator secret
	// KioskAdminSecret), the memory-only session jar in front (Chromium then keeps no session
	// cookie, as the webview keeps none), and kiosk.Watch on the device endpoints' keys.
	Kiosk bool
	// idle is --idle-timeout; 0 keeps the default.
	idle time.Duration
	// Phone is device.Config.Phone: "Use a different phone or tablet" (e2e/phone_test.go).
	Phone *device.Phone
	// RelyingParty is --relying-party: the handler is a client of this relying party
	// (app/remoterp, as internal/cli builds it) instead of a backend of its own, with
	// RelyingPartyCA as --relying-party-ca; the session is then always in the shell's jar.
	RelyingParty, RelyingPartyCA string
	// DataDir is --data-dir: the data folder the backend starts on; "" is a new one.
	DataDir string
}

// KioskAdminSecret is the administrator secret of kiosk tests.
const KioskAdminSecret = "staff only, not patients"

// StartDesktop builds the handler as internal/cli builds the desktop app's (backend with
// Ceremonies "device", device.Service.Wrap in front, the virtual key on), with the test's
// origin where the app has the webview's, and serves it over loopback HTTP for Chromium.
func StartDesktop(t *testing.T, key *virtualkey.Key) *DesktopServer {
	t.Helper()
	return StartDesktopWith(t, key, DesktopOptions{})
}

// StartDesktopWith is StartDesktop with the settings in opts.
func StartDesktopWith(t *testing.T, key *virtualkey.Key, opts DesktopOptions) *DesktopServer {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("a TCP listener has the address %T", ln.Addr())
	}
	// http://localhost is a secure context and a valid RP ID; 127.0.0.1 is neither.
	origin := fmt.Sprintf("http://localhost:%d", addr.Port)

	frontend := builtFrontend(t)
	logs := &testkit.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})

	api, rpOrigin, closeAPI := desktopAPI(t, origin, frontend, logger, opts)
	d := &DesktopServer{Origin: origin, Quit: make(chan struct{})}
	cfg := device.Config{
		Origins:    []string{origin},
		RPOrigin:   rpOrigin,
		VirtualKey: key,
		Logger:     logger,
		Phone:      opts.Phone,
	}
	if opts.Kiosk {
		hash, err := kiosk.HashSecret(KioskAdminSecret)
		if err != nil {
			t.Fatal(err)
		}
		var quitOnce sync.Once
		cfg.Kiosk = &device.Kiosk{Admin: kiosk.NewAdmin(hash, kiosk.AdminOptions{}), Quit: func() { quitOnce.Do(func() { close(d.Quit) }) }}
	}
	devices, err := device.New(cfg)
	if err != nil {
		t.Fatal(err)
	}

	inner := devices.Wrap(api)
	var handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && r.URL.Path == "/api/device/ceremonies" {
			d.Ceremonies.Add(1)
		}
		inner.ServeHTTP(w, sameOriginDeviceReads(origin, r))
	})
	stopWatch := func() {}
	if opts.Kiosk || opts.RelyingParty != "" {
		jar := sessionjar.New(sessionjar.NewMemoryStore(), logger, session.CookieName, session.SecureCookieName)
		handler = jar.Wrap(handler)
		if opts.Kiosk {
			stopWatch = watchKeys(handler, jar, devices, origin, logger)
		}
	}
	hs := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: handler}
	// Serve ends with http.ErrServerClosed when the clean-up below closes it; a failure
	// before then shows in the journey as a page that does not load.
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		stopWatch()
		hs.Close()
		devices.Close()
		closeAPI()
	})
	return d
}

// desktopAPI is what the device endpoints sit in front of: the app's own backend (Ceremonies
// "device", the test's origin where the app has the webview's), or with opts.RelyingParty a
// client of that relying party. It returns the RP origin for clientDataJSON and a clean-up.
func desktopAPI(t *testing.T, origin string, frontend fs.FS, logger *slog.Logger, opts DesktopOptions) (http.Handler, string, func()) {
	t.Helper()
	if opts.RelyingParty != "" {
		client, err := remoterp.New(remoterp.Config{Address: opts.RelyingParty, CAFile: opts.RelyingPartyCA,
			PageOrigins: []string{origin}, Frontend: frontend, Kiosk: opts.Kiosk, Logger: logger, IdleTimeout: opts.idle})
		if err != nil {
			t.Fatal(err)
		}
		return client.Handler(), client.Origin(), client.Close
	}
	dataDir := opts.DataDir
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	// Started beside the page, as internal/cli starts it: a backend that cannot start on
	// its data folder answers the page's API requests with why (backend.Starting).
	starting, err := backend.Start(context.Background(), backend.Config{
		DataDir:        dataDir,
		Origin:         origin,
		RequestOrigins: []string{origin},
		Ceremonies:     "device",
		Kiosk:          opts.Kiosk,
		Frontend:       frontend,
		Logger:         logger,
	}, backend.WithSessionTimeouts(opts.idle, 0))
	if err != nil {
		t.Fatal(err)
	}
	return starting.Handler(15 * time.Second), origin, func() {
		if srv, err := starting.Wait(context.Background()); err == nil {
			srv.Close()
		}
	}
}

// watchKeys runs kiosk.Watch on the device endpoints' keys, as app/desktop does in kiosk mode,
// until the returned stop is called.
func watchKeys(handler http.Handler, jar *sessionjar.Jar, devices *device.Service, origin string, logger *slog.Logger) (stop func()) {
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
	return func() { cancel(); <-watched }
}

// StartKiosk is StartDesktop with --kiosk, as internal/cli and app/desktop build it: idle is the
// idle timeout (0 keeps kiosk mode's default).
func StartKiosk(t *testing.T, key *virtualkey.Key, idle time.Duration) *DesktopServer {
	t.Helper()
	if idle == 0 {
		idle = kiosk.DefaultIdleTimeout
	}
	return StartDesktopWith(t, key, DesktopOptions{Kiosk: true, idle: idle})
}

// sameOriginDeviceReads does for Chromium what the desktop shell does for the webview
// (app/desktop, originFromWebview with readsDevice): the device endpoints want an Origin on
// every request, reads included, and a browser sends none with a same-origin GET (Fetch standard,
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

// NewWebview starts headless Chromium without WebAuthn, as the Linux webview is
// (../shared/PLATFORM-NOTES.md): every document loses PublicKeyCredential and navigator.credentials
// before its own scripts run.
func NewWebview(t *testing.T) context.Context {
	t.Helper()
	ctx := StartChromium(t)
	const noWebAuthn = `delete window.PublicKeyCredential;
Object.defineProperty(Navigator.prototype, "credentials", { get: () => undefined, configurable: true });`
	if _, err := chromedp.Call(ctx, cdppage.AddScriptToEvaluateOnNewDocument,
		cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: noWebAuthn}); err != nil {
		t.Fatalf("take WebAuthn away from the page: %v", err)
	}
	return ctx
}

// NewVirtualKey is a virtual security key (app/virtualkey) that behaves as behaviour says.
func NewVirtualKey(t *testing.T, behaviour virtualkey.Behaviour) *virtualkey.Key {
	t.Helper()
	key, err := virtualkey.New(virtualkey.Options{Behaviour: behaviour})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// Choose selects the radio whose label is label.
func Choose(t *testing.T, ctx context.Context, label string) {
	t.Helper()
	Must(t, ctx, chromedp.Click(chromedp.Search(fmt.Sprintf(`//main//label[normalize-space()=%q]`, label)), chromedp.NodeVisible))
}

// DeviceStatus waits until the live region says want.
func DeviceStatus(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	WaitFor(t, ctx, fmt.Sprintf(`(() => { const s = document.querySelector('main [role="status"][aria-live="polite"]');
		return !!s && s.textContent.includes(%q) })()`, want),
		fmt.Sprintf("the status should say %q", want))
}

// CreateAccount creates an account with email and password from the Create an account page
// at origin, checking first that the page has no WebAuthn of its own (as in the webview).
func CreateAccount(t *testing.T, ctx context.Context, origin, email, password string) {
	t.Helper()
	Open(t, ctx, origin+"/create-account")
	Page(t, ctx, "Create an account")
	if !Get(t, ctx, chromedp.Evaluate[bool](`typeof window.PublicKeyCredential === "undefined" && navigator.credentials === undefined`)) {
		t.Fatal("the page should have no WebAuthn of its own, as in the webview")
	}
	FillIn(t, ctx, "Email address", email)
	FillIn(t, ctx, "Create a password", password)
	Click(t, ctx, "Continue")
	Page(t, ctx, "Login and security settings")
}

// StartDesktopOnVirtualKey starts the desktop app on a new virtual key that behaves as
// behaviour, and the webview to drive it: the key (for the journey's checks), the server and
// the page.
func StartDesktopOnVirtualKey(t *testing.T, behaviour virtualkey.Behaviour) (*virtualkey.Key, *DesktopServer, context.Context) {
	t.Helper()
	key := NewVirtualKey(t, behaviour)
	srv := StartDesktop(t, key)
	return key, srv, NewWebview(t)
}
