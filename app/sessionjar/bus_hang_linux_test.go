package sessionjar

import (
	"errors"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/internal/testkit"
)

// A session bus that takes the connection and never answers (its daemon stopped, or a
// stale address whose socket another program now holds) must not hold the start-up read
// past its time limit either: the check that a bus is there is inside the limit too, or
// the page's first API requests would wait for ever.
func TestASessionBusThatNeverAnswersDoesNotHoldTheStartUpRead(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", testkit.SilentBus(t))

	k, err := NewKeyringStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	k.readTimeout = 300 * time.Millisecond
	got := make(chan error, 1)
	go func() {
		_, err := k.Get()
		got <- err
	}()
	select {
	case err := <-got:
		if err == nil || errors.Is(err, ErrNoSession) {
			t.Fatalf("Get from a bus that never answers = %v, want a keyring error", err)
		}
	case <-time.After(k.readTimeout + 3*time.Second):
		t.Fatalf("the start-up read was still waiting for the bus after %s; its limit is %s", k.readTimeout+3*time.Second, k.readTimeout)
	}
}
