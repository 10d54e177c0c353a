// Package desktop is the desktop shell: a Wails window whose webview talks to the backend's
// handler in-process (no TCP port), with the shell as the session's cookie jar.
package desktop

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/wailsapp/wails/v2"
	wailslogger "github.com/wailsapp/wails/v2/pkg/logger"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/options/mac"
	"github.com/wailsapp/wails/v2/pkg/options/windows"
	wailsruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/nhs-passkeys/companion/app/device/kioskapi"
	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/app/sessionjar"
	"github.com/nhs-passkeys/companion/backend/session"
)

// Title is the window title. The desktop smoke test finds the window by it.
const Title = "NHS login passkeys"

// webviewOrigins are the Origin values the webview's requests carry: the page is served
// from wails://wails on Linux and macOS, and from http://wails.localhost by WebView2 on
// Windows. The backend accepts state-changing requests only from these origins in the
// desktop app. An array, so no caller can change the list (WebviewOrigins hands out copies).
var webviewOrigins = [...]string{"wails://wails", "http://wails.localhost"}

// WebviewOrigins returns a copy of the webview's origins (webviewOrigins), the page's own
// first.
func WebviewOrigins() []string { return slices.Clone(webviewOrigins[:]) }

// Options are what Run needs from the rest of the program.
type Options struct {
	// Handler serves the frontend and the API: every request of the webview goes to it.
	Handler http.Handler
	// DataDir is the app's data directory; it names the session's keyring entry.
	DataDir string
	// Logger receives the shell's and Wails' logs. Nil discards them.
	Logger *slog.Logger
	// RelyingParty is the remote relying party's origin when Handler forwards the API to
	// one (app/remoterp, --relying-party), else "". At home its session is kept in a keyring
	// entry of its own (sessionjar.NewRemoteKeyringStore), so a token goes back only to the
	// relying party that issued it.
	RelyingParty string
	// Devices, if not nil, are the device endpoints (app/device), mounted in front of
	// Handler: they answer /api/device/... and pass every other request on.
	Devices DeviceEndpoints
	// Kiosk, if not nil, is kiosk mode (app/kiosk): the window fills the screen with no
	// controls and cannot be closed (only ctx ending closes it: the administrator's exit, or
	// the system shutting down), the session lives in memory only, never in the keyring, and
	// it ends when a security key used during it is taken out.
	Kiosk *Kiosk
}

// Kiosk is what kiosk mode needs from the device endpoints (app/device.Service).
type Kiosk struct {
	// Keys lists the security keys plugged in now.
	Keys func() ([]string, error)
	// SessionEnded tells the page why the shell ended the session.
	SessionEnded func(reason string)
	// VisitDir, if set, is this window's own visit folder (Windows: app/kiosk.Visits gives
	// each patient a window of their own). WebView2 keeps its data in
	// kiosk.WebViewFolder(VisitDir), and when the visit ends (a logout the backend accepted:
	// the page's "Log out", its idle timeout, or the shell's after a key was taken out) the
	// window marks the visit over and closes, and its folder is deleted before the next
	// patient's window opens.
	VisitDir string
}

// DeviceEndpoints is the shell's native WebAuthn client behind /api/device/... (app/device).
type DeviceEndpoints interface {
	Wrap(next http.Handler) http.Handler
}

// The window icon on Linux (macOS and Windows take theirs from the bundle and the .exe); a
// string, so it cannot be changed.
//
//go:embed appicon.png
var windowIcon string

// ErrAlreadyOpen is Run's answer when a copy of the app already has a window on the same
// data folder: that window has been brought to the front instead.
var ErrAlreadyOpen = errors.New("NHS login passkeys is already open, so its window has been brought to the front")

