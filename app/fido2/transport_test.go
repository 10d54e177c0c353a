//go:build cgo && !windows

package fido2

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// These tests drive the real libfido2 through the transport hooks with fakeCTAP, a
// minimal in-test authenticator; virtualkey_test.go does the same with the virtual key.

func openFake(t *testing.T, f *fakeCTAP) *Device {
	t.Helper()
	d, err := OpenTransport(f)
	if err != nil {
		t.Fatalf("OpenTransport: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

func fakeRegistration(user byte, rk bool) MakeCredentialRequest {
	return MakeCredentialRequest{
		ClientDataJSON:  []byte(`{"type":"webauthn.create","challenge":"AAAA","origin":"https://nhs.test"}`),
		RPID:            "nhs.test",
		RPName:          "NHS login",
		UserID:          []byte{user},
		UserName:        "patient@example.com",
		UserDisplayName: "A Patient",
		ResidentKey:     rk,
	}
}

func TestOpenThroughLibfido2ReadsTheAuthenticatorsInfo(t *testing.T) {
	d := openFake(t, newFakeCTAP())
	info, err := d.Info(t.Context())
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if !slices.Equal(info.Versions, []string{"FIDO_2_0", "FIDO_2_1"}) ||
		!bytes.Equal(info.AAGUID, fakeAAGUID) || info.MaxMsgSize != 1200 ||
		!slices.Equal(info.PINProtocols, []int{2, 1}) ||
		!slices.Equal(info.Transports, []string{"usb"}) ||
		!slices.Equal(info.Extensions, []string{"credProtect"}) ||
		info.FirmwareVersion != 0x010203 {
		t.Fatalf("info: %+v", info)
	}
	if rk, ok := info.Option("rk"); !rk || !ok {
		t.Errorf("option rk: %v %v", rk, ok)
	}
	if plat, ok := info.Option("plat"); plat || !ok {
		t.Errorf("option plat: %v %v", plat, ok)
	}
	if _, ok := info.Option("clientPin"); ok {
		t.Error("an option the authenticator did not list is present")
	}
	if len(info.Algorithms) != 1 || info.Algorithms[0] != (AlgorithmInfo{"public-key", ES256}) {
		t.Errorf("algorithms: %+v", info.Algorithms)
	}
	if info.RemainingKeys != -1 {
		t.Errorf("remaining keys not reported should be -1, got %d", info.RemainingKeys)
	}
}

func TestOpenFailsTypedWhenTheAuthenticatorAnswersBadly(t *testing.T) {
	for name, set := range map[string]func(f *fakeCTAP){
		"a wrong nonce":   func(f *fakeCTAP) { f.badNonce = true },
		"no answer":       func(f *fakeCTAP) { f.failRx = true },
		"a panicking one": func(f *fakeCTAP) { f.panicRx = true },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeCTAP()
			f.set(set)
			d, err := OpenTransport(f)
			if err == nil {
				d.Close()
				t.Fatal("open succeeded")
			}
			if !errors.Is(err, ErrDeviceGone) {
				t.Fatalf("got %v, want ErrDeviceGone", err)
			}
		})
	}
}

func TestRegisterAndLogInThroughLibfido2(t *testing.T) {
	d := openFake(t, newFakeCTAP())
	req := fakeRegistration(7, false)
	cred, err := d.MakeCredential(t.Context(), req)
	if err != nil {
		t.Fatalf("MakeCredential: %v", err)
	}
	if cred.Format != "packed" || cred.Algorithm != ES256 || len(cred.ID) != 16 ||
		!bytes.Equal(cred.AAGUID, fakeAAGUID) || cred.Flags&FlagUserPresent == 0 {
		t.Fatalf("credential: %+v", cred)
	}
	rpHash := sha256.Sum256([]byte("nhs.test"))
	if !bytes.HasPrefix(cred.AuthData, rpHash[:]) {
		t.Fatal("AuthData is not raw (it does not start with the RP ID hash)")
	}
	pub, ok := cred.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		t.Fatalf("public key is %T", cred.PublicKey)
	}
	// packed self attestation: sig over authData || SHA-256(clientDataJSON).
	cdh := sha256.Sum256(req.ClientDataJSON)
	h := sha256.Sum256(append(slices.Clone(cred.AuthData), cdh[:]...))
	if !ecdsa.VerifyASN1(pub, h[:], cred.Signature) {
		t.Fatal("the attestation signature does not verify with the credential's key")
	}
	if cred.Certificate != nil {
		t.Error("self attestation has a certificate")
	}

	login := GetAssertionRequest{
		ClientDataJSON: []byte(`{"type":"webauthn.get","challenge":"BBBB","origin":"https://nhs.test"}`),
		RPID:           "nhs.test",
		AllowList:      [][]byte{cred.ID},
	}
	as, err := d.GetAssertion(t.Context(), login)
	if err != nil {
		t.Fatalf("GetAssertion: %v", err)
	}
	if len(as) != 1 || !bytes.Equal(as[0].CredentialID, cred.ID) {
		t.Fatalf("assertions: %+v", as)
	}
	if !bytes.HasPrefix(as[0].AuthData, rpHash[:]) || len(as[0].AuthData) != 37 {
		t.Fatalf("assertion AuthData is not the raw 37 bytes: %x", as[0].AuthData)
	}
	cdh = sha256.Sum256(login.ClientDataJSON)
	h = sha256.Sum256(append(slices.Clone(as[0].AuthData), cdh[:]...))
	if !ecdsa.VerifyASN1(pub, h[:], as[0].Signature) {
		t.Fatal("the assertion signature does not verify")
	}
	if as[0].SignCount <= cred.SignCount {
		t.Errorf("sign count did not go up: %d then %d", cred.SignCount, as[0].SignCount)
	}
}

