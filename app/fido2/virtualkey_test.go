//go:build cgo && !windows

package fido2_test

// Integration tests: the app's binding drives the real libfido2, which talks to the virtual
// security key (app/virtualkey) through the transport hooks; go-webauthn, as the relying
// party, verifies what comes out.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

const (
	rpID     = "nhs.test"
	rpOrigin = "https://nhs.test"
)

var b64 = base64.RawURLEncoding

type fixture struct {
	key   *virtualkey.Key
	dev   *fido2.Device
	clock *testkit.Clock
	rp    *webauthn.WebAuthn
}

func newFixture(t *testing.T, opts virtualkey.Options) *fixture {
	t.Helper()
	c := testkit.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	opts.Clock = c.Now
	key, err := virtualkey.New(opts)
	if err != nil {
		t.Fatalf("virtualkey.New: %v", err)
	}
	dev, err := fido2.OpenTransport(key)
	if err != nil {
		t.Fatalf("OpenTransport: %v", err)
	}
	t.Cleanup(func() {
		if err := dev.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	rp, err := webauthn.New(&webauthn.Config{
		RPID:          rpID,
		RPDisplayName: "NHS login",
		RPOrigins:     []string{rpOrigin},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{key: key, dev: dev, clock: c, rp: rp}
}

// patient is a go-webauthn user.
type patient struct {
	id    []byte
	name  string
	creds []webauthn.Credential
}

func (p *patient) WebAuthnID() []byte                         { return p.id }
func (p *patient) WebAuthnName() string                       { return p.name }
func (p *patient) WebAuthnDisplayName() string                { return "Patient " + p.name }
func (p *patient) WebAuthnCredentials() []webauthn.Credential { return p.creds }

func newPatient(n byte) *patient {
	return &patient{id: bytes.Repeat([]byte{n}, 32), name: fmt.Sprintf("patient%d@example.com", n)}
}

func clientData(typ string, challenge []byte) []byte {
	b, _ := json.Marshal(map[string]any{
		"type":        typ,
		"challenge":   b64.EncodeToString(challenge),
		"origin":      rpOrigin,
		"crossOrigin": false,
	})
	return b
}

// register runs a whole registration: go-webauthn's options, the key through libfido2, and
// go-webauthn's verification of the attestation. It returns the stored credential.
func (f *fixture) register(t *testing.T, p *patient, pin string) (*fido2.Credential, *webauthn.Credential) {
	t.Helper()
	creation, session, err := f.rp.BeginRegistration(p,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementRequired,
			UserVerification: protocol.VerificationRequired,
		}))
	if err != nil {
		t.Fatal(err)
	}
	var exclude [][]byte
	for _, c := range p.creds {
		exclude = append(exclude, c.ID)
	}
	cdj := clientData("webauthn.create", creation.Response.Challenge)
	cred, err := f.dev.MakeCredential(t.Context(), fido2.MakeCredentialRequest{
		ClientDataJSON:   cdj,
		RPID:             creation.Response.RelyingParty.ID,
		RPName:           creation.Response.RelyingParty.Name,
		UserID:           p.id,
		UserName:         p.name,
		UserDisplayName:  p.WebAuthnDisplayName(),
		ResidentKey:      true,
		UserVerification: true,
		ExcludeList:      exclude,
		PIN:              []byte(pin),
	})
	if err != nil {
		t.Fatalf("MakeCredential: %v", err)
	}
	body, _ := json.Marshal(map[string]any{
		"id":    b64.EncodeToString(cred.ID),
		"rawId": b64.EncodeToString(cred.ID),
		"type":  "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cdj),
			"attestationObject": b64.EncodeToString(attestationObject(t, cred)),
			"transports":        []string{"usb"},
		},
		"authenticatorAttachment": "cross-platform",
		"clientExtensionResults":  map[string]any{},
	})
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		t.Fatalf("go-webauthn parse registration: %v", err)
	}
	stored, err := f.rp.CreateCredential(p, *session, parsed)
	if err != nil {
		t.Fatalf("go-webauthn verify registration: %v", err)
	}
	p.creds = append(p.creds, *stored)
	return cred, stored
}

