//go:build cgo && !windows

package device

// The device endpoints on Linux and macOS: hardware security keys through libfido2
// (app/fido2) and the virtual key behind it. Windows has no libfido2 in this app and reaches
// its authenticators through webauthn.dll instead (platform_windows.go). A build without cgo
// (CGO_ENABLED=0, as `make lint` vets macOS) cannot reach libfido2 and has a stand-in that
// offers nothing and says why (platform_nocgo.go).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/nhs-passkeys/companion/app/device/tester"
	"github.com/nhs-passkeys/companion/app/device/winhello"
	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/backend/httpapi"
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

// platform is the libfido2 side of the Service.
type platform struct {
	keys    SecurityKeys
	virtual *virtualkey.Key
	pinSet  map[string]bool // what each hardware key (by path) last said about its PIN; s.mu
	mgmt    *keyManager     // the security key endpoints' state (keys.go)
	tester  *tester.Service // the test tools (app/device/tester); nil without a virtual key
}

func newPlatform(cfg Config) (platform, error) {
	mgmt, err := newKeyManager(cfg.RPOrigin, cfg.AuthenticatorNames)
	if err != nil {
		return platform{}, err
	}
	p := platform{keys: cfg.SecurityKeys, virtual: cfg.VirtualKey, pinSet: map[string]bool{}, mgmt: mgmt}
	if cfg.VirtualKey != nil {
		log := cfg.Logger
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		p.tester = tester.New(cfg.VirtualKey, log)
	}
	return p, nil
}

// testerRoutes are the test tools' endpoints (app/device/tester), with a virtual key only.
func (s *Service) testerRoutes() []httpapi.Route {
	if s.tester == nil {
		return nil
	}
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: Prefix + "/tester", Handle: s.tester.Get},
		{Method: http.MethodPost, Pattern: Prefix + "/tester/next", Handle: s.tester.ChooseNext},
		{Method: http.MethodPost, Pattern: Prefix + "/tester/reset", Handle: s.tester.Reset},
		{Method: http.MethodPost, Pattern: Prefix + "/tester/plug", Handle: s.tester.Plug},
	}
}

// TestPIN is the PIN the test tools give the virtual key (app/device/tester).
const TestPIN = tester.TestPIN

// platformCredentials: Linux and macOS have no platform passkey store this app can manage,
// so the Windows Hello passkey endpoints are not registered (404 not_found).
func (platform) platformCredentials() winhello.Store { return nil }

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
	// The virtual key is listed while it is plugged in, as a hardware key is (a tester or a
	// test can take it out: virtualkey.Key.Unplug).
	if s.virtual != nil && s.virtual.Plugged() {
		out = append(out, authenticator{id: virtualID, kind: kindVirtual, name: virtualName, keepalive: true})
	}
	return out
}

// ConnectedKeys returns the ids of the security keys plugged in now (the virtual key among
// them while it is plugged in), for kiosk mode's watch on keys taken out mid-session
// (app/kiosk.Watch). A failed listing is an error, never "no keys": taken as "every key has
// gone", it would log a patient out in the middle of what they are doing.
func (s *Service) ConnectedKeys() ([]string, error) {
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
		ids = append(ids, virtualID)
	}
	return ids, nil
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