func TestADiscoverableLoginReturnsEveryCredential(t *testing.T) {
	f := newFakeCTAP()
	d := openFake(t, f)
	for _, user := range []byte{1, 2, 3} {
		if _, err := d.MakeCredential(t.Context(), fakeRegistration(user, true)); err != nil {
			t.Fatal(err)
		}
	}
	as, err := d.GetAssertion(t.Context(), GetAssertionRequest{
		ClientDataJSON: []byte(`{"type":"webauthn.get"}`), RPID: "nhs.test"})
	if err != nil {
		t.Fatalf("GetAssertion: %v", err)
	}
	var users []byte
	for _, a := range as {
		users = append(users, a.UserID...)
	}
	if !slices.Equal(users, []byte{1, 2, 3}) {
		t.Fatalf("users %v, want 1 2 3", users)
	}
	if !bytes.Contains(f.received(), []byte{ctapGetNextAssertion}) {
		t.Error("libfido2 did not ask for the next assertions")
	}
}

func TestAuthenticatorRefusalsComeBackTyped(t *testing.T) {
	tests := []struct {
		name   string
		cmd    byte
		status byte
		want   error
	}{
		{"an excluded credential", ctapMakeCredential, 0x19, ErrCredentialExcluded},
		{"a full authenticator", ctapMakeCredential, 0x28, ErrKeyStoreFull},
		{"an unsupported algorithm", ctapMakeCredential, 0x26, ErrUnsupportedAlgorithm},
		{"a PIN needed", ctapMakeCredential, 0x36, ErrPINRequired},
		{"no touch in time", ctapGetAssertion, 0x2f, ErrActionTimeout},
		{"no credentials", ctapGetAssertion, 0x2e, ErrNoCredentials},
		{"not allowed", ctapGetAssertion, 0x30, ErrNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCTAP()
			f.set(func(f *fakeCTAP) { f.status[tt.cmd] = tt.status })
			d := openFake(t, f)
			var err error
			if tt.cmd == ctapMakeCredential {
				_, err = d.MakeCredential(t.Context(), fakeRegistration(1, true))
			} else {
				_, err = d.GetAssertion(t.Context(), GetAssertionRequest{
					ClientDataJSON: []byte("{}"), RPID: "nhs.test"})
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Code != int(tt.status) {
				t.Fatalf("code: %+v", fe)
			}
		})
	}
}

func TestAnExcludedCredentialIsRefused(t *testing.T) {
	d := openFake(t, newFakeCTAP())
	cred, err := d.MakeCredential(t.Context(), fakeRegistration(1, true))
	if err != nil {
		t.Fatal(err)
	}
	again := fakeRegistration(1, true)
	again.ExcludeList = [][]byte{{9, 9, 9}, cred.ID}
	if _, err := d.MakeCredential(t.Context(), again); !errors.Is(err, ErrCredentialExcluded) {
		t.Fatalf("got %v, want ErrCredentialExcluded", err)
	}
}

func TestUVRequiredWithoutAPINFailsBeforeTheTouch(t *testing.T) {
	tests := []struct {
		name    string
		options map[string]bool
		want    error
	}{
		{"a PIN is set", map[string]bool{"clientPin": true}, ErrPINRequired},
		{"a PIN is possible but not set", map[string]bool{"clientPin": false}, ErrPINNotSet},
		{"no PIN and no built-in UV", map[string]bool{}, ErrUnsupportedOption},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCTAP()
			f.set(func(f *fakeCTAP) { f.options = tt.options })
			d := openFake(t, f)
			req := fakeRegistration(1, true)
			req.UserVerification = true
			if _, err := d.MakeCredential(t.Context(), req); !errors.Is(err, tt.want) {
				t.Fatalf("make credential: got %v, want %v", err, tt.want)
			}
			_, err := d.GetAssertion(t.Context(), GetAssertionRequest{
				ClientDataJSON: []byte("{}"), RPID: "nhs.test", UserVerification: true})
			if !errors.Is(err, tt.want) {
				t.Fatalf("get assertion: got %v, want %v", err, tt.want)
			}
			if got := f.received(); bytes.ContainsAny(got, string([]byte{ctapMakeCredential, ctapGetAssertion})) {
				t.Fatalf("the authenticator was asked anyway: % x", got)
			}
		})
	}
	t.Run("built-in UV goes ahead", func(t *testing.T) {
		f := newFakeCTAP()
		f.set(func(f *fakeCTAP) { f.options = map[string]bool{"uv": true, "clientPin": false} })
		d := openFake(t, f)
		req := fakeRegistration(1, true)
		req.UserVerification = true
		if _, err := d.MakeCredential(t.Context(), req); err != nil {
			t.Fatalf("got %v", err)
		}
	})
}

