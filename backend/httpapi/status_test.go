package httpapi

import (
	"net/http"
	"testing"
)

func TestRecorderKeepsTheAnswerAsNetHTTPWouldSendIt(t *testing.T) {
	tests := []struct {
		name       string
		handler    http.HandlerFunc
		wantStatus int
		wantBody   string
	}{
		{"a body written without a status is a 200", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"a":`))
			_, _ = w.Write([]byte(`1}`))
		}, http.StatusOK, `{"a":1}`},
		{"the first status counts", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusUnauthorized)
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("{}"))
		}, http.StatusUnauthorized, "{}"},
		{"an answer with nothing written has no status yet", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Cache-Control", "no-store")
		}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec Recorder
			tt.handler(&rec, nil)
			if rec.Status != tt.wantStatus || string(rec.Body) != tt.wantBody {
				t.Errorf("recorded %d %q, want %d %q", rec.Status, rec.Body, tt.wantStatus, tt.wantBody)
			}
		})
	}
}
