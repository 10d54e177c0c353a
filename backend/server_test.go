package backend_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/session"
	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

var signUp = map[string]string{"email": "pat@example.com", "password": "correct horse battery"}

func TestOriginIsCheckedOnEveryStateChangingRequest(t *testing.T) {
	tests := []struct {
		name    string
		origin  string
		webview bool // the server also accepts the desktop webview's origins
		want    int
	}{
		{"a request without Origin is refused", "", false, http.StatusForbidden},
		{"a request from another site is refused", "http://evil.example", false, http.StatusForbidden},
		{"a request from another port is refused", "http://localhost:9999", false, http.StatusForbidden},
		{"an opaque origin is refused", "null", false, http.StatusForbidden},
		{"the webview origin is refused unless configured", "wails://wails", false, http.StatusForbidden},
		{"the RP origin is accepted", testserver.Origin, false, http.StatusCreated},
		{"a configured webview origin is accepted", "wails://wails", true, http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testserver.New(t, testserver.WithConfig(func(c *backend.Config) {
				if tt.webview {
					c.RequestOrigins = []string{"wails://wails", "http://wails.localhost"}
				}
			}))
			c := s.Client()
			c.Origin = tt.origin
			res := c.Post("/api/accounts", signUp)
			if res.Status != tt.want {
				t.Fatalf("POST /api/accounts = %d %s, want %d", res.Status, res.Body, tt.want)
			}
			if tt.want == http.StatusForbidden {
				if res.Code() != "origin_not_allowed" {
					t.Errorf("code = %q", res.Code())
				}
				if s.Count(`SELECT count(*) FROM accounts`)+s.Count(`SELECT count(*) FROM sessions`) != 0 || c.Cookie != nil {
					t.Errorf("a refused request changed something")
				}
			}
		})
	}

	t.Run("PUT, PATCH and DELETE are checked too, even on paths that do not exist", func(t *testing.T) {
		s := testserver.New(t)
		c := s.Client()
		c.Origin = ""
		for _, m := range []string{http.MethodPut, http.MethodPatch, http.MethodDelete} {
			for _, p := range []string{"/api/passkeys", "/api/nothing", "/"} {
				if res := c.Do(m, p, "{}"); res.Status != http.StatusForbidden || res.Code() != "origin_not_allowed" {
					t.Errorf("%s %s = %d %s", m, p, res.Status, res.Body)
				}
			}
		}
	})

	t.Run("GET needs no Origin", func(t *testing.T) {
		s := testserver.New(t)
		c := s.Client()
		c.Origin = ""
		if res := c.Get("/api/session"); res.Status != http.StatusOK {
			t.Errorf("GET /api/session = %d", res.Status)
		}
	})
}

