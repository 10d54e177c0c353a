// Package device is the desktop shell's device endpoints (/api/device/..., docs/api.md): the
// Linux webview has no WebAuthn, so the page hands the backend's options to these endpoints,
// and the shell runs the ceremony on a security key (or the virtual key), or on a phone or
// tablet through the FIDO hybrid transport (phone.go), with its own WebAuthn client
// (app/webauthnclient) and hands back the same credential JSON a browser would. The handler
// sits in front of the backend's and passes everything else through.
//
// Device work is slow and needs the person (insert the key, enter its PIN, touch it), and
// the webview cannot cancel a fetch, so a ceremony runs in the background: POST starts it,
// the page polls its state (and the QR code for a phone), posts the PIN when asked and can
// cancel it.
package device

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/nhs-passkeys/companion/app/device/kioskapi"
	"github.com/nhs-passkeys/companion/app/device/winhello"
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

// Kiosk is kiosk mode's configuration (app/device/kioskapi).
type Kiosk = kioskapi.Kiosk

// AuthenticatorNames names a security key model by its AAGUID (16 bytes), e.g. "YubiKey 5
// NFC"; ok is false for a model it does not know. The desktop app passes
// backend/passkey.AuthenticatorName (its embedded aaguids.json; internal/cli/desktop.go). Without it, keys
// are named by the product name their USB descriptor gives.
type AuthenticatorNames func(aaguid []byte) (name string, ok bool)

// Config is what the program passes in (internal/cli/desktop.go, deviceConfig).
type Config struct {
	// Origins are the Origin header values accepted: the webview's (desktop.WebviewOrigins),
	// or a test's. Every request needs one of them.
	Origins []string
	// RPOrigin is the relying party's origin, the "origin" of every clientDataJSON, e.g.
	// http://localhost:8080 (the backend's Config.Origin, not the webview's).
	RPOrigin string
	// SecurityKeys lists and opens hardware keys: HIDKeys{} in the app. Nil: none. On
	// Windows, HIDKeys{} stands for webauthn.dll's authenticators (platform_windows.go).
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
	// Kiosk, if not nil, is kiosk mode (--kiosk): a shared computer offers only portable
	// authenticators (security keys, a phone), never its own, and has the kiosk endpoints.
	Kiosk *Kiosk
	// Phone, if not nil, offers "A different phone or tablet" through the FIDO hybrid
	// transport (phone.go): Linux and macOS only (Windows' own dialog does it there). Nil:
	// not offered.
	Phone *Phone
}

// Service runs device ceremonies, at most one at a time, and serves the device endpoints.
//
// Lock order (a lock on the left may be held while taking one on its right, never the
// other way): Service.mu -> ceremony.mu -> lease.mu; keyManager.mu -> keyJob.mu. Service.mu
// and keyManager.mu are never held together. The lease's, the test tools'
// (app/device/tester) and kiosk mode's (app/device/kioskapi) mutexes are leaves: nothing is
// locked under them, and kiosk mode calls back into the ceremonies (endVisit) with its own
// released.
type Service struct {
	origins    []string
	hosts      httpapi.Hosts // the Host names the endpoints answer for: those of origins and the RP origin
	client     *webauthnclient.Client
	maxTimeout time.Duration
	log        *slog.Logger
	now        func() time.Time
	responder  *httpapi.Responder

	// life is the parent of every ceremony's context: not the request's (the webview cannot
	// cancel a fetch, and a ceremony outlives the request that started it). Close ends it.
	life    context.Context
	stop    context.CancelFunc
	running sync.WaitGroup

	// lease is the one per-key lease between ceremonies and key operations (lease.go).
	lease *lease

	mu         sync.Mutex
	closed     bool
	ceremonies map[string]*ceremony
	current    *ceremony         // the latest ceremony started; only it may be running
	kiosk      *kioskapi.Service // nil unless in kiosk mode
	// phone is the phone path (phone.go); nil when not offered.
	phone *Phone

	// rpID is the RP origin's host: only its passkeys are looked at on the device.
	rpID string
	// hello is Windows Hello's passkeys (app/device/winhello); nil where there is none
	// to manage (Linux, macOS, Windows without webauthn.dll) and in kiosk mode.
	hello *winhello.Service

	// platform is what differs by system: libfido2's security keys and the virtual key on
	// Linux and macOS (platform_fido2.go), webauthn.dll on Windows (platform_windows.go), and
	// nothing in a Linux or macOS build without cgo (platform_nocgo.go).
	platform
}

// New builds the service.
func New(cfg Config) (*Service, error) {
	if len(cfg.Origins) == 0 {
		return nil, errors.New("device: no allowed origins")
	}
	// The host names the app answers for (httpapi.OnlyHosts), the same as the backend's in
	// the desktop app: the webview's (Wails' AssetServer puts the page's in Request.Host)
	// and the RP origin's.
	hosts, err := httpapi.HostsOf(append([]string{cfg.RPOrigin}, cfg.Origins...)...)
	if err != nil {
		return nil, fmt.Errorf("device: %w", err)
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
	rp, err := url.Parse(cfg.RPOrigin)
	if err != nil || rp.Hostname() == "" {
		return nil, fmt.Errorf("device: RP origin %q has no host", cfg.RPOrigin)
	}
	if cfg.Kiosk != nil && cfg.Kiosk.Admin == nil {
		return nil, errors.New("device: kiosk mode needs the administrator's secret (Kiosk.Admin)")
	}
	if err := checkPhoneConfig(cfg.Phone); err != nil {
		return nil, err
	}
	plat, err := newPlatform(cfg)
	if err != nil {
		return nil, err
	}
	// Kiosk mode leaves the shared computer's own passkeys alone: it never saves one there,
	// and those it holds are not the patient's to delete.
	var hello *winhello.Service
	if store := plat.platformCredentials(); store != nil && cfg.Kiosk == nil {
		hello = winhello.New(store, rp.Hostname(), log)
	}
	life, stop := context.WithCancel(context.Background())
	s := &Service{
		origins:    append([]string(nil), cfg.Origins...),
		hosts:      hosts,
		client:     client,
		maxTimeout: maxTimeout,
		log:        log,
		now:        now,
		responder:  httpapi.NewResponder(log),
		life:       life,
		stop:       stop,
		ceremonies: map[string]*ceremony{},
		lease:      newLease(),
		platform:   plat,
		phone:      clonePhone(cfg.Phone),
		rpID:       rp.Hostname(),
		hello:      hello,
	}
	if cfg.Kiosk != nil {
		s.kiosk = kioskapi.New(*cfg.Kiosk, log, s.endVisit)
	}
	return s, nil
}

// endVisit cancels the ceremony still running, if any: a kiosk visit has ended
// (app/device/kioskapi).
func (s *Service) endVisit() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.current; c != nil {
		c.stop(s.now(), failureFor(c.kind, context.Canceled))
	}
}

// SessionEnded records that the shell has ended the session, and why (app/kiosk's reason,
// "key-removed"): kiosk mode only (app/device/kioskapi).
func (s *Service) SessionEnded(reason string) {
	if s.kiosk != nil {
		s.kiosk.SessionEnded(reason)
	}
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
