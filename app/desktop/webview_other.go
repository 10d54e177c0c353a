//go:build !linux || !(production || dev) || !webkit2_41

package desktop

// setUpWebView does nothing here. On Windows, WebView2 zooms with Ctrl and the mouse wheel
// (desktop.go) and kiosk mode is not offered (run.go); on macOS, WKWebView is untested. A Linux build against WebKitGTK 4.0 has neither
// zoom keys nor kiosk navigation guard (build with webkit2_41, as `make build` does).
func setUpWebView(kiosk bool) {}
