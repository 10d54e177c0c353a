//go:build cgo && !windows

package fido2_test

// Fingerprint enrolment through the real libfido2 against the virtual key's simulated sensor
// (CTAP 2.1 §6.7).

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
)

const sampleWait = 5 * time.Second

// enrolFinger enrols one fingerprint with four good samples and returns its template ID.
func enrolFinger(t *testing.T, ctx context.Context, dev *fido2.Device, pin string) []byte {
	t.Helper()
	id, remaining, _, err := dev.BioEnrollBegin(ctx, []byte(pin), sampleWait)
	if err != nil {
		t.Fatalf("BioEnrollBegin: %v", err)
	}
	for remaining > 0 {
		if remaining, _, err = dev.BioEnrollContinue(ctx, id, sampleWait); err != nil {
			t.Fatalf("BioEnrollContinue: %v", err)
		}
	}
	return id
}

func TestAFingerprintIsEnrolledNamedListedAndRemoved(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	ctx := t.Context()
	if err := f.dev.SetPIN(ctx, []byte("2468")); err != nil {
		t.Fatal(err)
	}
	info, err := f.dev.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !info.BioEnrollSupported || info.BioEnrolled || !info.UVBioEnroll || info.UVModality != 0x02 {
		t.Fatalf("a new key: bio supported %v, enrolled %v, uvBioEnroll %v, modality %#x",
			info.BioEnrollSupported, info.BioEnrolled, info.UVBioEnroll, info.UVModality)
	}
	if uv, ok := info.Option("uv"); !ok || uv {
		t.Fatalf("a new key: uv %v (present %v), want false until a finger is enrolled", uv, ok)
	}
	sensor, err := f.dev.BioSensorInfo(ctx)
	if err != nil || sensor != (fido2.BioInfo{Kind: fido2.FingerprintTouch, MaxSamples: 4}) {
		t.Fatalf("BioSensorInfo: %+v %v", sensor, err)
	}
	if list, err := f.dev.BioEnrollments(ctx, []byte("2468")); err != nil || len(list) != 0 {
		t.Fatalf("enrolments of a new key: %+v %v; want none, no error", list, err)
	}

	// Four good samples, counting down; a failed one in between does not count.
	pin := []byte("2468")
	id, remaining, status, err := f.dev.BioEnrollBegin(ctx, pin, sampleWait)
	if err != nil || len(id) == 0 || remaining != 3 || status != fido2.SampleGood {
		t.Fatalf("BioEnrollBegin: id %x, remaining %d, status %v, %v", id, remaining, status, err)
	}
	if !bytes.Equal(pin, make([]byte, 4)) {
		t.Errorf("the caller's PIN was not zeroed")
	}
	f.key.BioNextSample(virtualkey.SampleTooFast)
	remaining, status, err = f.dev.BioEnrollContinue(ctx, id, sampleWait)
	if err != nil || remaining != 3 || status != fido2.SampleTooFast {
		t.Fatalf("a failed sample: remaining %d, status %v, %v; want 3, too fast", remaining, status, err)
	}
	for want := 2; want >= 0; want-- {
		remaining, status, err = f.dev.BioEnrollContinue(ctx, id, sampleWait)
		if err != nil || remaining != want || status != fido2.SampleGood {
			t.Fatalf("sample: remaining %d, status %v, %v; want %d, good", remaining, status, err, want)
		}
	}
	if _, _, err := f.dev.BioEnrollContinue(ctx, id, sampleWait); !errors.Is(err, fido2.ErrNotAllowed) {
		t.Fatalf("a sample after the enrolment ended: got %v, want ErrNotAllowed", err)
	}
	if info, _ = f.dev.Info(ctx); !info.BioEnrolled || !info.Options["uv"] {
		t.Fatalf("after enrolment: bioEnroll %v, uv %v; want both true", info.BioEnrolled, info.Options["uv"])
	}

	if err := f.dev.BioSetName(ctx, id, "Right thumb", []byte("2468")); err != nil {
		t.Fatalf("BioSetName: %v", err)
	}
	list, err := f.dev.BioEnrollments(ctx, []byte("2468"))
	if err != nil || len(list) != 1 || !bytes.Equal(list[0].ID, id) || list[0].Name != "Right thumb" {
		t.Fatalf("BioEnrollments: %+v %v", list, err)
	}
	if k := f.key.Enrollments(); len(k) != 1 || k[0].Name != "Right thumb" {
		t.Fatalf("the key holds %+v", k)
	}
	if err := f.dev.BioSetName(ctx, []byte{0xde, 0xad}, "x", []byte("2468")); !errors.Is(err, fido2.ErrNoEnrollment) {
		t.Fatalf("naming an unknown fingerprint: got %v, want ErrNoEnrollment", err)
	}

	if err := f.dev.BioRemove(ctx, id, []byte("2468")); err != nil {
		t.Fatalf("BioRemove: %v", err)
	}
	if list, err = f.dev.BioEnrollments(ctx, []byte("2468")); err != nil || len(list) != 0 {
		t.Fatalf("after removal: %+v %v", list, err)
	}
	if err := f.dev.BioRemove(ctx, id, []byte("2468")); !errors.Is(err, fido2.ErrNoEnrollment) {
		t.Fatalf("removing it again: got %v, want ErrNoEnrollment", err)
	}
	if info, _ = f.dev.Info(ctx); info.BioEnrolled || info.Options["uv"] {
		t.Fatalf("after removal: bioEnroll %v, uv %v", info.BioEnrolled, info.Options["uv"])
	}
}

