//go:build cgo && !windows

package webauthnclient_test

// The native client end to end: the real backend (SQLite in a temp dir) makes the options
// and verifies the answers through the same finish endpoints the browser path uses; the
// authenticator is the virtual key behind the real libfido2 (app/fido2).

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/app/webauthnclient"
	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/session"
)

const (
	rpOrigin = "http://localhost:8080"
	pin      = "482913"
)

// page is the app's page as the backend sees it: requests with the Origin, and the session
// cookie kept between them.
type page struct {
	t      *testing.T
	h      http.Handler
	cookie *http.Cookie
}

func newPage(t *testing.T) *page {
	t.Helper()
	srv, err := backend.New(t.Context(), backend.Config{DataDir: t.TempDir(), Origin: rpOrigin},
		backend.WithPasswordHashing(account.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &page{t: t, h: srv.Handler()}
}

// post sends body as JSON and decodes the answer into out; it returns the status.
func (p *page) post(path string, body any, out any) int {
	p.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		p.t.Fatal(err)
	}
	req := httptest.NewRequestWithContext(p.t.Context(), http.MethodPost, rpOrigin+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", rpOrigin)
	if p.cookie != nil {
		req.AddCookie(p.cookie)
	}
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == session.CookieName {
			p.cookie = &http.Cookie{Name: c.Name, Value: c.Value}
			if c.MaxAge < 0 || c.Value == "" {
				p.cookie = nil
			}
		}
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			p.t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
	}
	return rec.Code
}

// begin is a begin endpoint's answer.
type begin struct {
	Ceremony  string          `json:"ceremony"`
	PublicKey json.RawMessage `json:"publicKey"`
}

// in is the page as seen from subtest t (it fails t), with the same backend and cookie.
func (p *page) in(t *testing.T) *page { return &page{t: t, h: p.h, cookie: p.cookie} }

// beginCeremony posts body to a begin endpoint and returns its answer; anything but 200
// fails the test.
func (p *page) beginCeremony(path string, body any) begin {
	p.t.Helper()
	var b begin
	if code := p.post(path, body, &b); code != http.StatusOK {
		p.t.Fatalf("%s: %d", path, code)
	}
	return b
}

// logIn logs in with a passkey on auth through the backend's login endpoints, for email (""
// for a discoverable login without one), the client told to prefer that account's passkey
// when prefer is set. It returns the assertion and the email of the account signed in.
func (p *page) logIn(client *webauthnclient.Client, auth webauthnclient.Authenticator, email string, prefer bool) (json.RawMessage, string) {
	p.t.Helper()
	login := p.beginCeremony("/api/login/passkey/begin", map[string]string{"email": email})
	get, err := client.PrepareGet(login.PublicKey)
	if err != nil {
		p.t.Fatal(err)
	}
	if prefer {
		get.PreferAccount(email)
	}
	assertion, err := get.Run(p.t.Context(), auth, []byte(pin), nil)
	if err != nil {
		p.t.Fatalf("get (email %q): %v", email, err)
	}
	var signedIn struct {
		Account struct{ Email string } `json:"account"`
	}
	if code := p.post("/api/login/passkey/finish", map[string]any{"ceremony": login.Ceremony, "credential": assertion}, &signedIn); code != http.StatusOK {
		p.t.Fatalf("login finish (email %q): %d", email, code)
	}
	return assertion, signedIn.Account.Email
}

type errorBody struct {
	Error struct{ Code string } `json:"error"`
}

// newKey is a fresh virtual key with a PIN, opened through the real libfido2.
func newKey(t *testing.T) (*virtualkey.Key, *fido2.Device) {
	t.Helper()
	return newKeyWith(t, virtualkey.Options{})
}

// newKeyWith is newKey for a virtual key made with opts.
func newKeyWith(t *testing.T, opts virtualkey.Options) (*virtualkey.Key, *fido2.Device) {
	t.Helper()
	key, err := virtualkey.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	dev, err := fido2.OpenTransport(key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Close() })
	if err := dev.SetPIN(t.Context(), []byte(pin)); err != nil {
		t.Fatal(err)
	}
	return key, dev
}

