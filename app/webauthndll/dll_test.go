package webauthndll

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/webauthnclient"
)

var (
	clientDataJSON = []byte(`{"type":"webauthn.create","challenge":"Y2hhbGxlbmdl","origin":"http://localhost:8080","crossOrigin":false}`)
	createRequest  = webauthnclient.CreateRequest{
		ClientDataJSON: clientDataJSON,
		RPID:           "localhost", RPName: "NHS login passkeys",
		UserID: []byte("user-handle"), UserName: "a@example.com", UserDisplayName: "Alex Smith – 🩺",
		Algorithm:   -7,
		ResidentKey: webauthnclient.Preferred, UserVerification: webauthnclient.Required,
		ExcludeList: [][]byte{{1, 2, 3}, {4, 5}},
	}
	getRequest = webauthnclient.GetRequest{
		ClientDataJSON:   []byte(`{"type":"webauthn.get","challenge":"Y2hhbGxlbmdl","origin":"http://localhost:8080","crossOrigin":false}`),
		RPID:             "localhost",
		AllowList:        [][]byte{{9, 9}},
		UserVerification: webauthnclient.Required,
	}
)

func newTestDLL(t *testing.T, f *fakeWebAuthnDLL) *DLL {
	t.Helper()
	d, err := newDLL(f)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestEachAPIVersionIsGivenTheOptionsItsWebauthnHReads(t *testing.T) {
	tests := []struct {
		name                 string
		api                  uint32
		createVer, getVer    uint32
		listEx, prefer, hint bool
	}{
		{"Windows 10 1903 (API 1): options 3 and 4, no preferred resident key yet", 1, 3, 4, true, false, false},
		{"API 3: options 4 and 5, preferred resident key said", 3, 4, 5, true, true, false},
		{"API 4: options 5 and 6", 4, 5, 6, true, true, false},
		{"API 6: options 6 and 6", 6, 6, 6, true, true, false},
		{"API 7: options 7 and 7, still no hints", 7, 7, 7, true, true, false},
		{"API 8: options 8 with the person's choice as a hint", 8, 8, 8, true, true, true},
		{"API 9: options 9", 9, 9, 9, true, true, true},
		{"a newer DLL than webauthn.h v9 is given version 9", 12, 9, 9, true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeDLL(t, tt.api)
			a := newTestDLL(t, fake).Authenticator(PhoneOrTablet, func() uintptr { return 0x1234 })
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			pin := []byte("1234")
			if _, err := a.MakeCredential(ctx, createRequest, pin, nil); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(pin, make([]byte, 4)) {
				t.Error("the PIN was not zeroed (Windows asks for it itself)")
			}
			s := fake.seen
			if s.optionsVersion != tt.createVer {
				t.Errorf("make-credential options version %d, want %d", s.optionsVersion, tt.createVer)
			}
			if s.hwnd != 0x1234 || s.rpID != "localhost" || s.rpName != "NHS login passkeys" ||
				string(s.userID) != "user-handle" || s.userName != "a@example.com" || s.userDisplayName != "Alex Smith – 🩺" {
				t.Errorf("entities %+v", s)
			}
			if !bytes.Equal(s.clientDataJSON, clientDataJSON) || s.hashAlg != "SHA-256" {
				t.Errorf("client data %q hashed with %q: the full clientDataJSON must be passed", s.clientDataJSON, s.hashAlg)
			}
			if !slices.Equal(s.algs, []int32{-7}) || s.uv != uvRequired || s.attachment != attachmentCrossPlatform {
				t.Errorf("algs %v uv %d attachment %d", s.algs, s.uv, s.attachment)
			}
			if s.timeoutMS == 0 || s.timeoutMS > 60000 {
				t.Errorf("timeout %d ms, want what is left of a minute", s.timeoutMS)
			}
			if s.cancelID == nil {
				t.Error("no cancellation ID: the app could not cancel the dialog")
			}
			if len(s.list) != 2 || !bytes.Equal(s.list[1], []byte{4, 5}) || s.listFromCredentialListEx != tt.listEx {
				t.Errorf("exclude list %x (from WEBAUTHN_CREDENTIAL_LIST: %v)", s.list, s.listFromCredentialListEx)
			}
			if s.preferRK != tt.prefer || s.requireRK {
				t.Errorf("prefer resident key %v, require %v", s.preferRK, s.requireRK)
			}
			if wantHints := tt.hint; (len(s.hints) > 0) != wantHints || (wantHints && !slices.Equal(s.hints, []string{"hybrid"})) {
				t.Errorf("hints %v", s.hints)
			}

			if _, err := a.GetAssertion(ctx, getRequest, nil, nil); err != nil {
				t.Fatal(err)
			}
			s = fake.seen
			if s.optionsVersion != tt.getVer || s.rpID != "localhost" || s.uv != uvRequired || s.cancelID == nil ||
				!bytes.Equal(s.clientDataJSON, getRequest.ClientDataJSON) || len(s.list) != 1 {
				t.Errorf("get assertion saw %+v", s)
			}
			fake.checkFreedOnce()
		})
	}
}

