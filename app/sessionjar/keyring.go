package sessionjar

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/zalando/go-keyring"
)

// KeyringService is the service name of the app's entries in the OS keyring.
const KeyringService = "nhs-passkeys"

// keyringTimeout bounds one keyring call that saves or deletes the session. A locked keyring
// may show an unlock prompt, which a person needs time to answer; a Secret Service that never
// answers must not hang the app.
const keyringTimeout = 30 * time.Second

// keyringReadTimeout bounds the one read, at start-up: the page's first API requests wait
// for it, so a Secret Service that hangs (D-Bus's own timeout is 25 s) must not hold the
// window at a blank or "loading" page (issue #21, item 2). A healthy keyring answers in
// about 60 ms; after this the jar keeps the session in memory and the log says why
// (FallbackStore), so the person only has to log in again. A locked keyring's unlock prompt
// answered later than this costs the same.
const keyringReadTimeout = 3 * time.Second

// KeyringStore keeps the session in the OS keyring (Secret Service on Linux, Keychain on
// macOS, Credential Manager on Windows) through go-keyring, so the person stays signed in
// across restarts while the token stays out of files.
type KeyringStore struct {
	user        string
	timeout     time.Duration // Set and Delete (keyringTimeout)
	readTimeout time.Duration // Get (keyringReadTimeout)
	reachable   func() error
}

// NewKeyringStore returns the keyring store for the data directory dataDir. The entry's user
// is "session:" + the absolute data directory, so two data directories (say, a tester's and
// a patient's) never share a session.
func NewKeyringStore(dataDir string) (*KeyringStore, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("keyring store for %q: %w", dataDir, err)
	}
	return &KeyringStore{user: "session:" + abs, timeout: keyringTimeout, readTimeout: keyringReadTimeout,
		reachable: sync.OnceValue(secretServiceReachable)}, nil
}

// User is the keyring entry's user name (attribute "username" in the Secret Service).
func (k *KeyringStore) User() string { return k.user }

// Get implements Store.
func (k *KeyringStore) Get() (string, error) {
	secret, err := call(k, "read", k.readTimeout, func() (string, error) { return keyring.Get(KeyringService, k.user) })
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoSession
	}
	return secret, err
}

// Set implements Store.
func (k *KeyringStore) Set(secret string) error {
	_, err := call(k, "save", k.timeout, func() (struct{}, error) { return struct{}{}, keyring.Set(KeyringService, k.user, secret) })
	return err
}

// Delete implements Store.
func (k *KeyringStore) Delete() error {
	_, err := call(k, "delete", k.timeout, func() (struct{}, error) { return struct{}{}, keyring.Delete(KeyringService, k.user) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

// call runs one keyring operation with a time limit. On a timeout the operation goes on in
// the background; the fallback store stops using the keyring after the first failure, but
// for a logout's delete, so at most a few such calls are left behind. Its result travels
// only through the channel, never through a variable the caller reads, so an answer that
// comes after the timeout touches nothing the caller still holds.
func call[T any](k *KeyringStore, what string, timeout time.Duration, op func() (T, error)) (T, error) {
	type result struct {
		value T
		err   error
	}
	var zero T
	done := make(chan result, 1)
	go func() {
		// The check that a bus is there is inside the limit too: a bus that takes the
		// connection and never answers (its daemon stopped) would otherwise hold the caller.
		if err := k.reachable(); err != nil {
			done <- result{zero, err}
			return
		}
		value, err := op()
		done <- result{value, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		if r.err != nil && !errors.Is(r.err, keyring.ErrNotFound) {
			return zero, fmt.Errorf("keyring %s: %w", what, r.err)
		}
		return r.value, r.err
	case <-timer.C:
		return zero, fmt.Errorf("keyring %s: the Secret Service did not answer within %s", what, timeout)
	}
}
