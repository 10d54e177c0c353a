package authenticator

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nhs-passkeys/companion/backend/apperr"
)

// Lease is the one per-key lease: who may use an authenticator now. A ceremony uses the
// authenticator it finds (any of them) from when it starts until its goroutine has closed
// it; a key operation or key job (the Security keys pages) uses one key, by id, until it
// lets go. So a key operation is refused (409 key_busy) while a ceremony has not let go, or
// while another operation holds the same key; and a ceremony starting waits (yield) for key
// operations to let go, the latest thing the person asked for winning.
//
// Its mutex is a leaf: nothing else is locked while it is held, so it can be taken under
// any other lock of app/device and its packages (see app/device.Service for the lock order).
type Lease struct {
	mu sync.Mutex
	// ceremony is closed once the latest ceremony has let go of its authenticator (its
	// goroutine has ended and closed the device); nil before the first ceremony.
	ceremony <-chan struct{}
	held     map[string]bool // key ids a key operation or job holds
	// released is closed (and replaced) whenever a key operation lets go of its key: wait
	// blocks on it instead of polling.
	released chan struct{}
}

// NewLease is a lease with no key held and no ceremony started.
func NewLease() *Lease {
	return &Lease{held: map[string]bool{}, released: make(chan struct{})}
}

// CeremonyStarted records the ceremony that now uses authenticators: finished is closed once
// it has let go. Key operations are refused until then.
func (l *Lease) CeremonyStarted(finished <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ceremony = finished
}

// Acquire gives key id to a key operation until release is called (once is enough; more
// are harmless), or refuses it with key_busy.
func (l *Lease) Acquire(id string) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ceremony != nil {
		select {
		case <-l.ceremony:
		default:
			return nil, apperr.DeviceKeyBusy.Wrap(errors.New("a ceremony has not let go of its authenticator"))
		}
	}
	if l.held[id] {
		return nil, apperr.DeviceKeyBusy.Wrap(fmt.Errorf("key %q is in use", id))
	}
	l.held[id] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			delete(l.held, id)
			close(l.released)
			l.released = make(chan struct{})
		})
	}, nil
}

// WaitIdle waits until no key operation holds a key, for at most timeout on now's clock
// (the device service's, app/device.Config.Now), waking when a key is let go and every
// recheck to read the clock again. It reports whether they all let go.
func (l *Lease) WaitIdle(now func() time.Time, timeout, recheck time.Duration) bool {
	deadline := now().Add(timeout)
	for {
		l.mu.Lock()
		idle, released := len(l.held) == 0, l.released
		l.mu.Unlock()
		if idle {
			return true
		}
		if !now().Before(deadline) {
			return false
		}
		t := time.NewTimer(recheck)
		select {
		case <-released:
		case <-t.C:
		}
		t.Stop()
	}
}
