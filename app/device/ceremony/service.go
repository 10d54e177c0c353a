// Package ceremony runs the desktop's device ceremonies (docs/api.md, "Device endpoints"):
// the Linux webview has no WebAuthn, so the page hands the backend's options to these
// endpoints, and the shell runs the ceremony on a security key (or the virtual key) through
// libfido2, on a phone or tablet through the FIDO hybrid transport (phone.go), or through
// Windows' own dialog (webauthn.dll), with its own WebAuthn client (app/webauthnclient), and
// hands back the same credential JSON a browser would.
//
// Device work is slow and needs the person (insert the key, enter its PIN, touch it), and
// the webview cannot cancel a fetch, so a ceremony runs in the background: POST starts it,
// the page polls its state (and the QR code for a phone), posts the PIN when asked and can
// cancel it.
package ceremony

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/webauthnclient"
	"github.com/nhs-passkeys/companion/backend/apperr"
)

const (
	// DefaultMaxTimeout bounds every ceremony: the backend's own ceremony lifetime
	// (passkey.CeremonyTimeout), after which its finish endpoint refuses the answer anyway.
	DefaultMaxTimeout = 5 * time.Minute
	// MinTimeout is the least time a ceremony gets, whatever the options' timeout says: the
	// lowest of WebAuthn L3 §15.1's recommended ranges (30 s, with userVerification
	// "discouraged"). Less would end it before anyone could find the key and touch it.
	MinTimeout = 30 * time.Second
)

// Config is what the ceremonies need (app/device.New passes its parts of app/device.Config).
type Config struct {
	// Authenticators are this computer's (app/device/authenticator). Required.
	Authenticators *authenticator.Set
	// Lease is the one per-key lease, shared with the key operations. Required.
	Lease *authenticator.Lease
	// RPOrigin is the relying party's origin, the "origin" of every clientDataJSON.
	RPOrigin string
	// MaxTimeout bounds a ceremony; the options' timeout shortens it. 0: DefaultMaxTimeout.
	MaxTimeout time.Duration
	// Log receives ceremony outcomes and their causes (never a PIN). Nil discards.
	Log *slog.Logger
	// Now is the clock for forgetting ended ceremonies. Nil: time.Now.
	Now func() time.Time
	// Phone, if not nil, offers "Use a different phone or tablet" (phone.go).
	Phone *Phone
	// Yield, if not nil, is called as a ceremony starts: key operations stop and let go of
	// their keys (app/device/keys), the latest thing the person asked for winning.
	Yield func()
	// VirtualTakenOut, if not nil, tells whether a tester has taken the virtual key out
	// (app/device/tester): then the app does not plug it back in after a failure.
	VirtualTakenOut func() bool
}

// Service runs device ceremonies, at most one at a time, and serves their endpoints.
//
// Lock order: app/device.Service's (Service.mu before a ceremony's lock).
type Service struct {
	set        *authenticator.Set
	lease      *authenticator.Lease
	client     *webauthnclient.Client
	maxTimeout time.Duration
	log        *slog.Logger
	now        func() time.Time
	yield      func()
	takenOut   func() bool
	// phone is the phone path (phone.go); nil when not offered.
	phone *Phone

	// life is the parent of every ceremony's context: not the request's (the webview cannot
	// cancel a fetch, and a ceremony outlives the request that started it). Close ends it.
	life    context.Context
	stop    context.CancelFunc
	running sync.WaitGroup

	mu         sync.Mutex
	closed     bool
	ceremonies map[string]*ceremony
	current    *ceremony // the latest ceremony started; only it may be running
}

