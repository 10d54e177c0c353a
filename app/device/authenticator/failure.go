package authenticator

import "github.com/nhs-passkeys/companion/backend/apperr"

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
