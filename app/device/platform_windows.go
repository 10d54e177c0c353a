//go:build windows

package device

// The device endpoints on Windows: Windows Hello, security keys and phones or tablets, all
// through webauthn.dll and Windows' own dialog (app/webauthndll). There is no libfido2 and
// so no virtual key here, and no PIN step in the page: Windows asks for the PIN, the face,
// the fingerprint or the phone itself. Managing the keys themselves is left to Windows
// Settings (only administrators may open a key directly, and this build has no libfido2 to
// do it with).

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/nhs-passkeys/companion/app/device/winhello"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/app/webauthndll"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// SecurityKeys, on Windows, loads webauthn.dll: HIDKeys{} turns the Windows authenticators
// on (the name is the one the program passes on every system, internal/cli/desktop.go).
type SecurityKeys interface {
	Load() (*webauthndll.DLL, error)
}

// HIDKeys reaches security keys, Windows Hello and phones through webauthn.dll.
type HIDKeys struct{}

// Load loads the system's webauthn.dll.
func (HIDKeys) Load() (*webauthndll.DLL, error) { return webauthndll.Load() }

// platform is the webauthn.dll side of the Service.
type platform struct {
	dll *webauthndll.DLL // nil: no authenticator at all (before Windows 10 1903)
	// virtual is always nil: the virtual key sits behind libfido2.
	virtual *virtualkey.Key
}

func newPlatform(cfg Config) (platform, error) {
	if cfg.VirtualKey != nil {
		return platform{}, errors.New("device: the virtual security key needs libfido2, which the Windows app does not include; test on Linux or macOS")
	}
	if cfg.Phone != nil {
		// The id "phone" is webauthn.dll's phone path here, with Windows' own QR code.
		return platform{}, errors.New("device: Windows reaches phones and tablets through webauthn.dll; Config.Phone is for Linux and macOS")
	}
	if cfg.SecurityKeys == nil {
		return platform{}, nil
	}
	dll, err := cfg.SecurityKeys.Load()
	if err != nil {
		// Older Windows: the app still works with passwords; the page shows no authenticator.
		return platform{}, nil
	}
	return platform{dll: dll}, nil
}

// platformCredentials is Windows Hello's passkey store (app/device/winhello): webauthn.dll
// itself, or nil (never a typed nil) where it did not load.
func (p platform) platformCredentials() winhello.Store {
	if p.dll == nil {
		return nil
	}
	return p.dll
}

// authenticators lists what Windows offers: Windows Hello only where Windows says it is set
// up (WebAuthNIsUserVerifyingPlatformAuthenticatorAvailable), a security key always, and a
// phone or tablet where this Windows names the hybrid transport (API version 6).
func (s *Service) authenticators() []authenticator {
	if s.dll == nil {
		return nil
	}
	var out []authenticator
	// Kiosk mode never offers the shared computer's own authenticator (Windows Hello): a
	// passkey saved there would stay behind for the next person.
	if s.kiosk == nil && s.dll.PlatformAuthenticatorAvailable() {
		out = append(out, authenticator{id: windowsHelloID, kind: kindPlatform, name: windowsHelloName})
	}
	out = append(out, authenticator{id: securityKeyID, kind: kindKey, name: securityKeyName})
	if s.dll.HybridAvailable() {
		out = append(out, authenticator{id: phoneID, kind: kindHybrid, name: phoneName})
	}
	return out
}

// find returns the authenticator asked for if Windows offers it. "" asks for any: Windows'
// dialog then offers every kind ("Windows Hello or external security key").
func (s *Service) find(want string) (authenticator, bool) {
	if want == "" {
		return authenticator{}, s.dll != nil
	}
	for _, a := range s.authenticators() {
		if a.id == want {
			return a, true
		}
	}
	return authenticator{}, false
}

// known tells whether want can name an authenticator of this service.
func (s *Service) known(want string) bool {
	switch want {
	case "", windowsHelloID, securityKeyID, phoneID:
		return s.dll != nil
	}
	return false
}

