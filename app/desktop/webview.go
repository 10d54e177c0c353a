package desktop

import (
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// originFromWebview gives the webview's requests for which needsOrigin is true the Origin
// header that browsers send and the backend checks: the state-changing ones (changesState),
// and the device endpoints' reads, which need one too (readsDevice, docs/api.md).
//
// WebKitGTK sends no Origin (and no Sec-Fetch-*) with fetch POST/PUT/DELETE to wails://wails,
// nor with a same-origin GET: seen on WebKitGTK 2.50, where the only hint is
// "Referer: wails://wails/". Nothing listens on TCP, so every request reaching the handler
// comes from a document in this webview; the shell can therefore say where it came from:
//   - an Origin that is present is kept (WebView2 and WKWebView send one; a foreign one is
//     then refused by the backend);
//   - otherwise a Referer from another origin (a page the webview was led away to) becomes
//     the Origin, so the backend refuses it like any cross-site request;
//   - otherwise (the app's own page, with or without a Referer) the Origin is the webview's.
func originFromWebview(h http.Handler, needsOrigin func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Origin") != "" || !needsOrigin(r) {
			h.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, withWebviewOrigin(r))
	})
}

// changesState tells a request the backend checks the Origin of: all but GET and HEAD.
func changesState(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead
}

// readsDevice tells a read of the device endpoints, which check the Origin on every request,
// reads included (docs/api.md).
func readsDevice(r *http.Request) bool {
	return !changesState(r) && strings.HasPrefix(r.URL.Path, "/api/device/")
}

// withWebviewOrigin is r, which brings no Origin, with the one the webview would have sent
// (originFromWebview's rules): a Referer's from another origin, else the webview's own.
func withWebviewOrigin(r *http.Request) *http.Request {
	origin := webviewOrigins[0]
	if ref := refererOrigin(r.Header.Get("Referer")); ref != "" && !slices.Contains(webviewOrigins[:], ref) {
		origin = ref
	}
	r = r.Clone(r.Context())
	r.Header.Set("Origin", origin)
	return r
}

// refererOrigin returns the scheme://host of a Referer, or "" when there is none to read.
func refererOrigin(referer string) string {
	if referer == "" {
		return ""
	}
	u, err := url.Parse(referer)
	if err != nil || u.Scheme == "" || u.Host == "" {
		// Unreadable: not the app's page, and not an origin the backend allows either.
		return "null"
	}
	return u.Scheme + "://" + u.Host
}

// navigationGuard is the shell's rule for where the webview may go. The window shows nothing
// but the app: it has no address bar and no way back, so a website loaded in it would look
// like part of the app (a phishing risk for patients). The page itself sends a link to a
// website to the person's own browser (frontend/src/shell/router.ts, through Wails'
// BrowserOpenURL); the guard is the shell's defence in depth behind it, fitted to the webview
// where the platform lets the shell do so (Linux: webview_linux.go; Wails v2 has no
// navigation guard of its own on any platform).
type navigationGuard struct {
	// kiosk: a shared computer, where nothing leaves the app, not even to a browser.
	kiosk bool
	// openInBrowser hands a website's address to the system's default browser (Wails'
	// BrowserOpenURL: xdg-open, open or ShellExecute). It may block while the browser starts.
	openInBrowser func(url string)
	logger        *slog.Logger
}

// allow says whether the webview may load uri: in the window itself (newWindow false), or in
// a new window (a link with target=_blank, window.open). A request refused outside kiosk
// mode that is for a website is sent to the person's own browser instead, without waiting
// for it: allow runs on the UI thread.
func (g *navigationGuard) allow(uri string, newWindow bool) bool {
	switch decideNavigation(uri, newWindow, g.kiosk) {
	case navigationAllow:
		return true
	case navigationOpenInBrowser:
		// Only where it was going, never the address itself: it may carry a token.
		g.logger.Info("a website the window was asked to load is opened in the system browser instead", "scheme", addressScheme(uri), "host", addressHost(uri))
		go g.openInBrowser(uri)
	default:
		g.logger.Info("the window was kept on the app's pages", "scheme", addressScheme(uri), "host", addressHost(uri), "newWindow", newWindow, "kiosk", g.kiosk)
	}
	return false
}

// navigationDecision is what the shell does with a request of the webview to load a page.
type navigationDecision int

const (
	navigationAllow         navigationDecision = iota // load it in the window
	navigationIgnore                                  // load nothing
	navigationOpenInBrowser                           // load nothing; open it in the system browser
)

// decideNavigation is navigationGuard's rule. The window loads only the app's own pages
// (appPage), and never opens a second window (it would have no way back either). Anything
// else is refused; outside kiosk mode a website (http or https) is opened in the person's own
// browser instead. Wails itself navigates the window only to its start page (wails://wails/);
// the page's own requests (fetch) are not navigations and never come here.
func decideNavigation(uri string, newWindow, kiosk bool) navigationDecision {
	switch {
	case !newWindow && appPage(uri):
		return navigationAllow
	case !kiosk && website(uri):
		return navigationOpenInBrowser
	default:
		return navigationIgnore
	}
}

// appPage says whether uri is one of the app's own pages: the wails:// scheme Wails serves
// the app from on Linux and macOS (every request to it reaches the app's own handler), or
// the empty page a web view starts with.
func appPage(uri string) bool {
	if uri == "about:blank" {
		return true
	}
	u, err := url.Parse(uri)
	return err == nil && strings.EqualFold(u.Scheme, "wails")
}

// website says whether uri is an http or https address with a host: the only kind the
// system browser is asked to open (xdg-open would also open files and other programs).
func website(uri string) bool {
	u, err := url.Parse(uri)
	return err == nil && (strings.EqualFold(u.Scheme, "https") || strings.EqualFold(u.Scheme, "http")) && u.Host != ""
}

// addressScheme and addressHost are the parts of an address the log may hold.
func addressScheme(uri string) string {
	scheme, _, _ := strings.Cut(uri, ":")
	if len(scheme) > 16 {
		return "?"
	}
	return strings.ToLower(scheme)
}

func addressHost(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