// Run opens the window and blocks until the person closes it or ctx ends.
func Run(ctx context.Context, opts Options) error {
	if opts.Handler == nil {
		return errors.New("desktop: no handler")
	}
	if opts.DataDir == "" {
		return errors.New("desktop: no data directory")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if ctx.Err() != nil {
		return nil // stopped before the window opened
	}
	if opts.RelyingParty != "" && opts.Kiosk == nil && ShowRunningCopy(ctx, opts.DataDir) == nil {
		// The app of a fleet has no database, so no data folder lock has stopped a second
		// copy before here (the app with its own relying party: internal/cli). Wails' own
		// single-instance lock would end it inside wails.Run, silently and with no clean-up
		// (os.Exit). Not for a kiosk: a Windows kiosk's next visit may start while the last
		// one's window is closing, and must not take that window for its own.
		return ErrAlreadyOpen
	}
	// endRun closes the window from inside: at the end of a visit that has a window of its
	// own, or when kiosk mode finds the webview unsafe (notSafe then says why).
	ctx, endRun := context.WithCancel(ctx)
	defer endRun()
	var notSafe atomic.Pointer[error]

	if err := openDisplay(); err != nil {
		return fmt.Errorf("desktop: %w", err)
	}

	// At home the session outlives the window, in the OS keyring. On a shared computer
	// nothing of a patient may stay: memory only, gone when the app closes.
	var store sessionjar.Store = sessionjar.NewMemoryStore()
	if opts.Kiosk == nil {
		keyring, err := sessionjar.NewKeyringStore(opts.DataDir)
		if opts.RelyingParty != "" {
			keyring, err = sessionjar.NewRemoteKeyringStore(opts.DataDir, opts.RelyingParty)
		}
		if err != nil {
			return fmt.Errorf("desktop: %w", err)
		}
		store = sessionjar.NewFallbackStore(keyring, logger)
	}
	jar := sessionjar.New(store, logger, session.CookieName, session.SecureCookieName)
	// The keyring read runs beside GTK's and WebKit's start-up (issue #21, item 2); the
	// page's first API request waits for it, the page itself does not (filesWithoutSession).
	go jar.Load()
	handler := opts.Handler
	if opts.Devices != nil {
		handler = originFromWebview(opts.Devices.Wrap(handler), readsDevice)
	}
	app := webviewHandler(jar, handler)
	// window is the context Wails gave OnStartup, for bringing the window to the front when
	// a second copy asks (presentWindow) and for the clipboard; the second copy's message may
	// come on any goroutine, before or after OnStartup.
	var window atomic.Pointer[context.Context]
	var visitOver atomic.Pointer[error] // set once the visit is over: nil error, or why it could not be marked
	if opts.Kiosk != nil {
		app = kioskapi.OnVisitEnd(app, func() {
			// What one patient copied (their email, an NHS number from a letter) must not be
			// there for the next to paste: the system's clipboard outlives the page, and on
			// Windows the visit's window too.
			if err := clearClipboard(window.Load()); err != nil {
				logger.Warn("could not empty the clipboard at the end of a kiosk visit", "err", err)
			}
			if opts.Kiosk.VisitDir == "" {
				return
			}
			err := kiosk.MarkVisitOver(opts.Kiosk.VisitDir)
			if !visitOver.CompareAndSwap(nil, &err) {
				return
			}
			logger.Info("kiosk visit over: closing its window")
			// A moment for the page to receive the logout's answer; the window and everything
			// in it then go.
			time.AfterFunc(300*time.Millisecond, endRun)
		})
	}
	if opts.Kiosk != nil {
		// The watch has stopped before Run returns: the caller then closes the backend and the
		// device endpoints, which the watch must not be inside of.
		watch := kiosk.Watch{
			Keys:     opts.Kiosk.Keys,
			SignedIn: jar.SignedIn,
			End:      kiosk.Logout(app, webviewOrigins[0]),
			Ended:    opts.Kiosk.SessionEnded,
			Logger:   logger,
		}
		watchCtx, stopWatch := context.WithCancel(ctx)
		watched := make(chan struct{})
		go func() { defer close(watched); watch.Run(watchCtx) }()
		defer func() { stopWatch(); <-watched }()
	}
	startState := options.Normal
	if opts.Kiosk != nil {
		startState = options.Fullscreen
	}

	started := make(chan context.Context, 1)
	closed := make(chan struct{})
	defer close(closed)
	go quitWhenDone(ctx, started, closed, quitWindow)
	// The window shows only the app's pages; a website goes to the person's own browser
	// (outside kiosk mode), through the same Wails call the page uses (BrowserOpenURL).
	webView := newWebViewSetUp(&navigationGuard{
		kiosk:  opts.Kiosk != nil,
		logger: logger,
		openInBrowser: func(url string) {
			if p := window.Load(); p != nil {
				wailsruntime.BrowserOpenURL(*p, url)
			}
		},
	})

	err := wails.Run(&options.App{
		Title:     Title,
		Width:     1024,
		Height:    768,
		MinWidth:  400,
		MinHeight: 480,
		// Kiosk mode: the whole screen, with no title bar or buttons to close or shrink it
		// (WindowStartState needs a window manager on Linux; see ../shared/PLATFORM-NOTES.md).
		WindowStartState: startState,
		Frameless:        opts.Kiosk != nil,
		BackgroundColour: options.NewRGB(255, 255, 255),
		AssetServer: &assetserver.Options{
			// No Assets: every request, the page itself included, goes to the backend's handler
			// through the jar, so the frontend is served the same way as in `serve` mode.
			Handler: app,
		},
		Logger:             slogAdapter{logger},
		LogLevel:           wailslogger.INFO,
		LogLevelProduction: wailslogger.WARNING,
		OnStartup: func(wctx context.Context) {
			window.Store(&wctx)
			started <- wctx
		},
		// A second copy on the same data folder is refused by the folder's lock; before it
		// stops it asks this copy to show its window (ShowRunningCopy), on Linux, Windows and
		// macOS alike.
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId: instanceID(opts.DataDir),
			OnSecondInstanceLaunch: func(options.SecondInstanceData) {
				logger.Info("another copy of the app was started: bringing this window to the front")
				var wctx context.Context // nil until OnStartup (Linux's present needs none)
				if p := window.Load(); p != nil {
					wctx = *p
				}
				presentWindow(wctx)
			},
		},
		// Every way of closing (the close button, SIGINT/SIGTERM, Quit) comes through here.
		// On Linux Wails would call GTK from this goroutine; quitWindow queues it onto GTK's
		// own thread instead (gtk_linux.go).
		OnBeforeClose: func(wctx context.Context) (prevent bool) {
			if opts.Kiosk != nil && ctx.Err() == nil {
				// A patient pressing Alt+F4: kiosk mode ends only through the administrator's
				// exit (or the system shutting down), both of which end ctx first.
				logger.Info("closing the window refused in kiosk mode")
				return true
			}
			if quitHandledByShell {
				quitWindow(wctx)
			}
			return quitHandledByShell
		},
		OnDomReady: func(wctx context.Context) {
			if err := restoreSignalStacks(); err != nil {
				logger.Error("repair signal handlers after the page loaded", "err", err)
			}
			webView.apply()
			if opts.Kiosk != nil {
				if err := lockDownWebView(wctx); err != nil {
					logger.Error("kiosk mode: the webview did not take the kiosk's settings; closing", "err", err)
					err = kiosk.WebViewNotSafe(err)
					notSafe.CompareAndSwap(nil, &err)
					endRun()
				}
			}
			logger.Debug("page loaded in the window")
		},
		// Dropping a file on the window would make the webview navigate to it.
		DragAndDrop: &options.DragAndDrop{DisableWebViewDrop: true},
		// The browser's context menu (Back, Reload, Inspect) has no place in the app; Wails
		// keeps it off in production builds unless this is true.
		EnableDefaultContextMenu: false,
		Linux: &linux.Options{
			Icon: []byte(windowIcon),
			// GPU policy "Always" (Wails' value when Linux options are given) costs memory and
			// fails on machines without a GPU; the app is plain pages.
			WebviewGpuPolicy: linux.WebviewGpuPolicyNever,
			ProgramName:      "nhs-passkeys",
		},
		// WCAG 1.4.4: WebView2 zooms with Ctrl and the mouse wheel (and pinch) once this is on.
		// Wails v2 keeps WebView2's browser keys off, Ctrl and plus among them; a page-side
		// CSS zoom is no substitute (it does not reflow), so on Windows the keys are left to
		// Windows' own text size and Magnifier (README, Windows).
		Windows: &windows.Options{IsZoomControlEnabled: true, ZoomFactor: 1.0, WebviewUserDataPath: webviewDataPath(opts.Kiosk)},
		Mac: &mac.Options{
			About: &mac.AboutInfo{Title: Title, Message: "Set up, use and remove passkeys for your NHS login."},
		},
	})
	if err != nil {
		return fmt.Errorf("desktop: %w", err)
	}
	if p := notSafe.Load(); p != nil {
		return *p
	}
	if p := visitOver.Load(); p != nil && *p != nil {
		// The visit is over but could not be marked so: an error, so that the kiosk opens a
		// new window rather than take this for an administrator closing it.
		return fmt.Errorf("desktop: %w", *p)
	}
	return nil
}

