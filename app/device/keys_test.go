//go:build cgo && !windows

package device_test

// The security key endpoints (docs/api.md, "Security key endpoints") through the real
// backend, the real libfido2 and the virtual key: each test does what the page does and
// checks the key and the account afterwards, not only the answer.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/nhs-passkeys/companion/app/device"
	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/internal/testkit"
	"github.com/nhs-passkeys/companion/internal/testkit/usb"
)

// securityKey is SecurityKey.
type securityKey struct {
	ID              string   `json:"id"`
	Kind            string   `json:"kind"`
	Name            string   `json:"name"`
	Readable        bool     `json:"readable"`
	AAGUID          string   `json:"aaguid"`
	FirmwareVersion *uint64  `json:"firmwareVersion"`
	Versions        []string `json:"versions"`
	PIN             struct {
		Set         bool `json:"set"`
		RetriesLeft *int `json:"retriesLeft"`
		Blocked     bool `json:"blocked"`
		MinLength   int  `json:"minLength"`
		MustChange  bool `json:"mustChange"`
	} `json:"pin"`
	Passkeys struct {
		Manageable bool `json:"manageable"`
		Remaining  *int `json:"remaining"`
	} `json:"passkeys"`
	Fingerprints struct {
		Supported bool `json:"supported"`
		Enrolled  bool `json:"enrolled"`
	} `json:"fingerprints"`
	ResetSecondsLeft int `json:"resetSecondsLeft"`
}

type keyPasskey struct {
	CredentialID   string `json:"credentialId"`
	RPID           string `json:"rpId"`
	UserName       string `json:"userName"`
	NHSLogin       string `json:"nhsLogin"`
	AccountPasskey *struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Flagged bool   `json:"flagged"`
	} `json:"accountPasskey"`
}

type keyPasskeys struct {
	Passkeys  []keyPasskey `json:"passkeys"`
	Used      int          `json:"used"`
	Remaining int          `json:"remaining"`
}

