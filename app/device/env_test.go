//go:build cgo && !windows

package device_test

// The test bench: the real backend (SQLite in a temp dir) behind the device endpoints, as
// the desktop app mounts them; the virtual key behind the real libfido2; the test USB bus
// (internal/testkit/usb) that "plugs in" virtual keys as hardware keys (there is no
// /dev/uhid here); the test clock (internal/testkit).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/device"
	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/session"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

const (
	rpOrigin   = "http://localhost:8080" // the relying party's origin (backend and clientDataJSON)
	pageOrigin = "wails://wails"         // the page's origin, as the webview sends it
	pin        = "482913"
	email      = "patient@example.com"
	password   = "correct horse battery"
)

// env is one desktop app: the page's view of the backend with the device endpoints in front.
type env struct {
	t      *testing.T
	svc    *device.Service
	h      http.Handler
	plain  http.Handler // the backend alone, as in serve mode
	key    *virtualkey.Key
	clock  *testkit.Clock
	cookie *http.Cookie
}

type setup struct {
	noVirtual  bool
	keyOptions virtualkey.Options
	keys       device.SecurityKeys
	maxTimeout time.Duration
	names      device.AuthenticatorNames // keys_test.go: models by AAGUID
	logger     *slog.Logger              // keys_test.go: to check what is logged
	kiosk      *device.Kiosk             // kiosk_test.go
	phone      *device.Phone             // phone_test.go
	// webviews are the page's origins (backend RequestOrigins, device Origins); nil: pageOrigin.
	webviews []string
}

func newEnv(t *testing.T, s setup) *env {
	t.Helper()
	webviews := s.webviews
	if webviews == nil {
		webviews = []string{pageOrigin}
	}
	srv, err := backend.New(t.Context(), backend.Config{
		DataDir:        t.TempDir(),
		Origin:         rpOrigin,
		RequestOrigins: webviews,
		Ceremonies:     "device",
	}, backend.WithPasswordHashing(account.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	e := &env{t: t, plain: srv.Handler(), clock: testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))}
	if !s.noVirtual {
		if e.key, err = virtualkey.New(s.keyOptions); err != nil {
			t.Fatal(err)
		}
	}
	e.svc, err = device.New(device.Config{
		Origins:      webviews,
		RPOrigin:     rpOrigin,
		SecurityKeys: s.keys,
		VirtualKey:   e.key,
		MaxTimeout:   s.maxTimeout,
		Now:          e.clock.Now,
		Logger:       s.logger,

		AuthenticatorNames: s.names,
		Kiosk:              s.kiosk,
		Phone:              s.phone,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.svc.Close)
	e.h = e.svc.Wrap(srv.Handler())
	return e
}

// setPIN gives a virtual key the test's PIN (pin) through libfido2, as a key's own software
// would.
func setPIN(t *testing.T, key *virtualkey.Key) {
	t.Helper()
	dev, err := fido2.OpenTransport(key)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if err := dev.SetPIN(t.Context(), []byte(pin)); err != nil {
		t.Fatal(err)
	}
}

// response is an answer.
type response struct {
	status int
	body   []byte
}

func (r response) code() string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code
}

// request sends a request with the given Origin ("" sends none) through h.
func (e *env) request(h http.Handler, method, path string, body any, origin string) response {
	e.t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
	}
	// The webview's page: Wails' AssetServer makes the request for the page's URL, so its
	// Host is the webview's ("wails" for wails://wails), the only one the app answers for.
	req := httptest.NewRequestWithContext(e.t.Context(), method, pageOrigin+path, bytes.NewReader(raw))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return e.send(h, req)
}

// send sends req through h with the session cookie, and keeps the one the answer sets.
func (e *env) send(h http.Handler, req *http.Request) response {
	e.t.Helper()
	if e.cookie != nil {
		req.AddCookie(e.cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == session.CookieName {
			e.cookie = &http.Cookie{Name: c.Name, Value: c.Value}
			if c.MaxAge < 0 || c.Value == "" {
				e.cookie = nil
			}
		}
	}
	return response{rec.Code, rec.Body.Bytes()}
}

// do sends a request from the app's page.
func (e *env) do(method, path string, body any) response {
	e.t.Helper()
	return e.request(e.h, method, path, body, pageOrigin)
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %d %s: %v", r.status, r.body, err)
	}
	return v
}

