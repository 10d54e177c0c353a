package hybrid_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"image/png"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/hybrid"
	"github.com/nhs-passkeys/companion/internal/phonetest/faketunnel"
	"github.com/nhs-passkeys/companion/internal/phonetest/simphone"
)

// rig is a desktop, a fake tunnel on loopback and a simulated phone, with the Air between.
type rig struct {
	t      *testing.T
	tunnel *faketunnel.Server
	phone  *simphone.Phone
	cfg    hybrid.Config
}

func newRig(t *testing.T, fault faketunnel.Fault) *rig {
	t.Helper()
	tunnel := faketunnel.New(t, fault)
	air := simphone.NewAir()
	return &rig{
		t:      t,
		tunnel: tunnel,
		phone:  &simphone.Phone{Tunnel: tunnel.URL(), Air: air},
		cfg: hybrid.Config{
			Adverts:   air,
			Connector: &hybrid.Tunnel{BaseURL: tunnel.BaseURL},
		},
	}
}

// session makes a session and has the phone scan its QR code (in the background, as the
// person would); the phone's result comes on the returned channel.
func (r *rig) session(request hybrid.RequestType) (*hybrid.Session, <-chan error) {
	r.t.Helper()
	s, err := hybrid.NewSession(r.cfg, request)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(s.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	done := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		done <- r.phone.Scan(ctx, s.QR().Text)
	}()
	r.t.Cleanup(func() { cancel(); wg.Wait() })
	return s, done
}

var (
	rpID           = "localhost"
	clientDataJSON = []byte(`{"type":"webauthn.create","challenge":"AAAA","origin":"http://localhost:8080","crossOrigin":false}`)
	clientHash     = sha256.Sum256(clientDataJSON)
)

func makeCredentialRequest() hybrid.MakeCredentialRequest {
	return hybrid.MakeCredentialRequest{
		ClientDataHash:   clientHash[:],
		RPID:             rpID,
		RPName:           "NHS login",
		UserID:           []byte("user-1"),
		UserName:         "patient@example.com",
		UserDisplayName:  "patient@example.com",
		ResidentKey:      hybrid.Required,
		UserVerification: hybrid.Required,
	}
}

func getAssertionRequest() hybrid.GetAssertionRequest {
	return hybrid.GetAssertionRequest{ClientDataHash: clientHash[:], RPID: rpID, UserVerification: hybrid.Preferred}
}

func TestAPhoneSetsUpAPasskeyAndLogsInWithItOverTheTunnel(t *testing.T) {
	for _, tc := range []struct {
		name      string
		domainID  uint16
		domain    string
		revision0 bool
	}{
		{"an Android phone through Google's tunnel server", 0, "cable.ua5v.com", false},
		{"an iPhone through Apple's tunnel server", 1, "cable.auth.com", false},
		{"a phone on a hashed tunnel domain", 266, "cable.wufkweyy3uaxb.com", false},
		{"an older phone that speaks protocol revision 0", 0, "cable.ua5v.com", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, faketunnel.Relay)
			r.phone.DomainID = tc.domainID
			r.phone.Revision0 = tc.revision0

			s, phoneDone := r.session(hybrid.RequestMakeCredential)
			var progress []hybrid.Progress
			cred, err := s.MakeCredential(t.Context(), makeCredentialRequest(), func(p hybrid.Progress) { progress = append(progress, p) })
			if err != nil {
				t.Fatal(err)
			}
			if err := <-phoneDone; err != nil {
				t.Fatalf("phone: %v", err)
			}
			if want := []hybrid.Progress{hybrid.ProgressScanning, hybrid.ProgressConnecting, hybrid.ProgressOnPhone}; !slices.Equal(progress, want) {
				t.Errorf("progress %v, want %v", progress, want)
			}
			if got := r.tunnel.Domains(); !slices.Equal(got, []string{tc.domain}) {
				t.Errorf("dialled tunnel domains %v, want %s", got, tc.domain)
			}
			if cred.Algorithm != -7 || len(cred.ID) != 16 || r.phone.Passkeys() != 1 {
				t.Fatalf("credential %+v", cred)
			}
			seen := r.phone.Seen()
			if len(seen) != 1 || seen[0].Command != 1 || seen[0].RPID != rpID || !seen[0].Options["rk"] || !seen[0].Options["uv"] {
				t.Errorf("the phone was asked %+v; want makeCredential with rk and uv", seen)
			}

			// Log in with a new QR code: the signature verifies with the new public key.
			s2, phoneDone := r.session(hybrid.RequestGetAssertion)
			as, err := s2.GetAssertion(t.Context(), getAssertionRequest(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := <-phoneDone; err != nil {
				t.Fatalf("phone: %v", err)
			}
			pub, err := x509.ParsePKIXPublicKey(cred.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			signed := slices.Concat(as.AuthenticatorData, clientHash[:])
			digest := sha256.Sum256(signed)
			if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest[:], as.Signature) {
				t.Error("the assertion's signature does not verify with the credential's public key")
			}
			if !slices.Equal(as.CredentialID, cred.ID) || string(as.UserHandle) != "user-1" {
				t.Errorf("assertion by %x for %q", as.CredentialID, as.UserHandle)
			}
		})
	}
}

