//go:build cgo && !windows

package fido2

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func TestASecretIsACopyInCMemoryThatWipeZeroes(t *testing.T) {
	pin := []byte("4821")
	s, err := newSecret(pin)
	if err != nil {
		t.Fatal(err)
	}
	defer s.release()
	if got := s.contents(); !bytes.Equal(got, []byte("4821\x00")) {
		t.Fatalf("C copy is %q, want the PIN and a NUL", got)
	}
	pin[0] = 'X'
	if got := s.contents(); got[0] != '4' {
		t.Fatalf("the C copy shares memory with the Go slice")
	}
	s.wipe()
	if got := s.contents(); !bytes.Equal(got, make([]byte, 5)) {
		t.Fatalf("after wipe the C copy is %q, want zeroes", got)
	}
	s.release()
	if s.ptr() != nil || s.contents() != nil {
		t.Fatal("release leaves a pointer behind")
	}
	s.release() // twice is fine
}

func TestNoPINIsANullPointer(t *testing.T) {
	s, err := newSecret(nil)
	if err != nil || s.ptr() != nil {
		t.Fatalf("got %v, %v", s.ptr(), err)
	}
	s.release()
}

func TestAPINWithANULByteIsRefused(t *testing.T) {
	if _, err := newSecret([]byte("12\x0034")); !errors.Is(err, errSecretHasNUL) {
		t.Fatalf("got %v", err)
	}
}

func TestCallerPINsAreZeroedWhateverHappens(t *testing.T) {
	closed := &Device{} // a closed device: every request fails with ErrClosed
	ctx := t.Context()
	tests := []struct {
		name string
		pin  string
		call func(pin []byte) error
	}{
		{"SetPIN on a closed device", "", func(pin []byte) error { return closed.SetPIN(ctx, pin) }},
		{"SetPIN refusing a short PIN", "123", func(pin []byte) error { return closed.SetPIN(ctx, pin) }},
		{"ChangePIN (old PIN)", "", func(pin []byte) error { return closed.ChangePIN(ctx, pin, []byte("99999")) }},
		{"ChangePIN (new PIN)", "", func(pin []byte) error { return closed.ChangePIN(ctx, []byte("99999"), pin) }},
		{"MakeCredential", "", func(pin []byte) error {
			_, err := closed.MakeCredential(ctx, MakeCredentialRequest{
				ClientDataJSON: []byte("{}"), RPID: "nhs.test", UserID: []byte{1}, PIN: pin})
			return err
		}},
		{"MakeCredential refusing the request", "", func(pin []byte) error {
			_, err := closed.MakeCredential(ctx, MakeCredentialRequest{PIN: pin})
			return err
		}},
		{"GetAssertion", "", func(pin []byte) error {
			_, err := closed.GetAssertion(ctx, GetAssertionRequest{
				ClientDataJSON: []byte("{}"), RPID: "nhs.test", PIN: pin})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pin := []byte("246813")
			if tt.pin != "" {
				pin = []byte(tt.pin)
			}
			if err := tt.call(pin); err == nil {
				t.Fatal("the call succeeded on a closed device")
			}
			if !bytes.Equal(pin, make([]byte, len(pin))) {
				t.Fatalf("the caller's PIN is %q after the call, want zeroes", pin)
			}
		})
	}
}

func TestNewPINsOutsideCTAPLimitsAreRefusedBeforeTheDevice(t *testing.T) {
	closed := &Device{}
	for name, pin := range map[string]string{
		"three digits":      "123",
		"64 bytes":          string(bytes.Repeat([]byte("1"), 64)),
		"not UTF-8":         "12\xff45",
		"a NUL byte inside": "12\x0045",
	} {
		t.Run(name, func(t *testing.T) {
			err := closed.SetPIN(context.Background(), []byte(pin))
			if !errors.Is(err, ErrPINPolicy) {
				t.Fatalf("got %v, want ErrPINPolicy", err)
			}
		})
	}
	// Four code points of more than one byte each are fine (the device is closed, so the
	// request gets as far as the device).
	if err := closed.SetPIN(context.Background(), []byte("ééééé")); !errors.Is(err, ErrClosed) {
		t.Fatalf("got %v, want ErrClosed", err)
	}
}
