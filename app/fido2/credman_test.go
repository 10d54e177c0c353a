//go:build cgo && !windows

package fido2_test

// Credential management through the real libfido2 against the virtual key (CTAP 2.1 §6.8).

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
)

const otherRPID = "other.test"

// registerElsewhere makes a passkey for otherRPID (no relying party checks it).
func (f *fixture) registerElsewhere(t *testing.T, p *patient, pin string) *fido2.Credential {
	t.Helper()
	cred, err := f.dev.MakeCredential(t.Context(), fido2.MakeCredentialRequest{
		ClientDataJSON: clientData("webauthn.create", []byte("elsewhere")), RPID: otherRPID,
		RPName: "Other service", UserID: p.id, UserName: p.name, UserDisplayName: p.WebAuthnDisplayName(),
		ResidentKey: true, UserVerification: true, PIN: []byte(pin)})
	if err != nil {
		t.Fatalf("MakeCredential for %s: %v", otherRPID, err)
	}
	return cred
}

// threePasskeys is a key with the PIN 2468, two passkeys for rpID (patients 1 and 2) and one
// for otherRPID (patient 3).
func threePasskeys(t *testing.T) (*fixture, map[string]*fido2.Credential, map[string]*webauthn.Credential) {
	t.Helper()
	f := newFixture(t, virtualkey.Options{Capacity: 25})
	if err := f.dev.SetPIN(t.Context(), []byte("2468")); err != nil {
		t.Fatal(err)
	}
	creds := map[string]*fido2.Credential{}
	stored := map[string]*webauthn.Credential{}
	for _, n := range []byte{1, 2} {
		p := newPatient(n)
		creds[p.name], stored[p.name] = f.register(t, p, "2468")
	}
	p3 := newPatient(3)
	creds[p3.name] = f.registerElsewhere(t, p3, "2468")
	return f, creds, stored
}

