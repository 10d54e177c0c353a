//go:build windows

package ceremony

// A ceremony on Windows: one call through webauthn.dll and Windows' own dialog, which asks
// for the PIN, the face, the fingerprint or the phone itself (no PIN step in the page).

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/webauthndll"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// choice is the webauthndll choice for an authenticator ID; 0 lets Windows offer all.
func choice(id string) webauthndll.Choice {
	switch id {
	case authenticator.WindowsHelloID:
		return webauthndll.ThisDevice
	case authenticator.SecurityKeyID:
		return webauthndll.SecurityKey
	case authenticator.PhoneID:
		return webauthndll.PhoneOrTablet
	}
	return 0
}

// run is a ceremony's work (Service.start's goroutine): one call through the Windows dialog.
func (s *Service) run(ctx context.Context, c *ceremony) {
	credential, err := s.perform(ctx, c)
	var f authenticator.Failure
	if err != nil {
		f = windowsFailure(c.Kind, c.want, err)
	}
	c.end(s, c.want, credential, err, f)
}

func (s *Service) perform(ctx context.Context, c *ceremony) (json.RawMessage, error) {
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if _, ok := s.set.Find(c.want); !ok {
		if c.want == authenticator.WindowsHelloID {
			return nil, webauthndll.ErrNoPlatformAuthenticator
		}
		return nil, errNoKey
	}
	c.set(authenticator.StateWorking)
	return c.call.Run(ctx, s.set.DLL().Authenticator(choice(c.want), webauthndll.AppWindow), nil, c.status)
}

// failureFor is why a ceremony ended in words that fit any authenticator the person chose
// (the cancel that the handler and Close report); run reports it for the one chosen
// (windowsFailure, failure_webauthndll.go).
func failureFor(kind string, err error) authenticator.Failure { return windowsFailure(kind, "", err) }

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
