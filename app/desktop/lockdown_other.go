//go:build !windows

package desktop

import "context"

// lockDownWebView has nothing to do outside Windows: WebKitGTK keeps no form entries for the
// next page load, and Linux's navigation guard (kiosk mode's among others) is webViewSetUp's
// (webview_linux.go).
func lockDownWebView(context.Context) error { return nil }