func TestRequestBodies(t *testing.T) {
	big := `{"email": "pat@example.com", "password": "` + strings.Repeat("p", 64<<10) + `"}`
	tests := []struct {
		name string
		body string
		// chunked sends the body without a Content-Length, so only the reader cap can stop it.
		chunked  bool
		wantCode string
		status   int
	}{
		{"a body over 64 KiB is refused before it is parsed", big, false, "request_too_large", http.StatusRequestEntityTooLarge},
		{"a body over 64 KiB without a length is refused too", big, true, "request_too_large", http.StatusRequestEntityTooLarge},
		{"an unknown field is refused", `{"email": "pat@example.com", "password": "correct horse battery", "admin": true}`, false, "invalid_request", http.StatusBadRequest},
		{"two JSON values are refused", `{"email": "pat@example.com", "password": "correct horse battery"} {}`, false, "invalid_request", http.StatusBadRequest},
		{"trailing bytes are refused", `{"email": "pat@example.com", "password": "correct horse battery"}x`, false, "invalid_request", http.StatusBadRequest},
		{"an array is refused", `[{"email": "pat@example.com"}]`, false, "invalid_request", http.StatusBadRequest},
		{"null is refused", `null`, false, "invalid_request", http.StatusBadRequest},
		{"an empty body is refused", ``, false, "invalid_request", http.StatusBadRequest},
		{"broken JSON is refused", `{"email": "pat@example.com",`, false, "invalid_request", http.StatusBadRequest},
		{"a field of the wrong type is refused", `{"email": ["pat@example.com"], "password": "correct horse battery"}`, false, "invalid_request", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testserver.New(t)
			c := s.Client()
			res := c.Do(http.MethodPost, "/api/accounts", tt.body, func(r *http.Request) {
				if tt.chunked {
					r.ContentLength = -1
					r.Body = io.NopCloser(strings.NewReader(tt.body))
				}
			})
			if res.Status != tt.status || res.Code() != tt.wantCode {
				t.Errorf("POST = %d %s, want %d %s", res.Status, res.Body, tt.status, tt.wantCode)
			}
			if s.Count(`SELECT count(*) FROM accounts`) != 0 || c.Cookie != nil {
				t.Errorf("a refused body created an account")
			}
			if bytes.Contains(res.Body, []byte("json:")) || bytes.Contains(res.Body, []byte("http:")) {
				t.Errorf("an internal error string reached the client: %s", res.Body)
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	s := testserver.New(t)
	c := s.Client()
	for _, p := range []string{"/api/session", "/api/nothing", "/", "/assets/app.js", "/some/page", "/api/activity"} {
		res := c.Get(p)
		h := res.Header
		if h.Get("Content-Security-Policy") == "" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'self'") ||
			!strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Errorf("%s: CSP = %q", p, h.Get("Content-Security-Policy"))
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: nosniff/referrer headers missing: %v", p, h)
		}
		for _, directive := range []string{"base-uri 'none'", "form-action 'self'", "img-src 'self' data:"} {
			if !strings.Contains(h.Get("Content-Security-Policy"), directive) {
				t.Errorf("%s: CSP lacks %s", p, directive)
			}
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("Cross-Origin-Opener-Policy") != "same-origin" {
			t.Errorf("%s: framing/opener headers missing: %v", p, h)
		}
		if api := strings.HasPrefix(p, "/api/"); api != (h.Get("Cache-Control") == "no-store") {
			t.Errorf("%s: Cache-Control = %q", p, h.Get("Cache-Control"))
		}
	}
}

func TestRouting(t *testing.T) {
	s := testserver.New(t)
	c := s.Client()
	tests := []struct {
		name, method, path string
		status             int
		code               string // error code, or "" for a success
		body               string // expected in the body
		contentType        string
	}{
		{"config reports the ceremonies and the RP ID", "GET", "/api/config", 200, "", `{"ceremonies":"browser","rpId":"localhost","kiosk":false}`, "application/json"},
		{"the session answers signed out", "GET", "/api/session", 200, "", `{"signedIn":false}`, "application/json"},
		{"an unknown API path is a JSON 404", "GET", "/api/nothing", 404, "not_found", "", "application/json"},
		{"an unknown API path is a JSON 404 for POST too", "POST", "/api/nothing/at/all", 404, "not_found", "", "application/json"},
		{"/api itself is a JSON 404", "GET", "/api", 404, "not_found", "", "application/json"},
		{"/api/ is a JSON 404", "GET", "/api/", 404, "not_found", "", "application/json"},
		{"a path that is not clean is a 404, not a redirect", "GET", "/api//session", 404, "not_found", "", "application/json"},
		{"a dot path is a 404, not a redirect", "GET", "/api/./session", 404, "not_found", "", "application/json"},
		{"a known path with the wrong method is a JSON 405", "GET", "/api/accounts", 405, "method_not_allowed", "", "application/json"},
		{"a passkey path with the wrong method is a JSON 405", "GET", "/api/passkeys/abc", 405, "method_not_allowed", "", "application/json"},
		{"a path one level deeper than a passkey is a JSON 404", "GET", "/api/passkeys/abc/def", 404, "not_found", "", "application/json"},
		{"the root serves index.html", "GET", "/", 200, "", "<title>NHS passkeys</title>", "text/html"},
		{"a client-side route serves index.html", "GET", "/login/passkey", 200, "", "<title>NHS passkeys</title>", "text/html"},
		{"index.html itself is served, not redirected", "GET", "/index.html", 200, "", "<title>NHS passkeys</title>", "text/html"},
		{"a built asset is served as itself", "GET", "/assets/app.js", 200, "", "console.log('app')", "javascript"},
		{"an asset the build stored gzipped is served as built", "GET", "/assets/app.css", 200, "", "body{color:#212b32}", "text/css"},
		{"a folder serves index.html, not a redirect", "GET", "/assets/", 200, "", "<title>NHS passkeys</title>", "text/html"},
		{"a folder without a slash serves index.html", "GET", "/assets", 200, "", "<title>NHS passkeys</title>", "text/html"},
		{"a missing asset serves index.html", "GET", "/assets/missing.js", 200, "", "<title>NHS passkeys</title>", "text/html"},
		{"dot-dot cannot leave the frontend", "GET", "/../../etc/passwd", 200, "", "<title>NHS passkeys</title>", "text/html"},
		{"a POST outside the API is a JSON 405", "POST", "/login", 405, "method_not_allowed", "", "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.method == "POST" {
				body = "{}"
			}
			res := c.Do(tt.method, tt.path, body)
			if res.Status != tt.status || res.Code() != tt.code {
				t.Fatalf("%s %s = %d %s, want %d %q", tt.method, tt.path, res.Status, res.Body, tt.status, tt.code)
			}
			if !strings.Contains(string(res.Body), tt.body) || !strings.Contains(res.Header.Get("Content-Type"), tt.contentType) {
				t.Errorf("%s %s = %s (%s)", tt.method, tt.path, res.Body, res.Header.Get("Content-Type"))
			}
		})
	}

	t.Run("an asset stored gzipped is sent decompressed, with its length, to GET and HEAD", func(t *testing.T) {
		const css = "body{color:#212b32}"
		for _, m := range []string{http.MethodGet, http.MethodHead} {
			res := c.Do(m, "/assets/app.css", nil)
			want := css
			if m == http.MethodHead {
				want = ""
			}
			if res.Status != 200 || string(res.Body) != want || res.Header.Get("Content-Length") != strconv.Itoa(len(css)) || res.Header.Get("Content-Encoding") != "" {
				t.Errorf("%s /assets/app.css = %d %q, headers %v", m, res.Status, res.Body, res.Header)
			}
		}
	})

	t.Run("a 405 lists the methods of the path, wildcard paths too", func(t *testing.T) {
		if got := c.Get("/api/passkeys/abc").Header.Get("Allow"); got != "PATCH, DELETE" {
			t.Errorf("Allow = %q", got)
		}
		if got := c.Get("/api/accounts").Header.Get("Allow"); got != "POST" {
			t.Errorf("Allow = %q", got)
		}
	})

	t.Run("a path that is not clean reaches no session: no session headers, no activity", func(t *testing.T) {
		c := s.Client()
		c.SignUp("clean@example.com", "correct horse battery")
		for _, p := range []string{"/api//session", "/api/./session", "/api/../api/session"} {
			res := c.Get(p)
			if res.Status != 404 || res.Header.Get(session.IdleEndsInHeader) != "" || res.Header.Get(session.EndsInHeader) != "" {
				t.Errorf("GET %s = %d with session headers %v", p, res.Status, res.Header)
			}
		}
		if res := c.Get("/api/session"); res.Header.Get(session.IdleEndsInHeader) == "" {
			t.Errorf("a clean path lost the session headers: %v", res.Header)
		}
	})

	t.Run("device mode is reported, with the desktop app's system", func(t *testing.T) {
		s := testserver.New(t, testserver.WithConfig(func(c *backend.Config) { c.Ceremonies, c.System = "device", "windows" }))
		var cfg map[string]any
		s.Client().Get("/api/config").Decode(t, &cfg)
		if cfg["ceremonies"] != "device" || cfg["system"] != "windows" {
			t.Errorf("config = %v", cfg)
		}
	})

	t.Run("device mode refuses a new passkey whose public key cannot work, as browser mode does", func(t *testing.T) {
		// backend/passkey's publickey_test.go has every case of the key check; this is that
		// the desktop app's backend runs it too, with an EC2 P-256 key that says RS256 (-257).
		ec, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		point := ec.PublicKey().Bytes() // 0x04 || x || y
		key, err := cbor.Marshal(map[int]any{1: 2, 3: -257, -1: 1, -2: point[1:33], -3: point[33:]})
		if err != nil {
			t.Fatal(err)
		}
		s := testserver.New(t, testserver.WithConfig(func(c *backend.Config) { c.Ceremonies = "device" }))
		c := s.Client()
		c.SignUp("pat@example.com", "correct horse battery")
		b := c.Begin("/api/passkeys/register/begin", map[string]any{})
		a := softauthn.New(testserver.Origin)
		a.CredentialPublicKey = key
		cred, err := a.Create(b.PublicKey)
		if err != nil {
			t.Fatalf("authenticator create: %v", err)
		}
		if res := c.Finish("/api/passkeys/register/finish", b.Ceremony, cred); res.Status != http.StatusBadRequest || res.Code() != "passkey_not_accepted" {
			t.Fatalf("finish = %d %s", res.Status, res.Body)
		}
		if n := s.Count(`SELECT count(*) FROM passkeys`); n != 0 {
			t.Errorf("passkeys stored = %d", n)
		}
	})

	t.Run("kiosk mode is reported", func(t *testing.T) {
		s := testserver.New(t, testserver.WithConfig(func(c *backend.Config) { c.Ceremonies, c.Kiosk = "device", true }))
		var cfg map[string]any
		s.Client().Get("/api/config").Decode(t, &cfg)
		if cfg["kiosk"] != true {
			t.Errorf("config = %v", cfg)
		}
	})

	// The kiosk's page ends a visit nobody has logged in to after the idle timeout too
	// (frontend/src/shell/kiosk.ts): it learns how long that is here, and only in kiosk mode.
	t.Run("kiosk mode reports its idle timeout in seconds, and only kiosk mode", func(t *testing.T) {
		for _, tt := range []struct {
			name  string
			kiosk bool
			idle  time.Duration
			want  any
		}{
			{"a kiosk with a 90-second idle timeout", true, 90 * time.Second, float64(90)},
			{"a kiosk with the default idle timeout", true, 0, float64(session.DefaultIdleTimeout / time.Second)},
			{"not a kiosk", false, 90 * time.Second, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				s := testserver.New(t, testserver.WithConfig(func(c *backend.Config) { c.Ceremonies, c.Kiosk = "device", tt.kiosk }),
					testserver.WithOptions(backend.WithSessionTimeouts(tt.idle, 0)))
				var cfg map[string]any
				s.Client().Get("/api/config").Decode(t, &cfg)
				if got, ok := cfg["idleTimeout"]; got != tt.want || ok != (tt.want != nil) {
					t.Errorf("idleTimeout = %v (present %v), want %v; config = %v", got, ok, tt.want, cfg)
				}
			})
		}
	})

	t.Run("without a frontend every other path is a JSON 404", func(t *testing.T) {
		s := testserver.New(t, testserver.WithConfig(func(c *backend.Config) { c.Frontend = nil }))
		if res := s.Client().Get("/"); res.Status != http.StatusNotFound || res.Code() != "not_found" {
			t.Errorf("GET / = %d %s", res.Status, res.Body)
		}
	})
}

