package authenticator

import (
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

func isKeyBusy(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Code == "key_busy"
}

// Rule: one lease decides who uses a key: a key operation is refused while a ceremony has
// not let go, or while another operation holds the same key; a starting ceremony waits for
// key operations on the service's clock.
func TestOneLeaseDecidesWhoUsesAKey(t *testing.T) {
	l := NewLease()
	release, err := l.Acquire("usb:1")
	if err != nil {
		t.Fatalf("a free key: %v", err)
	}
	if _, err := l.Acquire("usb:1"); !isKeyBusy(err) {
		t.Errorf("the same key twice: %v, want key_busy", err)
	}
	other, err := l.Acquire("usb:2")
	if err != nil {
		t.Errorf("another key: %v", err)
	}
	other()
	release()
	release() // a second release changes nothing
	again, err := l.Acquire("usb:1")
	if err != nil {
		t.Fatalf("a key let go: %v", err)
	}
	again()

	finished := make(chan struct{})
	l.CeremonyStarted(finished)
	if _, err := l.Acquire("usb:1"); !isKeyBusy(err) {
		t.Errorf("during a ceremony: %v, want key_busy", err)
	}
	close(finished)
	after, err := l.Acquire("usb:1")
	if err != nil {
		t.Errorf("after the ceremony let go: %v", err)
	}

	// WaitIdle wakes when the key is let go.
	done := make(chan bool)
	frozen := func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }
	go func() { done <- l.WaitIdle(frozen, time.Second, time.Hour) }()
	after()
	if !<-done {
		t.Errorf("WaitIdle did not see the key let go")
	}

	// And gives up when the service's clock passes the timeout, not the wall clock's.
	held, _ := l.Acquire("usb:1")
	defer held()
	clock := testkit.NewClock(frozen())
	go func() { done <- l.WaitIdle(clock.Now, 5*time.Second, time.Millisecond) }()
	select {
	case <-done:
		t.Fatal("WaitIdle gave up before the clock moved")
	case <-time.After(50 * time.Millisecond):
	}
	clock.Advance(5 * time.Second)
	if <-done {
		t.Errorf("WaitIdle reported idle while a key is held")
	}
}
