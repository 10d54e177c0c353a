package apperr

import "net/http"

// The catalogue: every answer the API gives when it refuses or fails, declared once here
// with its code, HTTP status and message. Packages name a Template, as in
// apperr.LoginFailed.Wrap(cause), instead of writing a code, status or message of their own,
// and docs/api.md's "Error codes" tables are checked against this file both ways
// (TestTheDocsListEveryDeclaredCode).
//
// A code may have more than one template: the same stable code for programs, with a message
// that fits where the person is (passkey_not_accepted at login, at re-authentication, at
// set-up). The table is an unexported array indexed by Template constants, so no package can
// change a declared answer: Wrap and E hand out copies.

// Template names one declared answer.
type Template int

// E returns a copy of the declared answer.
func (t Template) E() E { return templates[t] }

// Wrap returns a copy of the declared answer that carries cause for the log.
func (t Template) Wrap(cause error) *E { return templates[t].Wrap(cause) }

// New returns a copy of the declared answer with no cause.
func (t Template) New() *E { return templates[t].Wrap(nil) }

// Catalogue returns a copy of every declared answer, in declaration order.
func Catalogue() []E {
	out := make([]E, len(templates))
	copy(out, templates[:])
	return out
}

// The backend's API: every feature of backend/.
const (
	// Shared by every feature, through the functions in apperr.go (Invalid, InvalidRequest,
	// TooLarge, NotSignedIn, NotFound, Internal, StorageUnavailable).
	invalidInput Template = iota
	invalidRequest
	requestTooLarge
	notSignedIn
	notFound
	internalError
	storageUnavailable

	// The HTTP edge (backend/httpapi and backend/server.go).

	// MisdirectedRequest: a Host that is not the server's own (RFC 9110 §15.5.20).
	MisdirectedRequest
	// UnsupportedMediaType: a body not typed application/json (RFC 8259 §11).
	UnsupportedMediaType
	// MethodNotAllowed: the path exists, the method does not (RFC 9110 §15.5.6).
	MethodNotAllowed
	// OriginNotAllowed: a state-changing request from another origin (CSRF defence).
	OriginNotAllowed
	// NotStarted: an API request the desktop app received while the backend was still
	// starting, and that it waited for longer than it may (backend.Starting).
	NotStarted
	// DataUnusable: the desktop app's backend could not start because its data folder or
	// database cannot be used (store.DataError). The answer's message is that refusal's own,
	// naming the file and what to do, so that a patient who opened the app from its icon,
	// with no terminal to read, sees it in the window.
	DataUnusable
	// DatabaseBusy: a transaction that PostgreSQL kept aborting because other requests
	// (on this or another replica) changed the same rows at the same time, every one of the
	// store's bounded retries included (store.inTxPostgres). Each attempt was rolled back.
	DatabaseBusy

	// Accounts and passwords (backend/account).

	EmailTaken
	LoginFailed
	ReauthFailed
	UsePasskey
	// PasswordCheckBusy: every slot for checking or hashing a password was taken for longer
	// than a person should wait (account.maxDerivationWait); nothing was checked, counted or
	// changed.
	PasswordCheckBusy

	// Lockouts (backend/lockout). The message is written for each pause (which way in, until
	// when); the declared one is what a pause says when nothing more is known.
	TooManyAttempts

	// Re-authentication (backend/reauth).
	ReauthRequired

	// Passkeys (backend/passkey).

	CeremonyExpired
	// CeremonyTried: a second finish of a ceremony whose first finish was refused: it cannot
	// be tried again (single use), and it did not take too long either.
	CeremonyTried
	// CeremonyUsedLogin, CeremonyUsedRegistration and CeremonyUsedReauth answer a second
	// finish of a ceremony whose first finish succeeded (RFC 9110 §15.5.10, 409).
	CeremonyUsedLogin
	CeremonyUsedRegistration
	CeremonyUsedReauth
	LoginRefused
	// OtherAccount: a login by email answered with a passkey of another account (or of any
	// account, after an email with none). It says only what the person can see for
	// themselves (the passkey they chose is not for the email they typed): the same for an
	// email with an account and one without.
	OtherAccount
	ReauthRefused
	SetupRefused
	AlreadySetUp
	PasskeyFlagged
	UsePassword
	NameTaken
	LastWayToLogIn
	// PasskeyNotFound: a passkey that is not the signed-in account's, or does not exist: the
	// same answer either way.
	PasskeyNotFound

	// The desktop's device API (app/device and its sub-packages) and kiosk (app/kiosk):
	// declared here so that the docs are checked for them too. They also answer with the
	// shared ones above (invalid_input, invalid_request, request_too_large, not_signed_in,
	// not_found, internal_error, method_not_allowed, origin_not_allowed).

	DeviceKeyBusy
	DeviceKeyNotConnected
	DevicePINNotSet
	DevicePINChangeRequired
	// DevicePINInvalid's message also says how many tries are left, when the key says.
	DevicePINInvalid
	DevicePINRequired
	DevicePINAuthBlocked
	DevicePINBlocked
	DeviceKeyNotSupported
	DevicePasskeyNotOnKey
	DeviceFingerprintNotFound
	DeviceFingerprintsFull
	DeviceKeyRemoved
	DeviceTimedOut
	DeviceNotAllowed
	DeviceKeyError
	DeviceLastWayToLogIn
	DeviceResetCheckNeeded
	DeviceResetWindowPassed
	DeviceResetInKiosk
	DevicePINNotNeeded
	DeviceTestPINRefused
	DevicePlatformNotManageable
	DevicePasskeyNotOnDevice
	DevicePasskeyInUse
	DeviceNotYourPasskey
	DeviceNotRemovable
	DeviceHelloError
	KioskWrongSecret
	KioskTooManyTries

	// The desktop app as a client of a fleet's relying party (app/remoterp, --relying-party).

	// RelyingPartyUnreachable: the shell could not get an answer from the remote relying
	// party (connection refused, DNS, TLS, timeout): RFC 9110 §15.6.3, 502 Bad Gateway, the
	// answer of a gateway whose upstream failed.
	RelyingPartyUnreachable

	templateCount
)

