package sessionjar

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFallbackStore(t *testing.T) {
	tests := []struct {
		name        string
		primary     Store
		wantMemory  bool
		wantWarning int
	}{
		{name: "a working keyring is used and nothing is logged", primary: NewMemoryStore(), wantMemory: false, wantWarning: 0},
		{name: "a missing keyring is warned about once and memory is used", primary: failingStore{}, wantMemory: true, wantWarning: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			f := NewFallbackStore(tt.primary, slog.New(slog.NewTextHandler(&logs, nil)))

			if _, err := f.Get(); !errors.Is(err, ErrNoSession) {
				t.Fatalf("Get on an empty store = %v, want ErrNoSession", err)
			}
			if err := f.Set("nhsp_session=SECRET"); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if got, err := f.Get(); err != nil || got != "nhsp_session=SECRET" {
				t.Fatalf("Get = %q, %v", got, err)
			}
			if err := f.Delete(); err != nil && !tt.wantMemory {
				t.Fatalf("Delete: %v", err)
			}
			if _, err := f.Get(); !errors.Is(err, ErrNoSession) {
				t.Fatalf("Get after Delete = %v, want ErrNoSession", err)
			}

			if f.UsingMemory() != tt.wantMemory {
				t.Errorf("UsingMemory = %v, want %v", f.UsingMemory(), tt.wantMemory)
			}
			if got := strings.Count(logs.String(), "level=WARN"); got != tt.wantWarning {
				t.Errorf("%d warnings logged, want %d:\n%s", got, tt.wantWarning, logs.String())
			}
			if strings.Contains(logs.String(), "SECRET") {
				t.Errorf("the secret was logged:\n%s", logs.String())
			}
		})
	}
}

// TestALogoutAfterTheKeyringFailedStillRemovesTheSessionItHeld: the keyring holds the
// session of an earlier run, but its read at start-up fails (its unlock prompt answered after
// keyringReadTimeout, a Secret Service slow to start), so the jar falls back to memory and
// the person logs in again. Their logout must still take the earlier session out of the
// keyring: left there, the next start would sign them back in to it.
func TestALogoutAfterTheKeyringFailedStillRemovesTheSessionItHeld(t *testing.T) {
	keyring := &firstReadFails{MemoryStore: NewMemoryStore()}
	if err := keyring.Set(testName + "=EARLIER"); err != nil {
		t.Fatal(err)
	}
	store := NewFallbackStore(keyring, nil)
	srv := httptest.NewServer(New(store, nil, testName).Wrap(&fakeBackend{}))
	t.Cleanup(srv.Close)

	get(t, srv.URL+"/login?token=NOW", "")
	if !store.UsingMemory() {
		t.Fatal("the failed read did not make the store fall back to memory")
	}
	get(t, srv.URL+"/logout", "")

	if got := storedSecret(t, keyring); got != "" {
		t.Fatalf("after logout the keyring still holds %q: the next start signs the person back in", got)
	}
	if got := storedSecret(t, store); got != "" {
		t.Fatalf("after logout the store still holds %q", got)
	}
}

// firstReadFails is a keyring whose first read fails (a timeout); it works after that.
type firstReadFails struct {
	*MemoryStore
	read atomic.Bool
}

func (k *firstReadFails) Get() (string, error) {
	if !k.read.Swap(true) {
		return "", errors.New("keyring read: the Secret Service did not answer within 3s")
	}
	return k.MemoryStore.Get()
}

// A keyring that has failed and now hangs (its Secret Service stopped) must not hold the
// person's logout for the keyring's own 30-second limit: the logout asks it to forget the
// earlier session, but waits only forgetWait for the answer.
func TestALogoutDoesNotWaitLongForAKeyringThatHasFailed(t *testing.T) {
	release := make(chan struct{})
	// Released at last, so that a logout that does wait for it ends (and the test fails).
	released := time.AfterFunc(3*time.Second, func() { close(release) })
	t.Cleanup(func() {
		if released.Stop() {
			close(release)
		}
	})
	keyring := &hangsAfterFirstRead{firstReadFails: firstReadFails{MemoryStore: NewMemoryStore()}, release: release}
	store := NewFallbackStore(keyring, nil)
	store.forgetWait = 200 * time.Millisecond
	srv := httptest.NewServer(New(store, nil, testName).Wrap(&fakeBackend{}))
	t.Cleanup(srv.Close)

	get(t, srv.URL+"/login?token=NOW", "")
	start := time.Now()
	get(t, srv.URL+"/logout", "")
	if took := time.Since(start); took > store.forgetWait+time.Second {
		t.Fatalf("the logout waited %s for a keyring that had failed; the most is %s", took, store.forgetWait)
	}
	if got := storedSecret(t, store); got != "" {
		t.Fatalf("after logout the store still holds %q", got)
	}
}

// hangsAfterFirstRead fails its first read, then never answers a delete until released.
type hangsAfterFirstRead struct {
	firstReadFails
	release chan struct{}
}

func (k *hangsAfterFirstRead) Delete() error {
	<-k.release
	return k.MemoryStore.Delete()
}
