//go:build windows

package authenticator

// The authenticators on Windows: Windows Hello, security keys and phones or tablets, all
// through webauthn.dll and Windows' own dialog (app/webauthndll). There is no libfido2 and
// so no virtual key here, and no PIN step in the page: Windows asks for the PIN, the face,
// the fingerprint or the phone itself. Managing the keys themselves is left to Windows
// Settings (only administrators may open a key directly, and this build has no libfido2 to
// do it with).

import (
	"context"
	"errors"
	"log/slog"

	"github.com/nhs-passkeys/companion/app/device/winhello"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/app/webauthndll"
)

// SecurityKeys loads webauthn.dll on Windows: HIDKeys{} turns the Windows authenticators
// on (the name is the one the program passes on every system, internal/cli/desktop.go).
type SecurityKeys interface {
	Load() (*webauthndll.DLL, error)
}

// HIDKeys reaches security keys, Windows Hello and phones through webauthn.dll.
type HIDKeys struct{}

// Load loads the system's webauthn.dll.
func (HIDKeys) Load() (*webauthndll.DLL, error) { return webauthndll.Load() }

// Config is what a Set is made of (app/device.Config's parts of the same names).
type Config struct {
	// Keys loads webauthn.dll; nil: no authenticator at all.
	Keys SecurityKeys
	// Virtual must be nil: the virtual key sits behind libfido2.
	Virtual *virtualkey.Key
	// Kiosk: kiosk mode never offers the shared computer's own authenticator.
	Kiosk bool
	// Phone must be false: Windows reaches phones through webauthn.dll.
	Phone bool
	Log   *slog.Logger
}

// Set is what webauthn.dll offers.
type Set struct {
	dll   *webauthndll.DLL // nil: no authenticator at all (before Windows 10 1903)
	kiosk bool
}

// New builds the set.
func New(cfg Config) (*Set, error) {
	if cfg.Virtual != nil {
		return nil, errors.New("device: the virtual security key needs libfido2, which the Windows app does not include; test on Linux or macOS")
	}
	if cfg.Phone {
		// The id "phone" is webauthn.dll's phone path here, with Windows' own QR code.
		return nil, errors.New("device: Windows reaches phones and tablets through webauthn.dll; Config.Phone is for Linux and macOS")
	}
	if cfg.Keys == nil {
		return &Set{kiosk: cfg.Kiosk}, nil
	}
	dll, err := cfg.Keys.Load()
	if err != nil {
		// Older Windows: the app still works with passwords; the page shows no authenticator.
		return &Set{kiosk: cfg.Kiosk}, nil //nolint:nilerr // no webauthn.dll is a Windows without passkeys, not a failure
	}
	return &Set{dll: dll, kiosk: cfg.Kiosk}, nil
}

// DLL is webauthn.dll, or nil where it did not load.
func (s *Set) DLL() *webauthndll.DLL { return s.dll }

// Virtual is always nil: the virtual key sits behind libfido2.
func (s *Set) Virtual() *virtualkey.Key { return nil }

// Credentials is Windows Hello's passkey store (app/device/winhello): webauthn.dll itself,
// or nil (never a typed nil) where it did not load.
func (s *Set) Credentials() winhello.Store {
	if s.dll == nil {
		return nil
	}
	return s.dll
}

// List lists what Windows offers: Windows Hello only where Windows says it is set up
// (WebAuthNIsUserVerifyingPlatformAuthenticatorAvailable), a security key always, and a
// phone or tablet where this Windows names the hybrid transport (API version 6).
func (s *Set) List() []Authenticator {
	if s.dll == nil {
		return nil
	}
	var out []Authenticator
	// Kiosk mode never offers the shared computer's own authenticator (Windows Hello): a
	// passkey saved there would stay behind for the next person.
	if !s.kiosk && s.dll.PlatformAuthenticatorAvailable() {
		out = append(out, Authenticator{ID: WindowsHelloID, Kind: KindPlatform, Name: WindowsHelloName})
	}
	out = append(out, Authenticator{ID: SecurityKeyID, Kind: KindKey, Name: SecurityKeyName})
	if s.dll.HybridAvailable() {
		out = append(out, Authenticator{ID: PhoneID, Kind: KindHybrid, Name: PhoneName})
	}
	return out
}

// Find returns the authenticator asked for if Windows offers it. "" asks for any: Windows'
// dialog then offers every kind ("Windows Hello or external security key"), so kiosk mode,
// which never offers Windows Hello, refuses it.
func (s *Set) Find(want string) (Authenticator, bool) {
	if want == "" {
		return Authenticator{}, s.dll != nil && !s.kiosk
	}
	for _, a := range s.List() {
		if a.ID == want {
			return a, true
		}
	}
	return Authenticator{}, false
}

// Known tells whether want can name an authenticator of this set.
func (s *Set) Known(want string) bool {
	switch want {
	case "":
		return s.dll != nil && !s.kiosk // Find's "any" includes Windows Hello
	case WindowsHelloID, SecurityKeyID, PhoneID:
		return s.dll != nil
	}
	return false
}

// PINSet is false: Windows keeps PINs to itself; the page never asks for one.
func (s *Set) PINSet(context.Context, Authenticator, bool) bool { return false }

// ConnectedKeys is kiosk mode's watch on keys taken out: on Windows the app cannot see
// security keys (only webauthn.dll can), and kioskRefusal (internal/cli/kiosk.go) refuses
// kiosk mode there, so there is nothing to watch.
func (s *Set) ConnectedKeys() ([]string, error) {
	return nil, errors.New("device: Windows does not let the app see which security keys are plugged in")
}
