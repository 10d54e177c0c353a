package kiosk

import (
	"fmt"
	"strconv"
	"strings"
)

// MinWebView2 is the oldest WebView2 runtime kiosk mode runs on: the first one on which the
// app can turn off general autofill and password saving (ICoreWebView2Settings4, SDK
// 1.0.902.49), as go-webview2 v1.0.22, the binding Wails v2.11 uses, gates them: it refuses
// both below runtime 100.0.1185.39 (pkg/edge/capabilities.go). Below it, WebView2 would keep
// what one patient typed (IsGeneralAutofillEnabled is TRUE by default) and offer it to the
// next (docs/windows-kiosk.md).
const MinWebView2 = "100.0.1185.39"

// Stable codes of kiosk mode's start-up refusals on Windows (docs/api.md).
const (
	CodeWebView2Missing = "kiosk_webview2_missing"
	CodeWebView2TooOld  = "kiosk_webview2_too_old"
	CodeWebViewNotSafe  = "kiosk_webview_not_safe"
)

// StartError says why kiosk mode cannot start, for the administrator who started it (Msg:
// what happened, what to do) and for scripts and support (Code). Nothing was changed.
type StartError struct {
	Code string
	Msg  string
	Err  error // the cause, if any, for the log
}

func (e *StartError) Error() string { return e.Msg }

func (e *StartError) Unwrap() error { return e.Err }

// ErrorCode returns the stable code (the program prints it after the message).
func (e *StartError) ErrorCode() string { return e.Code }

// CheckWebView2 refuses kiosk mode unless version, the WebView2 runtime's version as
// Windows reports it ("" when none is installed, perhaps followed by a channel name such as
// "beta"), is MinWebView2 or newer. A version it cannot read is refused too: kiosk mode must
// know it can keep one patient's typing from the next before the first patient arrives.
func CheckWebView2(version string, lookErr error) error {
	if lookErr != nil {
		return &StartError{Code: CodeWebView2Missing, Err: lookErr,
			Msg: "Kiosk mode cannot start: the app could not find out which version of Microsoft Edge WebView2 this computer has. " +
				"Install or repair the Microsoft Edge WebView2 Runtime (from Microsoft's website), then start the app again."}
	}
	fields := strings.Fields(version)
	if len(fields) == 0 {
		return &StartError{Code: CodeWebView2Missing,
			Msg: "Kiosk mode cannot start: Microsoft Edge WebView2 is not installed on this computer. " +
				"Install the Microsoft Edge WebView2 Runtime (from Microsoft's website), then start the app again."}
	}
	have, err := parseWebView2Version(fields[0])
	if err == nil {
		want, _ := parseWebView2Version(MinWebView2)
		if compareWebView2Versions(have, want) >= 0 {
			return nil
		}
	}
	return &StartError{Code: CodeWebView2TooOld, Err: err,
		Msg: fmt.Sprintf("Kiosk mode cannot start: this computer's Microsoft Edge WebView2 (version %s) is too old to stop it "+
			"remembering what one patient types for the next. Update the Microsoft Edge WebView2 Runtime to version %s or later "+
			"(Windows Update, or Microsoft's website), then start the app again.", fields[0], MinWebView2)}
}

// parseWebView2Version reads the four numbers of a WebView2 version (major.minor.build.patch).
func parseWebView2Version(v string) ([4]int, error) {
	var out [4]int
	parts := strings.Split(v, ".")
	if len(parts) != len(out) {
		return out, fmt.Errorf("WebView2 version %q: want four numbers separated by dots", v)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p == "" || strings.HasPrefix(p, "+") {
			return out, fmt.Errorf("WebView2 version %q: %q is not a number", v, p)
		}
		out[i] = n
	}
	return out, nil
}

// compareWebView2Versions is -1, 0 or 1 as a is older than, the same as or newer than b.
func compareWebView2Versions(a, b [4]int) int {
	for i := range a {
		switch {
		case a[i] < b[i]:
			return -1
		case a[i] > b[i]:
			return 1
		}
	}
	return 0
}

// WebViewNotSafe is the refusal when the window's WebView2 did not take the kiosk's settings
// (autofill and password saving off): the kiosk closes before a patient can type.
func WebViewNotSafe(cause error) error {
	return &StartError{Code: CodeWebViewNotSafe, Err: cause,
		Msg: "Kiosk mode has closed: Microsoft Edge WebView2 did not let the app stop it remembering what patients type. " +
			"Update the Microsoft Edge WebView2 Runtime, then start the app again. If this happens again, contact the app's support team."}
}
