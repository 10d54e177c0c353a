package desktop

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestOriginFromWebview(t *testing.T) {
	tests := []struct {
		name            string
		method          string
		origin, referer string
		wantOrigin      string
	}{
		{name: "a WebKitGTK POST with neither Origin nor Referer gets the webview's origin", method: "POST", wantOrigin: "wails://wails"},
		{name: "a WebKitGTK POST from the app's page gets the webview's origin", method: "POST", referer: "wails://wails/account/security", wantOrigin: "wails://wails"},
		{name: "a DELETE from the app's page gets the webview's origin", method: "DELETE", referer: "wails://wails/", wantOrigin: "wails://wails"},
		{name: "an Origin sent by WebView2 is kept", method: "POST", origin: "http://wails.localhost", wantOrigin: "http://wails.localhost"},
		{name: "a foreign Origin is kept so the backend refuses it", method: "POST", origin: "https://evil.example", referer: "wails://wails/", wantOrigin: "https://evil.example"},
		{name: "a POST from a foreign page takes that page's origin so the backend refuses it", method: "POST", referer: "https://evil.example/attack", wantOrigin: "https://evil.example"},
		{name: "an unreadable Referer is not taken for the app's page", method: "POST", referer: "::not a url", wantOrigin: "null"},
		{name: "a GET is left as it is", method: "GET", referer: "wails://wails/", wantOrigin: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := originFromWebview(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("Origin") }))
			req := httptest.NewRequestWithContext(t.Context(), tt.method, "wails://wails/api/logout", nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.referer != "" {
				req.Header.Set("Referer", tt.referer)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got != tt.wantOrigin {
				t.Errorf("Origin = %q, want %q", got, tt.wantOrigin)
			}
		})
	}
}

// Rule: the webview's origins are one list that no caller can change.
func TestWebviewOriginsCannotBeChangedByACaller(t *testing.T) {
	got := WebviewOrigins()
	if len(got) != 2 || got[0] != "wails://wails" || got[1] != "http://wails.localhost" {
		t.Fatalf("WebviewOrigins() = %q", got)
	}
	got[0] = "https://evil.example"
	_ = append(got[:1], "https://evil.example")
	if again := WebviewOrigins(); again[0] != "wails://wails" || again[1] != "http://wails.localhost" {
		t.Errorf("a caller changed the webview's origins: %q", again)
	}
}
