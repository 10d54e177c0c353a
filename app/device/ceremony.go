package device

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nhs-passkeys/companion/app/webauthnclient"
	"github.com/nhs-passkeys/companion/backend/apperr"
)

const (
	kindCreate = "create"
	kindGet    = "get"
)

// States of a ceremony (docs/api.md). done and failed are final.
const (
	stateInsertKey = "insert-key" // no authenticator yet: waiting for one to be connected
	stateTouch     = "touch"      // waiting for the person to touch the key
	statePINNeeded = "pin-needed" // waiting for POST .../pin
	stateWorking   = "working"    // the app or the key is busy
	stateDone      = "done"
	stateFailed    = "failed"
	// A phone ceremony has its own states instead of insert-key, touch and pin-needed
	// (phone-scan, phone-found, phone-connecting, phone-confirm: phone.go).
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
	failure     *failure
	endedAt     time.Time
	// qr is a phone ceremony's QR code (phone.go), answered only in state phone-scan and
	// dropped once the ceremony moves on: its text is the transaction's secret.
	qr *qrJSON
}

func newCeremonyID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// ceremonyJSON is DeviceCeremony (docs/api.md).
type ceremonyJSON struct {
	ID          string          `json:"id"`
	Kind        string          `json:"kind"`
	State       string          `json:"state"`
	RetriesLeft *int            `json:"retriesLeft,omitempty"`
	Credential  json.RawMessage `json:"credential,omitempty"`
	Error       *failure        `json:"error,omitempty"`
	QR          *qrJSON         `json:"qr,omitempty"`
}

func (c *ceremony) snapshot() ceremonyJSON {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := ceremonyJSON{ID: c.id, Kind: c.kind, State: c.state}
	switch c.state {
	case statePINNeeded:
		if c.retriesLeft >= 0 {
			n := c.retriesLeft
			out.RetriesLeft = &n
		}
	case statePhoneScan:
		if c.qr != nil {
			qr := *c.qr
			out.QR = &qr
		}
	case stateDone:
		out.Credential = c.credential
	case stateFailed:
		f := *c.failure
		out.Error = &f
	}
	return out
}

func (c *ceremony) endedLocked() bool { return c.state == stateDone || c.state == stateFailed }

// ended tells whether the ceremony has ended and when.
func (c *ceremony) ended() (bool, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.endedLocked(), c.endedAt
}

// set moves a running ceremony to a non-final state.
func (c *ceremony) set(state string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.endedLocked() {
		c.state = state
		if state != statePhoneScan {
			c.qr = nil
		}
	}
}

// showQR shows a phone ceremony's QR code (state phone-scan).
func (c *ceremony) showQR(qr *qrJSON) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.endedLocked() {
		c.state, c.qr = statePhoneScan, qr
	}
}

func (c *ceremony) usingPath() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.endedLocked() {
		return ""
	}
	return c.path
}

func (c *ceremony) setPath(path string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.path = path
}

// status follows what the authenticator says (virtual key: KEEPALIVE messages).
func (c *ceremony) status(s webauthnclient.Status) {
	switch s {
	case webauthnclient.StatusTouch:
		c.set(stateTouch)
	case webauthnclient.StatusWorking:
		c.set(stateWorking)
	}
}

// end finishes the ceremony with a credential or a failure. Only the first end counts; it
// reports whether this one did.
func (c *ceremony) end(now time.Time, credential json.RawMessage, f *failure) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.endedLocked() {
		return false
	}
	c.qr = nil
	if f != nil {
		c.state, c.failure = stateFailed, f
	} else {
		c.state, c.credential = stateDone, credential
	}
	c.endedAt = now
	return true
}

// stop ends a running ceremony with f (cancelled) and stops its goroutine's work: a request
// waiting on the key is cancelled (CTAPHID CANCEL through fido2).
func (c *ceremony) stop(now time.Time, f failure) {
	if c.end(now, nil, &f) {
		c.cancel()
	}
}