// pinSetOf: Windows keeps PINs to itself; the page never asks for one.
func (s *Service) pinSetOf(authenticator) bool { return false }

// choice is the webauthndll choice for an authenticator ID; 0 lets Windows offer all.
func choice(id string) webauthndll.Choice {
	switch id {
	case windowsHelloID:
		return webauthndll.ThisDevice
	case securityKeyID:
		return webauthndll.SecurityKey
	case phoneID:
		return webauthndll.PhoneOrTablet
	}
	return 0
}

// run is a ceremony's goroutine: one call through the Windows dialog.
func (s *Service) run(ctx context.Context, c *ceremony, prev *ceremony) {
	defer s.running.Done()
	defer close(c.finished)
	defer c.dropPIN()
	defer c.cancel()
	if prev != nil {
		<-prev.finished
	}
	credential, err := s.perform(ctx, c)
	if err == nil {
		if c.end(s.now(), credential, nil) {
			s.log.Info("device ceremony done", "ceremony", c.id, "kind", c.kind, "authenticator", c.want)
		}
		return
	}
	f := windowsFailure(c.kind, c.want, err)
	if c.end(s.now(), nil, &f) {
		s.log.Info("device ceremony failed", "ceremony", c.id, "kind", c.kind, "authenticator", c.want,
			"code", f.Code, "cause", err.Error())
	}
}

func (s *Service) perform(ctx context.Context, c *ceremony) (json.RawMessage, error) {
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if _, ok := s.find(c.want); !ok {
		if c.want == windowsHelloID {
			return nil, webauthndll.ErrNoPlatformAuthenticator
		}
		return nil, errNoKey
	}
	c.set(stateWorking)
	return c.call.Run(ctx, s.dll.Authenticator(choice(c.want), webauthndll.AppWindow), nil, c.status)
}

// failureFor is why a ceremony ended in words that fit any authenticator the person chose
// (the cancel that the handler and Close report); run reports it for the one chosen
// (windowsFailure, failure_webauthndll.go).
func failureFor(kind string, err error) failure { return windowsFailure(kind, "", err) }

// keyRoutes: the Security keys page asks GET /api/device/keys and is told to use Windows
// Settings (adminRequired, docs/api.md). This build cannot open a key directly even as an
// administrator (no libfido2), so it always says so; the other key endpoints do not exist.
func (s *Service) keyRoutes(http.Handler) []httpapi.Route {
	return []httpapi.Route{{Method: http.MethodGet, Pattern: Prefix + "/keys", Handle: func(w http.ResponseWriter, r *http.Request) error {
		httpapi.Write(w, http.StatusOK, struct {
			Keys          []struct{} `json:"keys"`
			AdminRequired bool       `json:"adminRequired"`
		}{[]struct{}{}, true})
		return nil
	}}}
}

// testerRoutes: the test tools drive the virtual key, which Windows builds do not have.
func (s *Service) testerRoutes() []httpapi.Route { return nil }

// yield: no key jobs run on Windows.
func (s *Service) yield() {}

// readPIN reads POST .../pin's body, which Windows never needs (its dialog asks): the
// ceremony is never waiting for one, so the handler answers pin_not_needed.
func readPIN(r *http.Request) ([]byte, error) {
	var body struct {
		PIN string `json:"pin"`
	}
	if err := httpapi.Decode(r, &body); err != nil {
		return nil, err
	}
	return []byte(body.PIN), nil
}

// ConnectedKeys is kiosk mode's watch on keys taken out: on Windows the app cannot see
// security keys (only webauthn.dll can), and kioskRefusal (internal/cli/kiosk.go) refuses
// kiosk mode there, so there is nothing to watch.
func (s *Service) ConnectedKeys() ([]string, error) {
	return nil, errors.New("device: Windows does not let the app see which security keys are plugged in")
}