func TestFingerprintEnrolmentRefusals(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	ctx := t.Context()
	if _, _, _, err := f.dev.BioEnrollBegin(ctx, nil, sampleWait); !errors.Is(err, fido2.ErrPINNotSet) {
		t.Fatalf("a key without a PIN: got %v, want ErrPINNotSet", err)
	}
	if err := f.dev.SetPIN(ctx, []byte("2468")); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := f.dev.BioEnrollBegin(ctx, nil, sampleWait); !errors.Is(err, fido2.ErrPINRequired) {
		t.Fatalf("no PIN: got %v, want ErrPINRequired", err)
	}
	_, _, _, err := f.dev.BioEnrollBegin(ctx, []byte("0000"), sampleWait)
	var fe *fido2.Error
	if !errors.Is(err, fido2.ErrPINInvalid) || !errors.As(err, &fe) || fe.RetriesLeft != 7 {
		t.Fatalf("a wrong PIN: got %v, want ErrPINInvalid with 7 tries left", err)
	}
	if _, err := f.dev.BioEnrollments(ctx, []byte("1111")); !errors.Is(err, fido2.ErrPINInvalid) {
		t.Fatalf("listing with a wrong PIN: got %v", err)
	}
	if _, _, err := f.dev.BioEnrollContinue(ctx, []byte{1}, sampleWait); !errors.Is(err, fido2.ErrNotAllowed) {
		t.Fatalf("a sample before any enrolment: got %v, want ErrNotAllowed", err)
	}

	t.Run("a cancelled enrolment enrols nothing", func(t *testing.T) {
		id, _, _, err := f.dev.BioEnrollBegin(ctx, []byte("2468"), sampleWait)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.dev.BioEnrollCancel(ctx); err != nil {
			t.Fatalf("BioEnrollCancel: %v", err)
		}
		if _, _, err := f.dev.BioEnrollContinue(ctx, id, sampleWait); !errors.Is(err, fido2.ErrNotAllowed) {
			t.Fatalf("a sample after cancelling: got %v, want ErrNotAllowed", err)
		}
		if n := len(f.key.Enrollments()); n != 0 {
			t.Fatalf("%d fingerprints enrolled", n)
		}
	})
	t.Run("the person cancelling on the sensor ends the enrolment", func(t *testing.T) {
		id, _, _, err := f.dev.BioEnrollBegin(ctx, []byte("2468"), sampleWait)
		if err != nil {
			t.Fatal(err)
		}
		f.key.SetBehaviour(virtualkey.Cancelled())
		if _, _, err := f.dev.BioEnrollContinue(ctx, id, sampleWait); !errors.Is(err, fido2.ErrCancelled) {
			t.Fatalf("got %v, want ErrCancelled", err)
		}
		if _, _, err := f.dev.BioEnrollContinue(ctx, id, sampleWait); !errors.Is(err, fido2.ErrNotAllowed) {
			t.Fatalf("a sample after the cancel: got %v, want ErrNotAllowed", err)
		}
	})
	t.Run("the context stops a sample that waits for the finger", func(t *testing.T) {
		id, _, _, err := f.dev.BioEnrollBegin(ctx, []byte("2468"), sampleWait)
		if err != nil {
			t.Fatal(err)
		}
		f.key.SetBehaviour(virtualkey.WaitForTouch(time.Minute))
		short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, _, err := f.dev.BioEnrollContinue(short, id, sampleWait); !errors.Is(err, fido2.ErrCancelled) {
			t.Fatalf("got %v, want ErrCancelled", err)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("the cancel took %v", took)
		}
		if _, err := f.dev.Info(ctx); err != nil {
			t.Fatalf("the device after the cancel: %v", err)
		}
	})
	t.Run("the sensor has room for five fingerprints", func(t *testing.T) {
		for range 5 {
			enrolFinger(t, ctx, f.dev, "2468")
		}
		_, _, _, err := f.dev.BioEnrollBegin(ctx, []byte("2468"), sampleWait)
		if !errors.Is(err, fido2.ErrFingerprintStoreFull) {
			t.Fatalf("a sixth fingerprint: got %v, want ErrFingerprintStoreFull", err)
		}
	})
}

