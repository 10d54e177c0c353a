package webauthndll

import (
	"errors"
	"testing"
)

// webauthn.h documents which DOMException name WebAuthNGetErrorName gives for each HRESULT;
// the app needs finer reasons (NotAllowedError covers a cancel, a time-out and no
// credential), which the HRESULT gives.
func TestEachHRESULTMapsToItsDOMErrorAndItsReason(t *testing.T) {
	tests := []struct {
		name   string
		hr     uint32
		domErr string
		reason error
	}{
		{"NTE_EXISTS is already registered", hrNTEExists, "InvalidStateError", ErrAlreadyRegistered},
		{"ERROR_CANCELLED is cancelled", hrCancelledWin32, "NotAllowedError", ErrCancelled},
		{"NTE_USER_CANCELLED is cancelled", hrNTEUserCancelled, "NotAllowedError", ErrCancelled},
		{"ERROR_TIMEOUT is timed out", hrTimeoutWin32, "NotAllowedError", ErrTimedOut},
		{"NTE_NOT_FOUND is no credential", hrNTENotFound, "NotAllowedError", ErrNoCredentials},
		{"NTE_DEVICE_NOT_FOUND is no authenticator", hrNTEDeviceNotFound, "NotAllowedError", ErrNoAuthenticator},
		{"ERROR_NOT_SUPPORTED is not supported", hrNotSupportedWin32, "ConstraintError", ErrNotSupported},
		{"NTE_NOT_SUPPORTED is not supported", hrNTENotSupported, "ConstraintError", ErrNotSupported},
		{"a full key is not supported", hrNTETokenKeysetStorageFull, "ConstraintError", ErrNotSupported},
		{"NTE_INVALID_PARAMETER is not supported", hrNTEInvalidParameter, "NotSupportedError", ErrNotSupported},
		{"anything else is an unknown error with no reason", 0x80004005, "UnknownError", nil},
	}
	reasons := []error{ErrAlreadyRegistered, ErrCancelled, ErrTimedOut, ErrNoCredentials, ErrNoAuthenticator, ErrNotSupported}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := documentedErrorName(tt.hr); got != tt.domErr {
				t.Errorf("name %q, webauthn.h says %q", got, tt.domErr)
			}
			err := error(&Error{Op: "op", HRESULT: tt.hr, Name: tt.domErr})
			for _, r := range reasons {
				if errors.Is(err, r) != errors.Is(r, tt.reason) {
					t.Errorf("errors.Is(%v, %v) = %v", err, r, errors.Is(err, r))
				}
			}
		})
	}
	if documentedErrorName(hrOK) != "Success" {
		t.Error("S_OK is Success")
	}
}