func TestTheChoiceSetsAttachmentAndHint(t *testing.T) {
	for _, c := range []struct {
		choice     Choice
		attachment uint32
		hint       string
	}{
		{ThisDevice, attachmentPlatform, "client-device"},
		{SecurityKey, attachmentCrossPlatform, "security-key"},
		{PhoneOrTablet, attachmentCrossPlatform, "hybrid"},
	} {
		t.Run(c.choice.String()+" asks for its own kind of authenticator", func(t *testing.T) {
			fake := newFakeDLL(t, 9)
			if _, err := newTestDLL(t, fake).Authenticator(c.choice, nil).GetAssertion(t.Context(), getRequest, nil, nil); err != nil {
				t.Fatal(err)
			}
			if fake.seen.attachment != c.attachment || !slices.Equal(fake.seen.hints, []string{c.hint}) {
				t.Errorf("attachment %d hints %v", fake.seen.attachment, fake.seen.hints)
			}
		})
	}
}

func TestResidentKeyRequirementIsPassedOn(t *testing.T) {
	fake := newFakeDLL(t, 1)
	req := createRequest
	req.ResidentKey = webauthnclient.Required
	if _, err := newTestDLL(t, fake).Authenticator(SecurityKey, nil).MakeCredential(t.Context(), req, nil, nil); err != nil {
		t.Fatal(err)
	}
	if !fake.seen.requireRK {
		t.Error("a required resident key was not asked for")
	}
}

func TestTheAttestationIsCopiedOutReadByItsVersionAndFreedOnce(t *testing.T) {
	tests := []struct {
		name            string
		version         uint32
		used, supported uint32
		attachment      string
		transports      []string
	}{
		{"version 1 says no transport: the poison beyond it is not read", 1, 0, 0, "", nil},
		{"version 3 Windows Hello is a platform credential", 3, transportInternal, 0, "platform", []string{"internal"}},
		{"version 3 over a phone is cross-platform and hybrid", 3, transportHybrid, 0, "cross-platform", []string{"hybrid"}},
		{"version 8 lists every transport the credential has", 8, transportUSB, transportUSB | transportNFC, "cross-platform", []string{"nfc", "usb"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeDLL(t, 9)
			fake.attestationVer, fake.usedTransport, fake.transports = tt.version, tt.used, tt.supported
			got, err := newTestDLL(t, fake).Authenticator(SecurityKey, nil).MakeCredential(t.Context(), createRequest, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			fake.checkFreedOnce()
			if string(got.CredentialID) != "credential-id-from-windows" || got.Algorithm != -7 || len(got.AttestationObject) == 0 {
				t.Errorf("attestation %+v", got)
			}
			if _, err := x509.ParsePKIXPublicKey(got.PublicKey); err != nil {
				t.Errorf("public key is not SubjectPublicKeyInfo: %v", err)
			}
			if got.Attachment != tt.attachment || !slices.Equal(got.Transports, tt.transports) {
				t.Errorf("attachment %q transports %v, want %q %v", got.Attachment, got.Transports, tt.attachment, tt.transports)
			}
			// The copy is the app's: changing the DLL's memory after the free changes nothing.
			for _, k := range fake.keep {
				if b, ok := k.([]byte); ok {
					clear(b)
				}
			}
			if string(got.CredentialID) != "credential-id-from-windows" {
				t.Error("the attestation still points into the DLL's memory")
			}
		})
	}
}

func TestTheAssertionIsReadByItsVersion(t *testing.T) {
	for _, tt := range []struct {
		name       string
		version    uint32
		attachment string
	}{
		{"version 1 has no transport", 1, ""},
		{"version 4 says Windows Hello answered", 4, "platform"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeDLL(t, 9)
			fake.assertionVer, fake.usedTransport = tt.version, transportInternal
			got, err := newTestDLL(t, fake).Authenticator(ThisDevice, nil).GetAssertion(t.Context(), getRequest, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			fake.checkFreedOnce()
			if len(got) != 1 || !bytes.Equal(got[0].CredentialID, []byte{9, 9}) || string(got[0].Signature) != "signature" ||
				string(got[0].UserHandle) != "user-handle" || got[0].Attachment != tt.attachment {
				t.Errorf("assertions %+v", got)
			}
		})
	}
}

func TestCancellingTheCeremonyCancelsTheWindowsDialog(t *testing.T) {
	tests := []struct {
		name string
		ctx  func(t *testing.T) (context.Context, context.CancelFunc)
		want error
	}{
		{"the person's Cancel in the app is reported as cancelled", func(t *testing.T) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(20*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"the ceremony's time running out is reported as timed out", func(t *testing.T) (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 20*time.Millisecond)
		}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeDLL(t, 4)
			fake.blockUntilCancel = true
			ctx, cancel := tt.ctx(t)
			defer cancel()
			_, err := newTestDLL(t, fake).Authenticator(SecurityKey, nil).MakeCredential(ctx, createRequest, nil, nil)
			if !errors.Is(err, tt.want) || !errors.Is(err, ErrCancelled) {
				t.Fatalf("error %v, want %v from the cancelled dialog", err, tt.want)
			}
			fake.checkFreedOnce()
		})
	}
}

