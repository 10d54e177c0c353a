//go:build !linux || !(production || dev) || !webkit2_41

package desktop

// setUpWebView does nothing here. On Windows, WebView2 zooms with Ctrl and the mouse wheel
// (desktop.go). On macOS the app adds no zoom keys to WKWebView (README, "macOS", says what
// to use instead). Kiosk mode, whose navigation guard webview_linux.go adds, runs on Linux
// only (internal/cli, kioskRefusal). A Linux build against WebKitGTK 4.0 has neither zoom keys
// nor kiosk navigation guard (build with webkit2_41, as `make build` does).
func setUpWebView(_ bool) {}
