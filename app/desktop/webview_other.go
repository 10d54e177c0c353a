//go:build !linux || !(production || dev) || !webkit2_41

package desktop

// setUpWebView does nothing here: WebView2 (Windows, with IsZoomControlEnabled) and
// WKWebView (macOS) have their own zoom keys, and there kiosk mode relies on the page's
// own refusal of links to other sites; a Linux build against WebKitGTK 4.0 has neither
// (build with webkit2_41, as `make build` does).
func setUpWebView(kiosk bool) {}