func TestWindowsHelloThatIsNotSetUpIsRefusedBeforeAnyDialog(t *testing.T) {
	fake := newFakeDLL(t, 9)
	fake.uvpaa = false
	_, err := newTestDLL(t, fake).Authenticator(ThisDevice, nil).MakeCredential(t.Context(), createRequest, nil, nil)
	if !errors.Is(err, ErrNoPlatformAuthenticator) {
		t.Fatalf("error %v", err)
	}
	if fake.calls != 0 {
		t.Error("the Windows dialog was opened")
	}
}

func TestTheDLLsErrorsComeBackWithTheirHRESULT(t *testing.T) {
	for _, tt := range []struct {
		name string
		hr   uint32
		want error
	}{
		{"a passkey already on the authenticator", hrNTEExists, ErrAlreadyRegistered},
		{"the person closed the dialog", hrNTEUserCancelled, ErrCancelled},
		{"Windows' own time ran out", hrTimeoutWin32, ErrTimedOut},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeDLL(t, 9)
			fake.failWith = tt.hr
			_, err := newTestDLL(t, fake).Authenticator(SecurityKey, nil).MakeCredential(t.Context(), createRequest, nil, nil)
			var dllErr *Error
			if !errors.Is(err, tt.want) || !errors.As(err, &dllErr) || dllErr.HRESULT != tt.hr {
				t.Fatalf("error %v", err)
			}
		})
	}
}

func TestWindowsHelloPasskeysAreListedAndDeletedWhereTheAPIVersionHasIt(t *testing.T) {
	t.Run("API 3 cannot list or delete", func(t *testing.T) {
		d := newTestDLL(t, newFakeDLL(t, 3))
		if d.ManagesPlatformCredentials() {
			t.Error("API 3 claims platform credentials")
		}
		if _, err := d.PlatformCredentials("localhost"); !errors.Is(err, ErrNotSupported) {
			t.Errorf("list: %v", err)
		}
		if err := d.DeletePlatformCredential([]byte{1}); !errors.Is(err, ErrNotSupported) {
			t.Errorf("delete: %v", err)
		}
	})
	for _, api := range []uint32{4, 9} {
		name := map[uint32]string{4: "API 4 lists only this RP's passkeys, with details version 1",
			9: "API 9 also says backed up and the authenticator's name"}[api]
		t.Run(name, func(t *testing.T) {
			fake := newFakeDLL(t, api)
			fake.platform = []fakePlatformCredential{
				{id: []byte{1}, userID: []byte("u1"), rpID: "localhost", userName: "a@example.com"},
				{id: []byte{2}, userID: []byte("u2"), rpID: "example.org", userName: "b@example.org"},
			}
			d := newTestDLL(t, fake)
			got, err := d.PlatformCredentials("localhost")
			if err != nil {
				t.Fatal(err)
			}
			fake.checkFreedOnce()
			if len(got) != 1 || !bytes.Equal(got[0].ID, []byte{1}) || got[0].RPID != "localhost" ||
				string(got[0].UserID) != "u1" || got[0].UserName != "a@example.com" || !got[0].Removable {
				t.Fatalf("credentials %+v", got)
			}
			wantBackedUp, wantName := api >= 9, map[bool]string{true: "Windows Hello"}[api >= 9]
			if got[0].BackedUp != wantBackedUp || got[0].AuthenticatorName != wantName {
				t.Errorf("backed up %v name %q: fields beyond the version were read", got[0].BackedUp, got[0].AuthenticatorName)
			}
			if err := d.DeletePlatformCredential(got[0].ID); err != nil || len(fake.deleted) != 1 || !bytes.Equal(fake.deleted[0], []byte{1}) {
				t.Errorf("delete: %v %x", err, fake.deleted)
			}
			none, err := d.PlatformCredentials("nhs.uk")
			if err != nil || len(none) != 0 {
				t.Errorf("an RP with none (NTE_NOT_FOUND) must list none: %v %v", none, err)
			}
		})
	}
}