type keyJob struct {
	ID            string `json:"id"`
	Kind          string `json:"kind"`
	State         string `json:"state"`
	SamplesNeeded *int   `json:"samplesNeeded"`
	SamplesLeft   *int   `json:"samplesLeft"`
	LastSample    string `json:"lastSample"`
	Feedback      string `json:"feedback"`
	Fingerprint   *struct {
		ID string `json:"id"`
	} `json:"fingerprint"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type fingerprint struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// errorOf is an error answer's code, message and fields.
func errorOf(t *testing.T, r response) (code, message string, fields map[string]string) {
	t.Helper()
	e := decode[struct {
		Error struct {
			Code    string            `json:"code"`
			Message string            `json:"message"`
			Fields  map[string]string `json:"fields"`
		} `json:"error"`
	}](t, r).Error
	return e.Code, e.Message, e.Fields
}

func (e *env) keys() (list []securityKey, adminRequired bool) {
	e.t.Helper()
	r := e.do("GET", "/api/device/keys", nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("list keys: %d %s", r.status, r.body)
	}
	v := decode[struct {
		Keys          []securityKey `json:"keys"`
		AdminRequired bool          `json:"adminRequired"`
	}](e.t, r)
	return v.Keys, v.AdminRequired
}

func (e *env) securityKey(id string) securityKey {
	e.t.Helper()
	r := e.do("GET", "/api/device/keys/"+id, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("get key %s: %d %s", id, r.status, r.body)
	}
	return decode[struct {
		Key securityKey `json:"key"`
	}](e.t, r).Key
}

// keyPasskeys lists the passkeys on the test's one key (its ID is "virtual") with PIN p.
func (e *env) keyPasskeys(p string) keyPasskeys {
	e.t.Helper()
	r := e.do("POST", "/api/device/keys/virtual/passkeys/list", map[string]string{"pin": p})
	if r.status != http.StatusOK {
		e.t.Fatalf("passkeys on key virtual: %d %s", r.status, r.body)
	}
	return decode[keyPasskeys](e.t, r)
}

func jobOf(t *testing.T, r response) keyJob {
	t.Helper()
	return decode[struct {
		Job keyJob `json:"job"`
	}](t, r).Job
}

// awaitJob polls the job, as the page does, until it has ended; seen gets every state it
// showed on the way.
func (e *env) awaitJob(id string, seen func(keyJob)) keyJob {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		r := e.do("GET", "/api/device/key-jobs/"+id, nil)
		if r.status != http.StatusOK {
			e.t.Fatalf("get job: %d %s", r.status, r.body)
		}
		j := jobOf(e.t, r)
		if seen != nil {
			seen(j)
		}
		if j.State == "done" || j.State == "failed" {
			return j
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatal("the key job did not end")
	return keyJob{}
}

// makePasskey puts a passkey straight on a virtual key through libfido2, as another site or
// another app would.
func makePasskey(t *testing.T, key *virtualkey.Key, rpID, userName string) []byte {
	t.Helper()
	dev, err := fido2.OpenTransport(key)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	cred, err := dev.MakeCredential(t.Context(), fido2.MakeCredentialRequest{
		ClientDataJSON: []byte(`{"type":"webauthn.create","challenge":"AAAA","origin":"https://` + rpID + `"}`),
		RPID:           rpID, UserID: []byte("user-" + userName), UserName: userName, UserDisplayName: userName,
		ResidentKey: true, UserVerification: true, PIN: []byte(pin),
	})
	if err != nil {
		t.Fatal(err)
	}
	return cred.ID
}

func TestConnectedKeysAreListedWithWhatTheyHoldAndCanDo(t *testing.T) {
	model, err := virtualkey.New(virtualkey.Options{AAGUID: [16]byte{0xcb, 0x69, 0x48, 0x1e, 0x8f, 0xf7, 0x40, 0x39, 0x93, 0xec, 0x0a, 0x27, 0x29, 0xa1, 0x54, 0xa8}})
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := virtualkey.New(virtualkey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bus := &usb.Bus{}
	bus.Plug("/dev/hidraw3", model)
	bus.Plug("/dev/hidraw4", unknown)
	names := func(aaguid []byte) (string, bool) {
		if aaguid[0] == 0xcb {
			return "YubiKey 5 Series", true
		}
		return "", false
	}
	e := newEnv(t, setup{keys: bus, names: names})
	setPIN(t, model)

	list, adminRequired := e.keys()
	if adminRequired {
		t.Error("only Windows without administrator rights needs them")
	}
	if len(list) != 3 {
		t.Fatalf("keys %+v", list)
	}
	byName := map[string]securityKey{}
	for _, k := range list {
		byName[k.Name] = k
	}
	yubi, ok := byName["YubiKey 5 Series"]
	if !ok || yubi.Kind != "security-key" || !strings.HasPrefix(yubi.ID, "usb:") || !yubi.Readable ||
		yubi.AAGUID != "cb69481e-8ff7-4039-93ec-0a2729a154a8" {
		t.Fatalf("a key whose model is known is named by it: %+v", list)
	}
	if !yubi.PIN.Set || yubi.PIN.RetriesLeft == nil || *yubi.PIN.RetriesLeft != 8 || yubi.PIN.Blocked ||
		yubi.PIN.MinLength != 4 || yubi.PIN.MustChange {
		t.Errorf("PIN %+v", yubi.PIN)
	}
	if !slices.Contains(yubi.Versions, "FIDO_2_1") || yubi.FirmwareVersion == nil {
		t.Errorf("versions %v, firmware %v", yubi.Versions, yubi.FirmwareVersion)
	}
	if !yubi.Passkeys.Manageable || yubi.Passkeys.Remaining == nil || *yubi.Passkeys.Remaining != 25 {
		t.Errorf("passkeys %+v", yubi.Passkeys)
	}
	if !yubi.Fingerprints.Supported || yubi.Fingerprints.Enrolled {
		t.Errorf("fingerprints %+v", yubi.Fingerprints)
	}
	if yubi.ResetSecondsLeft != 0 {
		t.Errorf("a key already there when the app first looked has no known reset window: %d", yubi.ResetSecondsLeft)
	}
	if other, ok := byName["Test Key /dev/hidraw4"]; !ok || other.PIN.Set || other.PIN.RetriesLeft != nil {
		t.Errorf("a key of an unknown model is named by its product name, without a PIN: %+v", list)
	}
	virtual, ok := byName["Virtual security key (for testing)"]
	if !ok || virtual.ID != "virtual" || virtual.Kind != "virtual" {
		t.Errorf("the virtual key: %+v", list)
	}
	if got := e.securityKey(yubi.ID); got.Name != yubi.Name || !got.PIN.Set {
		t.Errorf("one key: %+v", got)
	}
	if r := e.do("GET", "/api/device/keys/usb:0000000000000000", nil); r.status != http.StatusNotFound || r.code() != "key_not_connected" {
		t.Errorf("a key that is not connected: %d %s", r.status, r.body)
	}
}

func TestKeyEndpointsAnswerOnlyTheAppsOwnPage(t *testing.T) {
	e := newEnv(t, setup{})
	for _, tt := range []struct {
		method, path, origin string
		body                 any
	}{
		{"GET", "/api/device/keys", "", nil},
		{"GET", "/api/device/keys/virtual", "http://evil.example", nil},
		{"POST", "/api/device/keys/virtual/pin", "", map[string]string{"newPin": pin}},
		{"POST", "/api/device/keys/virtual/pin", "http://evil.example", map[string]string{"newPin": pin}},
		{"POST", "/api/device/keys/virtual/replug", rpOrigin, struct{}{}},
	} {
		r := e.request(e.h, tt.method, tt.path, tt.body, tt.origin)
		if r.status != http.StatusForbidden || r.code() != "origin_not_allowed" {
			t.Errorf("%s %s from %q: %d %s", tt.method, tt.path, tt.origin, r.status, r.body)
		}
	}
	if _, set := e.key.PINRetries(); set {
		t.Fatal("a refused request set the key's PIN")
	}
	// serve mode has none of them.
	if r := e.request(e.plain, "GET", "/api/device/keys", nil, pageOrigin); r.status != http.StatusNotFound {
		t.Errorf("serve mode: %d %s", r.status, r.body)
	}
	if r := e.do("PUT", "/api/device/keys/virtual/pin", struct{}{}); r.status != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d %s", r.status, r.body)
	}
}

func TestAFirstPINThenAChangedOneWithoutTheyEverBeingLogged(t *testing.T) {
	logs := &testkit.Buffer{}
	e := newEnv(t, setup{logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	const second = "pass-phrase 7"

	for _, tt := range []struct {
		name  string
		body  any
		field string
		want  string
	}{
		{"a missing PIN", map[string]string{}, "newPin", "Enter a new PIN"},
		{"a short PIN", map[string]string{"newPin": "123"}, "newPin", "PIN must be 4 characters or more"},
		{"a long PIN", map[string]string{"newPin": strings.Repeat("8", 64)}, "newPin", "PIN must be 63 characters or fewer"},
		{"a PIN over 63 bytes", map[string]string{"newPin": strings.Repeat("é", 32)}, "newPin",
			"PIN is too long. Letters with accents and some symbols take up more space, so use fewer of them"},
	} {
		r := e.do("POST", "/api/device/keys/virtual/pin", tt.body)
		code, _, fields := errorOf(t, r)
		if r.status != 422 || code != "invalid_input" || fields[tt.field] != tt.want {
			t.Errorf("%s: %d %s", tt.name, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/device/keys/virtual/pin", map[string]any{"newPin": pin, "colour": "blue"}); r.status != 400 {
		t.Errorf("an unknown member: %d %s", r.status, r.body)
	}
	if _, set := e.key.PINRetries(); set {
		t.Fatal("a refused PIN was set")
	}

	r := e.do("POST", "/api/device/keys/virtual/pin", map[string]string{"newPin": pin})
	if r.status != http.StatusOK {
		t.Fatalf("first PIN: %d %s", r.status, r.body)
	}
	if k := decode[struct{ Key securityKey }](t, r).Key; !k.PIN.Set || *k.PIN.RetriesLeft != 8 {
		t.Errorf("after the first PIN: %+v", k.PIN)
	}

	// Changing it needs the current one, and a wrong one counts against the key.
	r = e.do("POST", "/api/device/keys/virtual/pin", map[string]string{"newPin": second})
	if code, _, fields := errorOf(t, r); r.status != 422 || code != "invalid_input" || fields["pin"] != "Enter your current PIN" {
		t.Errorf("no current PIN: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/device/keys/virtual/pin", map[string]string{"pin": "000", "newPin": second})
	if code, _, fields := errorOf(t, r); r.status != 422 || code != "invalid_input" || fields["pin"] != "PIN must be 4 characters or more" {
		t.Errorf("a current PIN no key could have: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/device/keys/virtual/pin", map[string]string{"pin": "000000", "newPin": second})
	if code, msg, _ := errorOf(t, r); r.status != 403 || code != "pin_invalid" || msg != "The PIN is not correct. You have 7 tries left." {
		t.Errorf("a wrong current PIN: %d %s", r.status, r.body)
	}
	if retries, _ := e.key.PINRetries(); retries != 7 {
		t.Errorf("the key should count the wrong PIN: %d left", retries)
	}
	r = e.do("POST", "/api/device/keys/virtual/pin", map[string]string{"pin": pin, "newPin": second})
	if r.status != http.StatusOK {
		t.Fatalf("change PIN: %d %s", r.status, r.body)
	}
	// The key now takes the new PIN, and not the old one.
	if r := e.do("POST", "/api/device/keys/virtual/passkeys/list", map[string]string{"pin": pin}); r.code() != "pin_invalid" {
		t.Errorf("the old PIN still works: %d %s", r.status, r.body)
	}
	if got := e.keyPasskeys(second); got.Used != 0 || got.Remaining != 25 {
		t.Errorf("passkeys %+v", got)
	}
	for _, secret := range []string{pin, second, "000000"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds a PIN (%q):\n%s", secret, logs.String())
		}
	}
}

func TestAKeyThatMustHaveANewPINAsksForItBeforeAnythingElse(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	dev, err := fido2.OpenTransport(e.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.SetMinPINLength(t.Context(), 8, true, []byte(pin)); err != nil {
		t.Fatal(err)
	}
	dev.Close()

	k := e.securityKey("virtual")
	if !k.PIN.MustChange || k.PIN.MinLength != 8 {
		t.Fatalf("after the key was told to force a change: %+v", k.PIN)
	}
	r := e.do("POST", "/api/device/keys/virtual/passkeys/list", map[string]string{"pin": pin})
	if code, msg, _ := errorOf(t, r); r.status != 409 || code != "pin_change_required" ||
		msg != "Your security key needs a new PIN before it can be used. Change its PIN first." {
		t.Errorf("passkeys before the change: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/device/keys/virtual/pin", map[string]string{"pin": pin, "newPin": "1357911"})
	if _, _, fields := errorOf(t, r); r.status != 422 || fields["newPin"] != "PIN must be 8 characters or more" {
		t.Errorf("a new PIN under the key's minimum: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/device/keys/virtual/pin", map[string]string{"pin": pin, "newPin": "13579111"})
	if r.status != http.StatusOK {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	if k := decode[struct{ Key securityKey }](t, r).Key; k.PIN.MustChange {
		t.Errorf("after the change: %+v", k.PIN)
	}
	e.keyPasskeys("13579111")
}

func TestPasskeysOnAKeyAreMarkedByHowTheyStandWithTheAccount(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	e.register("virtual")
	ours := e.key.Credentials()[0].ID
	other := makePasskey(t, e.key, "example.org", "pat")
	someoneElse := makePasskey(t, e.key, "localhost", "someone.else@example.com")
	leftover := makePasskey(t, e.key, "localhost", strings.ToUpper(email))

	// The PIN first: none, then a wrong one (which the key counts).
	if r := e.do("POST", "/api/device/keys/virtual/passkeys/list", map[string]string{}); r.status != 422 {
		t.Errorf("no PIN: %d %s", r.status, r.body)
	}
	// A PIN no key could have is refused here and never tried (the key's 8 tries stay 8:
	// the wrong PIN below is the first it counts).
	for _, short := range []string{"123", strings.Repeat("9", 64)} {
		r := e.do("POST", "/api/device/keys/virtual/passkeys/list", map[string]string{"pin": short})
		if code, _, fields := errorOf(t, r); r.status != 422 || code != "invalid_input" || !strings.HasPrefix(fields["pin"], "PIN must be") {
			t.Errorf("the PIN %q: %d %s", short, r.status, r.body)
		}
	}
	r := e.do("POST", "/api/device/keys/virtual/passkeys/list", map[string]string{"pin": "111111"})
	if code, msg, _ := errorOf(t, r); r.status != 403 || code != "pin_invalid" || msg != "The PIN is not correct. You have 7 tries left." {
		t.Errorf("wrong PIN: %d %s", r.status, r.body)
	}

	got := e.keyPasskeys(pin)
	if got.Used != 4 || got.Remaining != 21 || len(got.Passkeys) != 4 {
		t.Fatalf("passkeys %+v", got)
	}
	want := map[string]string{
		b64(ours): "in-use", b64(someoneElse): "other-account", b64(leftover): "leftover", b64(other): "",
	}
	for i, p := range got.Passkeys {
		if want[p.CredentialID] != p.NHSLogin {
			t.Errorf("%s (%s, %s): %q, want %q", p.CredentialID, p.RPID, p.UserName, p.NHSLogin, want[p.CredentialID])
		}
		if p.NHSLogin == "in-use" && (p.AccountPasskey == nil || p.AccountPasskey.Name != "Security key" || p.AccountPasskey.ID != b64(ours)) {
			t.Errorf("the account's passkey should be named as the account names it: %+v", p.AccountPasskey)
		}
		if p.NHSLogin != "in-use" && p.AccountPasskey != nil {
			t.Errorf("not the account's: %+v", p)
		}
		if i == 3 && p.RPID != "example.org" {
			t.Errorf("NHS login's passkeys come first: %+v", got.Passkeys)
		}
	}

	// Logged out, the app cannot tell whose they are.
	e.logout()
	for _, p := range e.keyPasskeys(pin).Passkeys {
		if p.RPID == "localhost" && p.NHSLogin != "unknown" {
			t.Errorf("logged out: %+v", p)
		}
	}
}

func TestDeletingTheAccountsPasskeyFromTheKeyStopsItLoggingIn(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	e.register("virtual")
	id := b64(e.key.Credentials()[0].ID)

	if r := e.do("DELETE", "/api/device/keys/virtual/passkeys/"+id, map[string]string{"pin": "121212"}); r.code() != "pin_invalid" {
		t.Fatalf("a wrong PIN: %d %s", r.status, r.body)
	}
	if len(e.key.Credentials()) != 1 {
		t.Fatal("a wrong PIN deleted the passkey")
	}
	r := e.do("DELETE", "/api/device/keys/virtual/passkeys/"+id, map[string]string{"pin": pin})
	if r.status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if left := decode[keyPasskeys](t, r); len(left.Passkeys) != 0 || left.Used != 0 {
		t.Errorf("left on the key: %+v", left)
	}
	if n := len(e.key.Credentials()); n != 0 {
		t.Fatalf("the key still holds %d passkeys", n)
	}
	if r := e.do("DELETE", "/api/device/keys/virtual/passkeys/"+id, map[string]string{"pin": pin}); r.status != 404 || r.code() != "passkey_not_on_key" {
		t.Errorf("deleting it again: %d %s", r.status, r.body)
	}
	// The account still lists it (removing it there is the account's business), but it can
	// no longer log in: the key has nothing for NHS login.
	if n := e.passkeys(); n != 1 {
		t.Errorf("the account lists %d passkeys", n)
	}
	e.logout()
	c := e.start("get", "virtual", e.loginBegin(email).PublicKey)
	c = e.await(c.ID, "pin-needed", "failed")
	if c.State == "pin-needed" {
		e.sendPIN(c.ID, pin)
		c = e.await(c.ID, "failed")
	}
	if c.Error.Code != "no_passkey_on_key" {
		t.Fatalf("logging in with the deleted passkey: %s", c)
	}
	if e.signedIn() {
		t.Fatal("signed in with a deleted passkey")
	}
}

// onlyPasskeyAccount is a backend whose signed-in account has no password and one passkey,
// id: what a passkey-only account looks like through GET /api/session and /api/passkeys.
// (The real backend's accounts all start with a password.)
func onlyPasskeyAccount(id string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/session":
			_, _ = w.Write([]byte(`{"signedIn":true,"account":{"email":"` + email + `","hasPassword":false,"hasPasskey":true}}`))
		case "/api/passkeys":
			_, _ = w.Write([]byte(`{"passkeys":[{"id":"` + id + `","name":"Security key","aaguid":"6e68736b-6579-0000-4a1c-9b528d0e4107","storedOn":"security-key","flagged":false}]}`))
		default:
			http.NotFound(w, r)
		}
	})
}

func TestTheAccountsLastWayToLogInIsNeitherDeletedNorResetAway(t *testing.T) {
	key, err := virtualkey.New(virtualkey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	setPIN(t, key)
	id := b64(makePasskey(t, key, "localhost", email))
	svc, err := device.New(device.Config{Origins: []string{pageOrigin}, RPOrigin: rpOrigin, VirtualKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	e := &env{t: t, h: svc.Wrap(onlyPasskeyAccount(id)), key: key}

	r := e.do("DELETE", "/api/device/keys/virtual/passkeys/"+id, map[string]string{"pin": pin})
	if code, msg, _ := errorOf(t, r); r.status != 409 || code != "last_way_to_log_in" || !strings.Contains(msg, "no way to log in") {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/device/keys/virtual/reset/check", map[string]string{"pin": pin})
	if r.status != 409 || r.code() != "last_way_to_log_in" {
		t.Errorf("reset check: %d %s", r.status, r.body)
	}
	if n := len(key.Credentials()); n != 1 {
		t.Fatalf("the key holds %d passkeys", n)
	}
	// Another site's passkey may go.
	other := b64(makePasskey(t, key, "example.org", "pat"))
	if r := e.do("DELETE", "/api/device/keys/virtual/passkeys/"+other, map[string]string{"pin": pin}); r.status != http.StatusOK {
		t.Errorf("delete another site's: %d %s", r.status, r.body)
	}
}

func TestFingerprintsAreAddedSampleBySampleRenamedAndDeleted(t *testing.T) {
	// Each sample waits 150 ms for the finger, so every step of the progress can be seen.
	e := newEnv(t, setup{keyOptions: virtualkey.Options{Behaviour: virtualkey.WaitForTouch(150 * time.Millisecond)}})
	setPIN(t, e.key)

	if r := e.do("POST", "/api/device/keys/virtual/fingerprints/list", map[string]string{"pin": pin}); r.status != http.StatusOK ||
		!bytes.Contains(r.body, []byte(`"fingerprints":[]`)) {
		t.Fatalf("no fingerprints yet: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/device/keys/virtual/fingerprints", map[string]string{"pin": "999999"}); r.code() != "pin_invalid" {
		t.Fatalf("a wrong PIN is refused at once: %d %s", r.status, r.body)
	}

	e.key.BioNextSample(virtualkey.SampleTooFast)
	r := e.do("POST", "/api/device/keys/virtual/fingerprints", map[string]string{"pin": pin})
	if r.status != http.StatusAccepted {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	j := jobOf(t, r)
	if j.Kind != "add-fingerprint" || j.State != "touch" || *j.SamplesNeeded != 4 || *j.SamplesLeft != 4 {
		t.Fatalf("started %+v", j)
	}
	var steps []string
	j = e.awaitJob(j.ID, func(j keyJob) {
		step := j.State
		if j.SamplesLeft != nil {
			step += " " + string(rune('0'+*j.SamplesLeft)) + " " + j.LastSample
		}
		if len(steps) == 0 || steps[len(steps)-1] != step {
			steps = append(steps, step)
		}
		if j.LastSample == "too-fast" && j.Feedback != "You moved your finger too quickly. Keep it still on the sensor." {
			t.Errorf("feedback %q", j.Feedback)
		}
	})
	wantSteps := []string{"touch 4 ", "touch 4 too-fast", "touch 3 good", "touch 2 good", "touch 1 good", "done 0 good"}
	if !slices.Equal(steps, wantSteps) {
		t.Errorf("progress %q, want %q", steps, wantSteps)
	}
	if j.State != "done" || j.Fingerprint == nil {
		t.Fatalf("ended %+v", j)
	}
	enrolled := e.key.Enrollments()
	if len(enrolled) != 1 || b64(enrolled[0].ID) != j.Fingerprint.ID {
		t.Fatalf("the key holds %+v, the job says %s", enrolled, j.Fingerprint.ID)
	}
	if k := e.securityKey("virtual"); !k.Fingerprints.Enrolled {
		t.Errorf("the key should now say a fingerprint is enrolled: %+v", k.Fingerprints)
	}

	// Rename: the name is checked, and needs the PIN.
	path := "/api/device/keys/virtual/fingerprints/" + j.Fingerprint.ID
	r = e.do("PATCH", path, map[string]string{"name": "  "})
	if _, _, fields := errorOf(t, r); r.status != 422 || fields["name"] != "Enter a name for this fingerprint" || fields["pin"] == "" {
		t.Errorf("rename with no name and no PIN: %d %s", r.status, r.body)
	}
	r = e.do("PATCH", path, map[string]string{"pin": "12", "name": "Left thumb"})
	if _, _, fields := errorOf(t, r); r.status != 422 || fields["pin"] != "PIN must be 4 characters or more" {
		t.Errorf("rename with a PIN no key could have: %d %s", r.status, r.body)
	}
	if retries, _ := e.key.PINRetries(); retries != 8 {
		t.Errorf("a PIN no key could have was tried: %d tries left", retries)
	}
	r = e.do("PATCH", path, map[string]string{"pin": pin, "name": " Right thumb "})
	if r.status != http.StatusOK {
		t.Fatalf("rename: %d %s", r.status, r.body)
	}
	list := decode[struct{ Fingerprints []fingerprint }](t, r).Fingerprints
	if len(list) != 1 || list[0].Name != "Right thumb" || e.key.Enrollments()[0].Name != "Right thumb" {
		t.Errorf("after renaming: %+v", list)
	}

	r = e.do("DELETE", path, map[string]string{"pin": pin})
	if r.status != http.StatusOK || !bytes.Contains(r.body, []byte(`"fingerprints":[]`)) {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if len(e.key.Enrollments()) != 0 {
		t.Fatal("the key still holds the fingerprint")
	}
	if r := e.do("DELETE", path, map[string]string{"pin": pin}); r.status != 404 || r.code() != "fingerprint_not_found" {
		t.Errorf("delete again: %d %s", r.status, r.body)
	}
}

func TestAddingAFingerprintCanBeCancelledAndAKeyInUseIsBusy(t *testing.T) {
	e := newEnv(t, setup{keyOptions: virtualkey.Options{Behaviour: virtualkey.WaitForTouch(time.Minute)}})
	setPIN(t, e.key)
	e.signUp()
	r := e.do("POST", "/api/device/keys/virtual/fingerprints", map[string]string{"pin": pin})
	if r.status != http.StatusAccepted {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	j := jobOf(t, r)

	// While it waits for the finger, the key is busy; the list answers from what it last read.
	if r := e.do("POST", "/api/device/keys/virtual/passkeys/list", map[string]string{"pin": pin}); r.status != 409 || r.code() != "key_busy" {
		t.Errorf("another operation: %d %s", r.status, r.body)
	}
	if list, _ := e.keys(); len(list) != 1 || list[0].Name != "Virtual security key (for testing)" {
		t.Errorf("keys while busy: %+v", list)
	}

	r = e.do("POST", "/api/device/key-jobs/"+j.ID+"/cancel", struct{}{})
	if j = jobOf(t, r); r.status != http.StatusOK || j.State != "failed" || j.Error.Code != "cancelled" ||
		j.Error.Message != "You cancelled adding a fingerprint." {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	if len(e.key.Enrollments()) != 0 {
		t.Fatal("a cancelled enrolment left a fingerprint")
	}
	// The key is free again once the job has let go of it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := e.do("POST", "/api/device/keys/virtual/fingerprints/list", map[string]string{"pin": pin})
		if r.status == http.StatusOK {
			break
		}
		if r.code() != "key_busy" || time.Now().After(deadline) {
			t.Fatalf("after the cancel: %d %s", r.status, r.body)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// A ceremony started meanwhile stops a running job: the latest thing asked for wins.
	r = e.do("POST", "/api/device/keys/virtual/fingerprints", map[string]string{"pin": pin})
	j = jobOf(t, r)
	begin := e.registerBegin()
	c := e.start("create", "virtual", begin.PublicKey)
	if j = e.awaitJob(j.ID, nil); j.Error == nil || j.Error.Code != "cancelled" {
		t.Errorf("the job after a ceremony started: %+v", j)
	}
	e.await(c.ID, "pin-needed")
}

func TestAResetNeedsACheckAWindowAfterPlugInAndATouch(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	e.register("virtual")
	makePasskey(t, e.key, "example.org", "pat")
	accountPasskey := b64(e.key.Credentials()[0].ID)

	if r := e.do("POST", "/api/device/keys/virtual/reset/check", map[string]string{}); r.status != 422 {
		t.Errorf("a key with a PIN needs it to see what is on it: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/device/keys/virtual/reset/check", map[string]string{"pin": "000000"}); r.code() != "pin_invalid" {
		t.Errorf("a wrong PIN: %d %s", r.status, r.body)
	}
	r := e.do("POST", "/api/device/keys/virtual/reset/check", map[string]string{"pin": pin})
	if r.status != http.StatusOK {
		t.Fatalf("check: %d %s", r.status, r.body)
	}
	check := decode[struct {
		Ticket          string
		AccountPasskeys []fingerprint
		Certain         bool
		OtherWaysIn     struct {
			Password bool
			Passkeys []fingerprint
		}
	}](t, r)
	if check.Ticket == "" || !check.Certain || len(check.AccountPasskeys) != 1 ||
		check.AccountPasskeys[0].ID != accountPasskey || check.AccountPasskeys[0].Name != "Security key" {
		t.Fatalf("check %+v", check)
	}
	if !check.OtherWaysIn.Password || check.OtherWaysIn.Passkeys == nil || len(check.OtherWaysIn.Passkeys) != 0 {
		t.Errorf("the account keeps its password and no other passkey: %+v (%s)", check.OtherWaysIn, r.body)
	}

	reset := func() response {
		return e.do("POST", "/api/device/keys/virtual/reset", map[string]string{"ticket": check.Ticket})
	}
	// The app has not seen the key plugged in: no reset.
	if r := reset(); r.status != 409 || r.code() != "reset_window_passed" {
		t.Fatalf("reset without a plug-in: %d %s", r.status, r.body)
	}
	// Take it out and put it back: 10 seconds.
	r = e.do("POST", "/api/device/keys/virtual/replug", struct{}{})
	if k := decode[struct{ Key securityKey }](t, r).Key; r.status != http.StatusOK || k.ResetSecondsLeft != 10 {
		t.Fatalf("replug: %d %s", r.status, r.body)
	}
	e.clock.Advance(10*time.Second + time.Millisecond)
	if k := e.securityKey("virtual"); k.ResetSecondsLeft != 0 {
		t.Errorf("after 10 s: %d seconds left", k.ResetSecondsLeft)
	}
	if r := reset(); r.status != 409 || r.code() != "reset_window_passed" {
		t.Fatalf("reset after the window: %d %s", r.status, r.body)
	}
	if len(e.key.Credentials()) != 2 {
		t.Fatal("a refused reset deleted passkeys")
	}
	if r := e.do("POST", "/api/device/keys/virtual/reset", map[string]string{"ticket": "made-up"}); r.status != 403 || r.code() != "reset_check_needed" {
		t.Errorf("a made-up ticket: %d %s", r.status, r.body)
	}

	e.do("POST", "/api/device/keys/virtual/replug", struct{}{})
	r = reset()
	if r.status != http.StatusAccepted {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	if j := e.awaitJob(jobOf(t, r).ID, nil); j.State != "done" || j.Kind != "reset" {
		t.Fatalf("reset job %+v", j)
	}
	if n := len(e.key.Credentials()); n != 0 {
		t.Fatalf("the key holds %d passkeys after a reset", n)
	}
	if _, set := e.key.PINRetries(); set {
		t.Fatal("the key kept its PIN")
	}
	if r := reset(); r.code() != "reset_check_needed" {
		t.Errorf("the ticket was used up: %d %s", r.status, r.body)
	}
	e.logout()
	if r := e.do("POST", "/api/device/keys/virtual/reset/check", map[string]string{}); r.status != 401 || r.code() != "not_signed_in" {
		t.Errorf("logged out: %d %s", r.status, r.body)
	}
	// Sign-in is a property of the route: it is checked before the body is read, whatever
	// the body holds, on both reset endpoints.
	for _, rq := range []struct {
		path string
		body any
	}{
		{"/api/device/keys/virtual/reset/check", map[string]any{"pin": 1234}},
		{"/api/device/keys/virtual/reset/check", map[string]any{"unknown": true}},
		{"/api/device/keys/virtual/reset", map[string]any{}},
		{"/api/device/keys/virtual/reset", map[string]any{"ticket": "made-up"}},
		{"/api/device/keys/virtual/reset", map[string]any{"ticket": 1}},
	} {
		if r := e.do("POST", rq.path, rq.body); r.status != 401 || r.code() != "not_signed_in" {
			t.Errorf("logged out, POST %s %v: %d %s, want 401 not_signed_in", rq.path, rq.body, r.status, r.body)
		}
	}
}

func TestAResetCheckSaysWhichWaysInTheAccountKeeps(t *testing.T) {
	other, err := virtualkey.New(virtualkey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bus := &usb.Bus{}
	bus.Plug("/dev/hidraw3", other)
	e := newEnv(t, setup{keys: bus})
	setPIN(t, e.key)
	setPIN(t, other)
	e.signUp()
	e.register("virtual")
	list, _ := e.keys()
	e.register(list[0].ID)
	onVirtual, onOther := b64(e.key.Credentials()[0].ID), b64(other.Credentials()[0].ID)

	r := e.do("POST", "/api/device/keys/virtual/reset/check", map[string]string{"pin": pin})
	if r.status != http.StatusOK {
		t.Fatalf("check: %d %s", r.status, r.body)
	}
	check := decode[struct {
		AccountPasskeys []fingerprint
		OtherWaysIn     struct {
			Password bool
			Passkeys []fingerprint
		}
	}](t, r)
	if len(check.AccountPasskeys) != 1 || check.AccountPasskeys[0].ID != onVirtual {
		t.Errorf("the passkeys that stop working should be the one on this key (%s): %+v", onVirtual, check.AccountPasskeys)
	}
	if !check.OtherWaysIn.Password || len(check.OtherWaysIn.Passkeys) != 1 || check.OtherWaysIn.Passkeys[0].ID != onOther ||
		check.OtherWaysIn.Passkeys[0].Name != "Security key 2" {
		t.Errorf("the ways in that are left should be the password and the passkey on the other key (%s): %+v", onOther, check.OtherWaysIn)
	}
}

func TestAHardwareKeysResetWindowStartsWhenTheAppSeesItPluggedIn(t *testing.T) {
	keyClock := testkit.NewClock(time.Now())
	key, err := virtualkey.New(virtualkey.Options{Clock: keyClock.Now})
	if err != nil {
		t.Fatal(err)
	}
	bus := &usb.Bus{}
	bus.Plug("/dev/hidraw3", key)
	e := newEnv(t, setup{noVirtual: true, keys: bus})
	e.signUp()

	list, _ := e.keys()
	first := list[0]
	if first.ResetSecondsLeft != 0 || first.PIN.Set {
		t.Fatalf("key %+v", first)
	}
	// No PIN: nothing of ours can be on it, so no PIN is asked for.
	r := e.do("POST", "/api/device/keys/"+first.ID+"/reset/check", map[string]string{})
	if r.status != http.StatusOK {
		t.Fatalf("check: %d %s", r.status, r.body)
	}
	ticket := decode[struct{ Ticket string }](t, r).Ticket

	// The person takes it out and puts it back; the OS gives it another path.
	bus.Unplug("/dev/hidraw3")
	if list, _ := e.keys(); len(list) != 0 {
		t.Fatalf("unplugged: %+v", list)
	}
	bus.Plug("/dev/hidraw5", key)
	if err := key.Replug(); err != nil {
		t.Fatal(err)
	}
	list, _ = e.keys()
	back := list[0]
	if back.ID == first.ID || back.ResetSecondsLeft != 10 {
		t.Fatalf("back in: %+v", back)
	}
	// Too late for the key itself (it counts from its own power-up), though the app still
	// thinks it is in time: the key refuses, and the page is told to try again.
	keyClock.Advance(11 * time.Second)
	r = e.do("POST", "/api/device/keys/"+back.ID+"/reset", map[string]string{"ticket": ticket})
	if r.status != http.StatusAccepted {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	if j := e.awaitJob(jobOf(t, r).ID, nil); j.State != "failed" || j.Error.Code != "reset_window_passed" {
		t.Fatalf("a reset the key refused: %+v", j)
	}
	if err := key.Replug(); err != nil {
		t.Fatal(err)
	}
	r = e.do("POST", "/api/device/keys/"+back.ID+"/reset", map[string]string{"ticket": ticket})
	if j := e.awaitJob(jobOf(t, r).ID, nil); j.State != "done" {
		t.Fatalf("reset in time: %+v", j)
	}
}

func TestABlockedPINIsShownAndTheResetCheckAssumesTheWorst(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	e.register("virtual")

	// Eight wrong PINs block it (the key locks after every three until it is reinserted).
	for i := range 8 {
		r := e.do("POST", "/api/device/keys/virtual/passkeys/list", map[string]string{"pin": "000000"})
		want := "pin_invalid"
		switch {
		case i == 7:
			want = "pin_blocked"
		case i%3 == 2:
			want = "pin_auth_blocked"
		}
		if r.code() != want {
			t.Fatalf("wrong PIN %d: %d %s, want %s", i+1, r.status, r.body, want)
		}
		// The third in a row cost a try too: the person is told how many are left.
		// The virtual key cannot be taken out by hand: the app did it, and says so.
		if _, msg, _ := errorOf(t, r); want == "pin_auth_blocked" &&
			msg != fmt.Sprintf("The wrong PIN was entered too many times in a row. You have %d tries left before the PIN is blocked. "+
				"The app has taken the virtual security key out and put it back in for you, so you can try again.", 7-i) {
			t.Errorf("wrong PIN %d: %q", i+1, msg)
		}
	}
	k := e.securityKey("virtual")
	if !k.PIN.Blocked || *k.PIN.RetriesLeft != 0 {
		t.Fatalf("PIN %+v", k.PIN)
	}
	r := e.do("POST", "/api/device/keys/virtual/passkeys/list", map[string]string{"pin": pin})
	if code, msg, _ := errorOf(t, r); code != "pin_blocked" || !strings.Contains(msg, "must be reset") {
		t.Errorf("the right PIN, blocked: %d %s", r.status, r.body)
	}
	// The key cannot be asked what it holds: every passkey of the account on a key of this
	// model counts as on it.
	r = e.do("POST", "/api/device/keys/virtual/reset/check", map[string]string{})
	check := decode[struct {
		AccountPasskeys []fingerprint
		Certain         bool
	}](t, r)
	if r.status != http.StatusOK || check.Certain || len(check.AccountPasskeys) != 1 {
		t.Fatalf("check: %d %s", r.status, r.body)
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func TestAPINIsTheSameWhetherItsAccentsAreTypedComposedOrNot(t *testing.T) {
	// CTAP 2.1 §6.5.1: a PIN reaches the key in Unicode Normalization Form C. "é" typed as
	// one code point (U+00E9) or as "e" and a combining acute accent (U+0065 U+0301) is the
	// same character, so the same PIN, and a length counts characters of that form.
	const (
		composed   = "\u00e9t\u00e9s1"    // "étés1": 5 code points
		decomposed = "e\u0301te\u0301s1"  // the same PIN, 7 code points before NFC
		twoAccents = "e\u0301e\u0301"     // 4 code points, but 2 characters
		second     = "ca\u0300fe\u0301 9" // the next PIN, decomposed
		secondNFC  = "c\u00e0f\u00e9 9"   // ... as the key holds it
	)
	e := newEnv(t, setup{})

	r := e.do("POST", "/api/device/keys/virtual/pin", map[string]string{"newPin": twoAccents})
	if code, _, fields := errorOf(t, r); r.status != 422 || code != "invalid_input" || fields["newPin"] != "PIN must be 4 characters or more" {
		t.Errorf("a PIN of two accented letters typed decomposed: %d %s", r.status, r.body)
	}
	if _, set := e.key.PINRetries(); set {
		t.Fatal("a PIN of two characters was set")
	}

	r = e.do("POST", "/api/device/keys/virtual/pin", map[string]string{"newPin": decomposed})
	if r.status != http.StatusOK {
		t.Fatalf("a first PIN typed decomposed: %d %s", r.status, r.body)
	}
	if !e.key.PINIs(composed) {
		t.Error("the key was not given the PIN in Normalization Form C")
	}
	// Typed composed, it is the same PIN: it works and costs no try.
	e.keyPasskeys(composed)
	e.keyPasskeys(decomposed)
	if retries, _ := e.key.PINRetries(); retries != 8 {
		t.Errorf("the same PIN typed another way counted as wrong: %d tries left", retries)
	}

	r = e.do("POST", "/api/device/keys/virtual/pin", map[string]string{"pin": composed, "newPin": second})
	if r.status != http.StatusOK {
		t.Fatalf("change from the composed PIN to a decomposed one: %d %s", r.status, r.body)
	}
	if !e.key.PINIs(secondNFC) {
		t.Error("the changed PIN was not given to the key in Normalization Form C")
	}
	e.keyPasskeys(secondNFC)

	// A ceremony takes the PIN the same way (the PIN step of a set-up).
	e.signUp()
	b := e.registerBegin()
	c := e.start("create", "virtual", b.PublicKey)
	c = e.await(c.ID, "pin-needed")
	e.sendPIN(c.ID, "c\u00e0fe\u0301 9")
	e.finishRegister(b, e.await(c.ID, "done").Credential)
	if retries, _ := e.key.PINRetries(); retries != 8 {
		t.Errorf("the PIN typed half composed counted as wrong: %d tries left", retries)
	}
}

func TestAChangeToTheSamePINIsRefusedWithoutUsingATry(t *testing.T) {
	const same = "Your new PIN must be different from your current PIN"
	for _, tt := range []struct {
		name        string
		keyPIN      string // the key's PIN
		forceChange bool   // the key asks for a new PIN (CTAP 2.1 §6.11.4 forcePINChange)
		current     string
		newPIN      string
	}{
		{"the same PIN", pin, false, pin, pin},
		{"the same PIN on a key that asks for a new one", pin, true, pin, pin},
		{"the same PIN with its accent typed another way", "caf\u00e9 42", false, "caf\u00e9 42", "cafe\u0301 42"},
		{"a wrong current PIN given again as the new one", pin, false, "135791", "135791"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			dev, err := fido2.OpenTransport(e.key)
			if err != nil {
				t.Fatal(err)
			}
			if err := dev.SetPIN(t.Context(), []byte(tt.keyPIN)); err != nil {
				t.Fatal(err)
			}
			if tt.forceChange {
				if err := dev.SetMinPINLength(t.Context(), 0, true, []byte(tt.keyPIN)); err != nil {
					t.Fatal(err)
				}
			}
			dev.Close()

			r := e.do("POST", "/api/device/keys/virtual/pin", map[string]string{"pin": tt.current, "newPin": tt.newPIN})
			if code, _, fields := errorOf(t, r); r.status != 422 || code != "invalid_input" || fields["newPin"] != same || len(fields) != 1 {
				t.Errorf("answer: %d %s", r.status, r.body)
			}
			if retries, _ := e.key.PINRetries(); retries != 8 {
				t.Errorf("the refused change cost a try: %d left", retries)
			}
			if !e.key.PINIs(tt.keyPIN) {
				t.Error("the key's PIN changed")
			}
			if k := e.securityKey("virtual"); k.PIN.MustChange != tt.forceChange {
				t.Errorf("the key's forcePINChange went from %v to %v", tt.forceChange, k.PIN.MustChange)
			}
		})
	}
}

func TestNamesAKeyHoldsAreShownAsTextNeverObeyed(t *testing.T) {
	// Any site can write the names a passkey on the key carries, and other software names
	// fingerprints: control and bidirectional formatting characters reach the page as
	// U+FFFD, never as themselves (authenticator.KeyText).
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	dev, err := fido2.OpenTransport(e.key)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	for _, name := range []string{"clear\x1b[2J screen", "\u202egnp.exe", "bell\x07\u0085"} {
		if _, err := dev.MakeCredential(t.Context(), fido2.MakeCredentialRequest{
			ClientDataJSON: []byte(`{"type":"webauthn.create","challenge":"AAAA","origin":"https://site.example"}`),
			RPID:           "site.example", RPName: "Site\u2066 " + name, UserID: []byte(name),
			UserName: name, UserDisplayName: "\u200f" + name, ResidentKey: true, UserVerification: true, PIN: []byte(pin),
		}); err != nil {
			t.Fatal(err)
		}
	}
	id, remaining, _, err := dev.BioEnrollBegin(t.Context(), []byte(pin), time.Second)
	for err == nil && remaining > 0 {
		remaining, _, err = dev.BioEnrollContinue(t.Context(), id, time.Second)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.BioSetName(t.Context(), id, "thumb\u202e\x1b", []byte(pin)); err != nil {
		t.Fatal(err)
	}

	want := []string{"clear\ufffd[2J screen", "\ufffdgnp.exe", "bell\ufffd\ufffd"}
	var names []string
	for _, p := range e.keyPasskeys(pin).Passkeys {
		names = append(names, p.UserName)
		if p.RPID != "site.example" {
			t.Errorf("rpId %q", p.RPID)
		}
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("user names %q, want %q", names, want)
	}
	r := e.do("POST", "/api/device/keys/virtual/passkeys/list", map[string]string{"pin": pin})
	r2 := e.do("POST", "/api/device/keys/virtual/fingerprints/list", map[string]string{"pin": pin})
	if got := decode[struct{ Fingerprints []fingerprint }](t, r2).Fingerprints; len(got) != 1 || got[0].Name != "thumb\ufffd\ufffd" {
		t.Errorf("fingerprints: %d %s", r2.status, r2.body)
	}
	for _, answer := range [][]byte{r.body, r2.body} {
		var v any
		if err := json.Unmarshal(answer, &v); err != nil {
			t.Fatal(err)
		}
		var walk func(any)
		walk = func(v any) {
			switch v := v.(type) {
			case string:
				if i := strings.IndexFunc(v, func(c rune) bool { return unicode.IsControl(c) || unicode.Is(unicode.Bidi_Control, c) }); i >= 0 {
					t.Errorf("the page is given %q", v)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			case map[string]any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(v)
	}
}

func TestDeletingAPasskeyTheKeyCannotHoldSaysItIsNotOnTheKey(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	kept := makePasskey(t, e.key, "site.example", "pat")
	for _, tt := range []struct {
		name string
		id   []byte
	}{
		{"an ID one byte longer than the key makes (maxCredentialIdLength 64)", bytes.Repeat([]byte{1}, 65)},
		{"an ID longer than any credential ID (1023 bytes)", bytes.Repeat([]byte{2}, 1024)},
		{"an ID of 3000 bytes", bytes.Repeat([]byte{3}, 3000)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("DELETE", "/api/device/keys/virtual/passkeys/"+b64(tt.id), map[string]string{"pin": pin})
			if code, msg, _ := errorOf(t, r); r.status != 404 || code != "passkey_not_on_key" || msg != "That passkey is not on your security key any more. Go back to see the passkeys that are on it." {
				t.Errorf("answer: %d %s", r.status, r.body)
			}
			if creds := e.key.Credentials(); len(creds) != 1 || !bytes.Equal(creds[0].ID, kept) {
				t.Errorf("the key holds %+v", creds)
			}
			if retries, _ := e.key.PINRetries(); retries != 8 {
				t.Errorf("%d tries left", retries)
			}
		})
	}
}

func TestAResetCheckedBeforeTheAccountGainedAPasskeyMustBeCheckedAgain(t *testing.T) {
	// The account logs in only with passkeys. At the check the key holds none of them; then,
	// in another window, a passkey is set up on this key and the phone's passkey removed. The
	// old check must not let the reset delete what is now the account's only way in.
	key, err := virtualkey.New(virtualkey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	setPIN(t, key)
	var mu sync.Mutex
	passkeys := `[{"id":"cGhvbmU","name":"Phone","aaguid":"00000000-0000-0000-0000-000000000000","storedOn":"synced","flagged":false}]`
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/api/session":
			_, _ = w.Write([]byte(`{"signedIn":true,"account":{"email":"` + email + `","hasPassword":false,"hasPasskey":true}}`))
		case "/api/passkeys":
			_, _ = w.Write([]byte(`{"passkeys":` + passkeys + `}`))
		default:
			http.NotFound(w, r)
		}
	})
	svc, err := device.New(device.Config{Origins: []string{pageOrigin}, RPOrigin: rpOrigin, VirtualKey: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	e := &env{t: t, h: svc.Wrap(backend), key: key}

	r := e.do("POST", "/api/device/keys/virtual/reset/check", map[string]string{"pin": pin})
	if r.status != http.StatusOK {
		t.Fatalf("check: %d %s", r.status, r.body)
	}
	ticket := decode[struct{ Ticket string }](t, r).Ticket

	onKey := b64(makePasskey(t, key, "localhost", email))
	mu.Lock()
	passkeys = `[{"id":"` + onKey + `","name":"Security key","aaguid":"6e68736b-6579-0000-4a1c-9b528d0e4107","storedOn":"security-key","flagged":false}]`
	mu.Unlock()

	if r := e.do("POST", "/api/device/keys/virtual/replug", struct{}{}); r.status != http.StatusOK {
		t.Fatalf("replug: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/device/keys/virtual/reset", map[string]string{"ticket": ticket})
	if code, msg, _ := errorOf(t, r); r.status != 403 || code != "reset_check_needed" ||
		msg != "For your safety, we need to check your security key again before it is reset. Go back and try again." {
		t.Errorf("reset with the old check: %d %s", r.status, r.body)
	}
	if r.status == http.StatusAccepted {
		e.awaitJob(jobOf(t, r).ID, nil)
	}
	if creds := key.Credentials(); len(creds) != 1 || b64(creds[0].ID) != onKey {
		t.Fatalf("the key holds %+v: the account's only passkey was reset away", creds)
	}
	// Checked again, the reset is refused for what it is.
	if r := e.do("POST", "/api/device/keys/virtual/reset/check", map[string]string{"pin": pin}); r.status != 409 || r.code() != "last_way_to_log_in" {
		t.Errorf("check again: %d %s", r.status, r.body)
	}
}

// addFingerprint enrols a fingerprint on the test's virtual key through the endpoints, as
// the page does, and returns its template ID.
func (e *env) addFingerprint() string {
	e.t.Helper()
	r := e.do("POST", "/api/device/keys/virtual/fingerprints", map[string]string{"pin": pin})
	if r.status != http.StatusAccepted {
		e.t.Fatalf("add a fingerprint: %d %s", r.status, r.body)
	}
	j := e.awaitJob(jobOf(e.t, r).ID, nil)
	if j.State != "done" || j.Fingerprint == nil {
		e.t.Fatalf("add a fingerprint: %+v", j)
	}
	return j.Fingerprint.ID
}

func TestAFingerprintsNameTellsItApartFromTheOthers(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	left, right := e.addFingerprint(), e.addFingerprint()
	rename := func(id, name string) response {
		return e.do("PATCH", "/api/device/keys/virtual/fingerprints/"+id, map[string]string{"pin": pin, "name": name})
	}
	if r := rename(left, "Left thumb"); r.status != http.StatusOK {
		t.Fatalf("rename: %d %s", r.status, r.body)
	}

	const taken = "You already have a fingerprint with this name. Choose a different name"
	for _, tc := range []struct {
		name, give string
	}{
		{"the same name as another fingerprint is refused", "Left thumb"},
		{"the same name in other letter case is refused", "LEFT THUMB"},
		{"the same name with spaces around it is refused", "  Left thumb "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rename(right, tc.give)
			if _, _, fields := errorOf(t, r); r.status != 422 || fields["name"] != taken {
				t.Errorf("%d %s", r.status, r.body)
			}
			if got := e.key.Enrollments(); got[0].Name != "Left thumb" || got[1].Name != "" {
				t.Errorf("the key's names changed: %+v", got)
			}
		})
	}
	t.Run("the same name with its accent typed another way is refused", func(t *testing.T) {
		if r := rename(left, "Pouce gauche (é)"); r.status != http.StatusOK {
			t.Fatalf("rename: %d %s", r.status, r.body)
		}
		r := rename(right, "Pouce gauche (e\u0301)")
		if _, _, fields := errorOf(t, r); r.status != 422 || fields["name"] != taken {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
	t.Run("a fingerprint keeps its own name when it is saved again", func(t *testing.T) {
		if r := rename(left, "pouce gauche (é)"); r.status != http.StatusOK {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
	t.Run("a name is saved in Unicode Normalization Form C and counted in characters", func(t *testing.T) {
		// 30 characters, each "e" with a combining accent: 60 code points as typed.
		name := strings.Repeat("e\u0301", 30)
		r := rename(right, name)
		if r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.body)
		}
		if got := e.key.Enrollments()[1].Name; got != strings.Repeat("é", 30) {
			t.Errorf("the key holds %q", got)
		}
	})
	t.Run("invisible and layout characters are refused", func(t *testing.T) {
		for _, give := range []string{"Left\u2028thumb", "Left\uE000thumb", "Left\u200Bthumb"} {
			r := rename(right, give)
			if _, _, fields := errorOf(t, r); r.status != 422 || fields["name"] != "Name must only include letters, numbers, spaces and symbols" {
				t.Errorf("%q: %d %s", give, r.status, r.body)
			}
		}
	})
}

func TestAKeyJobNobodyTouchedInTimeSaysWhatWasNotDone(t *testing.T) {
	t.Run("a fingerprint", func(t *testing.T) {
		e := newEnv(t, setup{})
		setPIN(t, e.key)
		r := e.do("POST", "/api/device/keys/virtual/fingerprints", map[string]string{"pin": pin})
		if r.status != http.StatusAccepted {
			t.Fatalf("add: %d %s", r.status, r.body)
		}
		e.key.SetBehaviour(virtualkey.TimeOut()) // the second sample: nobody touches the sensor
		j := e.awaitJob(jobOf(t, r).ID, nil)
		if j.State != "failed" || j.Error.Code != "timed_out" ||
			j.Error.Message != "You did not touch the fingerprint sensor in time, so the fingerprint was not added. Try again." {
			t.Fatalf("the job: %+v", j.Error)
		}
		if n := len(e.key.Enrollments()); n != 0 {
			t.Errorf("a half-added fingerprint was left: %d", n)
		}
	})
	t.Run("a reset", func(t *testing.T) {
		e := newEnv(t, setup{})
		setPIN(t, e.key)
		e.signUp()
		r := e.do("POST", "/api/device/keys/virtual/reset/check", map[string]string{"pin": pin})
		ticket := decode[struct{ Ticket string }](t, r).Ticket
		e.do("POST", "/api/device/keys/virtual/replug", struct{}{})
		e.key.SetBehaviour(virtualkey.TimeOut())
		r = e.do("POST", "/api/device/keys/virtual/reset", map[string]string{"ticket": ticket})
		if r.status != http.StatusAccepted {
			t.Fatalf("reset: %d %s", r.status, r.body)
		}
		j := e.awaitJob(jobOf(t, r).ID, nil)
		if j.State != "failed" || j.Error.Code != "timed_out" ||
			j.Error.Message != "You did not touch your security key in time, so it was not reset. Nothing on it was deleted." {
			t.Fatalf("the job: %+v", j.Error)
		}
		if _, set := e.key.PINRetries(); !set {
			t.Error("the key was reset")
		}
	})
}

func TestAKeyWhosePINIsForgottenCanBeResetWithoutUsingUpItsTries(t *testing.T) {
	// The app's own advice: "If you forget this PIN, your security key will need to be
	// reset". Resetting must not need the PIN, nor all eight tries used up first.
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	e.register("virtual")
	r := e.do("POST", "/api/device/keys/virtual/reset/check", map[string]any{"pinForgotten": true})
	if r.status != http.StatusOK {
		t.Fatalf("check without the PIN: %d %s", r.status, r.body)
	}
	check := decode[struct {
		Ticket          string
		AccountPasskeys []fingerprint
		Certain         bool
	}](t, r)
	// The key cannot be asked without its PIN: the account's passkeys on a key of this model
	// count as on it.
	if check.Certain || len(check.AccountPasskeys) != 1 || check.Ticket == "" {
		t.Fatalf("check: %s", r.body)
	}
	if retries, _ := e.key.PINRetries(); retries != 8 {
		t.Errorf("the check used %d of the key's tries", 8-retries)
	}
	e.do("POST", "/api/device/keys/virtual/replug", struct{}{})
	r = e.do("POST", "/api/device/keys/virtual/reset", map[string]string{"ticket": check.Ticket})
	if r.status != http.StatusAccepted {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	if j := e.awaitJob(jobOf(t, r).ID, nil); j.State != "done" {
		t.Fatalf("reset job %+v", j)
	}
	if _, set := e.key.PINRetries(); set {
		t.Error("the key kept its PIN")
	}
	// Without either, a key with a usable PIN still needs one of them.
	if r := e.do("POST", "/api/device/keys/virtual/reset/check", map[string]any{"pinForgotten": false}); r.status != http.StatusOK {
		t.Errorf("a key without a PIN now: %d %s", r.status, r.body)
	}
}

func TestAResetCheckThatCannotAskTheKeyCountsEveryPasskeyOfItsModel(t *testing.T) {
	// A passkey set up by a client that did not say how it reached the key (no transports,
	// no attachment) is listed by the account as on "this device", but its AAGUID is the
	// key's model: when the key cannot be asked (its PIN blocked), it may be on it, and the
	// reset would delete it.
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	b := e.registerBegin()
	c := e.withPIN(e.start("create", "virtual", b.PublicKey))
	var cred map[string]any
	if err := json.Unmarshal(c.Credential, &cred); err != nil {
		t.Fatal(err)
	}
	delete(cred, "authenticatorAttachment")
	delete(cred["response"].(map[string]any), "transports")
	stripped, err := json.Marshal(cred)
	if err != nil {
		t.Fatal(err)
	}
	e.finishRegister(b, stripped)
	if err := e.key.BlockPIN(); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/api/device/keys/virtual/reset/check", map[string]string{})
	check := decode[struct {
		AccountPasskeys []fingerprint
		Certain         bool
	}](t, r)
	if r.status != http.StatusOK || check.Certain || len(check.AccountPasskeys) != 1 {
		t.Fatalf("check: %d %s", r.status, r.body)
	}
}

func TestAnNHSLoginPasskeyIsNotDeletedFromAKeyWhileNobodyIsLoggedIn(t *testing.T) {
	// Logged out (the session ended in another window while the page was open), the app
	// cannot tell whether the passkey is the account's last way to log in: it does not
	// delete an NHS login passkey. Another site's passkey is the person's own business.
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	e.register("virtual")
	ours := b64(e.key.Credentials()[0].ID)
	other := b64(makePasskey(t, e.key, "example.org", "pat"))
	e.logout()
	r := e.do("DELETE", "/api/device/keys/virtual/passkeys/"+ours, map[string]string{"pin": pin})
	if r.status != http.StatusUnauthorized || r.code() != "not_signed_in" {
		t.Errorf("an NHS login passkey, logged out: %d %s", r.status, r.body)
	}
	if n := len(e.key.Credentials()); n != 2 {
		t.Fatalf("the key holds %d passkeys", n)
	}
	if r := e.do("DELETE", "/api/device/keys/virtual/passkeys/"+other, map[string]string{"pin": pin}); r.status != http.StatusOK {
		t.Errorf("another site's passkey, logged out: %d %s", r.status, r.body)
	}
	if n := len(e.key.Credentials()); n != 1 {
		t.Fatalf("the key holds %d passkeys", n)
	}
}

func TestAJobOnOneKeyDoesNotCancelAJobOnAnother(t *testing.T) {
	// Two windows, two keys: a fingerprint being added to one key, and another started on
	// the other. The first person did not cancel anything.
	other, err := virtualkey.New(virtualkey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bus := &usb.Bus{}
	bus.Plug("/dev/hidraw3", other)
	e := newEnv(t, setup{keys: bus, keyOptions: virtualkey.Options{Behaviour: virtualkey.WaitForTouch(time.Minute)}})
	setPIN(t, e.key)
	setPIN(t, other)
	r := e.do("POST", "/api/device/keys/virtual/fingerprints", map[string]string{"pin": pin})
	if r.status != http.StatusAccepted {
		t.Fatalf("add on the virtual key: %d %s", r.status, r.body)
	}
	first := jobOf(t, r)
	var usbID string
	list, _ := e.keys()
	for _, k := range list {
		if k.ID != "virtual" {
			usbID = k.ID
		}
	}
	r = e.do("POST", "/api/device/keys/"+usbID+"/fingerprints", map[string]string{"pin": pin})
	if r.status != http.StatusAccepted {
		t.Fatalf("add on the other key: %d %s", r.status, r.body)
	}
	if j := e.awaitJob(jobOf(t, r).ID, nil); j.State != "done" {
		t.Fatalf("the other key's job: %+v", j.Error)
	}
	j := jobOf(t, e.do("GET", "/api/device/key-jobs/"+first.ID, nil))
	if j.State != "touch" {
		t.Fatalf("the first key's job, which nobody cancelled: %s %+v", j.State, j.Error)
	}
	e.key.Touch()
	for range 3 {
		time.Sleep(20 * time.Millisecond)
		e.key.Touch()
	}
	if j := e.awaitJob(first.ID, func(keyJob) { e.key.Touch() }); j.State != "done" {
		t.Fatalf("the first key's job: %+v", j.Error)
	}
}
