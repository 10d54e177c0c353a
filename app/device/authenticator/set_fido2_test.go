//go:build cgo && !windows

package authenticator_test

import (
	"testing"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/fido2"
)

func TestAKeysMinimumPINLengthIsKeptWithinWhatCTAPAllows(t *testing.T) {
	for _, tt := range []struct {
		name    string
		says    int
		minimum int
	}{
		{"a key that says nothing asks for 4", 0, 4},
		{"a key's own 6 is kept", 6, 6},
		{"63, the most a PIN can have, is kept", 63, 63},
		{"a faulty key's 2 is 4, as CTAP 2.1 §6.5.1 requires", 2, 4},
		{"a faulty key's negative minimum is 4", -1, 4},
		{"a faulty key's 200 is 63, so some PIN can still be chosen", 200, 63},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := authenticator.MinPINLength(fido2.Info{MinPINLength: tt.says}); got != tt.minimum {
				t.Errorf("MinPINLength = %d, want %d", got, tt.minimum)
			}
		})
	}
}
