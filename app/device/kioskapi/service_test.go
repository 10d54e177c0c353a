package kioskapi

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A visit ends (and a visit's own window closes) once a logout has been answered and not
// refused: accepted, or failed by the backend (the shell's jar forgets the session all the
// same, and nothing of the visit may stay for the next patient). Not for a refused one, nor
// for any other request.
func TestOnVisitEndWaitsForAnAcceptedLogout(t *testing.T) {
	tests := []struct {
		name   string
		method string
		path   string
		status int
		want   int32
	}{
		{"an accepted logout ends the visit", http.MethodPost, "/api/logout", http.StatusOK, 1},
		{"a logout answered with a body and no status ends the visit", http.MethodPost, "/api/logout", 0, 1},
		{"a refused logout does not", http.MethodPost, "/api/logout", http.StatusForbidden, 0},
		{"a logout the backend failed ends the visit too, as the shell forgets the session", http.MethodPost, "/api/logout", http.StatusInternalServerError, 1},
		{"a logout the backend could not save ends the visit too", http.MethodPost, "/api/logout", http.StatusServiceUnavailable, 1},
		{"a malformed logout does not", http.MethodPost, "/api/logout", http.StatusBadRequest, 0},
		{"reading the logout path does not", http.MethodGet, "/api/logout", http.StatusOK, 0},
		{"another request does not", http.MethodPost, "/api/login/password", http.StatusOK, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ended atomic.Int32
			h := OnVisitEnd(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.status != 0 {
					w.WriteHeader(tt.status)
				}
				_, _ = w.Write([]byte("{}"))
			}), func() { ended.Add(1) })
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), tt.method, tt.path, nil))
			if got := ended.Load(); got != tt.want {
				t.Fatalf("ended %d times, want %d", got, tt.want)
			}
			if want := max(tt.status, http.StatusOK); rec.Code != want {
				t.Fatalf("the page got status %d, want %d passed on", rec.Code, want)
			}
		})
	}
}