func TestNativeClientRegistersAndLogsInThroughTheBackendsFinishEndpoints(t *testing.T) {
	p := newPage(t)
	client, err := webauthnclient.New(rpOrigin)
	if err != nil {
		t.Fatal(err)
	}
	key, dev := newKey(t)
	auth := webauthnclient.NewFIDO2(dev)

	if code := p.post("/api/accounts", map[string]string{"email": "patient@example.com", "password": "correct horse battery"}, nil); code != http.StatusCreated {
		t.Fatalf("create account: %d", code)
	}

	// Registration.
	reg := p.beginCeremony("/api/passkeys/register/begin", struct{}{})
	create, err := client.PrepareCreate(reg.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	var touched []webauthnclient.Status
	credential, err := create.Run(t.Context(), auth, []byte(pin), func(s webauthnclient.Status) { touched = append(touched, s) })
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	var passkey struct {
		Passkey struct {
			Transports []string `json:"transports"`
			AAGUID     string   `json:"aaguid"`
		} `json:"passkey"`
	}
	if code := p.post("/api/passkeys/register/finish", map[string]any{"ceremony": reg.Ceremony, "credential": credential}, &passkey); code != http.StatusCreated {
		t.Fatalf("register finish: %d %+v", code, passkey)
	}
	if passkey.Passkey.AAGUID != "6e68736b-6579-0000-4a1c-9b528d0e4107" || len(passkey.Passkey.Transports) != 1 || passkey.Passkey.Transports[0] != "usb" {
		t.Errorf("stored passkey %+v", passkey.Passkey)
	}
	creds := key.Credentials()
	if len(creds) != 1 || creds[0].RPID != "localhost" || !creds[0].Discoverable || creds[0].UserName != "patient@example.com" {
		t.Fatalf("the key holds %+v", creds)
	}

	// Adding another passkey needs a fresh re-authentication, with the passkey now: the
	// native client's assertion goes to the reauth finish endpoint like any other.
	reauth := p.beginCeremony("/api/reauth/passkey/begin", map[string]string{"action": "add-passkey"})
	get, err := client.PrepareGet(reauth.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := get.Run(t.Context(), auth, []byte(pin), nil)
	if err != nil {
		t.Fatalf("get (re-authentication): %v", err)
	}
	var proof struct {
		Proof string `json:"proof"`
	}
	if code := p.post("/api/reauth/passkey/finish", map[string]any{"ceremony": reauth.Ceremony, "credential": assertion}, &proof); code != http.StatusOK || proof.Proof == "" {
		t.Fatalf("reauth finish: %d", code)
	}

	// The same key cannot register a second passkey for the account (excludeCredentials):
	// the authenticator's error comes back for the caller to map.
	again := p.beginCeremony("/api/passkeys/register/begin", map[string]string{"proof": proof.Proof})
	create2, err := client.PrepareCreate(again.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := create2.Run(t.Context(), auth, []byte(pin), nil); !errors.Is(err, fido2.ErrCredentialExcluded) {
		t.Fatalf("second registration on the same key: %v, want fido2.ErrCredentialExcluded", err)
	}

	// Log in with the email, then without (both discoverable: the email step lists no passkeys).
	for _, email := range []string{"patient@example.com", ""} {
		if code := p.post("/api/logout", struct{}{}, nil); code != http.StatusOK || p.cookie != nil {
			t.Fatalf("logout: %d", code)
		}
		assertion, signedInAs := p.logIn(client, auth, email, false)
		if signedInAs != "patient@example.com" || p.cookie == nil {
			t.Fatalf("not signed in: %q", signedInAs)
		}
		var a struct {
			Response struct{ UserHandle string } `json:"response"`
		}
		_ = json.Unmarshal(assertion, &a)
		if email == "" && a.Response.UserHandle == "" {
			t.Error("a discoverable login must return the user handle")
		}
	}
	if got := key.Credentials()[0].SignCount; got < 3 {
		t.Errorf("sign count %d after a re-authentication and two logins", got)
	}
}

func TestTheBackendRefusesAClientDataJSONForAnotherOrigin(t *testing.T) {
	// The origin is the RP's, and the RP checks it: a client configured for another origin
	// (here the same host on another port) produces a credential the backend refuses.
	p := newPage(t)
	_, dev := newKey(t)
	p.post("/api/accounts", map[string]string{"email": "patient@example.com", "password": "correct horse battery"}, nil)
	var reg begin
	p.post("/api/passkeys/register/begin", struct{}{}, &reg)
	other, err := webauthnclient.New("http://localhost:9999")
	if err != nil {
		t.Fatal(err)
	}
	create, err := other.PrepareCreate(reg.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	credential, err := create.Run(t.Context(), webauthnclient.NewFIDO2(dev), []byte(pin), nil)
	if err != nil {
		t.Fatal(err)
	}
	var refused errorBody
	if code := p.post("/api/passkeys/register/finish", map[string]any{"ceremony": reg.Ceremony, "credential": credential}, &refused); code != http.StatusBadRequest ||
		refused.Error.Code != "passkey_not_accepted" {
		t.Fatalf("finish: %d %+v", code, refused)
	}
}

func TestAuthenticatorErrorsComeBackAsFido2Errors(t *testing.T) {
	client, err := webauthnclient.New(rpOrigin)
	if err != nil {
		t.Fatal(err)
	}
	options := `{"rp":{"name":"NHS"},"user":{"id":"AQID","name":"a@example.com","displayName":"a"},"challenge":"` +
		base64.RawURLEncoding.EncodeToString(make([]byte, 32)) + `","authenticatorSelection":{"residentKey":"required","userVerification":"required"}}`
	create, err := client.PrepareCreate([]byte(options))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		behaviour virtualkey.Behaviour
		pin       string
		want      error
	}{
		{"a wrong PIN", virtualkey.Succeed(), "000000", fido2.ErrPINInvalid},
		{"no PIN when one is needed", virtualkey.Succeed(), "", fido2.ErrPINRequired},
		{"a full key", virtualkey.Full(), pin, fido2.ErrKeyStoreFull},
		{"nobody touches the key", virtualkey.TimeOut(), pin, fido2.ErrActionTimeout},
		{"the person cancels on the key", virtualkey.Cancelled(), pin, fido2.ErrCancelled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, dev := newKey(t)
			key.SetBehaviour(tt.behaviour)
			var p []byte
			if tt.pin != "" {
				p = []byte(tt.pin)
			}
			_, err := create.Run(t.Context(), webauthnclient.NewFIDO2(dev), p, nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if len(key.Credentials()) != 0 {
				t.Error("the key made a credential anyway")
			}
			if !bytes.Equal(p, make([]byte, len(p))) {
				t.Error("the PIN was not zeroed")
			}
		})
	}
}

// One key can hold passkeys of several NHS login accounts (a family's shared key, a tester's
// virtual key). The email step sends no allow list, so the key finds them all; the client
// uses the one of the account the person typed, as a browser's account chooser would.
func TestALoginByEmailUsesThatAccountsPasskeyWhenTheKeyHoldsSeveral(t *testing.T) {
	p := newPage(t)
	client, err := webauthnclient.New(rpOrigin)
	if err != nil {
		t.Fatal(err)
	}
	_, dev := newKey(t)
	auth := webauthnclient.NewFIDO2(dev)
	emails := []string{"first@example.com", "second@example.com", "third@example.com"}
	for _, email := range emails {
		if code := p.post("/api/accounts", map[string]string{"email": email, "password": "correct horse battery"}, nil); code != http.StatusCreated {
			t.Fatalf("create account %s: %d", email, code)
		}
		reg := p.beginCeremony("/api/passkeys/register/begin", struct{}{})
		create, err := client.PrepareCreate(reg.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		credential, err := create.Run(t.Context(), auth, []byte(pin), nil)
		if err != nil {
			t.Fatalf("create: %v", err)
		}
		if code := p.post("/api/passkeys/register/finish", map[string]any{"ceremony": reg.Ceremony, "credential": credential}, nil); code != http.StatusCreated {
			t.Fatalf("register finish: %d", code)
		}
		if code := p.post("/api/logout", struct{}{}, nil); code != http.StatusOK {
			t.Fatalf("logout: %d", code)
		}
	}
	for _, email := range []string{"second@example.com", "THIRD@example.com", "first@example.com"} {
		t.Run("logging in as "+email, func(t *testing.T) {
			p := p.in(t)
			if _, signedInAs := p.logIn(client, auth, email, true); !strings.EqualFold(signedInAs, email) {
				t.Errorf("signed in as %q, want %q", signedInAs, email)
			}
			if code := p.post("/api/logout", struct{}{}, nil); code != http.StatusOK {
				t.Fatalf("logout: %d", code)
			}
		})
	}

	t.Run("an email whose account has no passkey on the key finds none, as a browser's chooser would show", func(t *testing.T) {
		p := p.in(t)
		login := p.beginCeremony("/api/login/passkey/begin", map[string]string{"email": "nobody@example.com"})
		get, err := client.PrepareGet(login.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		get.PreferAccount("nobody@example.com")
		if _, err := get.Run(t.Context(), auth, []byte(pin), nil); !errors.Is(err, webauthnclient.ErrNoAccountPasskey) {
			t.Fatalf("get for an account with no passkey on the key: %v, want ErrNoAccountPasskey", err)
		}
	})
}

// A list of credentials longer than a key takes at once (getInfo maxCredentialCountInList,
// 8 for the virtual key as for a YubiKey 5; maxMsgSize) comes from an account with many
// passkeys, or from a page. The key would refuse it whole; the client finds out silently,
// batch by batch, which of them the key holds (CTAP 2.1 §6.2.2, "up" false), as a browser
// does, and the ceremony then goes as it would with a short list.
func TestLongCredentialListsAreAskedAboutInBatchesTheKeyTakes(t *testing.T) {
	client, err := webauthnclient.New(rpOrigin)
	if err != nil {
		t.Fatal(err)
	}
	challenge := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	descriptors := func(ids ...[]byte) string {
		var list []string
		for _, id := range ids {
			list = append(list, `{"type":"public-key","id":"`+base64.RawURLEncoding.EncodeToString(id)+`"}`)
		}
		return "[" + strings.Join(list, ",") + "]"
	}
	createOptions := func(userID string, exclude string) []byte {
		return []byte(`{"rp":{"name":"NHS"},"user":{"id":"` + userID + `","name":"a@example.com","displayName":"a"},"challenge":"` +
			challenge + `","excludeCredentials":` + exclude + `,"authenticatorSelection":{"residentKey":"required","userVerification":"required"}}`)
	}
	getOptions := func(allow string) []byte {
		return []byte(`{"challenge":"` + challenge + `","allowCredentials":` + allow + `,"userVerification":"required"}`)
	}
	// others are credential IDs no key holds: n of them, each of size bytes.
	others := func(n, size int) [][]byte {
		ids := make([][]byte, n)
		for i := range ids {
			ids[i] = bytes.Repeat([]byte{byte(i), byte(i >> 8), 0xa5}, size)[:size]
		}
		return ids
	}
	// onKey makes a passkey on a new key and returns the key, its device and the passkey's ID.
	onKey := func(t *testing.T) (*virtualkey.Key, webauthnclient.Authenticator, []byte) {
		key, dev := newKey(t)
		auth := webauthnclient.NewFIDO2(dev)
		create, err := client.PrepareCreate(createOptions("AQID", "[]"))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := create.Run(t.Context(), auth, []byte(pin), nil)
		if err != nil {
			t.Fatalf("the first passkey: %v", err)
		}
		var made struct{ RawID string }
		if err := json.Unmarshal(raw, &made); err != nil {
			t.Fatal(err)
		}
		id, err := base64.RawURLEncoding.DecodeString(made.RawID)
		if err != nil {
			t.Fatal(err)
		}
		return key, auth, id
	}
	with := func(list [][]byte, at int, id []byte) [][]byte {
		return append(append(append([][]byte{}, list[:at]...), id), list[at:]...)
	}

	t.Run("a new passkey is made when none of 600 excluded credentials is on the key", func(t *testing.T) {
		key, auth, _ := onKey(t)
		create, err := client.PrepareCreate(createOptions("BAUG", descriptors(others(600, 32)...)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := create.Run(t.Context(), auth, []byte(pin), nil); err != nil {
			t.Fatalf("create: %v", err)
		}
		if n := len(key.Credentials()); n != 2 {
			t.Errorf("the key holds %d passkeys, want 2", n)
		}
	})
	t.Run("the key refuses a new passkey when the 250th of 300 excluded credentials is on it", func(t *testing.T) {
		key, auth, id := onKey(t)
		create, err := client.PrepareCreate(createOptions("BAUG", descriptors(with(others(299, 32), 249, id)...)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := create.Run(t.Context(), auth, []byte(pin), nil); !errors.Is(err, fido2.ErrCredentialExcluded) {
			t.Fatalf("create: %v, want ErrCredentialExcluded", err)
		}
		if n := len(key.Credentials()); n != 1 {
			t.Errorf("the key holds %d passkeys, want 1", n)
		}
		// 8 at a time (the key's maxCredentialCountInList): the 250th is in the 32nd batch.
		if n := key.SilentAssertions(); n != 32 {
			t.Errorf("the key was probed silently %d times, want 32", n)
		}
	})
	t.Run("an excluded credential among IDs longer than the key makes is still found", func(t *testing.T) {
		_, auth, id := onKey(t)
		create, err := client.PrepareCreate(createOptions("BAUG", descriptors(with(others(20, 200), 20, id)...)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := create.Run(t.Context(), auth, []byte(pin), nil); !errors.Is(err, fido2.ErrCredentialExcluded) {
			t.Fatalf("create: %v, want ErrCredentialExcluded", err)
		}
	})
	t.Run("the 250th of 300 allowed credentials logs in", func(t *testing.T) {
		_, auth, id := onKey(t)
		get, err := client.PrepareGet(getOptions(descriptors(with(others(299, 32), 249, id)...)))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := get.Run(t.Context(), auth, []byte(pin), nil)
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		var used struct{ RawID string }
		if err := json.Unmarshal(raw, &used); err != nil || used.RawID != base64.RawURLEncoding.EncodeToString(id) {
			t.Errorf("logged in with %q (%v), want the key's passkey", used.RawID, err)
		}
	})
	for _, tt := range []struct {
		name  string
		allow [][]byte
	}{
		{"none of 300 allowed credentials on the key is no passkey, not another one", others(300, 32)},
		{"allowed credentials all longer than the key makes are no passkey", others(3, 200)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			key, auth, _ := onKey(t)
			before := key.Credentials()[0].SignCount
			get, err := client.PrepareGet(getOptions(descriptors(tt.allow...)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := get.Run(t.Context(), auth, []byte(pin), nil); !errors.Is(err, fido2.ErrNoCredentials) {
				t.Fatalf("get: %v, want ErrNoCredentials", err)
			}
			if after := key.Credentials()[0].SignCount; after != before {
				t.Errorf("the key's passkey signed (count %d to %d)", before, after)
			}
		})
	}
}

// A key that does not say how many credentials a list may hold (a CTAP 2.0 key: getInfo's
// maxCredentialCountInList is CTAP 2.1's) gets the list whole, as it always did, and is never
// probed silently: such keys took the lists they were given, and a probe without the PIN
// finds no credential guarded by user verification (credProtect level 3), so an exclude list
// narrowed to nothing could let a new passkey overwrite one the key already holds.
func TestAKeyThatDoesNotSayItsListLimitGetsTheListWhole(t *testing.T) {
	client, err := webauthnclient.New(rpOrigin)
	if err != nil {
		t.Fatal(err)
	}
	challenge := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
	key, dev := newKeyWith(t, virtualkey.Options{UnstatedListLimit: true})
	auth := webauthnclient.NewFIDO2(dev)
	create := func(exclude string) ([]byte, error) {
		c, err := client.PrepareCreate([]byte(`{"rp":{"name":"NHS"},"user":{"id":"AQID","name":"a@example.com","displayName":"a"},"challenge":"` +
			challenge + `","excludeCredentials":` + exclude + `,"authenticatorSelection":{"residentKey":"required","userVerification":"required"}}`))
		if err != nil {
			t.Fatal(err)
		}
		return c.Run(t.Context(), auth, []byte(pin), nil)
	}
	raw, err := create("[]")
	if err != nil {
		t.Fatalf("the first passkey: %v", err)
	}
	var made struct{ RawID string }
	if err := json.Unmarshal(raw, &made); err != nil {
		t.Fatal(err)
	}
	list := `[{"type":"public-key","id":"` + base64.RawURLEncoding.EncodeToString([]byte("not on the key 1")) + `"},` +
		`{"type":"public-key","id":"` + base64.RawURLEncoding.EncodeToString([]byte("not on the key 2")) + `"},` +
		`{"type":"public-key","id":"` + made.RawID + `"}]`

	if _, err := create(list); !errors.Is(err, fido2.ErrCredentialExcluded) {
		t.Fatalf("create with the key's passkey third of three excluded: %v, want ErrCredentialExcluded", err)
	}
	get, err := client.PrepareGet([]byte(`{"challenge":"` + challenge + `","allowCredentials":` + list + `,"userVerification":"required"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := get.Run(t.Context(), auth, []byte(pin), nil); err != nil {
		t.Fatalf("log in with the key's passkey third of three allowed: %v", err)
	}
	if n := key.SilentAssertions(); n != 0 {
		t.Errorf("the key was probed silently %d times, want none: its lists went whole", n)
	}
	if n := len(key.Credentials()); n != 1 {
		t.Errorf("the key holds %d passkeys, want 1", n)
	}
}