func TestEveryFailureIsAStableError(t *testing.T) {
	closedPort := func(t *testing.T) string {
		l, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "ws://" + addr
	}
	for _, tc := range []struct {
		name    string
		fault   faketunnel.Fault
		setup   func(t *testing.T, r *rig)
		timeout time.Duration // the transaction's context
		cancel  time.Duration // cancel the transaction's context after this
		call    string        // "mc" (default) or "ga"
		// cancelOnPhone cancels the transaction's context once the phone is asking the person.
		cancelOnPhone bool
		want          []error
	}{
		{name: "the person cancels on the phone", setup: func(_ *testing.T, r *rig) { r.phone.Behaviour = simphone.Decline }, want: []error{hybrid.ErrPhoneCancelled}},
		{name: "the phone hangs up without answering", setup: func(_ *testing.T, r *rig) { r.phone.Behaviour = simphone.HangUp }, want: []error{hybrid.ErrPhoneCancelled}},
		{name: "the tunnel server refuses the connection with 404", fault: faketunnel.Refuse, want: []error{hybrid.ErrTunnelRefused}},
		{name: "the tunnel server refuses the connection with 410", fault: faketunnel.Refuse, setup: func(_ *testing.T, r *rig) { r.tunnel.RefuseStatus = 410 }, want: []error{hybrid.ErrTunnelRefused}},
		{name: "the tunnel server does not select the fido.cable sub-protocol", fault: faketunnel.NoSubprotocol, want: []error{hybrid.ErrTunnelRefused}},
		{name: "the tunnel server cannot be reached", setup: func(t *testing.T, r *rig) {
			r.cfg.Connector = &hybrid.Tunnel{BaseURL: func(string) string { return closedPort(t) }}
		}, want: []error{hybrid.ErrTunnelUnreachable}},
		{name: "no phone advertises before the advert timeout", setup: func(_ *testing.T, r *rig) {
			r.phone.Behaviour = simphone.Silent
			r.cfg.AdvertTimeout = 200 * time.Millisecond
		}, want: []error{hybrid.ErrNoAdvert, context.DeadlineExceeded}},
		{name: "no phone advertises before the transaction's deadline", setup: func(_ *testing.T, r *rig) { r.phone.Behaviour = simphone.Silent },
			timeout: 200 * time.Millisecond, want: []error{hybrid.ErrNoAdvert, context.DeadlineExceeded}},
		{name: "only a phone answering another QR code advertises", setup: func(_ *testing.T, r *rig) {
			r.phone.Behaviour = simphone.WrongQR
			r.cfg.AdvertTimeout = 300 * time.Millisecond
		}, want: []error{hybrid.ErrWrongPhone}},
		{name: "the handshake answer is tampered with", fault: faketunnel.TamperHandshake, want: []error{hybrid.ErrHandshake}},
		{name: "the tunnel closes in the middle of the handshake", fault: faketunnel.CloseMidHandshake, want: []error{hybrid.ErrHandshake}},
		{name: "the tunnel never answers before the deadline", fault: faketunnel.Silent, timeout: 500 * time.Millisecond, want: []error{hybrid.ErrTimeout, context.DeadlineExceeded}},
		{name: "the person cancels on the computer while the phone is connecting", fault: faketunnel.Silent, cancel: 300 * time.Millisecond, want: []error{hybrid.ErrCancelled, context.Canceled}},
		{name: "the person cancels on the computer while waiting for the phone", setup: func(_ *testing.T, r *rig) { r.phone.Behaviour = simphone.Silent },
			cancel: 200 * time.Millisecond, want: []error{hybrid.ErrCancelled, context.Canceled}},
		{name: "Bluetooth is off", setup: func(_ *testing.T, r *rig) {
			r.cfg.Adverts = &simphone.Air{Unavailable: errors.New("adapter powered off")}
		}, want: []error{hybrid.ErrBluetoothUnavailable}},
		{name: "the phone has no passkey for the site", call: "ga", want: []error{hybrid.ErrNoCredentials}},
		{name: "the person cancels on the computer while the phone asks them to confirm", setup: func(_ *testing.T, r *rig) { r.phone.Behaviour = simphone.Hold },
			cancelOnPhone: true, want: []error{hybrid.ErrCancelled, context.Canceled}},
		{name: "the person does not confirm on the phone before the deadline", setup: func(_ *testing.T, r *rig) { r.phone.Behaviour = simphone.Hold },
			timeout: 500 * time.Millisecond, want: []error{hybrid.ErrTimeout, context.DeadlineExceeded}},
		{name: "the tunnel server redirects", fault: faketunnel.Refuse, setup: func(_ *testing.T, r *rig) { r.tunnel.RefuseStatus = http.StatusFound },
			want: []error{hybrid.ErrTunnelRefused}},
		{name: "the phone names a tunnel server domain that is not assigned yet", setup: func(_ *testing.T, r *rig) { r.phone.DomainID = 5 },
			want: []error{hybrid.ErrPhoneUnsupported}},
		{name: "other Bluetooth service data is not taken for a phone answering another QR code", setup: func(_ *testing.T, r *rig) {
			r.phone.Behaviour = simphone.Silent
			r.cfg.AdvertTimeout = 200 * time.Millisecond
			r.phone.Air.Transmit(hybrid.Advert{Data: bytes.Repeat([]byte{0x5a}, 22), Service: 0xFCF1})
		}, want: []error{hybrid.ErrNoAdvert}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.fault)
			if tc.setup != nil {
				tc.setup(t, r)
			}
			ctx := t.Context()
			if tc.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.timeout)
				defer cancel()
			}
			if tc.cancel > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				time.AfterFunc(tc.cancel, cancel)
			}
			var progress func(hybrid.Progress)
			if tc.cancelOnPhone {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				progress = func(p hybrid.Progress) {
					if p == hybrid.ProgressOnPhone {
						time.AfterFunc(100*time.Millisecond, cancel)
					}
				}
			}
			var err error
			if tc.call == "ga" {
				s, _ := r.session(hybrid.RequestGetAssertion)
				_, err = s.GetAssertion(ctx, getAssertionRequest(), progress)
			} else {
				s, _ := r.session(hybrid.RequestMakeCredential)
				_, err = s.MakeCredential(ctx, makeCredentialRequest(), progress)
			}
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("error %v; want errors.Is %v", err, want)
				}
			}
			// Exactly one stable error.
			var stable []error
			for _, e := range stableErrors {
				if errors.Is(err, e) {
					stable = append(stable, e)
				}
			}
			if len(stable) != 1 {
				t.Errorf("error %v matches %d stable errors %v", err, len(stable), stable)
			}
		})
	}
}