func TestNoAnswerIsARedirect(t *testing.T) {
	s := testserver.New(t)
	c := s.Client()
	for _, p := range []string{"/api", "/api/", "/api//x", "/api/../api/session", "/index.html", "/assets", "/assets/", "//", "/./", "/a/../b", "/api/session/"} {
		for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost} {
			var body any
			if m == http.MethodPost {
				body = "{}"
			}
			if res := c.Do(m, p, body); res.Status >= 300 && res.Status < 400 {
				t.Errorf("%s %s = %d (Location %q)", m, p, res.Status, res.Header.Get("Location"))
			}
		}
	}
}

func TestTheLogHoldsNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	s := testserver.New(t, testserver.WithConfig(func(c *backend.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}))
	c := s.Client()
	c.SignUp("pat@example.com", "correct horse battery")
	token := c.Cookie.Value
	c.Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": "wrong horse battery"})
	c.Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": "correct horse battery"})
	c.Get("/api/session")
	c.Post("/api/logout", map[string]any{})
	out := logs.String()
	if !strings.Contains(out, "path=/api/login/password") {
		t.Fatalf("requests were not logged at debug level:\n%s", out)
	}
	for _, secret := range []string{"correct horse battery", "wrong horse battery", token, "nhsp_session="} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains %q:\n%s", secret, out)
		}
	}
}

