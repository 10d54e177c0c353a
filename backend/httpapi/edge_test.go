package httpapi

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/backend/apperr"
)

func TestAPanicBecomesA500WithoutItsMessageAndItsStackIsLogged(t *testing.T) {
	var logs bytes.Buffer
	rs := NewResponder(slog.New(slog.NewTextHandler(&logs, nil)))
	hosts, err := HostsOf("http://localhost:8080")
	if err != nil {
		t.Fatal(err)
	}
	h := rs.Edge(Edge{Hosts: hosts}, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("database password is hunter2")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "http://localhost:8080/api/session", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"code":"internal_error"`) {
		t.Errorf("answer = %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "hunter2") {
		t.Errorf("the panic message reached the client")
	}
	if !strings.Contains(logs.String(), "panic serving request") || !strings.Contains(logs.String(), "edge_test.go") {
		t.Errorf("the panic was not logged with its stack: %s", logs.String())
	}
}

func TestHandlersSeeABodyCappedAt64KiB(t *testing.T) {
	rs := NewResponder(slog.New(slog.DiscardHandler))
	var readErr error
	h := rs.capBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, readErr = io.ReadAll(r.Body)
	}))
	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/api/accounts", strings.NewReader(strings.Repeat("x", MaxBody+1)))
	req.ContentLength = -1 // unknown length: only the reader can stop it
	h.ServeHTTP(httptest.NewRecorder(), req)
	var tooLarge *http.MaxBytesError
	if !errors.As(readErr, &tooLarge) || tooLarge.Limit != MaxBody {
		t.Errorf("reading past the cap gave %v, want an http.MaxBytesError at %d", readErr, MaxBody)
	}
}

// Rule: a route marked SignedIn runs its handler only for a signed-in person; everyone else
// is refused by the mount's check, before the body is read. Paths that fit no route are 404,
// or 405 with Allow (in the table's order) when they fit routes of other methods.
func TestMountAnswersByTheRouteTable(t *testing.T) {
	rs := NewResponder(slog.New(slog.DiscardHandler))
	ran := ""
	handle := func(name string) HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) error {
			ran = name
			Write(w, http.StatusOK, struct{}{})
			return nil
		}
	}
	h := rs.Mount("/api/x", []Route{
		{Method: "GET", Pattern: "/api/x/open", Handle: handle("open")},
		{Method: "POST", Pattern: "/api/x/things/list", Handle: handle("list"), SignedIn: true},
		{Method: "PATCH", Pattern: "/api/x/things/{id}", Handle: handle("rename"), SignedIn: true},
		{Method: "DELETE", Pattern: "/api/x/things/{id}", Handle: handle("delete"), SignedIn: true},
	}, func(r *http.Request) (*http.Request, error) {
		if r.Header.Get("Cookie") != "in" {
			return nil, apperr.NotSignedIn()
		}
		return r, nil
	}, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Around", "yes")
			next.ServeHTTP(w, r)
		})
	})
	tests := []struct {
		name, method, path, cookie string
		status                     int
		ran, allow                 string
	}{
		{"an open route runs for anyone", "GET", "/api/x/open", "", 200, "open", ""},
		{"HEAD is answered where GET is", "HEAD", "/api/x/open", "", 200, "open", ""},
		{"a signed-in route runs for a signed-in person", "POST", "/api/x/things/list", "in", 200, "list", ""},
		{"a signed-in route is refused to anyone else", "POST", "/api/x/things/list", "", 401, "", ""},
		{"a path parameter route is refused to anyone else too", "DELETE", "/api/x/things/7", "", 401, "", ""},
		{"another method is 405 with the table's methods", "GET", "/api/x/things/list", "in", 405, "", "POST, PATCH, DELETE"},
		{"an unknown path is 404", "GET", "/api/x/nothing", "in", 404, "", ""},
		{"the prefix itself is 404", "GET", "/api/x", "in", 404, "", ""},
		{"an unclean path is 404, not a redirect", "GET", "/api/x//open", "in", 404, "", ""},
		{"a dot segment is 404, not a redirect", "GET", "/api/x/things/../open", "in", 404, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran = ""
			req := httptest.NewRequestWithContext(t.Context(), tt.method, "/", strings.NewReader("{}"))
			req.URL.Path = tt.path
			req.Header.Set("Cookie", tt.cookie)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			// around wraps every route and unknown path, never a path that is not clean.
			unclean := strings.HasPrefix(tt.name, "an unclean") || strings.HasPrefix(tt.name, "a dot")
			if around := rec.Header().Get("Around") == "yes"; around == unclean {
				t.Errorf("around ran: %v", around)
			}
			if rec.Code != tt.status || ran != tt.ran || rec.Header().Get("Allow") != tt.allow {
				t.Errorf("%s %s = %d (ran %q, Allow %q), want %d (ran %q, Allow %q)", tt.method, tt.path,
					rec.Code, ran, rec.Header().Get("Allow"), tt.status, tt.ran, tt.allow)
			}
		})
	}
}

// Rule: the PIN-wiping decoder keeps Decode's rules and reads a secret as the bytes sent.
func TestDecodeSecretsReadsExactlyWhatDecodeReads(t *testing.T) {
	type body struct {
		PIN    Secret  `json:"pin"`
		NewPIN Secret  `json:"newPin"`
		Name   *string `json:"name"`
	}
	tests := []struct {
		name, body, code, pin string
	}{
		{"a PIN is read", `{"pin": "482913"}`, "", "482913"},
		{"escapes are decoded", `{"pin": "4829\u0031\u0033"}`, "", "482913"},
		{"a character outside the BMP is read", `{"pin": "caf\u00e9 \ud83d\ude00"}`, "", "café 😀"},
		{"an unknown member is refused", `{"pin": "1", "admin": true}`, "invalid_request", ""},
		{"a PIN twice is refused", `{"pin": "1", "pin": "2"}`, "invalid_request", ""},
		{"a PIN in another case is refused", `{"PIN": "1"}`, "invalid_request", ""},
		{"a lone surrogate is refused", `{"pin": "\ud800"}`, "invalid_request", ""},
		{"null is refused", `{"pin": null}`, "invalid_request", ""},
		{"a number is refused", `{"pin": 1234}`, "invalid_request", ""},
		{"trailing data is refused", `{"pin": "1"} {}`, "invalid_request", ""},
		{"a body over 64 KiB is refused", `{"pin": "` + strings.Repeat("1", MaxBody) + `"}`, "request_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v body
			err := DecodeSecrets(httptest.NewRequestWithContext(t.Context(), "POST", "/", strings.NewReader(tt.body)), &v)
			defer v.PIN.Wipe()
			if tt.code == "" {
				if err != nil || string(v.PIN) != tt.pin {
					t.Errorf("read %q, %v; want %q", v.PIN, err, tt.pin)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != tt.code || strings.Contains(err.Error(), "1234") {
				t.Errorf("error %v, want %s without the PIN", err, tt.code)
			}
		})
	}
}
