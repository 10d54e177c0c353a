package authenticator

import (
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/nhs-passkeys/companion/app/ctappin"
	"github.com/nhs-passkeys/companion/backend/apperr"
)

// Failure codes of a ceremony or a key job in state "failed" (docs/api.md, "Device
// endpoints"). The phone path has codes of its own besides (app/device/ceremony).
const (
	CodeNoAuthenticator   = "no_authenticator"
	CodeCancelled         = "cancelled"
	CodeTimedOut          = "timed_out"
	CodePINInvalid        = "pin_invalid"
	CodePINAuthBlocked    = "pin_auth_blocked"
	CodePINBlocked        = "pin_blocked"
	CodePINPolicy         = "pin_policy"
	CodePINChangeRequired = "pin_change_required"
	CodeAlreadyRegistered = "already_registered"
	CodeNoPasskeyOnKey    = "no_passkey_on_key" //nolint:gosec // G101: a failure code, not a credential
	CodeKeyFull           = "key_full"
	CodeKeyRemoved        = "key_removed"
	CodeNotAllowed        = "not_allowed"
	CodeDeviceError       = "device_error"
)

// Failure is what a failed ceremony or key job tells the page: a stable code and a message
// for the person, in NHS content style. The cause goes to the log only.
type Failure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ByKind is the words for a set-up (kind "create") or a log in ("get").
func ByKind(kind, create, get string) string {
	if kind == KindCreate {
		return create
	}
	return get
}

// YouCancelled is what a ceremony the person cancelled says, on every authenticator.
func YouCancelled(kind string) string {
	return ByKind(kind, "You cancelled setting up your passkey.", "You cancelled logging in with your passkey.")
}

// PINMissing is the answer to a request that needs the key's PIN and has none in field.
func PINMissing(field string) error {
	return apperr.Invalid(map[string]string{field: "Enter your security key PIN"})
}

// CheckPIN refuses a PIN typed to use a key (in field) that no key could have, before the
// key is asked: a wrong PIN costs one of the key's few tries (CTAP 2.1 §6.5.5.7: the key
// counts every mismatch). Every PIN a key can hold is 4 or more characters (CTAP 2.1 §6.4,
// the least minPINLength) and at most 63 bytes (§6.5.5.5). The frontend's pinProblem says
// the same; this holds for any client of the device endpoints. The answer is
// invalid_input, and nothing is sent to the key.
func CheckPIN(field string, pin []byte) error {
	if len(pin) == 0 {
		return PINMissing(field)
	}
	if problem := PINShapeProblem(pin, MinPINCharacters); problem != "" {
		return apperr.Invalid(map[string]string{field: problem})
	}
	return nil
}

// MinPINCharacters is the fewest characters any key's PIN has (CTAP 2.1 §6.4: minPINLength
// is at least 4 Unicode code points).
const MinPINCharacters = ctappin.MinCodePoints

// PINShapeProblem says why a PIN that is not empty cannot be a key's PIN when the key asks
// for at least minLength characters, in NHS words, or "": UTF-8 with no NUL (CTAP 2.1
// §6.5.5.5, the PIN is padded with zeros), minLength code points or more, 63 bytes or fewer,
// both counted on the PIN's Normalization Form C, which is what the key is given (CTAP 2.1
// §6.5.1, app/ctappin): "e" and a combining accent are one character.
func PINShapeProblem(pin []byte, minLength int) string {
	if !utf8.Valid(pin) || slices.Contains(pin, 0) {
		return "PIN must only include letters, numbers and symbols"
	}
	switch n, size := ctappin.Length(pin); {
	case n < minLength:
		return fmt.Sprintf("PIN must be %d characters or more", minLength)
	case n > ctappin.MaxBytes:
		return "PIN must be 63 characters or fewer"
	case size > ctappin.MaxBytes:
		return "PIN is too long. Letters with accents and some symbols take up more space, so use fewer of them"
	}
	return ""
}
