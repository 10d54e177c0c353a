//go:build cgo && !windows

package authenticator

// The authenticators on Linux and macOS: hardware security keys through libfido2
// (app/fido2) and the virtual key behind it. Windows has no libfido2 in this app and reaches
// its authenticators through webauthn.dll instead (set_windows.go). A build without cgo
// (CGO_ENABLED=0, as `make lint` vets macOS) cannot reach libfido2 and has a stand-in that
// offers nothing and says why (set_nocgo.go).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"

	"github.com/nhs-passkeys/companion/app/ctappin"
	"github.com/nhs-passkeys/companion/app/device/winhello"
	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
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

// maxKeys is how many connected security keys are listed.
const maxKeys = 16

// Open opens the key at path.
func (HIDKeys) Open(path string) (*fido2.Device, error) { return fido2.Open(path) }

// Config is what a Set is made of (app/device.Config's parts of the same names).
type Config struct {
	// Keys lists and opens hardware keys; nil: none.
	Keys SecurityKeys
	// Virtual, if not nil, is offered as the authenticator "virtual".
	Virtual *virtualkey.Key
	// Kiosk: kiosk mode (only portable authenticators are offered; nothing differs here).
	Kiosk bool
	// Phone: a phone path was configured (app/device.Config.Phone), which this system has.
	Phone bool
	Log   *slog.Logger
}

// Set is the authenticators of this computer: libfido2's security keys and the virtual key.
type Set struct {
	keys    SecurityKeys
	virtual *virtualkey.Key
	log     *slog.Logger

	// mu is a leaf: nothing is locked under it.
	mu     sync.Mutex
	pinSet map[string]bool // what each hardware key (by path) last said about its PIN
}

// New builds the set.
func New(cfg Config) (*Set, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Set{keys: cfg.Keys, virtual: cfg.Virtual, log: log, pinSet: map[string]bool{}}, nil
}

// Virtual is the virtual security key, or nil.
func (s *Set) Virtual() *virtualkey.Key { return s.virtual }

// Credentials is nil: Linux and macOS have no platform passkey store this app can manage, so
// the Windows Hello passkey endpoints are not registered (404 not_found).
func (s *Set) Credentials() winhello.Store { return nil }

// keyID names a hardware key by a hash of its OS path, so the page never sees the path.
func keyID(path string) string {
	sum := sha256.Sum256([]byte(path))
	return "usb:" + hex.EncodeToString(sum[:8])
}

// List lists what is connected: hardware keys first, then the virtual key.
func (s *Set) List() []Authenticator {
	var out []Authenticator
	if s.keys != nil {
		list, err := s.keys.List()
		if err != nil {
			s.log.Warn("list security keys", "err", err)
		}
		for _, d := range list {
			name := KeyText(d.Product)
			if name == "" {
				name = "Security key"
			}
			out = append(out, Authenticator{ID: keyID(d.Path), Kind: KindKey, Name: name, Path: d.Path})
		}
	}
	// The virtual key is listed while it is plugged in, as a hardware key is (a tester or a
	// test can take it out: virtualkey.Key.Unplug).
	if s.virtual != nil && s.virtual.Plugged() {
		out = append(out, Authenticator{ID: VirtualID, Kind: KindVirtual, Name: VirtualName, Keepalive: true})
	}
	return out
}

// ConnectedKeys returns the ids of the security keys plugged in now (the virtual key among
// them while it is plugged in), for kiosk mode's watch on keys taken out mid-session
// (app/kiosk.Watch). A failed listing is an error, never "no keys": taken as "every key has
// gone", it would log a patient out in the middle of what they are doing.
func (s *Set) ConnectedKeys() ([]string, error) {
	var ids []string
	if s.keys != nil {
		list, err := s.keys.List()
		if err != nil {
			return nil, fmt.Errorf("list security keys: %w", err)
		}
		for _, d := range list {
			ids = append(ids, keyID(d.Path))
		}
	}
	if s.virtual != nil && s.virtual.Plugged() {
		ids = append(ids, VirtualID)
	}
	return ids, nil
}

// Find returns the authenticator asked for, if it is connected. "" asks for any: the first
// security key, or the virtual key when no security key is connected.
func (s *Set) Find(want string) (Authenticator, bool) {
	for _, a := range s.List() {
		if want == "" || a.ID == want {
			return a, true
		}
	}
	return Authenticator{}, false
}

// Known tells whether want can name an authenticator of this set (connected or not).
func (s *Set) Known(want string) bool {
	switch want {
	case "":
		return s.keys != nil || s.virtual != nil
	case VirtualID:
		return s.virtual != nil
	}
	return s.keys != nil && len(want) == len("usb:")+16 && want[:4] == "usb:"
}

// Open opens a connected authenticator through libfido2.
func (s *Set) Open(a Authenticator) (*fido2.Device, error) {
	if a.Virtual() {
		return fido2.OpenTransport(s.virtual)
	}
	return s.keys.Open(a.Path)
}

// PINSet tells whether the authenticator has a PIN: the virtual key says so at once; a
// hardware key is asked (open, getInfo, close), unless inUse (a ceremony is using it), in
// which case the last answer is given.
func (s *Set) PINSet(ctx context.Context, a Authenticator, inUse bool) bool {
	if a.Virtual() {
		_, set := s.virtual.PINRetries()
		return set
	}
	s.mu.Lock()
	last := s.pinSet[a.Path]
	s.mu.Unlock()
	if inUse {
		return last
	}
	dev, err := s.keys.Open(a.Path)
	if err != nil {
		return last
	}
	defer dev.Close()
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	info, err := dev.Info(ctx)
	if err != nil {
		return last
	}
	set, _ := info.Option("clientPin")
	s.RememberPINSet(a, set)
	return set
}

// RememberPINSet notes what a hardware key last said about its PIN, for when it is busy.
func (s *Set) RememberPINSet(a Authenticator, set bool) {
	if a.Virtual() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pinSet[a.Path] = set
}

// MinPINLength is the key's minimum PIN length (CTAP 2.1 §6.4 minPINLength, default 4),
// within what CTAP allows: never under 4 characters (§6.5.1), never over 63, the most a PIN
// can have (§6.11.4 refuses a larger setMinPINLength). A faulty key's 2 would let the page
// offer a PIN no key takes; its 200 would ask for one no key can have.
func MinPINLength(info fido2.Info) int {
	return min(max(info.MinPINLength, ctappin.MinCodePoints), ctappin.MaxBytes)
}
