//go:build unix

package kiosk_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/kiosk"
)

// The settings file decides whether this computer is a kiosk, who may close it, and which
// relying party (and which certificate authority) the app believes. One that another user of
// the computer could change would let them turn kiosk mode off or send every patient to a
// server of their own, so it is refused, with what to do, unless only its owner can write it
// and its owner is root or the user the app runs as.
func TestASettingsFileOthersCouldChangeIsRefused(t *testing.T) {
	tests := []struct {
		name    string
		mode    os.FileMode
		folder  os.FileMode
		owner   int // -1: the test's own user
		refused string
	}{
		{"a settings file only its owner can write is read", 0o644, 0o755, -1, ""},
		{"a settings file only its owner can see is read", 0o600, 0o700, -1, ""},
		{"a settings file everyone can write is refused", 0o666, 0o755, -1, "other users"},
		{"a settings file its group can write is refused", 0o664, 0o755, -1, "other users"},
		{"a settings file owned by another user is refused", 0o644, 0o755, 65534, "another user"},
		{"a settings file in a folder everyone can write to is refused", 0o644, 0o777, -1, "could be swapped"},
		{"a settings file in a folder everyone can add to with the sticky bit, as /tmp, is read", 0o644, 0o777 | os.ModeSticky, -1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "nhs-passkeys")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "settings.json")
			if err := os.WriteFile(path, []byte(`{"kiosk": true, "relyingParty": "https://passkeys.example.org"}`), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, tt.folder); err != nil {
				t.Fatal(err)
			}
			if tt.owner >= 0 {
				if os.Geteuid() != 0 {
					t.Skip("needs root to give the file to another user")
				}
				if err := os.Chown(path, tt.owner, -1); err != nil {
					t.Fatal(err)
				}
			}
			for _, mustExist := range []bool{false, true} {
				got, err := kiosk.Load(path, mustExist)
				if tt.refused == "" {
					if err != nil || !got.Kiosk {
						t.Errorf("Load = %+v, %v", got, err)
					}
					continue
				}
				if err == nil || !strings.Contains(err.Error(), tt.refused) || !strings.Contains(err.Error(), path) {
					t.Errorf("Load = %+v, %v; want a refusal that names the file and says it %s", got, err, tt.refused)
				}
			}
		})
	}
}

// A settings folder that is not a file (a named pipe would keep the app waiting for ever) is
// refused at once.
func TestASettingsPathThatIsNotAFileIsRefused(t *testing.T) {
	dir := t.TempDir()
	if _, err := kiosk.Load(dir, true); err == nil || !strings.Contains(err.Error(), "not a file") {
		t.Errorf("Load(a folder) = %v, want a refusal", err)
	}
	// Opening a named pipe for reading waits for a writer: nobody writes to this one.
	pipe := filepath.Join(dir, "settings.json")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := kiosk.Load(pipe, true); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a file") {
			t.Errorf("Load(a named pipe) = %v, want a refusal", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Load(a named pipe) was still waiting after 10 s")
	}
}
