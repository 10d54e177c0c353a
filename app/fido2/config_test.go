//go:build cgo && !windows

package fido2_test

// authenticatorConfig setMinPINLength through the real libfido2 against the virtual key
// (CTAP 2.1 §6.11.4).

import (
	"errors"
	"testing"

	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
)

func TestARaisedMinimumForcesAPINChange(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	ctx := t.Context()
	if err := f.dev.SetPIN(ctx, []byte("2468")); err != nil {
		t.Fatal(err)
	}
	info, err := f.dev.Info(ctx)
	if err != nil || !info.AuthenticatorConfig || !info.SetMinPINLengthSupported || info.MinPINLength != 4 ||
		info.ForcePINChange {
		t.Fatalf("a new key: %+v %v", info, err)
	}

	if err := f.dev.SetMinPINLength(ctx, 6, true, []byte("2468")); err != nil {
		t.Fatalf("SetMinPINLength: %v", err)
	}
	if info, _ = f.dev.Info(ctx); info.MinPINLength != 6 || !info.ForcePINChange {
		t.Fatalf("after SetMinPINLength: minPINLength %d, forcePINChange %v; want 6, true",
			info.MinPINLength, info.ForcePINChange)
	}
	// Until the PIN changes, the PIN unlocks nothing.
	_, err = f.dev.MakeCredential(ctx, fido2.MakeCredentialRequest{
		ClientDataJSON: clientData("webauthn.create", []byte("c")), RPID: rpID,
		UserID: []byte{1}, ResidentKey: true, UserVerification: true, PIN: []byte("2468")})
	if !errors.Is(err, fido2.ErrPINPolicy) {
		t.Fatalf("registering before the PIN change: got %v, want ErrPINPolicy", err)
	}
	if _, err := f.dev.CredentialsMetadata(ctx, []byte("2468")); !errors.Is(err, fido2.ErrPINPolicy) {
		t.Fatalf("credential management before the PIN change: got %v, want ErrPINPolicy", err)
	}
	// The new PIN must meet the raised minimum.
	if err := f.dev.ChangePIN(ctx, []byte("2468"), []byte("13579")); !errors.Is(err, fido2.ErrPINPolicy) {
		t.Fatalf("a 5-digit PIN: got %v, want ErrPINPolicy", err)
	}
	if err := f.dev.ChangePIN(ctx, []byte("2468"), []byte("135790")); err != nil {
		t.Fatalf("ChangePIN: %v", err)
	}
	if info, _ = f.dev.Info(ctx); info.ForcePINChange || info.MinPINLength != 6 {
		t.Fatalf("after the change: forcePINChange %v, minPINLength %d", info.ForcePINChange, info.MinPINLength)
	}
	f.register(t, newPatient(1), "135790")
}

func TestAPINChangeCanBeForcedWithoutANewMinimum(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	ctx := t.Context()
	if err := f.dev.SetPIN(ctx, []byte("246810")); err != nil {
		t.Fatal(err)
	}
	pin := []byte("246810")
	if err := f.dev.SetMinPINLength(ctx, 0, true, pin); err != nil {
		t.Fatalf("SetMinPINLength: %v", err)
	}
	if string(pin) != "\x00\x00\x00\x00\x00\x00" {
		t.Errorf("the caller's PIN was not zeroed")
	}
	info, _ := f.dev.Info(ctx)
	if info.MinPINLength != 4 || !info.ForcePINChange {
		t.Fatalf("minPINLength %d, forcePINChange %v; want 4, true", info.MinPINLength, info.ForcePINChange)
	}
	// A length the current PIN meets, with forceChange, still forces the change.
	f2 := newFixture(t, virtualkey.Options{})
	if err := f2.dev.SetPIN(ctx, []byte("246810")); err != nil {
		t.Fatal(err)
	}
	if err := f2.dev.SetMinPINLength(ctx, 5, true, []byte("246810")); err != nil {
		t.Fatalf("SetMinPINLength: %v", err)
	}
	if info, _ := f2.dev.Info(ctx); info.MinPINLength != 5 || !info.ForcePINChange {
		t.Fatalf("minPINLength %d, forcePINChange %v; want 5, true", info.MinPINLength, info.ForcePINChange)
	}
}

func TestTheRaisedMinimumAppliesToANewPIN(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	ctx := t.Context()
	// A key without a PIN takes the setting without one (§6.11: not protected yet).
	if err := f.dev.SetMinPINLength(ctx, 8, false, nil); err != nil {
		t.Fatalf("SetMinPINLength without a PIN: %v", err)
	}
	if err := f.dev.SetPIN(ctx, []byte("1234567")); !errors.Is(err, fido2.ErrPINPolicy) {
		t.Fatalf("a 7-digit PIN: got %v, want ErrPINPolicy", err)
	}
	if err := f.dev.SetPIN(ctx, []byte("12345678")); err != nil {
		t.Fatalf("an 8-digit PIN: %v", err)
	}
	if info, _ := f.dev.Info(ctx); info.MinPINLength != 8 || info.ForcePINChange {
		t.Fatalf("minPINLength %d, forcePINChange %v", info.MinPINLength, info.ForcePINChange)
	}
}

func TestSetMinPINLengthRefusals(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	ctx := t.Context()
	if err := f.dev.SetPIN(ctx, []byte("246810")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		length int
		force  bool
		pin    string
		want   error
	}{
		{"nothing to do is an invalid request", 0, false, "246810", fido2.ErrInvalidRequest},
		{"a negative length is an invalid request", -1, false, "246810", fido2.ErrInvalidRequest},
		{"over 63 breaks CTAP's own limit", 64, false, "246810", fido2.ErrPINPolicy},
		{"without the PIN of a protected key", 6, false, "", fido2.ErrPINRequired},
		{"with a wrong PIN", 6, false, "000000", fido2.ErrPINInvalid},
		{"the same minimum again is accepted", 4, false, "246810", nil},
		{"a higher minimum the PIN meets is accepted", 5, false, "246810", nil},
		{"a lower minimum is refused", 4, false, "246810", fido2.ErrPINPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.dev.SetMinPINLength(ctx, tt.length, tt.force, []byte(tt.pin))
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	if info, _ := f.dev.Info(ctx); info.MinPINLength != 5 || info.ForcePINChange {
		t.Fatalf("minPINLength %d, forcePINChange %v; want 5, false", info.MinPINLength, info.ForcePINChange)
	}
}