// attestationObject builds the attestationObject independently of the binding's own
// AttestationObject, with a general CBOR library, and checks the two agree.
func attestationObject(t *testing.T, cred *fido2.Credential) []byte {
	t.Helper()
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		t.Fatal(err)
	}
	obj, err := em.Marshal(map[string]any{
		"fmt":      cred.Format,
		"attStmt":  cbor.RawMessage(cred.AttestationStatement),
		"authData": cred.AuthData,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(obj, cred.AttestationObject()) {
		t.Fatalf("Credential.AttestationObject differs from a CBOR library's encoding:\n%x\n%x",
			cred.AttestationObject(), obj)
	}
	return obj
}

// assertionBody is the PublicKeyCredential JSON of an assertion, as toJSON() gives it.
func assertionBody(cdj []byte, a fido2.Assertion) []byte {
	body, _ := json.Marshal(map[string]any{
		"id":    b64.EncodeToString(a.CredentialID),
		"rawId": b64.EncodeToString(a.CredentialID),
		"type":  "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64.EncodeToString(cdj),
			"authenticatorData": b64.EncodeToString(a.AuthData),
			"signature":         b64.EncodeToString(a.Signature),
			"userHandle":        b64.EncodeToString(a.UserID),
		},
		"authenticatorAttachment": "cross-platform",
		"clientExtensionResults":  map[string]any{},
	})
	return body
}

