//go:build linux

package sessionjar

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Issue #21, item 2: a Secret Service that hangs must not hold the desktop window's first
// page. The real gnome-keyring, stopped (SIGSTOP): it keeps its name on the bus, so every
// call reaches it and none is answered, as with a daemon stuck on a dead NFS home. The
// start-up read gives up after keyringReadTimeout, not D-Bus's 25 s; the jar says why in the
// log, keeps the session in memory for this run, and nothing is written to the keyring.
func TestAHungSecretServiceGivesTheMemoryJarAfterAShortTimeout(t *testing.T) {
	if ranInSecretService(t) {
		return
	}
	dataDir := t.TempDir()
	before, err := NewKeyringStore(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	// A session saved by an earlier run: a read that worked would find it.
	if err := before.Set("nhsp_session=saved-earlier"); err != nil {
		t.Fatalf("save a session while the keyring answers: %v", err)
	}
	stopSecretService(t)

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	keyringStore, err := NewKeyringStore(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	fallback := NewFallbackStore(keyringStore, logger)
	jar := New(fallback, logger, "nhsp_session")
	start := time.Now()
	jar.Load()
	if took := time.Since(start); took > keyringReadTimeout+time.Second {
		t.Fatalf("the start-up read waited %s for a hung Secret Service; the most is %s", took, keyringReadTimeout)
	}
	if jar.SignedIn() {
		t.Error("signed in from a keyring that never answered")
	}
	if !fallback.UsingMemory() {
		t.Fatal("the jar did not fall back to memory")
	}
	for _, want := range []string{"the OS keyring is not available", "the Secret Service did not answer within " + keyringReadTimeout.String()} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log does not say %q:\n%s", want, logs.String())
		}
	}

	// The app goes on: a login is kept for this run, at once, without the keyring.
	login := jar.Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "nhsp_session", Value: "new-login", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	}))
	start = time.Now()
	login.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/api/login/password", nil))
	if took := time.Since(start); took > time.Second {
		t.Errorf("a login after the fallback waited %s for the keyring", took)
	}
	if !jar.SignedIn() {
		t.Error("the login after the fallback was not kept in memory")
	}
}

// stopSecretService stops the process that owns org.freedesktop.secrets on this session bus
// (the test's own gnome-keyring: ranInSecretService) until the test ends.
func stopSecretService(t *testing.T) {
	t.Helper()
	conn, err := dbus.SessionBusPrivate()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		t.Fatal(err)
	}
	if err := conn.Hello(); err != nil {
		t.Fatal(err)
	}
	var pid uint32
	if err := conn.BusObject().CallWithContext(t.Context(), "org.freedesktop.DBus.GetConnectionUnixProcessID", 0, "org.freedesktop.secrets").Store(&pid); err != nil {
		t.Fatalf("find the Secret Service's process: %v", err)
	}
	if err := syscall.Kill(int(pid), syscall.SIGSTOP); err != nil {
		t.Fatalf("stop the Secret Service: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Kill(int(pid), syscall.SIGCONT) })
}
