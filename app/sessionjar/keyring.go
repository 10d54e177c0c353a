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

// keyringTimeout bounds one keyring call. A locked keyring may show an unlock prompt, which
// a person needs time to answer; a Secret Service that never answers must not hang the app.
const keyringTimeout = 30 * time.Second

// KeyringStore keeps the session in the OS keyring (Secret Service on Linux, Keychain on
// macOS, Credential Manager on Windows) through go-keyring, so the person stays signed in
// across restarts while the token stays out of files.
type KeyringStore struct {
	user      string
	timeout   time.Duration
	reachable func() error
}

// NewKeyringStore returns the keyring store for the data directory dataDir. The entry's user
// is "session:" + the absolute data directory, so two data directories (say, a tester's and
// a patient's) never share a session.
func NewKeyringStore(dataDir string) (*KeyringStore, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("keyring store for %q: %w", dataDir, err)
	}
	return &KeyringStore{user: "session:" + abs, timeout: keyringTimeout, reachable: sync.OnceValue(secretServiceReachable)}, nil
}

// User is the keyring entry's user name (attribute "username" in the Secret Service).
func (k *KeyringStore) User() string { return k.user }

// Get implements Store.
func (k *KeyringStore) Get() (string, error) {
	var secret string
	err := k.call("read", func() error {
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
	return k.call("save", func() error { return keyring.Set(KeyringService, k.user, secret) })
}

// Delete implements Store.
func (k *KeyringStore) Delete() error {
	err := k.call("delete", func() error { return keyring.Delete(KeyringService, k.user) })
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

// call runs one keyring operation with a time limit. On a timeout the operation goes on in
// the background; the fallback store stops using the keyring after the first failure, so at
// most one such call is left behind.
func (k *KeyringStore) call(what string, op func() error) error {
	if err := k.reachable(); err != nil {
		return fmt.Errorf("keyring %s: %w", what, err)
	}
	done := make(chan error, 1)
	go func() { done <- op() }()
	timer := time.NewTimer(k.timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return fmt.Errorf("keyring %s: %w", what, err)
		}
		return err
	case <-timer.C:
		return fmt.Errorf("keyring %s: no answer after %s", what, k.timeout)
	}
}