func TestRegisterAndLogInVerifiedByGoWebauthn(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	if err := f.dev.SetPIN(t.Context(), []byte("482913")); err != nil {
		t.Fatalf("SetPIN: %v", err)
	}
	p := newPatient(1)
	cred, stored := f.register(t, p, "482913")

	if cred.Format != "packed" || cred.Algorithm != fido2.ES256 || cred.Certificate != nil {
		t.Errorf("credential: format %q alg %d cert %v", cred.Format, cred.Algorithm, cred.Certificate != nil)
	}
	if !bytes.Equal(stored.PublicKey, cred.PublicKeyCOSE) {
		t.Error("PublicKeyCOSE is not the key go-webauthn stored")
	}
	aaguid := virtualkey.DefaultAAGUID()
	if !bytes.Equal(cred.AAGUID, aaguid[:]) || !bytes.Equal(stored.Authenticator.AAGUID, aaguid[:]) {
		t.Errorf("AAGUID %x", cred.AAGUID)
	}
	if cred.Flags&fido2.FlagUserVerified == 0 || !stored.Flags.UserVerified {
		t.Error("registration with a PIN is not user-verified")
	}
	keys := f.key.Credentials()
	if len(keys) != 1 || !keys[0].Discoverable || !bytes.Equal(keys[0].ID, cred.ID) {
		t.Fatalf("the key holds %+v", keys)
	}

	assertion, session, err := f.rp.BeginLogin(p, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		t.Fatal(err)
	}
	cdj := clientData("webauthn.get", assertion.Response.Challenge)
	var allow [][]byte
	for _, c := range assertion.Response.AllowedCredentials {
		allow = append(allow, c.CredentialID)
	}
	as, err := f.dev.GetAssertion(t.Context(), fido2.GetAssertionRequest{
		ClientDataJSON:   cdj,
		RPID:             assertion.Response.RelyingPartyID,
		AllowList:        allow,
		UserVerification: true,
		PIN:              []byte("482913"),
	})
	if err != nil {
		t.Fatalf("GetAssertion: %v", err)
	}
	if len(as) != 1 {
		t.Fatalf("%d assertions", len(as))
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(assertionBody(cdj, as[0]))
	if err != nil {
		t.Fatalf("go-webauthn parse login: %v", err)
	}
	updated, err := f.rp.ValidateLogin(p, *session, parsed)
	if err != nil {
		t.Fatalf("go-webauthn verify login: %v", err)
	}
	if updated.Authenticator.SignCount != 1 || as[0].SignCount != 1 || !updated.Flags.UserVerified {
		t.Errorf("after login: sign count %d (%d), UV %v",
			updated.Authenticator.SignCount, as[0].SignCount, updated.Flags.UserVerified)
	}
}

func TestADiscoverableLoginReturnsEveryPasskeyForTheRP(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	if err := f.dev.SetPIN(t.Context(), []byte("1357")); err != nil {
		t.Fatal(err)
	}
	patients := map[string]*patient{}
	for _, n := range []byte{1, 2, 3} {
		p := newPatient(n)
		f.register(t, p, "1357")
		patients[string(p.id)] = p
	}

	assertion, session, err := f.rp.BeginDiscoverableLogin(
		webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		t.Fatal(err)
	}
	cdj := clientData("webauthn.get", assertion.Response.Challenge)
	as, err := f.dev.GetAssertion(t.Context(), fido2.GetAssertionRequest{
		ClientDataJSON: cdj, RPID: rpID, UserVerification: true, PIN: []byte("1357")})
	if err != nil {
		t.Fatalf("GetAssertion: %v", err)
	}
	if len(as) != 3 {
		t.Fatalf("%d assertions, want one for each of the 3 passkeys", len(as))
	}
	seen := map[string]bool{}
	for _, a := range as {
		p := patients[string(a.UserID)]
		if p == nil {
			t.Fatalf("an assertion for an unknown user %x", a.UserID)
		}
		if a.UserName != p.name || a.UserDisplayName != p.WebAuthnDisplayName() {
			t.Errorf("user %q %q, want %q (names come with UV)", a.UserName, a.UserDisplayName, p.name)
		}
		seen[p.name] = true
		parsed, err := protocol.ParseCredentialRequestResponseBytes(assertionBody(cdj, a))
		if err != nil {
			t.Fatal(err)
		}
		handler := func(_, userHandle []byte) (webauthn.User, error) {
			if u := patients[string(userHandle)]; u != nil {
				return u, nil
			}
			return nil, errors.New("no such user")
		}
		if _, err := f.rp.ValidateDiscoverableLogin(handler, *session, parsed); err != nil {
			t.Errorf("go-webauthn refuses the assertion for %s: %v", p.name, err)
		}
	}
	if len(seen) != 3 {
		t.Errorf("assertions for %v", seen)
	}
}

func TestAKeyThatAlreadyHoldsThePasskeyIsExcluded(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	p := newPatient(1)
	cred, err := f.dev.MakeCredential(t.Context(), fido2.MakeCredentialRequest{
		ClientDataJSON: clientData("webauthn.create", []byte("c1")), RPID: rpID,
		UserID: p.id, UserName: p.name, ResidentKey: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.dev.MakeCredential(t.Context(), fido2.MakeCredentialRequest{
		ClientDataJSON: clientData("webauthn.create", []byte("c2")), RPID: rpID,
		UserID: p.id, UserName: p.name, ResidentKey: true,
		ExcludeList: [][]byte{[]byte("someone else's"), cred.ID}})
	if !errors.Is(err, fido2.ErrCredentialExcluded) {
		t.Fatalf("got %v, want ErrCredentialExcluded", err)
	}
	if n := len(f.key.Credentials()); n != 1 {
		t.Fatalf("the key holds %d credentials after an excluded registration", n)
	}
}

func TestPINIsSetChangedAndCounted(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	ctx := t.Context()
	info, err := f.dev.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if set, ok := info.Option("clientPin"); !ok || set {
		t.Fatalf("a new key: clientPin %v %v", set, ok)
	}
	if err := f.dev.SetPIN(ctx, []byte("2468")); err != nil {
		t.Fatalf("SetPIN: %v", err)
	}
	if info, _ = f.dev.Info(ctx); !info.Options["clientPin"] {
		t.Fatal("clientPin is not true after SetPIN")
	}
	if err := f.dev.SetPIN(ctx, []byte("1111")); err == nil {
		t.Fatal("SetPIN succeeded on a key that has a PIN")
	}
	if n, err := f.dev.PINRetries(ctx); err != nil || n != 8 {
		t.Fatalf("PINRetries: %d %v", n, err)
	}

	err = f.dev.ChangePIN(ctx, []byte("9999"), []byte("13579"))
	var fe *fido2.Error
	if !errors.Is(err, fido2.ErrPINInvalid) || !errors.As(err, &fe) || fe.RetriesLeft != 7 {
		t.Fatalf("a wrong old PIN: got %v, want ErrPINInvalid with 7 tries left", err)
	}
	if err := f.dev.ChangePIN(ctx, []byte("2468"), []byte("13579")); err != nil {
		t.Fatalf("ChangePIN: %v", err)
	}
	if n, _ := f.dev.PINRetries(ctx); n != 8 {
		t.Fatalf("a right PIN does not restore the retries: %d", n)
	}

	register := func(pin string) error {
		_, err := f.dev.MakeCredential(ctx, fido2.MakeCredentialRequest{
			ClientDataJSON: clientData("webauthn.create", []byte("c")), RPID: rpID,
			UserID: []byte{1}, ResidentKey: true, UserVerification: true, PIN: []byte(pin)})
		return err
	}
	if err := register("2468"); !errors.Is(err, fido2.ErrPINInvalid) {
		t.Fatalf("the old PIN: got %v, want ErrPINInvalid", err)
	}
	if err := register("13579"); err != nil {
		t.Fatalf("the new PIN: %v", err)
	}
	if err := register(""); !errors.Is(err, fido2.ErrPINRequired) {
		t.Fatalf("no PIN with UV required: got %v, want ErrPINRequired", err)
	}
	if n := len(f.key.Credentials()); n != 1 {
		t.Fatalf("the key holds %d credentials", n)
	}
}

func TestWrongPINsCountDownThenBlock(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	ctx := t.Context()
	if err := f.dev.SetPIN(ctx, []byte("2468")); err != nil {
		t.Fatal(err)
	}
	login := func(pin string) error {
		_, err := f.dev.GetAssertion(ctx, fido2.GetAssertionRequest{
			ClientDataJSON: clientData("webauthn.get", []byte("c")), RPID: rpID,
			UserVerification: true, PIN: []byte(pin)})
		return err
	}
	// CTAP 2.1 §6.5.5.5: three wrong PINs in a row block PIN entry until a power cycle;
	// eight in all block the PIN for good.
	want := 7
	for range 2 {
		var fe *fido2.Error
		if err := login("0000"); !errors.Is(err, fido2.ErrPINInvalid) || !errors.As(err, &fe) ||
			fe.RetriesLeft != want {
			t.Fatalf("wrong PIN: got %v, want ErrPINInvalid with %d tries left", err, want)
		}
		want--
	}
	if err := login("0000"); !errors.Is(err, fido2.ErrPINAuthBlocked) {
		t.Fatalf("third wrong PIN: got %v, want ErrPINAuthBlocked", err)
	}
	if err := login("2468"); !errors.Is(err, fido2.ErrPINAuthBlocked) {
		t.Fatalf("the right PIN before a power cycle: got %v, want ErrPINAuthBlocked", err)
	}
	if err := f.key.Replug(); err != nil {
		t.Fatal(err)
	}
	if n, err := f.dev.PINRetries(ctx); err != nil || n != 5 {
		t.Fatalf("after the power cycle: %d tries, %v; want 5", n, err)
	}
	for range 4 {
		_ = login("0000")
		if err := f.key.Replug(); err != nil {
			t.Fatal(err)
		}
	}
	if err := login("0000"); !errors.Is(err, fido2.ErrPINBlocked) {
		t.Fatalf("the eighth wrong PIN: got %v, want ErrPINBlocked", err)
	}
	if err := login("2468"); !errors.Is(err, fido2.ErrPINBlocked) {
		t.Fatalf("the right PIN once blocked: got %v, want ErrPINBlocked", err)
	}
}

func TestUVWithoutAPINIsRefusedBeforeTheTouch(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	f.key.SetBehaviour(virtualkey.TimeOut()) // a touch would be noticed: ErrActionTimeout
	req := fido2.MakeCredentialRequest{ClientDataJSON: clientData("webauthn.create", []byte("c")),
		RPID: rpID, UserID: []byte{1}, ResidentKey: true, UserVerification: true}
	if _, err := f.dev.MakeCredential(t.Context(), req); !errors.Is(err, fido2.ErrPINNotSet) {
		t.Fatalf("a key without a PIN: got %v, want ErrPINNotSet", err)
	}
	if err := f.dev.SetPIN(t.Context(), []byte("2468")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.dev.MakeCredential(t.Context(), req); !errors.Is(err, fido2.ErrPINRequired) {
		t.Fatalf("a key with a PIN: got %v, want ErrPINRequired", err)
	}
}

func TestTheKeysBehavioursComeBackAsTypedErrors(t *testing.T) {
	tests := []struct {
		name      string
		behaviour virtualkey.Behaviour
		want      error
	}{
		{"nobody touches the key", virtualkey.TimeOut(), fido2.ErrActionTimeout},
		{"the person cancels on the key", virtualkey.Cancelled(), fido2.ErrCancelled},
		{"the key is full", virtualkey.Full(), fido2.ErrKeyStoreFull},
		{"the key is pulled out", virtualkey.Unplugged(), fido2.ErrDeviceGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, virtualkey.Options{})
			f.key.SetBehaviour(tt.behaviour)
			_, err := f.dev.MakeCredential(t.Context(), fido2.MakeCredentialRequest{
				ClientDataJSON: clientData("webauthn.create", []byte("c")), RPID: rpID,
				UserID: []byte{1}, ResidentKey: true})
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if n := len(f.key.Credentials()); n != 0 {
				t.Fatalf("the key holds %d credentials", n)
			}
		})
	}
}

func TestNoCredentialsForTheRP(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	_, err := f.dev.GetAssertion(t.Context(), fido2.GetAssertionRequest{
		ClientDataJSON: clientData("webauthn.get", []byte("c")), RPID: rpID})
	if !errors.Is(err, fido2.ErrNoCredentials) {
		t.Fatalf("got %v, want ErrNoCredentials", err)
	}
}

// waitingRequest starts a registration that waits for a touch, and returns once the key
// has said so through the Status hook.
func waitingRequest(t *testing.T, ctx context.Context, f *fixture) <-chan error {
	t.Helper()
	f.key.SetBehaviour(virtualkey.WaitForTouch(time.Minute))
	var once sync.Once
	touchNeeded := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := f.dev.MakeCredential(ctx, fido2.MakeCredentialRequest{
			ClientDataJSON: clientData("webauthn.create", []byte("c")), RPID: rpID,
			UserID: []byte{1}, ResidentKey: true,
			Status: func(s fido2.Status) {
				if s == fido2.StatusUserPresenceNeeded {
					once.Do(func() { close(touchNeeded) })
				}
			},
		})
		done <- err
	}()
	select {
	case <-touchNeeded:
	case err := <-done:
		t.Fatalf("the request ended before asking for a touch: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the Status hook never said the key waits for a touch")
	}
	return done
}

func waitFor(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("the request did not end")
		return nil
	}
}

