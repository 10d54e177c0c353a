//go:build darwin || windows

package sessionjar

// The session in the real keyring of macOS (the Keychain, through /usr/bin/security) and of
// Windows (Credential Manager), where go-keyring needs no service to be started. Runs in the
// hosted pipeline's macOS and Windows jobs (.github/workflows/platforms.yml); Linux's Secret
// Service has its own tests (keyring_test.go). Each test uses an entry of its own (a new
// data folder) and deletes it.

import (
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

// systemHolds asks the system's own tool, not go-keyring, whether the keyring holds the
// session entry for user, and, where the tool can show it (macOS), what it holds.
func systemHolds(t *testing.T, user string) (secret string, found bool) {
	t.Helper()
	switch runtime.GOOS {
	case "darwin":
		out, err := exec.CommandContext(t.Context(), "/usr/bin/security", "find-generic-password",
			"-s", KeyringService, "-a", user, "-w").CombinedOutput()
		if err != nil {
			if strings.Contains(string(out), "could not be found") {
				return "", false
			}
			t.Fatalf("security find-generic-password: %v %s", err, out)
		}
		// go-keyring stores every secret base64-encoded behind this prefix.
		text := strings.TrimSpace(string(out))
		const prefix = "go-keyring-base64:"
		if !strings.HasPrefix(text, prefix) {
			t.Fatalf("the Keychain holds %q, not go-keyring's encoding", text)
		}
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(text, prefix))
		if err != nil {
			t.Fatal(err)
		}
		return string(raw), true
	default: // windows: cmdkey lists the entry (target service:user) but never shows a secret
		out, err := exec.CommandContext(t.Context(), "cmdkey", "/list:"+KeyringService+":"+user).CombinedOutput()
		if err != nil {
			t.Fatalf("cmdkey /list: %v %s", err, out)
		}
		return "", strings.Contains(string(out), KeyringService+":"+user)
	}
}

func TestTheSystemKeyringKeepsTheSessionAndLogoutDeletesIt(t *testing.T) {
	store, err := NewKeyringStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Delete() })
	if _, err := store.Get(); !errors.Is(err, ErrNoSession) {
		t.Fatalf("Get on a new entry = %v, want ErrNoSession", err)
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
	secret, found := systemHolds(t, store.User())
	if !found || (runtime.GOOS == "darwin" && secret != "nhsp_session=tok2") {
		t.Fatalf("the system's own tool sees %q (found %v)", secret, found)
	}
	if err := store.Delete(); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, found := systemHolds(t, store.User()); found {
		t.Fatal("the system's keyring still holds the session after logging out")
	}
	if err := store.Delete(); err != nil {
		t.Fatalf("Delete of nothing: %v", err)
	}
}

// The journey the desktop shell relies on, over the system keyring: log in, restart (a new
// jar over the same entry), still logged in; log out, and the entry is gone.
func TestTheJarOverTheSystemKeyringKeepsALoginAcrossARestart(t *testing.T) {
	dataDir := t.TempDir()
	backend := &fakeBackend{}
	open := func() (*FallbackStore, *httptest.Server) {
		k, err := NewKeyringStore(dataDir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = k.Delete() })
		store := NewFallbackStore(k, nil)
		return store, httptest.NewServer(New(store, nil, testName, testSecureName).Wrap(backend))
	}
	store, srv := open()
	if resp := get(t, srv.URL+"/login?token=keyringtoken", ""); len(resp.Header.Values("Set-Cookie")) != 0 {
		t.Fatal("the page saw the Set-Cookie")
	}
	srv.Close()
	if store.UsingMemory() {
		t.Fatal("the store fell back to memory with the system keyring there")
	}
	if _, found := systemHolds(t, "session:"+dataDir); !found {
		t.Fatal("the login is not in the system keyring")
	}
	_, srv = open()
	defer srv.Close()
	get(t, srv.URL+"/whoami", "")
	if got := backend.lastCookie(); got != testName+"=keyringtoken" {
		t.Fatalf("after a restart the backend saw cookie %q, want the kept session", got)
	}
	get(t, srv.URL+"/logout", "")
	if _, found := systemHolds(t, "session:"+dataDir); found {
		t.Fatal("logging out left the session in the system keyring")
	}
}