var stableErrors = []error{
	hybrid.ErrBadQR, hybrid.ErrBluetoothUnavailable, hybrid.ErrNoAdvert, hybrid.ErrWrongPhone,
	hybrid.ErrPhoneUnsupported, hybrid.ErrTunnelUnreachable, hybrid.ErrTunnelRefused,
	hybrid.ErrHandshake, hybrid.ErrPhoneCancelled, hybrid.ErrNoCredentials,
	hybrid.ErrCredentialExcluded, hybrid.ErrBadResponse, hybrid.ErrTimeout, hybrid.ErrCancelled,
	hybrid.ErrSessionUsed,
}

func TestAPhoneThatAlreadyHasThePasskeyIsExcluded(t *testing.T) {
	r := newRig(t, faketunnel.Relay)
	s, _ := r.session(hybrid.RequestMakeCredential)
	cred, err := s.MakeCredential(t.Context(), makeCredentialRequest(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req := makeCredentialRequest()
	req.ExcludeList = [][]byte{cred.ID}
	s2, _ := r.session(hybrid.RequestMakeCredential)
	if _, err := s2.MakeCredential(t.Context(), req, nil); !errors.Is(err, hybrid.ErrCredentialExcluded) {
		t.Fatalf("error %v, want ErrCredentialExcluded", err)
	}
	if r.phone.Passkeys() != 1 {
		t.Errorf("the phone holds %d passkeys, want 1", r.phone.Passkeys())
	}
}

func TestAQRCodeIsGoodForOneTransaction(t *testing.T) {
	r := newRig(t, faketunnel.Relay)
	s, _ := r.session(hybrid.RequestMakeCredential)
	if _, err := s.MakeCredential(t.Context(), makeCredentialRequest(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAssertion(t.Context(), getAssertionRequest(), nil); !errors.Is(err, hybrid.ErrSessionUsed) {
		t.Errorf("second call: %v, want ErrSessionUsed", err)
	}
	s2, _ := r.session(hybrid.RequestGetAssertion)
	s2.Close()
	if _, err := s2.GetAssertion(t.Context(), getAssertionRequest(), nil); !errors.Is(err, hybrid.ErrSessionUsed) {
		t.Errorf("call after Close: %v, want ErrSessionUsed", err)
	}
}

func TestClosingTheSessionCancelsTheCallInProgress(t *testing.T) {
	r := newRig(t, faketunnel.Relay)
	r.phone.Behaviour = simphone.Silent
	s, _ := r.session(hybrid.RequestGetAssertion)
	time.AfterFunc(100*time.Millisecond, s.Close)
	if _, err := s.GetAssertion(t.Context(), getAssertionRequest(), nil); !errors.Is(err, hybrid.ErrCancelled) {
		t.Errorf("error %v, want ErrCancelled", err)
	}
}

// linkStore is a hybrid.LinkStore that keeps what it is given.
type linkStore struct {
	mu    sync.Mutex
	links []hybrid.Link
}

func (l *linkStore) Remember(link hybrid.Link) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.links = append(l.links, link)
	return nil
}

func (l *linkStore) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.links)
}

func TestLinkingIsOfferedOnlyWithAStoreAndKeptOnlyWhenSignedByThisPhone(t *testing.T) {
	for _, tc := range []struct {
		name    string
		store   bool
		forge   bool
		linking bool // what the QR code says
		kept    int
	}{
		{"without a store the QR code says no linking and nothing is kept", false, false, false, 0},
		{"with a store, the phone's signed linking information is kept", true, false, true, 1},
		{"with a store, linking information signed with another key is dropped", true, true, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, faketunnel.Relay)
			r.phone.Linking, r.phone.ForgeLinking = true, tc.forge
			store := &linkStore{}
			if tc.store {
				r.cfg.Links = store
			}
			s, phoneDone := r.session(hybrid.RequestMakeCredential)
			q, err := hybrid.ParseQR(s.QR().Text)
			if err != nil {
				t.Fatal(err)
			}
			if q.SupportsLinking == nil || *q.SupportsLinking != tc.linking {
				t.Errorf("the QR code says supports linking %v, want %v", q.SupportsLinking, tc.linking)
			}
			if _, err := s.MakeCredential(t.Context(), makeCredentialRequest(), nil); err != nil {
				t.Fatalf("the transaction failed: %v", err)
			}
			if err := <-phoneDone; err != nil {
				t.Fatal(err)
			}
			if store.count() != tc.kept {
				t.Errorf("%d links kept, want %d", store.count(), tc.kept)
			}
			if tc.kept == 1 && (store.links[0].Name != "Simulated phone" || len(store.links[0].PublicKey) != 65 || store.links[0].DomainID != 0) {
				t.Errorf("link %+v", store.links[0])
			}
		})
	}
}

