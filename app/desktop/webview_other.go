//go:build !linux || !(production || dev) || !webkit2_41

package desktop

// webViewSetUp does nothing here. On Windows, WebView2 zooms with Ctrl and the mouse wheel
// (desktop.go). On macOS the app adds no zoom keys to WKWebView (README, "macOS", says what
// to use instead). The navigation guard is webview_linux.go's on Linux; elsewhere the page
// itself sends a link to a website to the system browser (frontend/src/shell/router.ts) and
// kiosk mode's router refuses it. On Windows kiosk mode turns off WebView2's autofill
// (lockDownWebView) and each visit has a window of its own (app/kiosk.Visits). A Linux build
// against WebKitGTK 4.0 has neither zoom keys nor navigation guard (build with webkit2_41, as
// `make build` does).
type webViewSetUp struct{}

func newWebViewSetUp(*navigationGuard) *webViewSetUp { return &webViewSetUp{} }

func (*webViewSetUp) apply() {}
