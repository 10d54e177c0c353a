// Package testkit holds the test stand-ins that tests of more than one package share, each
// written once: Clock, the one settable clock, here; the one test USB bus in testkit/usb
// (apart, because it needs libfido2 and cgo, which backend/ must never import).
//
// Only tests and test helpers import it (internal/ keeps it inside this module).
package testkit

import (
	"sync"
	"time"
)

// Clock is a clock that moves only when the test says: give its Now to whatever takes an
// injected clock (a ceremony's expiry, a session's timeouts, a security key's reset
// window). Safe for use by the code under test and the test at once.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock is a Clock that reads start until it is moved.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
