package backend_test

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/store"
)

var startFrontend = fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>NHS login passkeys</title>")}}

// A database that never answers: a TCP listener that accepts connections and says nothing,
// so New waits in store.OpenPostgres until its context ends.
func silentDatabase(t *testing.T) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
		}
	}()
	return "postgres://nobody@" + l.Addr().String() + "/passkeys?sslmode=disable&connect_timeout=30"
}

func startRequest(t *testing.T, h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, "http://localhost:8080"+path, strings.NewReader(body))
	req.Header.Set("Origin", "http://localhost:8080")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// Issue #21, item 2: while the backend starts, the desktop window's page is served from the
// frontend at once, with the server's security headers, and an API request waits for the
// backend, at most as long as it may, then is refused 503 not_started.
func TestWhileTheBackendStartsTheFilesAreServedAndTheAPIWaitsBounded(t *testing.T) {
	starting, err := backend.Start(t.Context(), backend.Config{Database: silentDatabase(t), Origin: "http://localhost:8080", Frontend: startFrontend})
	if err != nil {
		t.Fatal(err)
	}
	h := starting.Handler(200 * time.Millisecond)

	rec := startRequest(t, h, http.MethodGet, "/account/security", "")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "NHS login passkeys") {
		t.Fatalf("the page while starting: %d %q", rec.Code, rec.Body.String())
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("the page while starting has no Content-Security-Policy: %q", csp)
	}
	// The same edge as the started server's: another host name is refused.
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "http://evil.example/", nil)
	other := httptest.NewRecorder()
	h.ServeHTTP(other, req)
	if other.Code != http.StatusMisdirectedRequest {
		t.Errorf("a page for another host while starting: %d, want 421", other.Code)
	}

	for _, tt := range []struct{ name, method, path, body string }{
		{"a read of the session", http.MethodGet, "/api/session", ""},
		{"a sign-up", http.MethodPost, "/api/accounts", `{"email":"pat@example.com","password":"correct horse battery"}`},
	} {
		t.Run(tt.name+" waits, then is refused", func(t *testing.T) {
			began := time.Now()
			rec := startRequest(t, h, tt.method, tt.path, tt.body)
			took := time.Since(began)
			if took < 200*time.Millisecond || took > 5*time.Second {
				t.Errorf("waited %s for the backend, want about 200ms", took)
			}
			var body struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("%d %q: %v", rec.Code, rec.Body.String(), err)
			}
			if rec.Code != http.StatusServiceUnavailable || body.Error.Code != "not_started" || !strings.Contains(body.Error.Message, "still starting") {
				t.Errorf("got %d %+v, want 503 not_started", rec.Code, body.Error)
			}
		})
	}
}

// Once started, the handler is the server's; a second copy on the same data folder learns so
// from Locked, before it would open a window, and every API request it might get is refused
// 503 not_started without touching the folder.
func TestStartedBackendsServeAndASecondCopyIsRefusedAtTheLock(t *testing.T) {
	dir := t.TempDir()
	cfg := backend.Config{DataDir: dir, Origin: "http://localhost:8080", Frontend: startFrontend}
	first, err := backend.Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Locked(t.Context()); err != nil {
		t.Fatalf("the first copy could not lock its folder: %v", err)
	}
	srv, err := first.Wait(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if rec := startRequest(t, first.Handler(time.Second), http.MethodPost, "/api/accounts", `{"email":"pat@example.com","password":"correct horse battery"}`); rec.Code != http.StatusCreated {
		t.Fatalf("sign up once started: %d %s", rec.Code, rec.Body.String())
	}

	second, err := backend.Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var inUse *store.InUseError
	if err := second.Locked(t.Context()); !errors.As(err, &inUse) {
		t.Fatalf("the second copy's Locked = %v, want store.InUseError", err)
	}
	rec := startRequest(t, second.Handler(time.Second), http.MethodGet, "/api/session", "")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"not_started"`) {
		t.Errorf("an API request to the refused copy: %d %s", rec.Code, rec.Body.String())
	}
	if rec := startRequest(t, first.Handler(time.Second), http.MethodGet, "/api/session", ""); rec.Code != http.StatusOK {
		t.Errorf("the first copy after the second was refused: %d %s", rec.Code, rec.Body.String())
	}
}
