//go:build cgo && !windows

package fido2

/*
#include <fido.h>
#include <fido/config.h>
*/
import "C"

import (
	"context"
	"fmt"
)

// configKinds: FIDO_ERR_INVALID_COMMAND from authenticatorConfig means the authenticator has
// none.
func configKinds(rc C.int) error {
	if rc == C.FIDO_ERR_INVALID_COMMAND {
		return ErrUnsupportedOption
	}
	return nil
}

// SetMinPINLength raises the authenticator's minimum PIN length to length code points and,
// with forceChange, makes the person change the PIN before it can be used again
// (authenticatorConfig setMinPINLength, CTAP 2.1 §6.11.4). length 0 keeps the minimum. The
// minimum can only go up (ErrPINPolicy otherwise; a reset brings back the default), and a
// PIN shorter than the new minimum must be changed anyway: Info.ForcePINChange says so, and
// until ChangePIN every request that uses the PIN fails with ErrPINPolicy. It needs the PIN
// when one is set, and zeroes pin.
func (d *Device) SetMinPINLength(ctx context.Context, length int, forceChange bool, pin []byte) error {
	const op = "set minimum PIN length"
	defer clear(pin)
	switch {
	case length < 0, length == 0 && !forceChange:
		return fmt.Errorf("%s: %w", op, refuse(ErrInvalidRequest))
	case length > maxPINBytes:
		return fmt.Errorf("%s: %w", op, refuse(ErrPINPolicy))
	}
	if err := validatePINForUse(pin); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return d.doWith(ctx, op, nil, configKinds, func(dev *C.fido_dev_t) C.int {
		p, err := newSecret(pin)
		if err != nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer p.release()
		info, rc := freshInfo(dev)
		if rc != C.FIDO_OK {
			return rc
		}
		if !info.AuthenticatorConfig || !info.SetMinPINLengthSupported {
			return C.FIDO_ERR_UNSUPPORTED_OPTION
		}
		if pinSet, _ := info.Option("clientPin"); pinSet && p.ptr() == nil {
			return C.FIDO_ERR_PIN_REQUIRED
		}
		// libfido2 1.12 has no call that sends newMinPINLength and forceChangePin together:
		// the length first, then (unless the new length already forced it) the change.
		if length > 0 {
			if rc := C.fido_dev_set_pin_minlen(dev, C.size_t(length), p.ptr()); rc != C.FIDO_OK {
				return rc
			}
		}
		if forceChange {
			if length > 0 {
				info, rc = freshInfo(dev)
				if rc != C.FIDO_OK {
					return rc
				}
				if info.ForcePINChange {
					return C.FIDO_OK // a token now would be refused: the change is forced already
				}
			}
			if rc := C.fido_dev_force_pin_change(dev, p.ptr()); rc != C.FIDO_OK {
				return rc
			}
		}
		return C.FIDO_OK
	})
}