// New builds the service.
func New(cfg Config) (*Service, error) {
	if cfg.Authenticators == nil || cfg.Lease == nil {
		return nil, errors.New("device: ceremonies need the authenticators and the lease")
	}
	client, err := webauthnclient.New(cfg.RPOrigin)
	if err != nil {
		return nil, fmt.Errorf("device: %w", err)
	}
	if err := checkPhoneConfig(cfg.Phone); err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	maxTimeout := cfg.MaxTimeout
	if maxTimeout <= 0 {
		maxTimeout = DefaultMaxTimeout
	}
	yield := cfg.Yield
	if yield == nil {
		yield = func() {}
	}
	takenOut := cfg.VirtualTakenOut
	if takenOut == nil {
		takenOut = func() bool { return false }
	}
	life, stop := context.WithCancel(context.Background())
	return &Service{
		set:        cfg.Authenticators,
		lease:      cfg.Lease,
		client:     client,
		maxTimeout: maxTimeout,
		log:        log,
		now:        now,
		yield:      yield,
		takenOut:   takenOut,
		phone:      clonePhone(cfg.Phone),
		life:       life,
		stop:       stop,
		ceremonies: map[string]*ceremony{},
	}, nil
}

// EndVisit cancels the ceremony still running, if any: a kiosk visit has ended
// (app/device/kioskapi).
func (s *Service) EndVisit() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.current; c != nil {
		c.stop(s.now(), failureFor(c.Kind, context.Canceled))
	}
}

// Close cancels a running ceremony and waits until it has let go of its authenticator.
// Later requests to start one are refused.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	if c := s.current; c != nil {
		c.stop(s.now(), failureFor(c.Kind, context.Canceled))
	}
	s.mu.Unlock()
	s.stop()
	s.running.Wait()
}

// busyPath is the path of the hardware key the running ceremony uses, or "".
func (s *Service) busyPath() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current == nil {
		return ""
	}
	return s.current.usingPath()
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
	case authenticator.KindCreate:
		prepared, err = s.client.PrepareCreate(publicKey)
	case authenticator.KindGet:
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
	if !phone && !s.set.Known(want) {
		return ceremonyJSON{}, apperr.InvalidRequest(fmt.Errorf("authenticator %q is not one of this app's", want))
	}
	state := authenticator.StateWorking
	if !phone {
		if _, ok := s.set.Find(want); !ok {
			state = authenticator.StateInsertKey
		}
	}
	job, err := authenticator.NewJob(kind, state)
	if err != nil {
		return ceremonyJSON{}, fmt.Errorf("ceremony id: %w", err)
	}

	// WebAuthn L3 §5.1.3 step 11 (§5.1.4.1 step 10): the options' timeout is a hint, which
	// the client corrects into a reasonable range: at least MinTimeout, at most maxTimeout
	// (which also bounds a ceremony without a hint).
	timeout := s.maxTimeout
	if t := prepared.Timeout(); t > 0 {
		timeout = min(max(t, MinTimeout), s.maxTimeout)
	}
	c := &ceremony{Job: job, want: want, call: prepared, pins: make(chan []byte, 1), retriesLeft: -1}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ceremonyJSON{}, apperr.Internal(errors.New("device service closed"))
	}
	s.forgetLocked()
	prev := s.current
	if prev != nil {
		prev.stop(s.now(), failureFor(prev.Kind, context.Canceled))
	}
	ctx := c.Begin(s.life, timeout)
	s.current = c
	s.lease.CeremonyStarted(c.Finished)
	s.ceremonies[c.ID] = c
	s.running.Add(1)
	s.mu.Unlock()

	// One thing at a time: a key job (a fingerprint, a reset) stops, and key operations let
	// go of their keys, before the ceremony opens one (Config.Yield: app/device/keys).
	s.yield()
	// The answer is the ceremony as it starts: once its goroutine runs, it may already be
	// further on (pin-needed) by the time a snapshot taken afterwards is written.
	started := c.snapshot()
	go func() {
		defer s.running.Done()
		defer c.Done()
		defer c.dropPIN() // a PIN posted but never taken
		// The ceremony started before it (stopped above) must have closed its device
		// before this one opens any.
		if prev != nil {
			<-prev.Finished
		}
		s.run(ctx, c) // run_fido2.go, run_windows.go, run_nocgo.go
	}()
	return started, nil
}

// forgetLocked drops ceremonies that ended a while ago (authenticator.Forget). Called with
// s.mu held.
func (s *Service) forgetLocked() { authenticator.Forget(s.ceremonies, s.now()) }
