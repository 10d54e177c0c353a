package ceremony

// What a ceremony through webauthn.dll tells the page when it fails, in words that fit the
// authenticator the person chose: Windows Hello, a phone or tablet, or a security key. Only
// the Windows build runs it (run_windows.go); it builds everywhere so that its wording
// is tested on Linux too (failure_webauthndll_test.go).

import (
	"context"
	"errors"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/webauthndll"
)

// windowsWords are the parts of the failure messages that name what the person chose. As on
// Linux (failureFor), a message says only what happened where the page adds its own next
// step for that authenticator (frontend/src/ceremony/ceremony.ts, WINDOWS_ADVICE).
type windowsWords struct {
	notFound, timedOut, alreadySetUp, nothingSaved string
	notAllowedCreate, notAllowedGet, other         string
}

var (
	helloWords = windowsWords{
		notFound:         "Windows Hello could not be used on this computer.",
		timedOut:         "Windows Hello did not finish in time.",
		alreadySetUp:     "Windows Hello on this computer is already set up for your NHS login.",
		nothingSaved:     "There are no passkeys for your NHS login in Windows Hello on this computer.",
		notAllowedCreate: "Windows Hello did not allow your passkey to be set up.",
		notAllowedGet:    "Windows Hello did not allow you to log in. Try again, or log in another way.",
		other:            "Something went wrong with Windows Hello. Try again.",
	}
	phoneWords = windowsWords{
		notFound:         "Your phone or tablet could not be reached.",
		timedOut:         "Your phone or tablet did not respond in time.",
		alreadySetUp:     "This phone or tablet is already set up for your NHS login.",
		nothingSaved:     "There are no passkeys for your NHS login on that phone or tablet.",
		notAllowedCreate: "Your phone or tablet did not allow your passkey to be set up. Try again, or use a different one.",
		notAllowedGet:    "Your phone or tablet did not allow you to log in. Try again, or use a different one.",
		other:            "Something went wrong connecting to your phone or tablet.",
	}
	// keyWords are the same as on Linux (failure_fido2.go).
	keyWords = windowsWords{
		notFound:         "Your security key was not found.",
		timedOut:         "Your security key did not respond in time.",
		alreadySetUp:     "This security key is already set up for your NHS login.",
		nothingSaved:     "There are no passkeys for your NHS login on this security key.",
		notAllowedCreate: "Your security key did not allow your passkey to be set up. Try again, or use a different security key.",
		notAllowedGet:    "Your security key did not allow you to log in. Try again, or use a different security key.",
		other:            "Something went wrong with your security key.",
	}
)

// windowsFailure maps why a webauthn.dll ceremony ended to what the page shows, for the
// authenticator chosen (its id; "" lets Windows offer every kind, and is worded as a
// security key, the one kind always offered). The codes are the same as on Linux.
func windowsFailure(kind, authenticatorID string, err error) authenticator.Failure {
	words := keyWords
	switch authenticatorID {
	case authenticator.WindowsHelloID:
		words = helloWords
	case authenticator.PhoneID:
		words = phoneWords
	}
	pick := func(create, get string) string { return authenticator.ByKind(kind, create, get) }
	switch {
	case errors.Is(err, webauthndll.ErrNoPlatformAuthenticator):
		return authenticator.Failure{Code: authenticator.CodeNoAuthenticator, Message: "Windows Hello is not set up on this computer."}
	case errors.Is(err, errNoKey), errors.Is(err, webauthndll.ErrNoAuthenticator), errors.Is(err, webauthndll.ErrUnavailable):
		return authenticator.Failure{Code: authenticator.CodeNoAuthenticator, Message: words.notFound}
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, webauthndll.ErrTimedOut):
		return authenticator.Failure{Code: authenticator.CodeTimedOut, Message: words.timedOut}
	case errors.Is(err, context.Canceled), errors.Is(err, webauthndll.ErrCancelled):
		return authenticator.Failure{Code: authenticator.CodeCancelled, Message: authenticator.YouCancelled(kind)}
	case errors.Is(err, webauthndll.ErrAlreadyRegistered):
		return authenticator.Failure{Code: authenticator.CodeAlreadyRegistered, Message: words.alreadySetUp}
	case errors.Is(err, webauthndll.ErrNoCredentials):
		return authenticator.Failure{Code: authenticator.CodeNoPasskeyOnKey, Message: words.nothingSaved}
	case errors.Is(err, webauthndll.ErrNotSupported):
		return authenticator.Failure{Code: authenticator.CodeNotAllowed, Message: pick(words.notAllowedCreate, words.notAllowedGet)}
	}
	return authenticator.Failure{Code: authenticator.CodeDeviceError, Message: words.other}
}
