package desktop

import (
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
