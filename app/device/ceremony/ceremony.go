package ceremony

import (
	"context"
	"encoding/json"
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

// ceremony is one device ceremony (authenticator.Job). Its goroutine (Service.run) moves it
// through the states; the handlers read it, hand it a PIN or stop it. What it adds to the
// Job after want, call and pins is guarded by the Job's lock (Update, View, End's also).
type ceremony struct {
	*authenticator.Job
	want string // the authenticator asked for; "" for any
	call call
	// pins carries the PIN posted while the state is pin-needed. It has room for one, and a
	// PIN is only accepted in state pin-needed, which the goroutine enters only after it has
	// taken the previous PIN: sending never blocks.
	pins chan []byte

	retriesLeft int // PIN tries left, -1 when unknown
	// minPINLength: the fewest characters the key takes for a new PIN, when it has none yet
	// and the one asked for becomes its PIN; 0 when an existing PIN is asked for.
	minPINLength int
	path         string
	credential   json.RawMessage
	// qr is a phone ceremony's QR code (phone.go), answered only in state phone-scan and
	// dropped once the ceremony moves on: its text is the transaction's secret.
	qr *qrJSON
}

// ceremonyJSON is DeviceCeremony (docs/api.md).
type ceremonyJSON struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	State       string `json:"state"`
	RetriesLeft *int   `json:"retriesLeft,omitempty"`
	// MinPINLength: state pin-needed for a key's first PIN, its minimum length.
	MinPINLength *int                   `json:"minPinLength,omitempty"`
	Credential   json.RawMessage        `json:"credential,omitempty"`
	Error        *authenticator.Failure `json:"error,omitempty"`
	QR           *qrJSON                `json:"qr,omitempty"`
}

func (c *ceremony) snapshot() ceremonyJSON {
	var out ceremonyJSON
	c.View(func(state string, failure *authenticator.Failure) {
		out = ceremonyJSON{ID: c.ID, Kind: c.Kind, State: state}
		switch state {
		case authenticator.StatePINNeeded:
			if c.retriesLeft >= 0 {
				n := c.retriesLeft
				out.RetriesLeft = &n
			}
			if c.minPINLength > 0 {
				n := c.minPINLength
				out.MinPINLength = &n
			}
		case statePhoneScan:
			if c.qr != nil {
				qr := *c.qr
				out.QR = &qr
			}
		case authenticator.StateDone:
			out.Credential = c.credential
		case authenticator.StateFailed:
			f := *failure
			out.Error = &f
		}
	})
	return out
}

func (c *ceremony) usingPath() string {
	path := ""
	c.Update(func(*string) { path = c.path })
	return path
}

// dropQR drops the QR code as the ceremony ends (End's also).
func (c *ceremony) dropQR() { c.qr = nil }

// stop ends a running ceremony with f (cancelled) and stops its goroutine's work: a request
// waiting on the key is cancelled (CTAPHID CANCEL through fido2).
func (c *ceremony) stop(now time.Time, f authenticator.Failure) { c.Stop(now, f, c.dropQR) }

// givePIN hands the posted PIN to the goroutine if the ceremony is waiting for one. The PIN
// belongs to the ceremony from here on: it is zeroed if it is not taken.
func (c *ceremony) givePIN(pin []byte) bool {
	taken := false
	c.Update(func(state *string) {
		if *state == authenticator.StatePINNeeded {
			*state, c.retriesLeft = authenticator.StateWorking, -1
			c.pins <- pin
			taken = true
		}
	})
	if !taken {
		clear(pin)
	}
	return taken
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