func TestAnEnrolledFingerStandsInForThePIN(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	ctx := t.Context()
	if err := f.dev.SetPIN(ctx, []byte("2468")); err != nil {
		t.Fatal(err)
	}
	enrolFinger(t, ctx, f.dev, "2468")

	// libfido2 reads "uv" when the device is opened, so built-in UV is used by a device
	// opened after the enrolment (as the app opens the key for each ceremony).
	dev, err := fido2.OpenTransport(f.key)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	p := newPatient(1)
	cred, err := dev.MakeCredential(ctx, fido2.MakeCredentialRequest{
		ClientDataJSON: clientData("webauthn.create", []byte("c")), RPID: rpID,
		UserID: p.id, UserName: p.name, ResidentKey: true, UserVerification: true})
	if err != nil {
		t.Fatalf("MakeCredential with the finger: %v", err)
	}
	if cred.Flags&fido2.FlagUserVerified == 0 || cred.Flags&fido2.FlagUserPresent == 0 {
		t.Fatalf("flags %#x, want UP and UV", cred.Flags)
	}
	login := func() error {
		_, err := dev.GetAssertion(ctx, fido2.GetAssertionRequest{
			ClientDataJSON: clientData("webauthn.get", []byte("c")), RPID: rpID, UserVerification: true})
		return err
	}
	f.key.SetBehaviour(virtualkey.WrongFinger())
	if err := login(); !errors.Is(err, fido2.ErrUVInvalid) {
		t.Fatalf("a finger that is not enrolled: got %v, want ErrUVInvalid", err)
	}
	if n, err := dev.UVRetries(ctx); err != nil || n != 4 {
		t.Fatalf("UVRetries after a wrong finger: %d %v; want 4", n, err)
	}
	if err := login(); err != nil {
		t.Fatalf("the enrolled finger: %v", err)
	}
	if n, _ := dev.UVRetries(ctx); n != 5 {
		t.Fatalf("UVRetries after the right finger: %d; want 5", n)
	}
	// The PIN still works beside the finger.
	if _, err := dev.GetAssertion(ctx, fido2.GetAssertionRequest{
		ClientDataJSON: clientData("webauthn.get", []byte("c")), RPID: rpID,
		UserVerification: true, PIN: []byte("2468")}); err != nil {
		t.Fatalf("the PIN: %v", err)
	}
}
