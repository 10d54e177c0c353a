package authenticator_test

import (
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/backend/apperr"
)

func TestAPINNoKeyCouldHaveIsRefusedBeforeTheKeyIsAsked(t *testing.T) {
	tests := []struct {
		name, pin, says string // says "" means accepted
	}{
		{"an empty PIN", "", "Enter your security key PIN"},
		{"three characters", "123", "PIN must be 4 characters or more"},
		{"four characters", "1234", ""},
		{"four letters with accents (8 bytes)", "éééé", ""},
		{"63 characters", strings.Repeat("1", 63), ""},
		{"64 characters", strings.Repeat("1", 64), "PIN must be 63 characters or fewer"},
		{"32 characters in 64 bytes", strings.Repeat("é", 32), "PIN is too long"},
		{"a NUL inside", "48\x002913", "PIN must only include letters, numbers and symbols"},
		{"bytes that are not UTF-8", "48\xff2913", "PIN must only include letters, numbers and symbols"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := authenticator.CheckPIN("pin", []byte(tt.pin))
			if tt.says == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != "invalid_input" {
				t.Fatalf("got %v, want invalid_input", err)
			}
			if !strings.HasPrefix(e.Fields["pin"], tt.says) {
				t.Errorf("the pin field says %q, want %q", e.Fields["pin"], tt.says)
			}
		})
	}
}
