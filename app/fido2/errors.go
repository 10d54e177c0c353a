//go:build cgo && !windows

package fido2

/*
#include <fido.h>
*/
import "C"

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error a Device method returns wraps one of them (test with
// errors.Is) inside an *Error (errors.As gives the libfido2 code and PIN retries), and is
// prefixed with the operation: "make credential: the PIN is wrong, 7 tries left (...)".
// The texts are for logs; the app maps the sentinels to its own patient messages.
var (
	ErrPINRequired          = errors.New("the authenticator needs its PIN")
	ErrPINInvalid           = errors.New("the PIN is wrong")
	ErrPINAuthBlocked       = errors.New("too many wrong PINs: remove and reinsert the authenticator")
	ErrPINBlocked           = errors.New("the PIN is blocked: the authenticator must be reset")
	ErrPINPolicy            = errors.New("the PIN does not meet the authenticator's rules")
	ErrPINNotSet            = errors.New("the authenticator has no PIN set")
	ErrUVInvalid            = errors.New("the built-in user verification did not recognise the person")
	ErrUVBlocked            = errors.New("the built-in user verification is blocked: use the PIN")
	ErrCredentialExcluded   = errors.New("the authenticator already holds a credential for this account")
	ErrNoCredentials        = errors.New("the authenticator holds no matching credential")
	ErrKeyStoreFull         = errors.New("the authenticator has no room for another passkey")
	ErrActionTimeout        = errors.New("the authenticator was not touched in time")
	ErrCancelled            = errors.New("the request was cancelled")
	ErrNotAllowed           = errors.New("the authenticator refused the request")
	ErrUnsupportedAlgorithm = errors.New("the authenticator does not support the algorithm")
	ErrUnsupportedOption    = errors.New("the authenticator does not support an option of the request")
	ErrDeviceGone           = errors.New("the authenticator is not connected or stopped answering")
	ErrBusy                 = errors.New("the authenticator is busy with another application")
	ErrInvalidRequest       = errors.New("the request is not valid")
	ErrClosed               = errors.New("the device is closed")
	ErrDevice               = errors.New("the authenticator reported an error")
	ErrNoEnrollment         = errors.New("the authenticator holds no such fingerprint")
	ErrFingerprintStoreFull = errors.New("the authenticator has no room for another fingerprint")
)

// Error is the error of a libfido2 call.
type Error struct {
	// Code is libfido2's FIDO_ERR_* value; 0 when the binding refused the request itself.
	Code int
	// RetriesLeft is the number of PIN tries left after ErrPINInvalid or ErrPINAuthBlocked,
	// or -1 if unknown.
	RetriesLeft int

	kind  error // one of the sentinels
	cause error // the context's error when the call stopped because of it, or nil
}

func (e *Error) Error() string {
	msg := e.kind.Error()
	if (errors.Is(e.kind, ErrPINInvalid) || errors.Is(e.kind, ErrPINAuthBlocked)) && e.RetriesLeft >= 0 {
		msg = fmt.Sprintf("%s, %d tries left", msg, e.RetriesLeft)
	}
	if e.cause != nil {
		msg = fmt.Sprintf("%s: %v", msg, e.cause)
	}
	if e.Code != 0 {
		msg = fmt.Sprintf("%s (libfido2 %d: %s)", msg, e.Code, codeName(e.Code))
	}
	return msg
}

// Unwrap gives the sentinel and, for a call stopped by its context, the context's error,
// so errors.Is(err, context.DeadlineExceeded) works too.
func (e *Error) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

// newError builds the Error for a libfido2 return code.
func newError(code int) *Error {
	return &Error{Code: code, RetriesLeft: -1, kind: sentinelFor(code)}
}

// refuse is the Error for a request the binding refuses before calling libfido2.
func refuse(kind error) *Error {
	return &Error{RetriesLeft: -1, kind: kind}
}

// sentinelFor maps a FIDO_ERR_* code (fido/err.h: CTAP status bytes 0x00-0xff, libfido2's
// own codes below 0) to a sentinel.
func sentinelFor(code int) error {
	switch code {
	case C.FIDO_ERR_PIN_REQUIRED:
		return ErrPINRequired
	case C.FIDO_ERR_PIN_INVALID, C.FIDO_ERR_PIN_AUTH_INVALID:
		// PIN_AUTH_INVALID: the pinUvAuthParam did not verify; for the person, as for
		// PIN_INVALID, the answer is to enter the PIN again.
		return ErrPINInvalid
	case C.FIDO_ERR_PIN_AUTH_BLOCKED:
		return ErrPINAuthBlocked
	case C.FIDO_ERR_PIN_BLOCKED:
		return ErrPINBlocked
	case C.FIDO_ERR_PIN_POLICY_VIOLATION:
		return ErrPINPolicy
	case C.FIDO_ERR_PIN_NOT_SET:
		return ErrPINNotSet
	case C.FIDO_ERR_UV_INVALID:
		return ErrUVInvalid
	case C.FIDO_ERR_UV_BLOCKED:
		return ErrUVBlocked
	case C.FIDO_ERR_CREDENTIAL_EXCLUDED:
		return ErrCredentialExcluded
	case C.FIDO_ERR_NO_CREDENTIALS, C.FIDO_ERR_INVALID_CREDENTIAL:
		return ErrNoCredentials
	case C.FIDO_ERR_KEY_STORE_FULL:
		return ErrKeyStoreFull
	case C.FIDO_ERR_ACTION_TIMEOUT, C.FIDO_ERR_USER_ACTION_TIMEOUT:
		return ErrActionTimeout
	case C.FIDO_ERR_KEEPALIVE_CANCEL:
		return ErrCancelled
	case C.FIDO_ERR_NOT_ALLOWED, C.FIDO_ERR_OPERATION_DENIED, C.FIDO_ERR_UP_REQUIRED,
		C.FIDO_ERR_USER_PRESENCE_REQUIRED, C.FIDO_ERR_UNAUTHORIZED_PERM,
		C.FIDO_ERR_PIN_TOKEN_EXPIRED:
		return ErrNotAllowed
	case C.FIDO_ERR_UNSUPPORTED_ALGORITHM:
		return ErrUnsupportedAlgorithm
	case C.FIDO_ERR_UNSUPPORTED_OPTION, C.FIDO_ERR_INVALID_OPTION,
		C.FIDO_ERR_UNSUPPORTED_EXTENSION:
		return ErrUnsupportedOption
	case C.FIDO_ERR_TX, C.FIDO_ERR_RX, C.FIDO_ERR_RX_NOT_CBOR, C.FIDO_ERR_RX_INVALID_CBOR,
		C.FIDO_ERR_INVALID_CHANNEL, C.FIDO_ERR_INVALID_SEQ, C.FIDO_ERR_TIMEOUT:
		return ErrDeviceGone
	case C.FIDO_ERR_CHANNEL_BUSY, C.FIDO_ERR_USER_ACTION_PENDING,
		C.FIDO_ERR_OPERATION_PENDING:
		return ErrBusy
	case C.FIDO_ERR_INVALID_ARGUMENT, C.FIDO_ERR_INVALID_PARAM, C.FIDO_ERR_INVALID_PARAMETER,
		C.FIDO_ERR_INVALID_LENGTH, C.FIDO_ERR_MISSING_PARAMETER, C.FIDO_ERR_LIMIT_EXCEEDED,
		C.FIDO_ERR_REQUEST_TOO_LARGE:
		return ErrInvalidRequest
	}
	return ErrDevice
}

// codeName is libfido2's name for a code ("FIDO_ERR_PIN_INVALID"): fixed text, never
// anything the person typed.
func codeName(code int) string {
	return C.GoString(C.fido_strerr(C.int(code)))
}
