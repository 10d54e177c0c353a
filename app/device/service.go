// Package device is the desktop shell's device endpoints (/api/device/..., docs/api.md): it
// mounts the features that make them, each in its own package, behind the same edge as the
// backend's, and passes everything else through to the backend.
//
//   - ceremony: WebAuthn ceremonies the webview cannot run itself (it has no WebAuthn), on a
//     security key or the virtual key, a phone or tablet, or Windows' own dialog;
//   - keys: the security keys themselves (PIN, passkeys, fingerprints, reset); not on Windows;
//   - tester: the test tools that drive the virtual key (--virtual-key only);
//   - kioskapi: kiosk mode's endpoints and the end of a patient's visit (--kiosk only);
//   - winhello: Windows Hello's passkeys (Windows only);
//   - authenticator: what ceremony and keys share: the authenticators, the one per-key lease,
//     the states and failures of their background work;
//   - account: the signed-in account, asked of the backend in process.
//
// No package beneath imports this one: Service builds them and wires what one needs of
// another (a ceremony starting makes key operations yield; a visit ending stops a ceremony).
package device

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/device/ceremony"
	"github.com/nhs-passkeys/companion/app/device/kioskapi"
	"github.com/nhs-passkeys/companion/app/device/winhello"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// DefaultMaxTimeout bounds every ceremony (app/device/ceremony).
const DefaultMaxTimeout = ceremony.DefaultMaxTimeout

// Kiosk is kiosk mode's configuration (app/device/kioskapi).
type Kiosk = kioskapi.Kiosk

// Phone is what the phone path needs (app/device/ceremony).
type Phone = ceremony.Phone

// Bluetooth is the phone path's Bluetooth LE scanner (app/device/ceremony).
type Bluetooth = ceremony.Bluetooth

// SecurityKeys lists and opens hardware keys, or on Windows loads webauthn.dll
// (app/device/authenticator).
type SecurityKeys = authenticator.SecurityKeys

// HIDKeys is the name the program passes on every system (internal/cli/desktop.go): the
// system's security keys (app/device/authenticator).
type HIDKeys = authenticator.HIDKeys

// AuthenticatorNames names a security key model by its AAGUID (16 bytes), e.g. "YubiKey 5
// NFC"; ok is false for a model it does not know. The desktop app passes
// backend/passkey.AuthenticatorName (its embedded aaguids.json; internal/cli/desktop.go).
// Without it, keys are named by the product name their USB descriptor gives.
type AuthenticatorNames = authenticator.Names

// Config is what the program passes in (internal/cli/desktop.go, deviceConfig).
type Config struct {
	// Origins are the Origin header values accepted: the webview's (desktop.WebviewOrigins),
	// or a test's. Every request needs one of them.
	Origins []string
	// RPOrigin is the relying party's origin, the "origin" of every clientDataJSON, e.g.
	// http://localhost:8080 (the backend's Config.Origin, not the webview's).
	RPOrigin string
	// SecurityKeys lists and opens hardware keys: HIDKeys{} in the app. Nil: none. On
	// Windows, HIDKeys{} stands for webauthn.dll's authenticators (authenticator/set_windows.go).
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
	// Nil: by the product name the key gives (app/device/keys).
	AuthenticatorNames AuthenticatorNames
	// Kiosk, if not nil, is kiosk mode (--kiosk): a shared computer offers only portable
	// authenticators (security keys, a phone), never its own, and has the kiosk endpoints.
	Kiosk *Kiosk
	// Phone, if not nil, offers "Use a different phone or tablet" through the FIDO hybrid
	// transport (app/device/ceremony, phone.go): Linux and macOS only (Windows' own dialog
	// does it there). Nil: not offered.
	Phone *Phone
}

