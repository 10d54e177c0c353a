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
	var secret string
	err := k.call("read", k.readTimeout, func() error {
		var err error
		secret, err = keyring.Get(KeyringService, k.user)
		return err
	})
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoSession
	}
	return secret, err
}

// Set implements Store.
func (k *KeyringStore) Set(secret string) error {
	return k.call("save", k.timeout, func() error { return keyring.Set(KeyringService, k.user, secret) })
}

// Delete implements Store.
func (k *KeyringStore) Delete() error {
	err := k.call("delete", k.timeout, func() error { return keyring.Delete(KeyringService, k.user) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

// call runs one keyring operation with a time limit. On a timeout the operation goes on in
// the background; the fallback store stops using the keyring after the first failure, so at
// most one such call is left behind.
func (k *KeyringStore) call(what string, timeout time.Duration, op func() error) error {
	if err := k.reachable(); err != nil {
		return fmt.Errorf("keyring %s: %w", what, err)
	}
	done := make(chan error, 1)
	go func() { done <- op() }()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return fmt.Errorf("keyring %s: %w", what, err)
		}
		return err
	case <-timer.C:
		return fmt.Errorf("keyring %s: the Secret Service did not answer within %s", what, timeout)
	}
}