// webviewDataPath is WebView2's user-data folder: the visit's own in a kiosk visit's window,
// otherwise "" (Wails' default, beside the app's other data).
func webviewDataPath(k *Kiosk) string {
	if k == nil || k.VisitDir == "" {
		return ""
	}
	return kiosk.WebViewFolder(k.VisitDir)
}

// webviewHandler is what answers the webview: the frontend's files without the session
// (filesWithoutSession), and every other request through the session jar, with the Origin
// the webview leaves out (originFromWebview).
func webviewHandler(jar *sessionjar.Jar, handler http.Handler) http.Handler {
	return filesWithoutSession(jar.Wrap(logoutFailsClosed(originFromWebview(handler, changesState))), handler)
}

// logoutFailsClosed makes every logout that is not refused forget the session in the jar,
// whatever the answer says about the cookie: one the backend accepted (a fleet's server, or
// a proxy in front of it, may leave its cookie uncleared), and one that failed (5xx: the
// database away, the backend still starting, a fleet's server failing). The person asked to
// leave, and at a kiosk the next patient must never go on with the session. One left alive
// at the backend ends there at its idle timeout; nobody holds its token any more. A refused
// logout (4xx: another origin) ends nothing.
func logoutFailsClosed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != kioskapi.LogoutPath {
			h.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(&logoutWriter{ResponseWriter: w}, r)
	})
}

