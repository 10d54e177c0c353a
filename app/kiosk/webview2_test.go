package kiosk_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/app/kiosk"
)

func TestCheckWebView2RefusesARuntimeThatCannotTurnOffAutofill(t *testing.T) {
	tests := []struct {
		name     string
		version  string
		lookErr  error
		wantCode string // "" means kiosk mode may start
	}{
		{"the oldest runtime that can turn autofill off is accepted", kiosk.MinWebView2, nil, ""},
		{"a current runtime is accepted", "131.0.2903.70", nil, ""},
		{"a newer patch of the oldest runtime is accepted", "100.0.1185.40", nil, ""},
		{"a beta channel runtime is read by its number", "120.0.2210.7 beta", nil, ""},
		{"a runtime one patch too old is refused", "100.0.1185.38", nil, kiosk.CodeWebView2TooOld},
		{"a runtime with the autofill switch but below the binding's gate is refused", "92.0.902.49", nil, kiosk.CodeWebView2TooOld},
		{"an older build number within the same major version is refused", "100.0.1100.99", nil, kiosk.CodeWebView2TooOld},
		{"a runtime from 2020 is refused", "86.0.616.0", nil, kiosk.CodeWebView2TooOld},
		{"a major version compared as text would pass but is refused", "99.9.9999.9999", nil, kiosk.CodeWebView2TooOld},
		{"no runtime at all is refused", "", nil, kiosk.CodeWebView2Missing},
		{"a version that cannot be read is refused", "one hundred", nil, kiosk.CodeWebView2TooOld},
		{"a version with three numbers is refused", "131.0.2903", nil, kiosk.CodeWebView2TooOld},
		{"a version with a negative number is refused", "131.0.-1.0", nil, kiosk.CodeWebView2TooOld},
		{"a failure to look is refused", "", errors.New("registry: access denied"), kiosk.CodeWebView2Missing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := kiosk.CheckWebView2(tt.version, tt.lookErr)
			if tt.wantCode == "" {
				if err != nil {
					t.Fatalf("CheckWebView2(%q) = %v, want kiosk mode allowed", tt.version, err)
				}
				return
			}
			var se *kiosk.StartError
			if !errors.As(err, &se) || se.ErrorCode() != tt.wantCode {
				t.Fatalf("CheckWebView2(%q) = %v, want a refusal with code %s", tt.version, err, tt.wantCode)
			}
			// The administrator is told what happened and what to do.
			if !strings.HasPrefix(se.Error(), "Kiosk mode cannot start") || !strings.Contains(se.Error(), "WebView2 Runtime") ||
				!strings.Contains(se.Error(), "then start the app again") {
				t.Fatalf("message %q does not say what happened and what to do", se.Error())
			}
			if tt.wantCode == kiosk.CodeWebView2TooOld && !strings.Contains(se.Error(), kiosk.MinWebView2) {
				t.Fatalf("message %q does not name the version needed", se.Error())
			}
		})
	}
}

func TestWebViewNotSafeKeepsItsCause(t *testing.T) {
	cause := errors.New("QueryInterface ICoreWebView2Settings4: E_NOINTERFACE")
	err := kiosk.WebViewNotSafe(cause)
	var se *kiosk.StartError
	if !errors.As(err, &se) || se.ErrorCode() != kiosk.CodeWebViewNotSafe || !errors.Is(err, cause) {
		t.Fatalf("WebViewNotSafe = %#v, want code %s wrapping the cause", err, kiosk.CodeWebViewNotSafe)
	}
	if strings.Contains(err.Error(), "E_NOINTERFACE") {
		t.Fatalf("message %q shows the internal cause to the person", err.Error())
	}
}
