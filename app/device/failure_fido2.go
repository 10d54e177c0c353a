//go:build cgo && !windows

package device

import (
	"context"
	"errors"
	"fmt"

	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/webauthnclient"
)

// failureFor maps why a ceremony ended to what the page shows. kind is "create" or "get".
// Where the page has its own next step for a code (frontend/src/ceremony.ts, ADVICE), the
// message only says what happened, so that the two do not say "try again" twice; the
// others say what to do as well.
func failureFor(kind string, err error) failure {
	pick := func(create, get string) string { return byKind(kind, create, get) }
	var policy *pinPolicyError
	switch {
	case errors.Is(err, errNoKey):
		return failure{codeNoAuthenticator, "Your security key was not found."}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, fido2.ErrActionTimeout):
		return failure{codeTimedOut, "Your security key did not respond in time."}
	case errors.Is(err, fido2.ErrCancelled), errors.Is(err, context.Canceled):
		return failure{codeCancelled, youCancelled(kind)}
	case errors.Is(err, fido2.ErrPINAuthBlocked):
		return failure{codePINAuthBlocked, "The wrong PIN was entered too many times in a row."}
	case errors.Is(err, fido2.ErrPINBlocked):
		return failure{codePINBlocked, "Your security key's PIN is blocked because the wrong PIN was entered too many times."}
	case errors.Is(err, errPINChangeRequired):
		return failure{codePINChangeRequired, "Your security key needs a new PIN before it can be used."}
	case errors.As(err, &policy):
		return failure{codePINPolicy, fmt.Sprintf("Your security key did not accept that PIN. It needs a PIN of at least %d characters.", policy.minLength)}
	case errors.Is(err, fido2.ErrPINPolicy):
		return failure{codePINPolicy, "Your security key did not accept that PIN."}
	case errors.Is(err, fido2.ErrPINInvalid):
		return failure{codePINInvalid, "The PIN is not correct. Try again."}
	case errors.Is(err, fido2.ErrCredentialExcluded):
		return failure{codeAlreadyRegistered, "This security key is already set up for your NHS login."}
	case errors.Is(err, fido2.ErrNoCredentials), errors.Is(err, webauthnclient.ErrNoAccountPasskey), errors.Is(err, errNoPINNoPasskey):
		return failure{codeNoPasskeyOnKey, "There are no passkeys for your NHS login on this security key."}
	case errors.Is(err, fido2.ErrKeyStoreFull):
		return failure{codeKeyFull, "Your security key is full."}
	case errors.Is(err, fido2.ErrDeviceGone):
		return failure{codeKeyRemoved, "Your security key was removed before it finished."}
	case errors.Is(err, errCannotVerify), errors.Is(err, fido2.ErrPINNotSet):
		return failure{codeNotAllowed, "This security key cannot check that it is you, so it cannot be used for your NHS login. Use a different security key."}
	case errors.Is(err, fido2.ErrNotAllowed), errors.Is(err, fido2.ErrUVInvalid), errors.Is(err, fido2.ErrUVBlocked),
		errors.Is(err, fido2.ErrUnsupportedOption):
		return failure{codeNotAllowed, pick(
			"Your security key did not allow your passkey to be set up. Try again, or use a different security key.",
			"Your security key did not allow you to log in. Try again, or use a different security key.")}
	}
	return failure{codeDeviceError, "Something went wrong with your security key."}
}