func TestCancelFromAnotherGoroutineStopsTheRequest(t *testing.T) {
	f := newFakeCTAP()
	f.set(func(f *fakeCTAP) { f.block = true })
	d := openFake(t, f)
	waiting := make(chan struct{})
	req := fakeRegistration(1, true)
	req.Status = func(s Status) {
		if s == StatusUserPresenceNeeded {
			close(waiting)
		}
	}
	go func() {
		select {
		case <-waiting:
		case <-time.After(5 * time.Second):
			t.Error("the Status hook never said the key waits for a touch")
		}
		_ = d.Cancel()
	}()
	_, err := d.MakeCredential(t.Context(), req)
	if !errors.Is(err, ErrCancelled) {
		t.Fatalf("got %v, want ErrCancelled", err)
	}
	if errors.Is(err, context.Canceled) {
		t.Error("Cancel is reported as the context's cancellation")
	}
	// The device works after a cancelled request.
	f.set(func(f *fakeCTAP) { f.block = false })
	if _, err := d.Info(t.Context()); err != nil {
		t.Fatalf("Info after cancel: %v", err)
	}
}

func TestCancelBeforeTheRequestReachesTheAuthenticatorStillCancels(t *testing.T) {
	f := newFakeCTAP()
	f.set(func(f *fakeCTAP) { f.block = true })
	d := openFake(t, f)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := d.GetAssertion(ctx, GetAssertionRequest{ClientDataJSON: []byte("{}"), RPID: "nhs.test"})
		done <- err
	}()
	cancel() // most likely before libfido2 has sent getAssertion: CANCEL is sent again
	select {
	case err := <-done:
		if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want ErrCancelled and context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the request did not stop")
	}
}

func TestAContextDeadlineStopsTheRequest(t *testing.T) {
	f := newFakeCTAP()
	f.set(func(f *fakeCTAP) { f.block = true })
	d := openFake(t, f)
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := d.MakeCredential(ctx, fakeRegistration(1, true))
	if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want ErrCancelled and context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("took %v", took)
	}
}

func TestAnAuthenticatorIgnoringCancelIsLeftSoonAfterTheDeadline(t *testing.T) {
	f := newFakeCTAP()
	deaf := make(chan struct{})
	defer close(deaf)
	f.set(func(f *fakeCTAP) { f.block, f.deaf = true, deaf })
	d := openFake(t, f)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := d.MakeCredential(ctx, fakeRegistration(1, true))
	if !errors.Is(err, ErrCancelled) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want ErrCancelled and context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 100*time.Millisecond+cancelGrace+time.Second {
		t.Fatalf("took %v", took)
	}
}

func TestCloseDuringARequestCancelsIt(t *testing.T) {
	f := newFakeCTAP()
	f.set(func(f *fakeCTAP) { f.block = true })
	d, err := OpenTransport(f)
	if err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{})
	var once sync.Once
	req := fakeRegistration(1, true)
	req.Status = func(Status) { once.Do(func() { close(waiting) }) }
	done := make(chan error, 1)
	go func() {
		_, err := d.MakeCredential(context.Background(), req)
		done <- err
	}()
	select {
	case <-waiting:
	case <-time.After(5 * time.Second):
		t.Error("the Status hook was never called")
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-done; !errors.Is(err, ErrCancelled) {
		t.Fatalf("the request: got %v, want ErrCancelled", err)
	}
	if _, err := d.Info(t.Context()); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: got %v, want ErrClosed", err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := d.Cancel(); err != nil {
		t.Fatalf("Cancel after Close: %v", err)
	}
}

func TestAVanishedAuthenticatorIsErrDeviceGone(t *testing.T) {
	f := newFakeCTAP()
	d := openFake(t, f)
	f.set(func(f *fakeCTAP) { f.failRx = true })
	if _, err := d.Info(t.Context()); !errors.Is(err, ErrDeviceGone) {
		t.Fatalf("got %v, want ErrDeviceGone", err)
	}
	f.set(func(f *fakeCTAP) { f.failRx, f.panicRx = false, true })
	if _, err := d.MakeCredential(t.Context(), fakeRegistration(1, true)); !errors.Is(err, ErrDeviceGone) {
		t.Fatalf("a panicking transport: got %v, want ErrDeviceGone", err)
	}
}

func TestRequestsFromManyGoroutinesAreSerialised(t *testing.T) {
	d := openFake(t, newFakeCTAP())
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				_, err = d.Info(t.Context())
			case 1:
				_, err = d.MakeCredential(t.Context(), fakeRegistration(byte(i), true))
			default:
				_ = d.Cancel() // nothing or something to cancel: both are fine
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && !errors.Is(err, ErrCancelled) {
			t.Errorf("concurrent request: %v", err)
		}
	}
}