// waitForPIN asks for the PIN and waits for it.
func (c *ceremony) waitForPIN(ctx context.Context, retriesLeft int) ([]byte, error) {
	c.mu.Lock()
	if c.endedLocked() {
		c.mu.Unlock()
		return nil, context.Canceled
	}
	c.state, c.retriesLeft = statePINNeeded, retriesLeft
	c.mu.Unlock()
	select {
	case pin := <-c.pins:
		return pin, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// givePIN hands the posted PIN to the goroutine if the ceremony is waiting for one. The PIN
// belongs to the ceremony from here on: it is zeroed if it is not taken.
func (c *ceremony) givePIN(pin []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != statePINNeeded {
		clear(pin)
		return false
	}
	c.state, c.retriesLeft = stateWorking, -1
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

// start starts a ceremony of kind ("create" or "get") on the authenticator want ("" for any)
// with the backend's options publicKey; for a get, acct is the email the person typed. It
// returns the ceremony as it starts, which runs on in the background. A ceremony still
// running is cancelled first (one at a time), and key operations let go of their keys.
func (s *Service) start(kind, want string, publicKey json.RawMessage, acct string) (ceremonyJSON, error) {
	var (
		prepared call
		err      error
	)
	switch kind {
	case kindCreate:
		prepared, err = s.client.PrepareCreate(publicKey)
	case kindGet:
		var get *webauthnclient.GetCall
		if get, err = s.client.PrepareGet(publicKey); err == nil {
			get.PreferAccount(acct)
			prepared = get
		}
	default:
		return ceremonyJSON{}, apperr.InvalidRequest(fmt.Errorf("kind %q", kind))
	}
	if err != nil {
		// The options come from the backend's begin endpoint; ones this client refuses
		// (malformed, an RP ID that is not the origin's, no ES256) are a bad request.
		return ceremonyJSON{}, apperr.InvalidRequest(err)
	}
	phone := s.phoneOffered(want)
	if !phone && !s.known(want) {
		return ceremonyJSON{}, apperr.InvalidRequest(fmt.Errorf("authenticator %q is not one of this app's", want))
	}
	id, err := newCeremonyID()
	if err != nil {
		return ceremonyJSON{}, fmt.Errorf("ceremony id: %w", err)
	}

	timeout := s.maxTimeout
	if t := prepared.Timeout(); t > 0 && t < timeout {
		timeout = t // the RP's hint (WebAuthn L3 §5.1.3 step 11)
	}
	c := &ceremony{
		id: id, kind: kind, want: want, call: prepared,
		pins: make(chan []byte, 1), finished: make(chan struct{}),
		state: stateWorking, retriesLeft: -1,
	}
	if !phone {
		if _, ok := s.find(want); !ok {
			c.state = stateInsertKey
		}
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ceremonyJSON{}, apperr.Internal(errors.New("device service closed"))
	}
	s.forgetLocked()
	prev := s.current
	if prev != nil {
		prev.stop(s.now(), failureFor(prev.kind, context.Canceled))
	}
	ctx, cancel := context.WithTimeout(s.life, timeout)
	c.cancel = cancel
	s.current = c
	s.lease.ceremonyStarted(c.finished)
	s.ceremonies[id] = c
	s.running.Add(1)
	s.mu.Unlock()

	// One thing at a time: a key job (a fingerprint, a reset) stops, and key operations let
	// go of their keys, before the ceremony opens one (keys.go).
	s.yield()
	// The answer is the ceremony as it starts: once its goroutine runs, it may already be
	// further on (pin-needed) by the time a snapshot taken afterwards is written.
	started := c.snapshot()
	go s.run(ctx, c, prev)
	return started, nil
}

// forgetLocked drops ceremonies that ended more than forgetAfter ago, and the oldest ended
// ones beyond keepEnded. Called with s.mu held.
func (s *Service) forgetLocked() {
	now := s.now()
	var ended []*ceremony
	for id, c := range s.ceremonies {
		done, at := c.ended()
		switch {
		case !done:
		case now.Sub(at) >= forgetAfter:
			delete(s.ceremonies, id)
		default:
			ended = append(ended, c)
		}
	}
	if len(ended) > keepEnded {
		slices.SortFunc(ended, func(a, b *ceremony) int {
			_, ta := a.ended()
			_, tb := b.ended()
			return ta.Compare(tb)
		})
		for _, c := range ended[:len(ended)-keepEnded] {
			delete(s.ceremonies, c.id)
		}
	}
}

var _ call = (*webauthnclient.CreateCall)(nil)
var _ call = (*webauthnclient.GetCall)(nil)
