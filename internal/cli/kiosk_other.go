//go:build !windows

package cli

import (
	"context"
	"io"
	"log/slog"
)

// kioskWebViewRefusal: only WebView2 (Windows) needs a version check; WebKitGTK keeps no
// form entries across page loads and the Linux kiosk's guard is app/desktop's.
func kioskWebViewRefusal() error { return nil }

// kioskVisitWindow: outside Windows one window serves every visit, and the end of a visit is
// app/device/kioskapi's (kiosk_windows.go has the Windows way).
func kioskVisitWindow(context.Context, []string, func(string) string, string, io.Writer, *slog.Logger) (string, bool, error) {
	return "", false, nil
}

// kioskKeyList: the device endpoints list the security keys plugged in.
func kioskKeyList(connected func() ([]string, error)) (func() ([]string, error), func(), error) {
	return connected, func() {}, nil
}
