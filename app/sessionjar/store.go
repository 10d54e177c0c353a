// Package sessionjar makes the desktop shell the cookie jar for the backend's session.
//
// The Linux webview keeps no cookies (../shared/PLATFORM-NOTES.md), and a session token
// should not be readable by the page anyway, so the shell sits between the webview and the backend: it
// takes the session cookie out of every response, keeps it in a Store (the OS keyring, or
// memory), and adds it to every request. The page never sees the token.
package sessionjar

import (
	"errors"
	"sync"
)

// ErrNoSession is what Store.Get returns when nothing is stored.
var ErrNoSession = errors.New("no session stored")

// Store keeps one secret: the session cookie of one data directory, as the cookie pair
// "name=token" that the jar sends back to the backend.
// Implementations must be safe for concurrent use.
type Store interface {
	// Get returns the stored secret, or ErrNoSession.
	Get() (string, error)
	// Set stores the secret, replacing any earlier one.
	Set(secret string) error
	// Delete removes the secret; deleting nothing is not an error.
	Delete() error
}

// MemoryStore keeps the secret in this process only: it is gone when the app quits. Kiosk
// mode uses it on purpose, and the keyring store falls back to it when there is no keyring.
type MemoryStore struct {
	mu     sync.Mutex
	secret string
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{} }

// Get implements Store.
func (m *MemoryStore) Get() (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.secret == "" {
		return "", ErrNoSession
	}
	return m.secret, nil
}

// Set implements Store.
func (m *MemoryStore) Set(secret string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.secret = secret
	return nil
}

// Delete implements Store.
func (m *MemoryStore) Delete() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.secret = ""
	return nil
}
