package webauthndll

import (
	"errors"
	"fmt"
)

// What went wrong, for the app's person-facing messages (app/device/ceremony maps each to
// the same message as on Linux). Errors from the DLL are *Error, which matches one of these
// with errors.Is when its HRESULT says which.
var (
	// ErrUnavailable: there is no webauthn.dll, or it gave no API version (before Windows 10
	// 1903), or this is not Windows.
	ErrUnavailable = errors.New("webauthndll: webauthn.dll is not available")
	// ErrCancelled: the person closed the Windows dialog, or the app cancelled the operation.
	ErrCancelled = errors.New("webauthndll: cancelled")
	// ErrTimedOut: the operation's time ran out in the Windows dialog.
	ErrTimedOut = errors.New("webauthndll: timed out")
	// ErrAlreadyRegistered: the authenticator already holds a credential of the exclude
	// list (InvalidStateError, WebAuthn L3 §6.3.2 step 3).
	ErrAlreadyRegistered = errors.New("webauthndll: a credential in the exclude list is on this authenticator")
	// ErrNoCredentials: no credential of the allow list, or none for the RP, was found.
	ErrNoCredentials = errors.New("webauthndll: no credential found")
	// ErrNoAuthenticator: no authenticator was found (for example no Windows Hello set up).
	ErrNoAuthenticator = errors.New("webauthndll: no authenticator found")
	// ErrNotSupported: the request cannot be met by the authenticator (ConstraintError or
	// NotSupportedError: for example it cannot store a passkey, or is full).
	ErrNotSupported = errors.New("webauthndll: the authenticator cannot do what was asked")
	// ErrNoPlatformAuthenticator: "This device (Windows Hello)" was chosen, but Windows says
	// it has no user-verifying platform authenticator (Windows Hello is not set up).
	ErrNoPlatformAuthenticator = errors.New("webauthndll: Windows Hello is not set up on this device")
	// ErrBadResponse: the DLL's answer could not be read (a length beyond reason, or
	// authenticator data that does not parse).
	ErrBadResponse = errors.New("webauthndll: the answer from webauthn.dll could not be read")

	errTooLarge = fmt.Errorf("%w: a field is larger than %d bytes", ErrBadResponse, maxResultBytes)
)

// HRESULTs webauthn.h names for WebAuthNGetErrorName (winerror.h values).
const (
	hrOK                        = 0x00000000 // S_OK
	hrNotSupportedWin32         = 0x80070032 // HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED)
	hrCancelledWin32            = 0x800704C7 // HRESULT_FROM_WIN32(ERROR_CANCELLED)
	hrTimeoutWin32              = 0x800705B4 // HRESULT_FROM_WIN32(ERROR_TIMEOUT)
	hrNTEExists                 = 0x8009000F // NTE_EXISTS
	hrNTENotFound               = 0x80090011 // NTE_NOT_FOUND
	hrNTETokenKeysetStorageFull = 0x80090023 // NTE_TOKEN_KEYSET_STORAGE_FULL
	hrNTEInvalidParameter       = 0x80090027 // NTE_INVALID_PARAMETER
	hrNTENotSupported           = 0x80090029 // NTE_NOT_SUPPORTED
	hrNTEDeviceNotFound         = 0x80090035 // NTE_DEVICE_NOT_FOUND
	hrNTEUserCancelled          = 0x80090036 // NTE_USER_CANCELLED
)

// documentedErrorNames is what webauthn.h says WebAuthNGetErrorName returns for each HRESULT
// (webauthn.h v1 to v9, unchanged). On Windows the DLL's own answer is used; this table
// names errors where the DLL cannot be asked (tests on other systems).
var documentedErrorNames = map[uint32]string{
	hrOK:                        "Success",
	hrNTEExists:                 "InvalidStateError",
	hrNotSupportedWin32:         "ConstraintError",
	hrNTENotSupported:           "ConstraintError",
	hrNTETokenKeysetStorageFull: "ConstraintError",
	hrNTEInvalidParameter:       "NotSupportedError",
	hrNTEDeviceNotFound:         "NotAllowedError",
	hrNTENotFound:               "NotAllowedError",
	hrCancelledWin32:            "NotAllowedError",
	hrNTEUserCancelled:          "NotAllowedError",
	hrTimeoutWin32:              "NotAllowedError",
}

// documentedErrorName is documentedErrorNames with its default, "UnknownError".
func documentedErrorName(hr uint32) string {
	if name, ok := documentedErrorNames[hr]; ok {
		return name
	}
	return "UnknownError"
}

// Error is a failed webauthn.dll call: its HRESULT and the DOMException name
// WebAuthNGetErrorName gives for it.
type Error struct {
	Op      string // the function, e.g. "WebAuthNAuthenticatorMakeCredential"
	HRESULT uint32
	Name    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("webauthndll: %s: %s (HRESULT 0x%08X)", e.Op, e.Name, e.HRESULT)
}

// Unwrap gives the sentinel the HRESULT stands for, nil when none does. The DOMException name
// alone does not say enough: webauthn.dll gives NotAllowedError for a cancel, a time-out and
// a credential not found alike, so the HRESULT decides.
func (e *Error) Unwrap() error {
	switch e.HRESULT {
	case hrCancelledWin32, hrNTEUserCancelled:
		return ErrCancelled
	case hrTimeoutWin32:
		return ErrTimedOut
	case hrNTEExists:
		return ErrAlreadyRegistered
	case hrNTENotFound:
		return ErrNoCredentials
	case hrNTEDeviceNotFound:
		return ErrNoAuthenticator
	case hrNotSupportedWin32, hrNTENotSupported, hrNTETokenKeysetStorageFull, hrNTEInvalidParameter:
		return ErrNotSupported
	}
	return nil
}
