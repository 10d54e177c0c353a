//go:build linux

// A keyring that is not there is a Linux case (no Secret Service on the session bus, or no
// bus); the macOS Keychain and Windows' Credential Manager are always there.

package sessionjar_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/app/sessionjar"
	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/session"
)

const origin = "http://localhost:8080"

// With no Secret Service (the session bus address points at nothing), the desktop app's jar
// over the real backend: the person is told once, in the log, that the login will not be
// kept; they can still sign up and stay signed in while the app runs; after a restart they
// are signed out (nothing persisted, nothing half-saved), and their account is intact.
func TestWithoutAKeyringTheAppWorksAndTheSessionDoesNotPersist(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/no-bus-here")
	dataDir := t.TempDir()
	srv, err := backend.New(t.Context(), backend.Config{DataDir: dataDir, Origin: origin},
		backend.WithPasswordHashing(account.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	// What desktop.Run builds (app/desktop/desktop.go).
	start := func(logs *bytes.Buffer) (*sessionjar.Jar, *sessionjar.FallbackStore) {
		logger := slog.New(slog.NewTextHandler(logs, nil))
		k, err := sessionjar.NewKeyringStore(dataDir)
		if err != nil {
			t.Fatal(err)
		}
		store := sessionjar.NewFallbackStore(k, logger)
		return sessionjar.New(store, logger, session.CookieName, session.SecureCookieName), store
	}
	page := func(jar *sessionjar.Jar, method, path, body string) (int, string) {
		req := httptest.NewRequestWithContext(t.Context(), method, origin+path, strings.NewReader(body))
		req.Header.Set("Origin", origin)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		jar.Wrap(srv.Handler()).ServeHTTP(rec, req)
		if c := rec.Header().Get("Set-Cookie"); c != "" {
			t.Errorf("%s %s: the session cookie reached the page: %q", method, path, c)
		}
		return rec.Code, rec.Body.String()
	}
	signedInAs := func(jar *sessionjar.Jar) string {
		status, body := page(jar, http.MethodGet, "/api/session", "")
		if status != http.StatusOK {
			t.Fatalf("GET /api/session: %d %s", status, body)
		}
		var s struct {
			Account *struct{ Email string } `json:"account"`
		}
		if err := json.Unmarshal([]byte(body), &s); err != nil {
			t.Fatal(err)
		}
		if s.Account == nil {
			return ""
		}
		return s.Account.Email
	}

	var logs bytes.Buffer
	jar, store := start(&logs)
	if status, body := page(jar, http.MethodPost, "/api/accounts", `{"email":"kiosk@example.com","password":"correct horse battery staple"}`); status != http.StatusCreated {
		t.Fatalf("sign up without a keyring: %d %s", status, body)
	}
	if got := signedInAs(jar); got != "kiosk@example.com" {
		t.Fatalf("while the app runs without a keyring the person is signed in as %q", got)
	}
	if !store.UsingMemory() {
		t.Fatal("the store did not fall back to memory")
	}
	want := "the OS keyring is not available, so your login will be kept in memory only and you will need to log in again after closing the app"
	if n := strings.Count(logs.String(), want); n != 1 {
		t.Fatalf("want the message %q logged once, got %d times:\n%s", want, n, logs.String())
	}
	if !strings.Contains(logs.String(), "err=") {
		t.Errorf("the message does not say what went wrong with the keyring:\n%s", logs.String())
	}

	// A restart: a new jar over the same (still missing) keyring.
	var logs2 bytes.Buffer
	jar2, _ := start(&logs2)
	if got := signedInAs(jar2); got != "" {
		t.Fatalf("after a restart without a keyring the person is still signed in as %q", got)
	}
	status, body := page(jar2, http.MethodPost, "/api/login/password", `{"email":"kiosk@example.com","password":"correct horse battery staple"}`)
	if status != http.StatusOK {
		t.Fatalf("log in again after the restart: %d %s", status, body)
	}
	if got := signedInAs(jar2); got != "kiosk@example.com" {
		t.Fatalf("after logging in again: %q", got)
	}
}
