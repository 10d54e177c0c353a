//go:build !windows

package desktop

import "context"

// lockDownWebView has nothing to do outside Windows: WebKitGTK keeps no form entries for the
// next page load and the Linux kiosk's navigation guard is setUpWebView's (webview_linux.go).
func lockDownWebView(context.Context) error { return nil }