func TestATouchWhileTheKeyWaitsCompletesTheRequest(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	done := waitingRequest(t, t.Context(), f)
	f.key.Touch()
	if err := waitFor(t, done); err != nil {
		t.Fatalf("got %v", err)
	}
	if n := len(f.key.Credentials()); n != 1 {
		t.Fatalf("the key holds %d credentials", n)
	}
}

func TestCancelFromAnotherGoroutineStopsAWaitingRequest(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	done := waitingRequest(t, t.Context(), f)
	start := time.Now()
	if err := f.dev.Cancel(); err != nil {
		t.Fatal(err)
	}
	err := waitFor(t, done)
	if !errors.Is(err, fido2.ErrCancelled) || errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want ErrCancelled only", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("cancel took %v", took)
	}
	if n := len(f.key.Credentials()); n != 0 {
		t.Fatalf("the key holds %d credentials after a cancel", n)
	}
	// The device works after a cancel.
	if _, err := f.dev.MakeCredential(t.Context(), fido2.MakeCredentialRequest{
		ClientDataJSON: clientData("webauthn.create", []byte("c")), RPID: rpID,
		UserID: []byte{1}, ResidentKey: true}); err != nil {
		t.Fatalf("after the cancel: %v", err)
	}
}

func TestTheContextStopsAWaitingRequest(t *testing.T) {
	t.Run("cancelled", func(t *testing.T) {
		f := newFixture(t, virtualkey.Options{})
		ctx, cancel := context.WithCancel(t.Context())
		done := waitingRequest(t, ctx, f)
		cancel()
		if err := waitFor(t, done); !errors.Is(err, fido2.ErrCancelled) || !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want ErrCancelled and context.Canceled", err)
		}
	})
	t.Run("past its deadline", func(t *testing.T) {
		f := newFixture(t, virtualkey.Options{})
		f.key.SetBehaviour(virtualkey.WaitForTouch(time.Minute))
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		_, err := f.dev.GetAssertion(ctx, fido2.GetAssertionRequest{
			ClientDataJSON: clientData("webauthn.get", []byte("c")), RPID: rpID,
			AllowList: [][]byte{[]byte("not on the key")}})
		// No credential matches, so the key answers at once without a touch.
		if !errors.Is(err, fido2.ErrNoCredentials) {
			t.Fatalf("got %v", err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := f.dev.MakeCredential(ctx, fido2.MakeCredentialRequest{
				ClientDataJSON: clientData("webauthn.create", []byte("c")), RPID: rpID,
				UserID: []byte{1}, ResidentKey: true})
			done <- err
		}()
		if err := waitFor(t, done); !errors.Is(err, fido2.ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want ErrCancelled and context.DeadlineExceeded", err)
		}
		if _, err := f.dev.Info(t.Context()); err != nil {
			t.Fatalf("after the deadline: %v", err)
		}
	})
}