// Service serves the device endpoints through the features it has built.
//
// Lock order of the device endpoints, written here only (the packages it names point here).
// A lock on the left may be held while taking one on its right, never the other way:
//   - ceremony.Service.mu -> a ceremony's lock (authenticator.Job.mu) -> the lease's and
//     the Set's mutexes;
//   - keys.Service.mu -> a key job's lock (authenticator.Job.mu) -> the lease's and the
//     Set's mutexes.
//
// The lease's and the Set's mutexes, the test tools' (app/device/tester) and kiosk mode's
// (app/device/kioskapi) are leaves: nothing is taken while one is held, and kiosk mode calls
// back into the ceremonies (EndVisit) with its own released.
type Service struct {
	origins   []string
	hosts     httpapi.Hosts // the Host names the endpoints answer for: those of origins and the RP origin
	responder *httpapi.Responder

	set        *authenticator.Set
	ceremonies *ceremony.Service
	kiosk      *kioskapi.Service // nil unless in kiosk mode
	// hello is Windows Hello's passkeys (app/device/winhello); nil where there is none
	// to manage (Linux, macOS, Windows without webauthn.dll) and in kiosk mode.
	hello *winhello.Service

	// features is what differs by system: security keys' management and the test tools on
	// Linux and macOS (features_fido2.go), Windows' answer that keys are managed in Windows
	// Settings (features_windows.go), nothing in a build without cgo (features_nocgo.go).
	features
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
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rp, err := url.Parse(cfg.RPOrigin)
	if err != nil || rp.Hostname() == "" {
		return nil, fmt.Errorf("device: RP origin %q has no host", cfg.RPOrigin)
	}
	if cfg.Kiosk != nil && cfg.Kiosk.Admin == nil {
		return nil, errors.New("device: kiosk mode needs the administrator's secret (Kiosk.Admin)")
	}
	set, err := authenticator.New(authenticator.Config{Keys: cfg.SecurityKeys, Virtual: cfg.VirtualKey,
		Kiosk: cfg.Kiosk != nil, Phone: cfg.Phone != nil, Log: log})
	if err != nil {
		return nil, err
	}
	lease := authenticator.NewLease()
	feats, err := newFeatures(cfg, set, lease, log)
	if err != nil {
		return nil, err
	}
	ceremonies, err := ceremony.New(ceremony.Config{
		Authenticators: set, Lease: lease, RPOrigin: cfg.RPOrigin, MaxTimeout: cfg.MaxTimeout,
		Log: log, Now: cfg.Now, Phone: cfg.Phone,
		Yield: feats.yield, VirtualTakenOut: feats.virtualTakenOut,
	})
	if err != nil {
		feats.close()
		return nil, err
	}
	// Kiosk mode leaves the shared computer's own passkeys alone: it never saves one there,
	// and those it holds are not the patient's to delete.
	var hello *winhello.Service
	if store := set.Credentials(); store != nil && cfg.Kiosk == nil {
		hello = winhello.New(store, rp.Hostname(), log)
	}
	s := &Service{
		origins:    append([]string(nil), cfg.Origins...),
		hosts:      hosts,
		responder:  httpapi.NewResponder(log),
		set:        set,
		ceremonies: ceremonies,
		hello:      hello,
		features:   feats,
	}
	if cfg.Kiosk != nil {
		s.kiosk = kioskapi.New(*cfg.Kiosk, log, ceremonies.EndVisit)
	}
	return s, nil
}

// SessionEnded records that the shell has ended the session, and why (app/kiosk's reason,
// "key-removed"): kiosk mode only (app/device/kioskapi).
func (s *Service) SessionEnded(reason string) {
	if s.kiosk != nil {
		s.kiosk.SessionEnded(reason)
	}
}

// ConnectedKeys returns the ids of the security keys plugged in now, for kiosk mode's watch
// on keys taken out mid-session (app/kiosk.Watch; authenticator.Set.ConnectedKeys).
func (s *Service) ConnectedKeys() ([]string, error) { return s.set.ConnectedKeys() }

// Close cancels a running ceremony and key job and waits until they have let go of their
// authenticators. Later requests to start one are refused.
func (s *Service) Close() {
	s.ceremonies.Close()
	s.close() // the platform's features (features_*.go)
}
