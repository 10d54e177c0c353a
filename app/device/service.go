// Package device is the desktop shell's device endpoints (/api/device/..., docs/api.md): the
// Linux webview has no WebAuthn, so the page hands the backend's options to these endpoints,
// and the shell runs the ceremony on a security key (or the virtual key) with its own
// WebAuthn client (app/webauthnclient) and hands back the same credential JSON a browser
// would. The handler sits in front of the backend's and passes everything else through.
//
// Device work is slow and needs the person (insert the key, enter its PIN, touch it), and
// the webview cannot cancel a fetch, so a ceremony runs in the background: POST starts it,
// the page polls its state, posts the PIN when asked and can cancel it.
package device

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/app/webauthnclient"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

const (
	// DefaultMaxTimeout bounds every ceremony: the backend's own ceremony lifetime
	// (passkey.CeremonyTimeout), after which its finish endpoint refuses the answer anyway.
	DefaultMaxTimeout = 5 * time.Minute
	// forgetAfter: a ceremony that has ended is forgotten this long after (docs/api.md).
	forgetAfter = 2 * time.Minute
	// keepEnded bounds how many ended ceremonies are remembered meanwhile.
	keepEnded = 32
	// pollInterval: while no key is connected, the list of keys is read this often.
	pollInterval = 500 * time.Millisecond
	// maxKeys is how many connected security keys are listed.
	maxKeys = 16
	// probeTimeout bounds reading a connected key's PIN state for the list.
	probeTimeout = 3 * time.Second

	virtualID   = "virtual"
	virtualName = "Virtual security key (for testing)"
	kindVirtual = "virtual"
	kindKey     = "security-key"
)

// SecurityKeys finds and opens hardware security keys.
type SecurityKeys interface {
	List() ([]fido2.DeviceInfo, error)
	Open(path string) (*fido2.Device, error)
}

// HIDKeys are the security keys libfido2 finds (USB HID, and NFC on Linux).
type HIDKeys struct{}

// List lists the connected keys.
func (HIDKeys) List() ([]fido2.DeviceInfo, error) { return fido2.DeviceList(maxKeys) }

// Open opens the key at path.
func (HIDKeys) Open(path string) (*fido2.Device, error) { return fido2.Open(path) }

// Config is what the program passes in (run.go).
type Config struct {
	// Origins are the Origin header values accepted: the webview's (desktop.WebviewOrigins),
	// or a test's. Every request needs one of them.
	Origins []string
	// RPOrigin is the relying party's origin, the "origin" of every clientDataJSON, e.g.
	// http://localhost:8080 (the backend's Config.Origin, not the webview's).
	RPOrigin string
	// SecurityKeys lists and opens hardware keys: HIDKeys{} in the app. Nil: none.
	SecurityKeys SecurityKeys
	// VirtualKey, if not nil, is offered as the authenticator "virtual" (--virtual-key).
	VirtualKey *virtualkey.Key
	// MaxTimeout bounds a ceremony; the options' timeout shortens it. 0: DefaultMaxTimeout.
	MaxTimeout time.Duration
	// Logger receives ceremony outcomes and their causes (never a PIN). Nil discards.
	Logger *slog.Logger
	// Now is the clock for forgetting ended ceremonies and key jobs, and for a key's reset
	// window. Nil: time.Now.
	Now func() time.Time
	// AuthenticatorNames names security keys by model (AAGUID) on the Security keys pages.
	// Nil: by the product name the key gives (keys.go).
	AuthenticatorNames AuthenticatorNames
}

// Service runs device ceremonies, at most one at a time, and serves the device endpoints.
type Service struct {
	origins    []string
	client     *webauthnclient.Client
	keys       SecurityKeys
	virtual    *virtualkey.Key
	maxTimeout time.Duration
	log        *slog.Logger
	now        func() time.Time
	responder  *httpapi.Responder

	// life is the parent of every ceremony's context: not the request's (the webview cannot
	// cancel a fetch, and a ceremony outlives the request that started it). Close ends it.
	life    context.Context
	stop    context.CancelFunc
	running sync.WaitGroup

	mu         sync.Mutex
	closed     bool
	ceremonies map[string]*ceremony
	current    *ceremony       // the latest ceremony started; only it may be running
	pinSet     map[string]bool // what each hardware key (by path) last said about its PIN

	mgmt *keyManager // the security key endpoints' state (keys.go)
}