// windowsPasskeySettings is where Windows 11 lists its passkeys, for when the app cannot
// delete one itself.
const windowsPasskeySettings = "Settings > Accounts > Passkeys" //nolint:gosec // G101: a Windows settings page's path, not a credential

var templates = [templateCount]E{
	invalidInput:    {Code: "invalid_input", Status: http.StatusUnprocessableEntity, Msg: "There is a problem"},
	invalidRequest:  {Code: "invalid_request", Status: http.StatusBadRequest, Msg: "Sorry, we could not read that request. Go back and try again."},
	requestTooLarge: {Code: "request_too_large", Status: http.StatusRequestEntityTooLarge, Msg: "Sorry, that request was too large. Go back and try again."},
	notSignedIn:     {Code: "not_signed_in", Status: http.StatusUnauthorized, Msg: "You are not logged in. Log in and try again."},
	notFound:        {Code: "not_found", Status: http.StatusNotFound, Msg: "We could not find what you were looking for. Go back and try again."},
	internalError:   {Code: "internal_error", Status: http.StatusInternalServerError, Msg: "Sorry, there is a problem with the service. Try again later."},
	storageUnavailable: {Code: "storage_unavailable", Status: http.StatusServiceUnavailable, Msg: "Sorry, your change could not be saved because this computer's disk is full or cannot be written to. " +
		"Nothing you saved before has been lost. Free up some disk space, then try again."},

	MisdirectedRequest:   {Code: "misdirected_request", Status: http.StatusMisdirectedRequest, Msg: "Sorry, the NHS passkeys app does not answer at this web address. Open the app at the address it gave when it started, then try again."},
	UnsupportedMediaType: {Code: "unsupported_media_type", Status: http.StatusUnsupportedMediaType, Msg: "Sorry, we could not read that request. Go back and try again."},
	MethodNotAllowed:     {Code: "method_not_allowed", Status: http.StatusMethodNotAllowed, Msg: "Sorry, that did not work. Go back and try again."},
	OriginNotAllowed:     {Code: "origin_not_allowed", Status: http.StatusForbidden, Msg: "Sorry, this request did not come from the NHS passkeys app. Go back to the app and try again."},
	NotStarted:           {Code: "not_started", Status: http.StatusServiceUnavailable, Msg: "Sorry, the app is still starting. Wait a moment, then try again. If this keeps happening, close the app and open it again."},
	DataUnusable: {Code: "data_unusable", Status: http.StatusServiceUnavailable, Msg: "Sorry, this app cannot open the information it has saved on this computer. Nothing has been changed. " +
		"Ask whoever looks after this computer for help."},
	DatabaseBusy: {Code: "busy", Status: http.StatusServiceUnavailable, Msg: "Sorry, the service is very busy at the moment. Nothing has been changed. Wait a minute, then try again."},

	EmailTaken:        {Code: "email_taken", Status: http.StatusConflict, Msg: "An NHS login account already uses this email address. Log in instead, or use a different email address."},
	LoginFailed:       {Code: "login_failed", Status: http.StatusUnauthorized, Msg: "The email address or password is not correct. Check them and try again."},
	ReauthFailed:      {Code: "reauth_failed", Status: http.StatusUnauthorized, Msg: "The password is not correct. Check it and try again."},
	PasswordCheckBusy: {Code: "busy", Status: http.StatusServiceUnavailable, Msg: "Sorry, the service is very busy at the moment. Nothing has been changed. Wait a minute, then try again."},
	UsePasskey:        {Code: "use_passkey", Status: http.StatusConflict, Msg: "Your account has a passkey, so confirm it's you with your passkey instead of your password."},

	TooManyAttempts: {Code: "too_many_attempts", Status: http.StatusTooManyRequests, Msg: "There have been too many attempts that did not work, so this is paused for a while. Try again later."},

	ReauthRequired: {Code: "reauth_required", Status: http.StatusForbidden, Msg: "For your security, confirm it's you before you make this change."},

	CeremonyExpired:          {Code: "ceremony_expired", Status: http.StatusBadRequest, Msg: "This took too long, so it was stopped. Try again."},
	CeremonyTried:            {Code: "ceremony_expired", Status: http.StatusBadRequest, Msg: "This has already been tried and it did not work. Go back and try again."},
	CeremonyUsedLogin:        {Code: "ceremony_used", Status: http.StatusConflict, Msg: "You have already logged in with your passkey."},
	CeremonyUsedRegistration: {Code: "ceremony_used", Status: http.StatusConflict, Msg: "Your passkey is already set up. You do not need to set it up again."},
	CeremonyUsedReauth:       {Code: "ceremony_used", Status: http.StatusConflict, Msg: "You have already confirmed it's you."},
	LoginRefused:             {Code: "passkey_not_accepted", Status: http.StatusUnauthorized, Msg: "We could not check your passkey. Try again, or log in another way."},
	OtherAccount:             {Code: "passkey_not_accepted", Status: http.StatusUnauthorized, Msg: "This passkey is not for the email address you entered. Check the email address, choose a different passkey, or log in with your password."},
	ReauthRefused:            {Code: "passkey_not_accepted", Status: http.StatusUnauthorized, Msg: "We could not check your passkey. Try again."},
	SetupRefused:             {Code: "passkey_not_accepted", Status: http.StatusBadRequest, Msg: "We could not set up a passkey with this device or security key. Try again, or use a different device or security key."},
	AlreadySetUp:             {Code: "passkey_already_registered", Status: http.StatusConflict, Msg: "This passkey is already set up. Use a different device or security key."},
	PasskeyFlagged:           {Code: "passkey_flagged", Status: http.StatusUnauthorized, Msg: "We have stopped this passkey working because it may have been copied. Log in another way, for example with your password, then remove this passkey and set up a new one."},
	UsePassword:              {Code: "use_password", Status: http.StatusConflict, Msg: "You do not have a passkey you can use, so confirm it's you with your password instead."},
	NameTaken:                {Code: "name_taken", Status: http.StatusConflict, Msg: "You already have a passkey with this name. Choose a different name."},
	LastWayToLogIn:           {Code: "last_way_to_log_in", Status: http.StatusConflict, Msg: "You cannot remove this passkey because it is the only way you can log in. Set up another passkey or a password first, then remove it."},
	PasskeyNotFound:          {Code: "not_found", Status: http.StatusNotFound, Msg: "We could not find that passkey. It may have been removed already. Go back to Passkeys to see the passkeys you have."},

	DeviceKeyBusy:             {Code: "key_busy", Status: http.StatusConflict, Msg: "Your security key is busy. Finish or cancel what you are doing with it, then try again."},
	DeviceKeyNotConnected:     {Code: "key_not_connected", Status: http.StatusNotFound, Msg: "Your security key was not found. Insert it and try again."},
	DevicePINNotSet:           {Code: "pin_not_set", Status: http.StatusConflict, Msg: "Your security key does not have a PIN yet. Create a PIN for it first."},
	DevicePINChangeRequired:   {Code: "pin_change_required", Status: http.StatusConflict, Msg: "Your security key needs a new PIN before it can be used. Change its PIN first."},
	DevicePINInvalid:          {Code: "pin_invalid", Status: http.StatusForbidden, Msg: "The PIN is not correct. Try again."},
	DevicePINRequired:         {Code: "pin_invalid", Status: http.StatusForbidden, Msg: "Enter your security key's PIN."},
	DevicePINAuthBlocked:      {Code: "pin_auth_blocked", Status: http.StatusConflict, Msg: "The wrong PIN was entered too many times in a row. Remove your security key and insert it again, then try again."},
	DevicePINBlocked:          {Code: "pin_blocked", Status: http.StatusConflict, Msg: "Your security key's PIN is blocked because the wrong PIN was entered too many times. The key must be reset before it can be used again, which deletes all passkeys on it."},
	DeviceKeyNotSupported:     {Code: "not_supported", Status: http.StatusConflict, Msg: "Your security key cannot do this. Use the app or settings that came with the key instead."},
	DevicePasskeyNotOnKey:     {Code: "passkey_not_on_key", Status: http.StatusNotFound, Msg: "That passkey is not on your security key any more. Go back to see the passkeys that are on it."},
	DeviceFingerprintNotFound: {Code: "fingerprint_not_found", Status: http.StatusNotFound, Msg: "That fingerprint is not on your security key any more. Go back to see the fingerprints it has."},
	DeviceFingerprintsFull:    {Code: "fingerprints_full", Status: http.StatusConflict, Msg: "Your security key has no room for another fingerprint. Delete one you do not use first."},
	DeviceKeyRemoved:          {Code: "key_removed", Status: http.StatusConflict, Msg: "Your security key was removed before it finished. Insert it and try again."},
	DeviceTimedOut:            {Code: "timed_out", Status: http.StatusConflict, Msg: "Your security key did not respond in time. Try again."},
	DeviceNotAllowed:          {Code: "not_allowed", Status: http.StatusForbidden, Msg: "Your security key did not allow this. Try again."},
	DeviceKeyError:            {Code: "device_error", Status: http.StatusBadGateway, Msg: "Something went wrong with your security key. Remove it, insert it again, then try again."},
	DeviceLastWayToLogIn:      {Code: "last_way_to_log_in", Status: http.StatusConflict, Msg: "You cannot do this because it would leave you with no way to log in to your NHS login. Set up another passkey that is not on this security key, or a password, first."},
	DeviceResetCheckNeeded:    {Code: "reset_check_needed", Status: http.StatusForbidden, Msg: "For your safety, we need to check your security key again before it is reset. Go back and try again."},
	DeviceResetWindowPassed:   {Code: "reset_window_passed", Status: http.StatusConflict, Msg: "Your security key can only be reset in the first few seconds after it is plugged in. Remove it, insert it again, then try again straight away."},
	DeviceResetInKiosk:        {Code: "not_in_kiosk", Status: http.StatusForbidden, Msg: "You cannot reset a security key on this shared computer. Reset it on your own computer, or ask a member of staff for help."},
	DevicePINNotNeeded:        {Code: "pin_not_needed", Status: http.StatusConflict, Msg: "Your security key is not waiting for a PIN. Go back and try again."},
	DeviceTestPINRefused:      {Code: "test_pin_refused", Status: http.StatusConflict, Msg: "The virtual security key needs a longer PIN than the test PIN. Reset the virtual key, then try again."},
	DevicePlatformNotManageable: {Code: "not_supported", Status: http.StatusConflict,
		Msg: "This version of Windows does not let apps delete passkeys. Remove it in Windows Settings instead: go to " + windowsPasskeySettings + "."},
	DevicePasskeyNotOnDevice: {Code: "passkey_not_on_device", Status: http.StatusNotFound, Msg: "This passkey is not saved in Windows Hello on this computer."},
	DevicePasskeyInUse: {Code: "passkey_in_use", Status: http.StatusConflict,
		Msg: "You still use this passkey to log in to your NHS login. Remove it from your NHS login first, in Login and security settings."},
	DeviceNotYourPasskey: {Code: "not_your_passkey", Status: http.StatusForbidden, Msg: "This passkey is for a different NHS login account, so it cannot be deleted here."},
	DeviceNotRemovable: {Code: "not_removable", Status: http.StatusConflict,
		Msg: "Windows does not let this app delete this passkey. Remove it in Windows Settings instead: go to " + windowsPasskeySettings + "."},
	DeviceHelloError: {Code: "device_error", Status: http.StatusBadGateway,
		Msg: "Something went wrong with Windows Hello. Try again, or remove the passkey in Windows Settings: go to " + windowsPasskeySettings + "."},
	KioskWrongSecret:  {Code: "wrong_admin_secret", Status: http.StatusForbidden, Msg: "The administrator secret is not correct. Check it and try again."},
	KioskTooManyTries: {Code: "too_many_tries", Status: http.StatusTooManyRequests, Msg: "The administrator secret was wrong too many times. Wait 15 minutes, then try again."},
	RelyingPartyUnreachable: {Code: "relying_party_unreachable", Status: http.StatusBadGateway,
		Msg: "Sorry, this computer cannot connect to the NHS login passkeys service at the moment. Check it is connected to the internet, then try again in a few minutes. If it still does not work, ask whoever looks after this computer for help."},
}