// ceremony is DeviceCeremony.
type ceremony struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	State       string `json:"state"`
	RetriesLeft *int   `json:"retriesLeft"`
	// MinPINLength: a key without a PIN asks for a new one of at least this many characters.
	MinPINLength *int            `json:"minPinLength"`
	Credential   json.RawMessage `json:"credential"`
	Error        *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	// QR is a phone ceremony's QR code (phone_test.go).
	QR *struct {
		Text  string `json:"text"`
		Image string `json:"image"`
	} `json:"qr"`
}

func (c ceremony) String() string {
	s := fmt.Sprintf("%s %s", c.Kind, c.State)
	if c.RetriesLeft != nil {
		s += fmt.Sprintf(" (%d tries left)", *c.RetriesLeft)
	}
	if c.Error != nil {
		s += fmt.Sprintf(" %s: %s", c.Error.Code, c.Error.Message)
	}
	return s
}

func ceremonyOf(t *testing.T, r response) ceremony {
	t.Helper()
	return decode[struct {
		Ceremony ceremony `json:"ceremony"`
	}](t, r).Ceremony
}

// start posts a device ceremony and expects 202.
func (e *env) start(kind, authenticator string, publicKey json.RawMessage) ceremony {
	e.t.Helper()
	r := e.do("POST", "/api/device/ceremonies", map[string]any{"kind": kind, "authenticator": authenticator, "publicKey": publicKey})
	if r.status != http.StatusAccepted {
		e.t.Fatalf("start %s ceremony: %d %s", kind, r.status, r.body)
	}
	c := ceremonyOf(e.t, r)
	if c.ID == "" || c.Kind != kind {
		e.t.Fatalf("started %+v", c)
	}
	return c
}

