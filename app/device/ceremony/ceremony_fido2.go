//go:build cgo && !windows

package ceremony

// The ceremony's steps that only the libfido2 and phone paths take (run_fido2.go,
// ceremony_phone.go): Windows' dialog asks for PINs and shows its QR code itself, and a
// build without cgo runs no ceremony at all.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
)

const (
	// pollInterval: while no key is connected, the list of keys is read this often.
	pollInterval = 500 * time.Millisecond
)

// The libfido2 path's own reasons to fail, beside the authenticator's errors (failure.go).
var (
	// errCannotVerify: user verification is required and the key has neither a PIN nor
	// built-in user verification.
	errCannotVerify = errors.New("the security key cannot verify the person")
	// errNoPINNoPasskey: a login needs user verification and the key has no PIN set. A key's
	// PIN can only be removed by resetting it, which deletes its passkeys, and this app never
	// registers a passkey without user verification; so no passkey of ours can be on it.
	errNoPINNoPasskey = errors.New("the security key has no PIN, so it holds no user-verified passkey")
	// errPINChangeRequired: the key wants a new PIN (CTAP 2.1 §6.4 forcePINChange), so it
	// refuses its current PIN until the PIN is changed (§6.5.5.7).
	errPINChangeRequired = errors.New("the security key wants its PIN changed before it is used")
)

// pinPolicyError is fido2.ErrPINPolicy with the key's minimum PIN length, for the message.
type pinPolicyError struct {
	minLength int
	err       error
}

func (e *pinPolicyError) Error() string { return fmt.Sprintf("new PIN refused: %v", e.err) }
func (e *pinPolicyError) Unwrap() error { return e.err }

// showQR shows a phone ceremony's QR code (state phone-scan).
func (c *ceremony) showQR(qr *qrJSON) {
	c.Update(func(state *string) { *state, c.qr = statePhoneScan, qr })
}

func (c *ceremony) setPath(path string) {
	c.Update(func(*string) { c.path = path })
}

// waitForPIN asks for the PIN and waits for it: the key's PIN with retriesLeft, or a first
// PIN of at least newMinLength characters (0: not a new PIN).
func (c *ceremony) waitForPIN(ctx context.Context, retriesLeft, newMinLength int) ([]byte, error) {
	if !c.Update(func(state *string) {
		*state, c.retriesLeft, c.minPINLength = authenticator.StatePINNeeded, retriesLeft, newMinLength
	}) {
		return nil, context.Canceled
	}
	select {
	case pin := <-c.pins:
		return pin, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
