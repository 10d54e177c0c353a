//go:build cgo && !windows

package ceremony

import (
	"context"
	"errors"
	"fmt"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/webauthnclient"
)

// failureFor maps why a ceremony ended to what the page shows. kind is "create" or "get".
// Where the page has its own next step for a code (frontend/src/ceremony/ceremony.ts, ADVICE), the
// message only says what happened, so that the two do not say "try again" twice; the
// others say what to do as well.
func failureFor(kind string, err error) authenticator.Failure {
	pick := func(create, get string) string { return authenticator.ByKind(kind, create, get) }
	var policy *pinPolicyError
	switch {
	case errors.Is(err, errNoKey):
		return authenticator.Failure{Code: authenticator.CodeNoAuthenticator, Message: "Your security key was not found."}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, fido2.ErrActionTimeout):
		return authenticator.Failure{Code: authenticator.CodeTimedOut, Message: "Your security key did not respond in time."}
	case errors.Is(err, fido2.ErrCancelled), errors.Is(err, context.Canceled):
		return authenticator.Failure{Code: authenticator.CodeCancelled, Message: authenticator.YouCancelled(kind)}
	case errors.Is(err, fido2.ErrPINAuthBlocked):
		return authenticator.Failure{Code: authenticator.CodePINAuthBlocked, Message: "The wrong PIN was entered too many times in a row."}
	case errors.Is(err, fido2.ErrPINBlocked):
		return authenticator.Failure{Code: authenticator.CodePINBlocked, Message: "Your security key's PIN is blocked because the wrong PIN was entered too many times."}
	case errors.Is(err, errPINChangeRequired):
		return authenticator.Failure{Code: authenticator.CodePINChangeRequired, Message: "Your security key needs a new PIN before it can be used."}
	case errors.As(err, &policy):
		return authenticator.Failure{Code: authenticator.CodePINPolicy, Message: fmt.Sprintf("Your security key did not accept that PIN. It needs a PIN of at least %d characters.", policy.minLength)}
	case errors.Is(err, fido2.ErrPINPolicy):
		return authenticator.Failure{Code: authenticator.CodePINPolicy, Message: "Your security key did not accept that PIN."}
	case errors.Is(err, fido2.ErrPINInvalid):
		return authenticator.Failure{Code: authenticator.CodePINInvalid, Message: "The PIN is not correct. Try again."}
	case errors.Is(err, fido2.ErrCredentialExcluded):
		return authenticator.Failure{Code: authenticator.CodeAlreadyRegistered, Message: "This security key is already set up for your NHS login."}
	case errors.Is(err, fido2.ErrNoCredentials), errors.Is(err, webauthnclient.ErrNoAccountPasskey), errors.Is(err, errNoPINNoPasskey):
		return authenticator.Failure{Code: authenticator.CodeNoPasskeyOnKey, Message: "There are no passkeys for your NHS login on this security key."}
	case errors.Is(err, fido2.ErrKeyStoreFull):
		return authenticator.Failure{Code: authenticator.CodeKeyFull, Message: "Your security key is full."}
	case errors.Is(err, fido2.ErrDeviceGone):
		return authenticator.Failure{Code: authenticator.CodeKeyRemoved, Message: "Your security key was removed before it finished."}
	case errors.Is(err, errCannotVerify), errors.Is(err, fido2.ErrPINNotSet):
		return authenticator.Failure{Code: authenticator.CodeNotAllowed, Message: "This security key cannot check that it is you, so it cannot be used for your NHS login. Use a different security key."}
	case errors.Is(err, fido2.ErrNotAllowed), errors.Is(err, fido2.ErrUVInvalid), errors.Is(err, fido2.ErrUVBlocked),
		errors.Is(err, fido2.ErrUnsupportedOption):
		return authenticator.Failure{Code: authenticator.CodeNotAllowed, Message: pick(
			"Your security key did not allow your passkey to be set up. Try again, or use a different security key.",
			"Your security key did not allow you to log in. Try again, or use a different security key.")}
	}
	return authenticator.Failure{Code: authenticator.CodeDeviceError, Message: "Something went wrong with your security key."}
}