// New builds the service.
func New(cfg Config) (*Service, error) {
	if len(cfg.Origins) == 0 {
		return nil, errors.New("device: no allowed origins")
	}
	client, err := webauthnclient.New(cfg.RPOrigin)
	if err != nil {
		return nil, fmt.Errorf("device: %w", err)
	}
	log := cfg.Logger
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
	mgmt, err := newKeyManager(cfg.RPOrigin, cfg.AuthenticatorNames)
	if err != nil {
		return nil, err
	}
	life, stop := context.WithCancel(context.Background())
	return &Service{
		origins:    append([]string(nil), cfg.Origins...),
		client:     client,
		keys:       cfg.SecurityKeys,
		virtual:    cfg.VirtualKey,
		maxTimeout: maxTimeout,
		log:        log,
		now:        now,
		responder:  httpapi.NewResponder(log),
		life:       life,
		stop:       stop,
		ceremonies: map[string]*ceremony{},
		pinSet:     map[string]bool{},
		mgmt:       mgmt,
	}, nil
}

// Close cancels a running ceremony and waits until it has let go of its authenticator.
// Later requests to start one are refused.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	if c := s.current; c != nil {
		c.stop(s.now(), failureFor(c.kind, context.Canceled))
	}
	s.mu.Unlock()
	s.stop()
	s.running.Wait()
}

// authenticator is one a ceremony can use.
type authenticator struct {
	id, kind, name string
	path           string // hardware keys: what SecurityKeys.Open takes
	// keepalive: the authenticator reports "waiting for a touch" through libfido2's status
	// hook (Go transports only). For a hardware key the app shows "touch" for as long as the
	// request blocks, as fido2.Open advises.
	keepalive bool
}

func (a authenticator) virtual() bool { return a.id == virtualID }

// keyID names a hardware key by a hash of its OS path, so the page never sees the path.
func keyID(path string) string {
	sum := sha256.Sum256([]byte(path))
	return "usb:" + hex.EncodeToString(sum[:8])
}

// authenticators lists what is connected: hardware keys first, then the virtual key.
func (s *Service) authenticators() []authenticator {
	var out []authenticator
	if s.keys != nil {
		list, err := s.keys.List()
		if err != nil {
			s.log.Warn("list security keys", "err", err)
		}
		for _, d := range list {
			name := d.Product
			if name == "" {
				name = "Security key"
			}
			out = append(out, authenticator{id: keyID(d.Path), kind: kindKey, name: name, path: d.Path})
		}
	}
	if s.virtual != nil {
		out = append(out, authenticator{id: virtualID, kind: kindVirtual, name: virtualName, keepalive: true})
	}
	return out
}

// find returns the authenticator asked for, if it is connected. "" asks for any: the first
// security key, or the virtual key when no security key is connected.
func (s *Service) find(want string) (authenticator, bool) {
	for _, a := range s.authenticators() {
		if want == "" || a.id == want {
			return a, true
		}
	}
	return authenticator{}, false
}

// known tells whether want can name an authenticator of this service (connected or not).
func (s *Service) known(want string) bool {
	switch {
	case want == "":
		return s.keys != nil || s.virtual != nil
	case want == virtualID:
		return s.virtual != nil
	}
	return s.keys != nil && len(want) == len("usb:")+16 && want[:4] == "usb:"
}

// open opens a connected authenticator through libfido2.
func (s *Service) open(a authenticator) (*fido2.Device, error) {
	if a.virtual() {
		return fido2.OpenTransport(s.virtual)
	}
	return s.keys.Open(a.path)
}

// pinSetOf tells whether the authenticator has a PIN: the virtual key says so at once; a
// hardware key is asked (open, getInfo, close), unless a ceremony is using it, in which
// case the last answer is given.
func (s *Service) pinSetOf(a authenticator) bool {
	if a.virtual() {
		_, set := s.virtual.PINRetries()
		return set
	}
	s.mu.Lock()
	busy := s.current != nil && s.current.usingPath() == a.path
	last := s.pinSet[a.path]
	s.mu.Unlock()
	if busy {
		return last
	}
	dev, err := s.keys.Open(a.path)
	if err != nil {
		return last
	}
	defer dev.Close()
	ctx, cancel := context.WithTimeout(s.life, probeTimeout)
	defer cancel()
	info, err := dev.Info(ctx)
	if err != nil {
		return last
	}
	set, _ := info.Option("clientPin")
	s.rememberPINSet(a, set)
	return set
}

func (s *Service) rememberPINSet(a authenticator, set bool) {
	if a.virtual() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pinSet[a.path] = set
}
