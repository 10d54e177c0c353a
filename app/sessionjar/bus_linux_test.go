package sessionjar

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

// On a machine with no session bus at all the keyring store must fail fast, without starting
// a bus of its own, and the app must carry on in memory.
func TestKeyringStoreWithoutASessionBusFallsBackToMemory(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/no-bus-here")
	k, err := NewKeyringStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Get(); err == nil || errors.Is(err, ErrNoSession) {
		t.Fatalf("Get without a bus = %v, want a keyring error", err)
	}

	var logs bytes.Buffer
	f := NewFallbackStore(k, slog.New(slog.NewTextHandler(&logs, nil)))
	if err := f.Set("nhsp_session=tok"); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if got, err := f.Get(); err != nil || got != "nhsp_session=tok" {
		t.Fatalf("Get = %q, %v; want the session from memory", got, err)
	}
	if !strings.Contains(logs.String(), "keyring is not available") {
		t.Errorf("no warning logged:\n%s", logs.String())
	}
}
