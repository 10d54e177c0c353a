//go:build cgo && !windows

package fido2

/*
#include <fido.h>
*/
import "C"

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/nhs-passkeys/companion/app/ctappin"
)

// PIN length limits of CTAP 2.1 §6.5.1, counted on the PIN's NFC form (app/ctappin): at
// least 4 Unicode code points (an authenticator may ask for more: Info.MinPINLength), at
// most 63 bytes of UTF-8.
const (
	minPINRunes = ctappin.MinCodePoints
	maxPINBytes = ctappin.MaxBytes
)

// SetPIN sets the PIN of an authenticator that has none. It zeroes pin before it returns
// (the caller hands the bytes over); the PIN is in C memory only for the one libfido2
// call, wiped and freed right after. A PIN outside CTAP's limits gives ErrPINPolicy
// without asking the authenticator.
func (d *Device) SetPIN(ctx context.Context, pin []byte) error {
	const op = "set PIN"
	defer clear(pin)
	if err := validateNewPIN(pin); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return d.do(ctx, op, nil, func(dev *C.fido_dev_t) C.int {
		p, err := newSecret(pin)
		if err != nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer p.release()
		return C.fido_dev_set_pin(dev, p.ptr(), nil)
	})
}

// ChangePIN replaces the PIN oldPIN with newPIN. It zeroes both slices before it returns.
// A wrong oldPIN gives ErrPINInvalid, with the tries left in the *Error.
func (d *Device) ChangePIN(ctx context.Context, oldPIN, newPIN []byte) error {
	const op = "change PIN"
	defer clear(oldPIN)
	defer clear(newPIN)
	if len(oldPIN) == 0 {
		return fmt.Errorf("%s: %w", op, refuse(ErrPINRequired))
	}
	if err := validatePINForUse(oldPIN); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := validateNewPIN(newPIN); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return d.do(ctx, op, nil, func(dev *C.fido_dev_t) C.int {
		o, err := newSecret(oldPIN)
		if err != nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer o.release()
		n, err := newSecret(newPIN)
		if err != nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer n.release()
		return C.fido_dev_set_pin(dev, n.ptr(), o.ptr())
	})
}

// PINRetries returns how many wrong PINs the authenticator still accepts before it blocks
// the PIN (8 when none has been wrong).
func (d *Device) PINRetries(ctx context.Context) (int, error) {
	var n C.int
	err := d.do(ctx, "get PIN retries", nil, func(dev *C.fido_dev_t) C.int {
		return C.fido_dev_get_retry_count(dev, &n)
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// validateNewPIN refuses a new PIN outside CTAP 2.1 §6.5.1's limits, measured on the NFC
// form the key will be given (newSecret).
func validateNewPIN(pin []byte) error {
	if !utf8.Valid(pin) || containsNUL(pin) {
		return refuse(ErrPINPolicy)
	}
	if runes, size := ctappin.Length(pin); size > maxPINBytes || runes < minPINRunes {
		return refuse(ErrPINPolicy)
	}
	return nil
}

// UVRetries returns how many more times built-in user verification (a fingerprint) may fail
// before it is blocked and only the PIN works (CTAP 2.1 §6.5.5, getUVRetries). A right
// finger or the right PIN puts the tries back.
func (d *Device) UVRetries(ctx context.Context) (int, error) {
	var n C.int
	err := d.do(ctx, "get UV retries", nil, func(dev *C.fido_dev_t) C.int {
		return C.fido_dev_get_uv_retry_count(dev, &n)
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}
