//go:build !linux || !(production || dev) || !webkit2_41

package desktop

// setUpWebView does nothing here. On Windows, WebView2 zooms with Ctrl and the mouse wheel
// (desktop.go). On macOS the app adds no zoom keys to WKWebView (README, "macOS", says what
// to use instead). Kiosk mode's navigation guard is webview_linux.go's on Linux; on Windows
// kiosk mode turns off WebView2's autofill instead (lockDownWebView) and each visit has a
// window of its own (app/kiosk.Visits). A Linux build against WebKitGTK 4.0 has neither zoom keys
// nor kiosk navigation guard (build with webkit2_41, as `make build` does).
func setUpWebView(_ bool) {}
