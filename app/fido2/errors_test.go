//go:build cgo && !windows

package fido2

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestLibfido2CodesMapToSentinels(t *testing.T) {
	tests := []struct {
		name string
		code int
		want error
	}{
		{"a missing PIN asks for the PIN", 0x36, ErrPINRequired},
		{"a wrong PIN is ErrPINInvalid", 0x31, ErrPINInvalid},
		{"a PIN auth that does not verify is ErrPINInvalid", 0x33, ErrPINInvalid},
		{"too many wrong PINs in a row block until reinsertion", 0x34, ErrPINAuthBlocked},
		{"a blocked PIN needs a reset", 0x32, ErrPINBlocked},
		{"a PIN against the rules is a policy error", 0x37, ErrPINPolicy},
		{"no PIN set is ErrPINNotSet", 0x35, ErrPINNotSet},
		{"an unrecognised fingerprint is ErrUVInvalid", 0x3f, ErrUVInvalid},
		{"blocked built-in UV is ErrUVBlocked", 0x3c, ErrUVBlocked},
		{"an excluded credential is ErrCredentialExcluded", 0x19, ErrCredentialExcluded},
		{"no credentials is ErrNoCredentials", 0x2e, ErrNoCredentials},
		{"an invalid credential is ErrNoCredentials", 0x22, ErrNoCredentials},
		{"a full key store is ErrKeyStoreFull", 0x28, ErrKeyStoreFull},
		{"no touch in time (CTAP 2.1) is ErrActionTimeout", 0x3a, ErrActionTimeout},
		{"no touch in time (CTAP 2.0) is ErrActionTimeout", 0x2f, ErrActionTimeout},
		{"a cancelled keepalive is ErrCancelled", 0x2d, ErrCancelled},
		{"not allowed is ErrNotAllowed", 0x30, ErrNotAllowed},
		{"operation denied is ErrNotAllowed", 0x27, ErrNotAllowed},
		{"user presence required is ErrNotAllowed", -8, ErrNotAllowed},
		{"an unsupported algorithm is ErrUnsupportedAlgorithm", 0x26, ErrUnsupportedAlgorithm},
		{"an unsupported option is ErrUnsupportedOption", 0x2b, ErrUnsupportedOption},
		{"an invalid option is ErrUnsupportedOption", 0x2c, ErrUnsupportedOption},
		{"a failed write is ErrDeviceGone", -1, ErrDeviceGone},
		{"a failed read is ErrDeviceGone", -2, ErrDeviceGone},
		{"a reply that is not CBOR is ErrDeviceGone", -3, ErrDeviceGone},
		{"a reply with bad CBOR is ErrDeviceGone", -4, ErrDeviceGone},
		{"a busy channel is ErrBusy", 0x06, ErrBusy},
		{"an invalid argument is ErrInvalidRequest", -7, ErrInvalidRequest},
		{"an over-long request is ErrInvalidRequest", 0x39, ErrInvalidRequest},
		{"anything else is ErrDevice", 0x7f, ErrDevice},
		{"libfido2's internal error is ErrDevice", -9, ErrDevice},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fmt.Errorf("make credential: %w", newError(tt.code))
			if !errors.Is(err, tt.want) {
				t.Fatalf("code %d: got %v, want errors.Is %v", tt.code, err, tt.want)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Code != tt.code {
				t.Fatalf("code %d: errors.As gives %+v", tt.code, fe)
			}
			if !strings.HasPrefix(err.Error(), "make credential: ") {
				t.Errorf("error %q does not start with the operation", err)
			}
		})
	}
}

func TestErrorTellsPINRetriesWhenKnown(t *testing.T) {
	e := newError(0x31)
	if strings.Contains(e.Error(), "tries left") {
		t.Errorf("unknown retries are shown: %q", e)
	}
	e.RetriesLeft = 3
	if !strings.Contains(e.Error(), "3 tries left") {
		t.Errorf("retries are not shown: %q", e)
	}
	if !strings.Contains(e.Error(), "FIDO_ERR_PIN_INVALID") {
		t.Errorf("libfido2's code name is missing: %q", e)
	}
}

func TestACancelledContextIsBothErrCancelledAndTheContextError(t *testing.T) {
	e := newError(0x2d)
	e.cause = context.DeadlineExceeded
	err := fmt.Errorf("get assertion: %w", e)
	if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}