// await polls the ceremony, as the page does, until it is in one of states.
func (e *env) await(id string, states ...string) ceremony {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var c ceremony
	for time.Now().Before(deadline) {
		r := e.do("GET", "/api/device/ceremonies/"+id, nil)
		if r.status != http.StatusOK {
			e.t.Fatalf("get ceremony: %d %s", r.status, r.body)
		}
		c = ceremonyOf(e.t, r)
		if slices.Contains(states, c.State) {
			return c
		}
		if c.State == "done" || c.State == "failed" {
			e.t.Fatalf("ceremony ended %s, waiting for %v", c, states)
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("ceremony still %s, waiting for %v", c, states)
	return c
}

// sendPIN posts the PIN and expects 202.
func (e *env) sendPIN(id, p string) ceremony {
	e.t.Helper()
	r := e.do("POST", "/api/device/ceremonies/"+id+"/pin", map[string]string{"pin": p})
	if r.status != http.StatusAccepted {
		e.t.Fatalf("send PIN: %d %s", r.status, r.body)
	}
	return ceremonyOf(e.t, r)
}

// begin is a begin endpoint's answer.
type begin struct {
	Ceremony  string          `json:"ceremony"`
	PublicKey json.RawMessage `json:"publicKey"`
}

func (e *env) signUp() {
	e.t.Helper()
	if r := e.do("POST", "/api/accounts", map[string]string{"email": email, "password": password}); r.status != http.StatusCreated {
		e.t.Fatalf("create account: %d %s", r.status, r.body)
	}
}

// registerBegin starts setting up a passkey. Adding a passkey needs a fresh re-authentication
// (backend/reauth): the password while the account has no passkey, then a passkey, which
// goes through the device endpoints with the virtual key like any login. (Set a one-shot
// virtualkey behaviour after this, not before: the re-authentication would use it.)
func (e *env) registerBegin() begin {
	e.t.Helper()
	r := e.do("POST", "/api/passkeys/register/begin", map[string]string{"proof": e.proof("add-passkey")})
	if r.status != http.StatusOK {
		e.t.Fatalf("register begin: %d %s", r.status, r.body)
	}
	return decode[begin](e.t, r)
}

// proof re-authenticates for action and returns the proof.
func (e *env) proof(action string) string {
	e.t.Helper()
	var r response
	if e.passkeys() == 0 {
		r = e.do("POST", "/api/reauth/password", map[string]string{"action": action, "password": password})
	} else {
		b := e.do("POST", "/api/reauth/passkey/begin", map[string]string{"action": action})
		if b.status != http.StatusOK {
			e.t.Fatalf("re-authentication begin: %d %s", b.status, b.body)
		}
		c := e.start("get", "virtual", decode[begin](e.t, b).PublicKey)
		c = e.withPIN(c)
		r = e.do("POST", "/api/reauth/passkey/finish", map[string]any{"ceremony": decode[begin](e.t, b).Ceremony, "credential": c.Credential})
	}
	if r.status != http.StatusOK {
		e.t.Fatalf("re-authenticate for %s: %d %s", action, r.status, r.body)
	}
	return decode[struct {
		Proof string `json:"proof"`
	}](e.t, r).Proof
}

func (e *env) loginBegin(address string) begin {
	e.t.Helper()
	r := e.do("POST", "/api/login/passkey/begin", map[string]string{"email": address})
	if r.status != http.StatusOK {
		e.t.Fatalf("login begin: %d %s", r.status, r.body)
	}
	return decode[begin](e.t, r)
}

func (e *env) logout() {
	e.t.Helper()
	if r := e.do("POST", "/api/logout", struct{}{}); r.status != http.StatusOK || e.cookie != nil {
		e.t.Fatalf("logout: %d %s", r.status, r.body)
	}
}

// signedIn reads GET /api/session.
func (e *env) signedIn() bool {
	e.t.Helper()
	return decode[struct {
		SignedIn bool `json:"signedIn"`
	}](e.t, e.do("GET", "/api/session", nil)).SignedIn
}

// passkeys counts the account's passkeys through GET /api/passkeys.
func (e *env) passkeys() int {
	e.t.Helper()
	r := e.do("GET", "/api/passkeys", nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("list passkeys: %d %s", r.status, r.body)
	}
	return len(decode[struct {
		Passkeys []json.RawMessage `json:"passkeys"`
	}](e.t, r).Passkeys)
}

// withPIN takes ceremony c through its PIN step with pin to its end, done.
func (e *env) withPIN(c ceremony) ceremony {
	e.t.Helper()
	c = e.await(c.ID, "pin-needed")
	e.sendPIN(c.ID, pin)
	return e.await(c.ID, "done")
}

// finishRegister hands credential to the backend for the set-up b began and checks it is
// accepted (201).
func (e *env) finishRegister(b begin, credential json.RawMessage) {
	e.t.Helper()
	if r := e.do("POST", "/api/passkeys/register/finish", map[string]any{"ceremony": b.Ceremony, "credential": credential}); r.status != http.StatusCreated {
		e.t.Fatalf("register finish: %d %s", r.status, r.body)
	}
}

// finishLogin hands credential to the backend for the login b began and checks it signs
// the person in (200).
func (e *env) finishLogin(b begin, credential json.RawMessage) {
	e.t.Helper()
	if r := e.do("POST", "/api/login/passkey/finish", map[string]any{"ceremony": b.Ceremony, "credential": credential}); r.status != http.StatusOK {
		e.t.Fatalf("login finish: %d %s", r.status, r.body)
	}
}

// register sets up a passkey on the authenticator through the device endpoints, the key
// already having PIN pin, and checks the backend accepts it.
func (e *env) register(authenticator string) {
	e.t.Helper()
	b := e.registerBegin()
	c := e.start("create", authenticator, b.PublicKey)
	c = e.withPIN(c)
	e.finishRegister(b, c.Credential)
}