func TestCloseStopsAWaitingRequest(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	done := waitingRequest(t, context.Background(), f)
	if err := f.dev.Close(); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(t, done); !errors.Is(err, fido2.ErrCancelled) {
		t.Fatalf("got %v, want ErrCancelled", err)
	}
	if _, err := f.dev.Info(t.Context()); !errors.Is(err, fido2.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestResetErasesPasskeysAndPIN(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	ctx := t.Context()
	if err := f.dev.SetPIN(ctx, []byte("2468")); err != nil {
		t.Fatal(err)
	}
	f.register(t, newPatient(1), "2468")

	f.clock.Advance(11 * time.Second) // CTAP 2.1 §6.6: only within 10 s of power-up
	if err := f.dev.Reset(ctx); !errors.Is(err, fido2.ErrNotAllowed) {
		t.Fatalf("reset after 11 s: got %v, want ErrNotAllowed", err)
	}
	if err := f.key.Replug(); err != nil {
		t.Fatal(err)
	}
	if err := f.dev.Reset(ctx); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if n := len(f.key.Credentials()); n != 0 {
		t.Fatalf("the key holds %d credentials after reset", n)
	}
	info, err := f.dev.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Options["clientPin"] {
		t.Fatal("the PIN survived the reset")
	}
}

func TestInfoOfTheVirtualKey(t *testing.T) {
	f := newFixture(t, virtualkey.Options{Capacity: 3})
	info, err := f.dev.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	aaguid := virtualkey.DefaultAAGUID()
	if !bytes.Equal(info.AAGUID, aaguid[:]) || !slices.Contains(info.Versions, "FIDO_2_1") ||
		!slices.Contains(info.PINProtocols, 2) || info.RemainingKeys != 3 ||
		!slices.Contains(info.Algorithms, fido2.AlgorithmInfo{Type: "public-key", Algorithm: fido2.ES256}) {
		t.Fatalf("info: %+v", info)
	}
	if _, err := f.dev.MakeCredential(t.Context(), fido2.MakeCredentialRequest{
		ClientDataJSON: clientData("webauthn.create", []byte("c")), RPID: rpID,
		UserID: []byte{1}, ResidentKey: true}); err != nil {
		t.Fatal(err)
	}
	if info, _ = f.dev.Info(t.Context()); info.RemainingKeys != 2 {
		t.Fatalf("remaining keys after one passkey: %d", info.RemainingKeys)
	}
}

func TestAlgorithmsTheKeyLacksAreRefused(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	_, err := f.dev.MakeCredential(t.Context(), fido2.MakeCredentialRequest{
		ClientDataJSON: clientData("webauthn.create", []byte("c")), RPID: rpID,
		UserID: []byte{1}, Algorithm: fido2.EdDSA})
	if !errors.Is(err, fido2.ErrUnsupportedAlgorithm) {
		t.Fatalf("got %v, want ErrUnsupportedAlgorithm", err)
	}
}

func TestConcurrentRequestsOnOneDevice(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = f.dev.Info(t.Context())
			} else {
				_, err = f.dev.MakeCredential(t.Context(), fido2.MakeCredentialRequest{
					ClientDataJSON: clientData("webauthn.create", []byte{byte(i)}), RPID: rpID,
					UserID: []byte{byte(i)}, ResidentKey: true})
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
	if n := len(f.key.Credentials()); n != 6 {
		t.Fatalf("the key holds %d credentials, want 6", n)
	}
}

func TestAPINReachesTheKeyInNormalizationFormC(t *testing.T) {
	// CTAP 2.1 §6.5.1: the platform sends the PIN as UTF-8 in Normalization Form C; the key
	// only hashes what it gets. Each call below is given the same PIN typed another way.
	f := newFixture(t, virtualkey.Options{})
	ctx := t.Context()
	const nfc = "\u00c5ngstr\u00f6m"
	if err := f.dev.SetPIN(ctx, []byte("A\u030angstro\u0308m")); err != nil {
		t.Fatalf("SetPIN decomposed: %v", err)
	}
	if !f.key.PINIs(nfc) {
		t.Fatal("the key was not given the PIN in NFC")
	}
	if err := f.dev.SetPIN(ctx, []byte("e\u0301e\u0301")); !errors.Is(err, fido2.ErrPINPolicy) {
		t.Errorf("a new PIN of 2 characters in 4 code points: got %v, want ErrPINPolicy", err)
	}
	_, err := f.dev.MakeCredential(ctx, fido2.MakeCredentialRequest{
		ClientDataJSON: clientData("webauthn.create", []byte("c")), RPID: rpID,
		UserID: []byte{1}, ResidentKey: true, UserVerification: true, PIN: []byte(nfc)})
	if err != nil {
		t.Fatalf("MakeCredential with the PIN composed: %v", err)
	}
	if err := f.dev.ChangePIN(ctx, []byte("\u212bngstro\u0308m"), []byte("caf\u00e9 1")); err != nil {
		t.Fatalf("ChangePIN with the old PIN's Å as the angstrom sign: %v", err)
	}
	if !f.key.PINIs("caf\u00e9 1") {
		t.Error("the changed PIN is not the one given")
	}
	if n, _ := f.dev.PINRetries(ctx); n != 8 {
		t.Errorf("the same PIN typed another way cost tries: %d left", n)
	}
}

func TestFindCredentialAsksTheKeyWithoutATouch(t *testing.T) {
	f := newFixture(t, virtualkey.Options{})
	ctx := t.Context()
	cred, err := f.dev.MakeCredential(ctx, fido2.MakeCredentialRequest{
		ClientDataJSON: clientData("webauthn.create", []byte("c")), RPID: rpID, UserID: []byte{1}})
	if err != nil {
		t.Fatal(err)
	}
	// Nobody touches the key from now on: a request that needed a touch would time out.
	f.key.SetBehaviour(virtualkey.TimeOut())
	other := bytes.Repeat([]byte{7}, len(cred.ID))
	for _, tt := range []struct {
		name string
		rpID string
		ids  [][]byte
		want []byte
	}{
		{"the key's credential among others is named", rpID, [][]byte{other, cred.ID}, cred.ID},
		{"the key's credential alone is named", rpID, [][]byte{cred.ID}, cred.ID},
		{"a list without it finds nothing", rpID, [][]byte{other}, nil},
		{"it is not found for another site", "other.test", [][]byte{cred.ID}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.dev.FindCredential(ctx, tt.rpID, tt.ids)
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Errorf("FindCredential = %x, %v; want %x", got, err, tt.want)
			}
		})
	}
	for _, ids := range [][][]byte{nil, {{}}} {
		if _, err := f.dev.FindCredential(ctx, rpID, ids); !errors.Is(err, fido2.ErrInvalidRequest) {
			t.Errorf("FindCredential(%q): %v, want ErrInvalidRequest", ids, err)
		}
	}
}
