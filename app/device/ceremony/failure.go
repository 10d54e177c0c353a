package ceremony

import (
	"errors"
	"fmt"
)

// The ceremony's own reasons to fail, beside the authenticator's errors.
var (
	// errNoKey: no authenticator was connected before the ceremony's time ran out.
	errNoKey = errors.New("no security key was connected in time")
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
