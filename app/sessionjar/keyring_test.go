//go:build linux

// Linux's keyring is the Secret Service, tested here against a real gnome-keyring. The
// Keychain on macOS and Credential Manager on Windows are tested where they are, in the
// hosted pipeline (keyring_system_test.go).

package sessionjar

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// childEnv marks a test process that runs inside its own D-Bus session with its own
// gnome-keyring (see ranInSecretService).
const childEnv = "SESSIONJAR_TEST_SECRET_SERVICE"

// ranInSecretService runs the calling test against a real Secret Service: a private
// dbus-run-session with gnome-keyring-daemon, whose keyrings live in a temporary
// XDG_DATA_HOME, so the test never touches the keyring of the person running it.
// In the parent process it runs the test again inside that session, reports the result and
// returns true (the caller returns); in that child it returns false and the test body runs.
func ranInSecretService(t *testing.T) bool {
	t.Helper()
	if os.Getenv(childEnv) == "1" {
		return false
	}
	for _, tool := range []string{"dbus-run-session", "gnome-keyring-daemon", "secret-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed for the keyring tests (make test installs it; or apt-get install -y dbus gnome-keyring libsecret-tools): %v", tool, err)
		}
	}
	tmp := t.TempDir()
	for _, d := range []string{"data", "run", "home"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// gnome-keyring-daemon --unlock reads the new login keyring's password from stdin and
	// creates that keyring unlocked, so no prompt is ever shown.
	const script = `echo -n test-password | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$0" "$@"`
	cmd := exec.CommandContext(t.Context(), "dbus-run-session", "--", "sh", "-c", script,
		os.Args[0], "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.v")
	cmd.Env = append(withoutBus(os.Environ()),
		childEnv+"=1",
		"XDG_DATA_HOME="+filepath.Join(tmp, "data"),
		"XDG_RUNTIME_DIR="+filepath.Join(tmp, "run"),
		"HOME="+filepath.Join(tmp, "home"),
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("inside a private Secret Service:\n%s", out.String())
	if err != nil {
		t.Fatalf("the test failed against the real Secret Service: %v", err)
	}
	if !strings.Contains(out.String(), "--- PASS: "+t.Name()) {
		t.Fatalf("the test did not run against the real Secret Service")
	}
	return true
}

func withoutBus(env []string) []string {
	var kept []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, childEnv+"=") {
			kept = append(kept, kv)
		}
	}
	return kept
}

// secretToolLookup asks the Secret Service through libsecret's own tool, independently of
// go-keyring. It returns ok=false when there is no such entry.
func secretToolLookup(t *testing.T, user string) (secret string, ok bool) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "secret-tool", "lookup", "service", KeyringService, "username", user).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return "", false
	}
	if err != nil {
		t.Fatalf("secret-tool lookup: %v", err)
	}
	return string(out), true
}

func TestKeyringStoreKeepsTheSessionInTheSecretService(t *testing.T) {
	if ranInSecretService(t) {
		return
	}
	store, err := NewKeyringStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}

	if _, err := store.Get(); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Get on a fresh keyring = %v, want ErrNoSession", err)
	}
	if err := store.Set("nhsp_session=tok1"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if err := store.Set("nhsp_session=tok2"); err != nil {
		t.Fatalf("Set again: %v", err)
	}
	if got, err := store.Get(); err != nil || got != "nhsp_session=tok2" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if got, err := keyring.Get(KeyringService, store.User()); err != nil || got != "nhsp_session=tok2" {
		t.Fatalf("go-keyring sees %q, %v", got, err)
	}
	if got, ok := secretToolLookup(t, store.User()); !ok || got != "nhsp_session=tok2" {
		t.Fatalf("secret-tool sees %q (found %v)", got, ok)
	}

	if err := store.Delete(); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, ok := secretToolLookup(t, store.User()); ok {
		t.Fatal("secret-tool still finds the session after Delete")
	}
	if err := store.Delete(); err != nil {
		t.Fatalf("Delete of nothing: %v", err)
	}
}

func TestKeyringStoresOfTwoDataDirsDoNotClash(t *testing.T) {
	if ranInSecretService(t) {
		return
	}
	a, err := NewKeyringStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewKeyringStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if a.User() == b.User() {
		t.Fatalf("both stores use user %q", a.User())
	}
	if err := a.Set("nhsp_session=a"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(); !errors.Is(err, ErrNoSession) {
		t.Fatalf("the other data dir sees %v, want ErrNoSession", err)
	}
	if err := b.Delete(); err != nil {
		t.Fatal(err)
	}
	if got, err := a.Get(); err != nil || got != "nhsp_session=a" {
		t.Fatalf("deleting the other data dir's session touched this one: %q, %v", got, err)
	}
}

func TestKeyringStoreUserIsTheAbsoluteDataDir(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	store, err := NewKeyringStore("relative")
	if err != nil {
		t.Fatal(err)
	}
	if want := "session:" + filepath.Join(dir, "relative"); store.User() != want {
		t.Fatalf("User = %q, want %q", store.User(), want)
	}
}

// The whole journey the desktop shell relies on: log in, restart, log out.
func TestJarWithTheKeyringSignsInAcrossARestartAndLogoutDeletesTheEntry(t *testing.T) {
	if ranInSecretService(t) {
		return
	}
	dataDir := t.TempDir()
	backend := &fakeBackend{}
	open := func() (*FallbackStore, *httptest.Server) {
		k, err := NewKeyringStore(dataDir)
		if err != nil {
			t.Fatal(err)
		}
		store := NewFallbackStore(k, nil)
		return store, httptest.NewServer(New(store, nil, testName, testSecureName).Wrap(backend))
	}

	store, srv := open()
	if resp := get(t, srv.URL+"/login?token=keyringtoken", ""); len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatal("the page saw the Set-Cookie")
	}
	srv.Close()
	if store.UsingMemory() {
		t.Fatal("the store fell back to memory with a working keyring")
	}
	user := "session:" + dataDir
	if got, ok := secretToolLookup(t, user); !ok || got != testName+"=keyringtoken" {
		t.Fatalf("secret-tool sees %q (found %v), want the session", got, ok)
	}

	_, srv = open() // a restart: a new jar over the same keyring entry
	t.Cleanup(srv.Close)
	get(t, srv.URL+"/api/session", "")
	if got := backend.lastCookie(); got != testName+"=keyringtoken" {
		t.Fatalf("after the restart the backend got Cookie %q", got)
	}
	get(t, srv.URL+"/logout", "")
	if _, ok := secretToolLookup(t, user); ok {
		t.Fatal("the keyring still holds the session after logout")
	}
	if _, err := keyring.Get(KeyringService, user); !errors.Is(err, keyring.ErrNotFound) {
		t.Fatalf("go-keyring after logout: %v, want ErrNotFound", err)
	}
}
