package sessionjar

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// FallbackStore uses a primary store (the keyring) until it fails once, then keeps the
// session in memory for the rest of the run. A machine without a Secret Service (a bare
// window manager, a locked-down kiosk) can still use the app; the person just has to log in
// again after a restart. A logout still asks the keyring to forget its entry (Delete).
type FallbackStore struct {
	primary Store
	memory  *MemoryStore
	logger  *slog.Logger

	// forgetWait bounds how long Delete waits for a primary that has failed (forgetWait).
	forgetWait time.Duration

	mu     sync.Mutex
	failed bool
}

// forgetWait is how long a logout waits for a keyring that has already failed once to
// forget its entry: as long as the start-up read waits for it, not its own 30 seconds.
const forgetWait = keyringReadTimeout

// NewFallbackStore returns a store over primary that falls back to memory.
func NewFallbackStore(primary Store, logger *slog.Logger) *FallbackStore {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &FallbackStore{primary: primary, memory: NewMemoryStore(), logger: logger, forgetWait: forgetWait}
}

// UsingMemory says whether the store has given up on the primary store.
func (f *FallbackStore) UsingMemory() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

// Get implements Store.
func (f *FallbackStore) Get() (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.failed {
		secret, err := f.primary.Get()
		if err == nil || errors.Is(err, ErrNoSession) {
			return secret, err
		}
		f.failLocked(err)
	}
	return f.memory.Get()
}

// Set implements Store.
func (f *FallbackStore) Set(secret string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.failed {
		err := f.primary.Set(secret)
		if err == nil {
			return nil
		}
		f.failLocked(err)
	}
	return f.memory.Set(secret)
}

// Delete implements Store. It clears both places, the primary even after it has failed: a
// read that failed (an unlock prompt answered too late) or a save that failed leaves an
// earlier session in the keyring, one this run never sent and so never ended, and a logout
// that left it there would have the next start sign the person back in to it.
func (f *FallbackStore) Delete() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = f.memory.Delete()
	if f.failed {
		// A keyring that has failed may hang as well (its Secret Service stopped): the logout
		// waits for it only a short while, and the delete goes on without it.
		done := make(chan error, 1)
		go func() { done <- f.primary.Delete() }()
		timer := time.NewTimer(f.forgetWait)
		defer timer.Stop()
		select {
		case err := <-done:
			return err
		case <-timer.C:
			return fmt.Errorf("the keyring did not answer within %s, so it may still hold an earlier session", f.forgetWait)
		}
	}
	if err := f.primary.Delete(); err != nil {
		f.failLocked(err)
		// Still an error: the keyring may keep a copy of a token.
		return err
	}
	return nil
}

// failLocked switches to memory and says so once. The error names the keyring's problem
// (no bus, no Secret Service, a timeout), never a secret.
func (f *FallbackStore) failLocked(err error) {
	f.failed = true
	f.logger.Warn("the OS keyring is not available, so your login will be kept in memory only and you will need to log in again after closing the app", "err", err)
}