func TestConfigIsChecked(t *testing.T) {
	tests := []struct {
		name string
		edit func(*backend.Config)
	}{
		{"an IP address cannot be the RP ID", func(c *backend.Config) { c.Origin = "http://127.0.0.1:8080" }},
		{"an origin with a path is refused", func(c *backend.Config) { c.Origin = "http://localhost:8080/app" }},
		{"an origin that is not http(s) is refused", func(c *backend.Config) { c.Origin = "wails://wails" }},
		{"an unknown ceremony mode is refused", func(c *backend.Config) { c.Ceremonies = "magic" }},
		{"a data folder is required", func(c *backend.Config) { c.DataDir = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := backend.Config{DataDir: t.TempDir(), Origin: "http://localhost:8080", Ceremonies: "browser"}
			tt.edit(&cfg)
			srv, err := backend.New(t.Context(), cfg, backend.WithPasswordHashing(testserver.CheapHashing()))
			if err == nil {
				srv.Close()
				t.Fatalf("New accepted %+v", cfg)
			}
		})
	}
	t.Run("a trailing slash on the origin is fine", func(t *testing.T) {
		srv, err := backend.New(t.Context(), backend.Config{DataDir: t.TempDir(), Origin: "http://localhost:8080/"},
			backend.WithPasswordHashing(testserver.CheapHashing()))
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "http://localhost:8080/api/logout", strings.NewReader("{}"))
		req.Header.Set("Origin", "http://localhost:8080")
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("logout with the origin = %d %s", rec.Code, rec.Body)
		}
	})
}

