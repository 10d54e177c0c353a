//go:build cgo || windows

package ceremony

// A running ceremony's progress, on the paths that run one (run_fido2.go, run_windows.go); a
// build without cgo off Windows refuses every ceremony as it starts (run_nocgo.go).

import (
	"encoding/json"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/webauthnclient"
)

// set moves a running ceremony to a non-final state.
func (c *ceremony) set(state string) {
	c.Update(func(s *string) {
		*s = state
		if state != statePhoneScan {
			c.qr = nil
		}
	})
}

// status follows what the authenticator says (virtual key: KEEPALIVE messages).
func (c *ceremony) status(s webauthnclient.Status) {
	switch s {
	case webauthnclient.StatusTouch:
		c.set(authenticator.StateTouch)
	case webauthnclient.StatusWorking:
		c.set(authenticator.StateWorking)
	}
}

// end finishes the ceremony with a credential or a failure and logs it (Job.Report).
func (c *ceremony) end(s *Service, authenticatorKind string, credential json.RawMessage, err error, f authenticator.Failure) bool {
	return c.Report(s.log, "device ceremony", s.now(), err, f, func() {
		c.dropQR()
		if err == nil {
			c.credential = credential
		}
	}, "ceremony", c.ID, "kind", c.Kind, "authenticator", authenticatorKind)
}