func sha(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func TestCredentialManagementListsThePasskeysByRelyingParty(t *testing.T) {
	ctx := t.Context()
	empty := newFixture(t, virtualkey.Options{})
	if err := empty.dev.SetPIN(ctx, []byte("2468")); err != nil {
		t.Fatal(err)
	}
	if info, _ := empty.dev.Info(ctx); !info.CredentialManagement {
		t.Fatalf("Info.CredentialManagement is false; options %v", info.Options)
	}
	md, err := empty.dev.CredentialsMetadata(ctx, []byte("2468"))
	if err != nil || md != (fido2.CredMetadata{Existing: 0, Remaining: 25}) {
		t.Fatalf("metadata of an empty key: %+v %v", md, err)
	}
	if rps, err := empty.dev.RelyingParties(ctx, []byte("2468")); err != nil || len(rps) != 0 {
		t.Fatalf("relying parties of an empty key: %+v %v; want none, no error", rps, err)
	}

	f, creds, stored := threePasskeys(t)
	md, err = f.dev.CredentialsMetadata(ctx, []byte("2468"))
	if err != nil || md != (fido2.CredMetadata{Existing: 3, Remaining: 22}) {
		t.Fatalf("metadata: %+v %v; want 3 and 22", md, err)
	}

	rps, err := f.dev.RelyingParties(ctx, []byte("2468"))
	if err != nil {
		t.Fatalf("RelyingParties: %v", err)
	}
	want := []fido2.RP{
		{ID: rpID, Name: "NHS login", IDHash: sha(rpID)},
		{ID: otherRPID, Name: "Other service", IDHash: sha(otherRPID)},
	}
	if len(rps) != len(want) {
		t.Fatalf("relying parties: %+v", rps)
	}
	for i := range want {
		if rps[i].ID != want[i].ID || rps[i].Name != want[i].Name || !bytes.Equal(rps[i].IDHash, want[i].IDHash) {
			t.Errorf("relying party %d = %+v, want %+v", i, rps[i], want[i])
		}
	}

	list, err := f.dev.Credentials(ctx, rpID, []byte("2468"))
	if err != nil {
		t.Fatalf("Credentials: %v", err)
	}
	if len(list) != 2 {
		t.Fatalf("%d credentials for %s, want 2", len(list), rpID)
	}
	for i, n := range []byte{1, 2} {
		p := newPatient(n)
		c := list[i]
		if !bytes.Equal(c.ID, creds[p.name].ID) || !bytes.Equal(c.UserID, p.id) || c.UserName != p.name ||
			c.UserDisplayName != p.WebAuthnDisplayName() || c.CredProtect != 1 {
			t.Errorf("credential %d = %+v", i, c)
		}
		// The public key is the one the relying party stored at registration.
		if !bytes.Equal(c.PublicKeyCOSE, creds[p.name].PublicKeyCOSE) || !bytes.Equal(c.PublicKeyCOSE, stored[p.name].PublicKey) {
			t.Errorf("credential %d: public key %x, want %x", i, c.PublicKeyCOSE, stored[p.name].PublicKey)
		}
	}
	other, err := f.dev.Credentials(ctx, otherRPID, []byte("2468"))
	if err != nil || len(other) != 1 || other[0].UserName != newPatient(3).name {
		t.Fatalf("credentials for %s: %+v %v", otherRPID, other, err)
	}
	none, err := f.dev.Credentials(ctx, "nobody.test", []byte("2468"))
	if err != nil || len(none) != 0 {
		t.Fatalf("credentials for an RP with none: %+v %v; want none, no error", none, err)
	}
}

func TestDeletingAPasskeyRemovesIt(t *testing.T) {
	f, creds, _ := threePasskeys(t)
	ctx := t.Context()
	gone := creds[newPatient(2).name]
	if err := f.dev.DeleteCredential(ctx, gone.ID, []byte("2468")); err != nil {
		t.Fatalf("DeleteCredential: %v", err)
	}
	list, err := f.dev.Credentials(ctx, rpID, []byte("2468"))
	if err != nil || len(list) != 1 || bytes.Equal(list[0].ID, gone.ID) {
		t.Fatalf("after deleting: %+v %v", list, err)
	}
	for _, c := range f.key.Credentials() {
		if bytes.Equal(c.ID, gone.ID) {
			t.Fatal("the key still holds the deleted passkey")
		}
	}
	// Logging in with it now fails.
	_, err = f.dev.GetAssertion(ctx, fido2.GetAssertionRequest{
		ClientDataJSON: clientData("webauthn.get", []byte("c")), RPID: rpID,
		AllowList: [][]byte{gone.ID}, UserVerification: true, PIN: []byte("2468")})
	if !errors.Is(err, fido2.ErrNoCredentials) {
		t.Fatalf("login with the deleted passkey: got %v, want ErrNoCredentials", err)
	}
	if err := f.dev.DeleteCredential(ctx, gone.ID, []byte("2468")); !errors.Is(err, fido2.ErrNoCredentials) {
		t.Fatalf("deleting it again: got %v, want ErrNoCredentials", err)
	}
	if md, _ := f.dev.CredentialsMetadata(ctx, []byte("2468")); md.Existing != 2 {
		t.Fatalf("metadata after deleting: %+v", md)
	}
}

func TestUpdatingTheUserOfAPasskey(t *testing.T) {
	f, creds, _ := threePasskeys(t)
	ctx := t.Context()
	p := newPatient(1)
	id := creds[p.name].ID
	if err := f.dev.UpdateCredentialUser(ctx, id, p.id, "new@example.com", "New Name", []byte("2468")); err != nil {
		t.Fatalf("UpdateCredentialUser: %v", err)
	}
	list, _ := f.dev.Credentials(ctx, rpID, []byte("2468"))
	if len(list) != 2 || list[0].UserName != "new@example.com" || list[0].UserDisplayName != "New Name" {
		t.Fatalf("after the update: %+v", list)
	}
	err := f.dev.UpdateCredentialUser(ctx, id, []byte("someone else"), "x", "", []byte("2468"))
	if !errors.Is(err, fido2.ErrInvalidRequest) {
		t.Fatalf("another user handle: got %v, want ErrInvalidRequest", err)
	}
}

func TestCredentialManagementNeedsTheRightPIN(t *testing.T) {
	f, _, _ := threePasskeys(t)
	ctx := t.Context()

	pin := []byte("0000")
	_, err := f.dev.CredentialsMetadata(ctx, pin)
	var fe *fido2.Error
	if !errors.Is(err, fido2.ErrPINInvalid) || !errors.As(err, &fe) || fe.RetriesLeft != 7 {
		t.Fatalf("a wrong PIN: got %v, want ErrPINInvalid with 7 tries left", err)
	}
	if !bytes.Equal(pin, make([]byte, 4)) {
		t.Errorf("the caller's PIN was not zeroed: %q", pin)
	}
	if _, err := f.dev.RelyingParties(ctx, []byte("1111")); !errors.Is(err, fido2.ErrPINInvalid) {
		t.Fatalf("RelyingParties with a wrong PIN: %v", err)
	}
	if _, err := f.dev.Credentials(ctx, rpID, nil); !errors.Is(err, fido2.ErrPINRequired) {
		t.Fatalf("Credentials without a PIN: got %v, want ErrPINRequired", err)
	}
	// CTAP 2.1 §6.5.5.7: a third wrong PIN in a row blocks PIN entry until a power cycle.
	if err := f.dev.DeleteCredential(ctx, []byte("x"), []byte("9999")); !errors.Is(err, fido2.ErrPINAuthBlocked) {
		t.Fatalf("DeleteCredential with a third wrong PIN: got %v, want ErrPINAuthBlocked", err)
	}
	if err := f.key.Replug(); err != nil {
		t.Fatal(err)
	}
	if n := len(f.key.Credentials()); n != 3 {
		t.Fatalf("the key holds %d credentials after refused requests", n)
	}
	// The right PIN still works and puts the tries back.
	if _, err := f.dev.CredentialsMetadata(ctx, []byte("2468")); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.dev.PINRetries(ctx); n != 8 {
		t.Fatalf("PIN retries after the right PIN: %d", n)
	}

	t.Run("a key without a PIN cannot be managed", func(t *testing.T) {
		f := newFixture(t, virtualkey.Options{})
		if _, err := f.dev.CredentialsMetadata(t.Context(), nil); !errors.Is(err, fido2.ErrPINNotSet) {
			t.Fatalf("got %v, want ErrPINNotSet", err)
		}
	})
}

func TestCredentialManagementIsSafeForConcurrentUse(t *testing.T) {
	f, _, _ := threePasskeys(t)
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				_, err = f.dev.CredentialsMetadata(t.Context(), []byte("2468"))
			case 1:
				var rps []fido2.RP
				if rps, err = f.dev.RelyingParties(t.Context(), []byte("2468")); err == nil && len(rps) != 2 {
					err = errors.New("wrong RP count")
				}
			default:
				var cs []fido2.StoredCredential
				if cs, err = f.dev.Credentials(t.Context(), rpID, []byte("2468")); err == nil && len(cs) != 2 {
					err = errors.New("wrong credential count")
				}
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