func TestTheQRCodeSaysWhatTheDesktopOffers(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, request := range []hybrid.RequestType{hybrid.RequestMakeCredential, hybrid.RequestGetAssertion} {
		s, err := hybrid.NewSession(hybrid.Config{Adverts: simphone.NewAir(), Now: func() time.Time { return now }}, request)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		text := s.QR().Text
		if !strings.HasPrefix(text, "FIDO:/") || strings.Trim(text[len("FIDO:/"):], "0123456789") != "" {
			t.Fatalf("QR text %q is not FIDO:/ and digits", text)
		}
		q, err := hybrid.ParseQR(text)
		if err != nil {
			t.Fatal(err)
		}
		if q.Request != request || q.KnownDomains != 2 || !q.Timestamp.Equal(now) || len(q.PublicKey) != 33 || len(q.Secret) != 16 {
			t.Errorf("QR data %+v", q)
		}
		other, err := hybrid.NewSession(hybrid.Config{Adverts: simphone.NewAir()}, request)
		if err != nil {
			t.Fatal(err)
		}
		if other.QR().Text == text {
			t.Error("two sessions gave the same QR code")
		}
		other.Close()
	}
}

func TestTheQRImageIsSmallEnoughToScan(t *testing.T) {
	s, err := hybrid.NewSession(hybrid.Config{Adverts: simphone.NewAir()}, hybrid.RequestMakeCredential)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The digits use the QR code's numeric mode: a caBLE QR code fits version 5 (37×37) at
	// error correction level M (HYBRID-NOTES Part 2 §1.1).
	modules, version, err := s.QR().Modules()
	if err != nil {
		t.Fatal(err)
	}
	if version > 5 || len(modules) != 17+4*version+8 {
		t.Errorf("version %d, %d modules a side", version, len(modules))
	}
	pngBytes, err := s.QR().PNG(256)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(pngBytes))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 256 || b.Dy() != 256 {
		t.Errorf("PNG is %v", b)
	}
}
