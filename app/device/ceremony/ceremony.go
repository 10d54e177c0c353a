package ceremony

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/webauthnclient"
)

// call is a prepared navigator.credentials.create() or get() (webauthnclient).
type call interface {
	Run(ctx context.Context, a webauthnclient.Authenticator, pin []byte, status func(webauthnclient.Status)) (json.RawMessage, error)
	UserVerification() webauthnclient.Requirement
	Timeout() time.Duration
}

// ceremony is one device ceremony. Its goroutine (Service.run) moves it through the states;
// the handlers read it, hand it a PIN or stop it.
type ceremony struct {
	id, kind string
	want     string // the authenticator asked for; "" for any
	call     call
	// pins carries the PIN posted while the state is pin-needed. It has room for one, and a
	// PIN is only accepted in state pin-needed, which the goroutine enters only after it has
	// taken the previous PIN: sending never blocks.
	pins     chan []byte
	cancel   context.CancelFunc
	finished chan struct{} // closed once the goroutine has ended and closed the device

	mu          sync.Mutex
	state       string
	retriesLeft int // PIN tries left, -1 when unknown
	path        string
	credential  json.RawMessage
	failure     *authenticator.Failure
	endedAt     time.Time
	// qr is a phone ceremony's QR code (phone.go), answered only in state phone-scan and
	// dropped once the ceremony moves on: its text is the transaction's secret.
	qr *qrJSON
}

// ceremonyJSON is DeviceCeremony (docs/api.md).
type ceremonyJSON struct {
	ID          string                 `json:"id"`
	Kind        string                 `json:"kind"`
	State       string                 `json:"state"`
	RetriesLeft *int                   `json:"retriesLeft,omitempty"`
	Credential  json.RawMessage        `json:"credential,omitempty"`
	Error       *authenticator.Failure `json:"error,omitempty"`
	QR          *qrJSON                `json:"qr,omitempty"`
}

func (c *ceremony) snapshot() ceremonyJSON {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := ceremonyJSON{ID: c.id, Kind: c.kind, State: c.state}
	switch c.state {
	case authenticator.StatePINNeeded:
		if c.retriesLeft >= 0 {
			n := c.retriesLeft
			out.RetriesLeft = &n
		}
	case statePhoneScan:
		if c.qr != nil {
			qr := *c.qr
			out.QR = &qr
		}
	case authenticator.StateDone:
		out.Credential = c.credential
	case authenticator.StateFailed:
		f := *c.failure
		out.Error = &f
	}
	return out
}

func (c *ceremony) endedLocked() bool {
	return c.state == authenticator.StateDone || c.state == authenticator.StateFailed
}

// Ended tells whether the ceremony has ended and when.
func (c *ceremony) Ended() (bool, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endedLocked(), c.endedAt
}

func (c *ceremony) usingPath() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.endedLocked() {
		return ""
	}
	return c.path
}

// end finishes the ceremony with a credential or a failure. Only the first end counts; it
// reports whether this one did.
func (c *ceremony) end(now time.Time, credential json.RawMessage, f *authenticator.Failure) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.endedLocked() {
		return false
	}
	c.qr = nil
	if f != nil {
		c.state, c.failure = authenticator.StateFailed, f
	} else {
		c.state, c.credential = authenticator.StateDone, credential
	}
	c.endedAt = now
	return true
}

// stop ends a running ceremony with f (cancelled) and stops its goroutine's work: a request
// waiting on the key is cancelled (CTAPHID CANCEL through fido2).
func (c *ceremony) stop(now time.Time, f authenticator.Failure) {
	if c.end(now, nil, &f) {
		c.cancel()
	}
}

// givePIN hands the posted PIN to the goroutine if the ceremony is waiting for one. The PIN
// belongs to the ceremony from here on: it is zeroed if it is not taken.
func (c *ceremony) givePIN(pin []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != authenticator.StatePINNeeded {
		clear(pin)
		return false
	}
	c.state, c.retriesLeft = authenticator.StateWorking, -1
	c.pins <- pin
	return true
}

// dropPIN zeroes a PIN that was posted but never used.
func (c *ceremony) dropPIN() {
	select {
	case pin := <-c.pins:
		clear(pin)
	default:
	}
}

var _ call = (*webauthnclient.CreateCall)(nil)
var _ call = (*webauthnclient.GetCall)(nil)
