//go:build cgo || windows

package hybrid_test

// End to end, as the desktop app will do it: the real relying party (backend.New, SQLite in
// a temp dir) begins a ceremony, the app's own WebAuthn client (app/webauthnclient) builds
// clientDataJSON and runs it against the hybrid Authenticator, the simulated phone scans the
// QR code, and the RP's finish endpoint verifies the JSON that comes back, unchanged.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/nhs-passkeys/companion/app/hybrid"
	"github.com/nhs-passkeys/companion/app/webauthnclient"
	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/internal/phonetest/faketunnel"
)

const (
	rpOrigin = "http://localhost:8080"
	email    = "patient@example.com"
	password = "correct horse battery"
)

// rp is the backend as the page reaches it, with the page's cookies.
type rp struct {
	t       *testing.T
	h       http.Handler
	cookies map[string]string
}

func newRP(t *testing.T) *rp {
	t.Helper()
	srv, err := backend.New(t.Context(), backend.Config{DataDir: t.TempDir(), Origin: rpOrigin},
		backend.WithPasswordHashing(account.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &rp{t: t, h: srv.Handler(), cookies: map[string]string{}}
}

// do sends a request and decodes the answer into out (if not nil), expecting status.
func (r *rp) do(method, path string, body any, status int, out any) {
	r.t.Helper()
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			r.t.Fatal(err)
		}
	}
	// The RP answers only for its own host name (backend: 421 misdirected_request otherwise).
	req := httptest.NewRequestWithContext(r.t.Context(), method, rpOrigin+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", rpOrigin)
	for name, value := range r.cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(r.cookies, c.Name)
		} else {
			r.cookies[c.Name] = c.Value
		}
	}
	if rec.Code != status {
		r.t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			r.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

type begin struct {
	Ceremony  string          `json:"ceremony"`
	PublicKey json.RawMessage `json:"publicKey"`
}

func TestThePhonesAnswerIsVerifiedByTheRealRelyingParty(t *testing.T) {
	relyingParty := newRP(t)
	r := newRig(t, faketunnel.Relay)
	client, err := webauthnclient.New(rpOrigin)
	if err != nil {
		t.Fatal(err)
	}

	// Set up a passkey on the phone.
	relyingParty.do("POST", "/api/accounts", map[string]string{"email": email, "password": password}, http.StatusCreated, nil)
	var proof struct {
		Proof string `json:"proof"`
	}
	relyingParty.do("POST", "/api/reauth/password", map[string]string{"action": "add-passkey", "password": password}, http.StatusOK, &proof)
	var reg begin
	relyingParty.do("POST", "/api/passkeys/register/begin", map[string]string{"proof": proof.Proof}, http.StatusOK, &reg)

	create, err := client.PrepareCreate(reg.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	s, phoneDone := r.session(hybrid.RequestMakeCredential)
	var statuses []webauthnclient.Status
	credential, err := create.Run(t.Context(), hybrid.NewAuthenticator(s), nil, func(st webauthnclient.Status) { statuses = append(statuses, st) })
	if err != nil {
		t.Fatal(err)
	}
	if err := <-phoneDone; err != nil {
		t.Fatalf("phone: %v", err)
	}
	if !slices.Equal(statuses, []webauthnclient.Status{webauthnclient.StatusWorking, webauthnclient.StatusTouch}) {
		t.Errorf("statuses %v", statuses)
	}

	// The JSON says what a browser's toJSON() would for a phone over hybrid.
	var got struct {
		AuthenticatorAttachment string `json:"authenticatorAttachment"`
		Response                struct {
			Transports        []string `json:"transports"`
			AttestationObject string   `json:"attestationObject"`
			ClientDataJSON    string   `json:"clientDataJSON"`
		} `json:"response"`
	}
	if err := json.Unmarshal(credential, &got); err != nil {
		t.Fatal(err)
	}
	if got.AuthenticatorAttachment != "cross-platform" || !slices.Equal(got.Response.Transports, []string{"hybrid"}) {
		t.Errorf("attachment %q, transports %v", got.AuthenticatorAttachment, got.Response.Transports)
	}
	attObj, _ := base64.RawURLEncoding.DecodeString(got.Response.AttestationObject)
	var att struct {
		Fmt     string         `cbor:"fmt"`
		AttStmt map[string]any `cbor:"attStmt"`
	}
	if err := cbor.Unmarshal(attObj, &att); err != nil || att.Fmt != "none" || len(att.AttStmt) != 0 {
		t.Errorf("attestation object %+v, %v; want none", att, err)
	}
	if cdj, _ := base64.RawURLEncoding.DecodeString(got.Response.ClientDataJSON); !bytes.Equal(cdj, create.ClientDataJSON()) {
		t.Errorf("clientDataJSON %s", cdj)
	}

	var added struct {
		Passkey struct {
			Name string `json:"name"`
		} `json:"passkey"`
	}
	relyingParty.do("POST", "/api/passkeys/register/finish", map[string]any{"ceremony": reg.Ceremony, "credential": credential}, http.StatusCreated, &added)
	// The authenticator data reached the RP as the phone signed it: its AAGUID names the provider.
	if added.Passkey.Name != "Google Password Manager" {
		t.Errorf("the passkey is called %q", added.Passkey.Name)
	}
	var list struct {
		Passkeys []json.RawMessage `json:"passkeys"`
	}
	relyingParty.do("GET", "/api/passkeys", nil, http.StatusOK, &list)
	if len(list.Passkeys) != 1 {
		t.Fatalf("the account has %d passkeys, want 1", len(list.Passkeys))
	}

	// Log out, and log in with the passkey on the phone through a new QR code.
	relyingParty.do("POST", "/api/logout", struct{}{}, http.StatusOK, nil)
	var login begin
	relyingParty.do("POST", "/api/login/passkey/begin", map[string]string{"email": email}, http.StatusOK, &login)
	get, err := client.PrepareGet(login.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	s2, phoneDone := r.session(hybrid.RequestGetAssertion)
	assertion, err := get.Run(t.Context(), hybrid.NewAuthenticator(s2), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-phoneDone; err != nil {
		t.Fatalf("phone: %v", err)
	}
	var account struct {
		Account struct {
			Email string `json:"email"`
		} `json:"account"`
	}
	relyingParty.do("POST", "/api/login/passkey/finish", map[string]any{"ceremony": login.Ceremony, "credential": assertion}, http.StatusOK, &account)
	if account.Account.Email != email {
		t.Errorf("signed in as %q", account.Account.Email)
	}
	var session struct {
		SignedIn bool `json:"signedIn"`
	}
	relyingParty.do("GET", "/api/session", nil, http.StatusOK, &session)
	if !session.SignedIn {
		t.Error("not signed in after the phone's assertion was accepted")
	}
}