// logoutWriter adds to a logout's answer, unless it is a refusal, the Set-Cookie lines that
// make the jar forget the session (Max-Age=0, under each name the session cookie has); the
// jar takes them out before the page sees the answer.
type logoutWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *logoutWriter) WriteHeader(code int) {
	if code < 200 || w.wrote {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.wrote = true
	if kiosk.LogoutEndsVisit(code) {
		for _, name := range []string{session.CookieName, session.SecureCookieName} {
			w.Header().Add("Set-Cookie", name+"=; Max-Age=0")
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *logoutWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the writer beneath.
func (w *logoutWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// filesWithoutSession sends the webview's requests for the frontend's files (a GET or HEAD
// outside /api) straight to files, without the session: they need none, so the window's
// first page never waits for the keyring. Any Cookie header the page made up is dropped, as
// the jar drops it. Everything else, every API request, goes to withSession.
func filesWithoutSession(withSession, files http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || p == "/api" || strings.HasPrefix(p, "/api/") {
			withSession.ServeHTTP(w, r)
			return
		}
		r = r.Clone(r.Context())
		r.Header.Del("Cookie")
		files.ServeHTTP(w, r)
	})
}

// quitWhenDone closes the window once when ctx ends. Wails' quit needs the context Wails
// hands to OnStartup. One request is enough: quitWindow queues it onto the main loop, so a
// quit asked for before the loop runs is not lost.
func quitWhenDone(ctx context.Context, started <-chan context.Context, closed <-chan struct{}, quit func(context.Context)) {
	var wctx context.Context
	select {
	case wctx = <-started:
	case <-closed:
		return
	}
	select {
	case <-ctx.Done():
		quit(wctx)
	case <-closed:
	}
}

// slogAdapter sends Wails' log lines to the app's slog logger.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Print(m string)   { a.l.Info(m, "from", "wails") }
func (a slogAdapter) Trace(m string)   { a.l.Debug(m, "from", "wails") }
func (a slogAdapter) Debug(m string)   { a.l.Debug(m, "from", "wails") }
func (a slogAdapter) Info(m string)    { a.l.Info(m, "from", "wails") }
func (a slogAdapter) Warning(m string) { a.l.Warn(m, "from", "wails") }
func (a slogAdapter) Error(m string)   { a.l.Error(m, "from", "wails") }
func (a slogAdapter) Fatal(m string)   { a.l.Error(m, "from", "wails") }