func TestErrorBodiesHaveTheDocumentedShape(t *testing.T) {
	s := testserver.New(t)
	res := s.Client().Post("/api/accounts", map[string]string{"email": "", "password": ""})
	var raw map[string]map[string]any
	if err := json.Unmarshal(res.Body, &raw); err != nil {
		t.Fatal(err)
	}
	e := raw["error"]
	if len(raw) != 1 || e["code"] != "invalid_input" || e["message"] == "" || e["fields"] == nil || len(e) != 3 {
		t.Errorf("error body = %s", res.Body)
	}
	res = s.Client().Post("/api/login/password", map[string]string{"email": "a@b.cd", "password": "x"})
	if err := json.Unmarshal(res.Body, &raw); err != nil {
		t.Fatal(err)
	}
	if _, has := raw["error"]["fields"]; has {
		t.Errorf("fields appear on a non-validation error: %s", res.Body)
	}
}

func TestConcurrentRequestsDoNotTripOverTheDatabaseLock(t *testing.T) {
	s := testserver.New(t)
	s.Client().SignUp("pat@example.com", "correct horse battery")
	const workers = 12
	statuses := make(chan int, workers*3)
	done := make(chan struct{})
	for range workers {
		go func() {
			defer func() { done <- struct{}{} }()
			c := s.Client()
			statuses <- c.Post("/api/login/password", signUp).Status
			statuses <- c.Get("/api/passkeys").Status
			statuses <- c.Post("/api/login/passkey/begin", map[string]string{"email": "pat@example.com"}).Status
		}()
	}
	for range workers {
		<-done
	}
	close(statuses)
	for st := range statuses {
		if st != http.StatusOK {
			t.Errorf("a concurrent request answered %d", st)
		}
	}
	if got := s.Count(`SELECT count(*) FROM sessions`); got != workers+1 {
		t.Errorf("sessions = %d, want %d", got, workers+1)
	}
}
