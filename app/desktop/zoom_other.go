//go:build !linux || !(production || dev) || !webkit2_41

package desktop

// enableZoom does nothing here: WebView2 (Windows) and WKWebView (macOS) have their own
// Ctrl/Cmd and plus zoom; a Linux build against WebKitGTK 4.0 has none (build with
// webkit2_41, as `make build` does).
func enableZoom() {}
