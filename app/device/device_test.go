//go:build cgo && !windows

package device_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/device"
	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/internal/testkit/usb"
)

func TestRegisterLogOutAndLogInThroughTheDeviceEndpoints(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()

	// Set up a passkey: begin -> device ceremony -> PIN -> done -> the same finish endpoint.
	reg := e.registerBegin()
	c := e.start("create", "virtual", reg.PublicKey)
	if c.State != "working" {
		t.Errorf("a ceremony on a connected key starts %s", c)
	}
	c = e.await(c.ID, "pin-needed")
	if c.RetriesLeft == nil || *c.RetriesLeft != 8 {
		t.Errorf("pin-needed should say the tries left when known: %s", c)
	}
	if got := e.sendPIN(c.ID, pin); got.State != "working" {
		t.Errorf("after the PIN: %s", got)
	}
	c = e.await(c.ID, "done")
	var cred struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Response struct {
			ClientDataJSON string `json:"clientDataJSON"`
		} `json:"response"`
	}
	if err := json.Unmarshal(c.Credential, &cred); err != nil || cred.Type != "public-key" {
		t.Fatalf("credential %s: %v", c.Credential, err)
	}
	cdj, _ := base64.RawURLEncoding.DecodeString(cred.Response.ClientDataJSON)
	if !strings.Contains(string(cdj), `"origin":"`+rpOrigin+`"`) {
		t.Errorf("clientDataJSON must carry the RP origin, not the webview's: %s", cdj)
	}
	e.finishRegister(reg, c.Credential)
	if n := e.passkeys(); n != 1 {
		t.Fatalf("%d passkeys after setting one up", n)
	}
	if creds := e.key.Credentials(); len(creds) != 1 || creds[0].RPID != "localhost" {
		t.Fatalf("the key holds %+v", creds)
	}

	// Log out, then log in with the passkey, by email and without one (discoverable).
	for _, address := range []string{email, ""} {
		e.logout()
		login := e.loginBegin(address)
		c := e.start("get", "virtual", login.PublicKey)
		c = e.withPIN(c)
		r := e.do("POST", "/api/login/passkey/finish", map[string]any{"ceremony": login.Ceremony, "credential": c.Credential})
		if r.status != http.StatusOK || e.cookie == nil {
			t.Fatalf("login finish (email %q): %d %s", address, r.status, r.body)
		}
		if !e.signedIn() {
			t.Fatalf("not signed in after logging in with email %q", address)
		}
	}
}

func TestAKeyWithoutAPINGetsTheOneThePersonChooses(t *testing.T) {
	e := newEnv(t, setup{})
	e.signUp()
	list := decode[struct {
		Authenticators []struct {
			ID, Kind, Name string
			PINSet         bool
		}
	}](t, e.do("GET", "/api/device/authenticators", nil)).Authenticators
	if len(list) != 1 || list[0].ID != "virtual" || list[0].Kind != "virtual" ||
		list[0].Name != "Virtual security key (for testing)" || list[0].PINSet {
		t.Fatalf("authenticators %+v", list)
	}

	reg := e.registerBegin()
	c := e.start("create", "virtual", reg.PublicKey)
	c = e.await(c.ID, "pin-needed")
	if c.RetriesLeft != nil {
		t.Errorf("a new PIN has no tries left to tell: %s", c)
	}
	e.sendPIN(c.ID, pin)
	c = e.await(c.ID, "done")
	e.finishRegister(reg, c.Credential)
	if retries, set := e.key.PINRetries(); !set || retries != 8 {
		t.Errorf("the key's PIN: set %v, %d tries", set, retries)
	}
	if !strings.Contains(string(e.do("GET", "/api/device/authenticators", nil).body), `"pinSet":true`) {
		t.Error("the list does not show the new PIN")
	}

	// A new PIN shorter than any key allows (CTAP 2.1 §6.4) is refused before the key is
	// asked: the ceremony still waits for a PIN, and nothing is set.
	fresh := newEnv(t, setup{})
	fresh.signUp()
	c = fresh.start("create", "virtual", fresh.registerBegin().PublicKey)
	c = fresh.await(c.ID, "pin-needed")
	r := fresh.do("POST", "/api/device/ceremonies/"+c.ID+"/pin", map[string]string{"pin": "12"})
	if code, _, fields := errorOf(t, r); r.status != 422 || code != "invalid_input" || fields["pin"] != "PIN must be 4 characters or more" {
		t.Errorf("short new PIN: %d %s", r.status, r.body)
	}
	if c = fresh.await(c.ID, "pin-needed"); c.State != "pin-needed" {
		t.Errorf("after a short new PIN the ceremony is %s", c)
	}
	if _, set := fresh.key.PINRetries(); set {
		t.Error("a refused PIN was set")
	}
}

func TestAWrongPINAsksAgainWithTheTriesLeft(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	reg := e.registerBegin()
	c := e.start("create", "virtual", reg.PublicKey)
	c = e.await(c.ID, "pin-needed")

	e.sendPIN(c.ID, "000000")
	c = e.await(c.ID, "pin-needed")
	if c.RetriesLeft == nil || *c.RetriesLeft != 7 {
		t.Fatalf("after a wrong PIN: %s", c)
	}
	e.sendPIN(c.ID, pin)
	c = e.await(c.ID, "done")
	e.finishRegister(reg, c.Credential)
	if retries, _ := e.key.PINRetries(); retries != 8 {
		t.Errorf("the right PIN should restore the tries: %d", retries)
	}
}

func TestThreeWrongPINsInARowLockTheKeyUntilItIsReinserted(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	c := e.start("create", "virtual", e.registerBegin().PublicKey)
	for _, left := range []int{7, 6} {
		c = e.await(c.ID, "pin-needed")
		e.sendPIN(c.ID, "000000")
		c = e.await(c.ID, "pin-needed", "failed")
		if c.State != "pin-needed" || *c.RetriesLeft != left {
			t.Fatalf("after a wrong PIN: %s, want %d tries left", c, left)
		}
	}
	e.sendPIN(c.ID, "000000")
	c = e.await(c.ID, "failed")
	if c.Error.Code != "pin_auth_blocked" ||
		c.Error.Message != "The wrong PIN was entered too many times in a row." {
		t.Fatalf("third wrong PIN: %s", c)
	}
	// Nobody can pull the virtual key out, so the app has done it: the next attempt works.
	e.register("virtual")
	if n := e.passkeys(); n != 1 {
		t.Fatalf("%d passkeys", n)
	}
}

func TestCancelWhileTheKeyWaitsForATouch(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	e.key.SetBehaviour(virtualkey.WaitForTouch(time.Minute))
	c := e.start("create", "virtual", e.registerBegin().PublicKey)
	c = e.await(c.ID, "pin-needed")
	e.sendPIN(c.ID, pin)
	c = e.await(c.ID, "touch")

	r := e.do("POST", "/api/device/ceremonies/"+c.ID+"/cancel", struct{}{})
	if r.status != http.StatusOK {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	c = ceremonyOf(t, r)
	if c.State != "failed" || c.Error.Code != "cancelled" || c.Error.Message != "You cancelled setting up your passkey." {
		t.Fatalf("cancelled ceremony: %s", c)
	}
	// It stays cancelled, and the key made nothing.
	time.Sleep(200 * time.Millisecond)
	if c = e.await(c.ID, "failed"); c.Error.Code != "cancelled" {
		t.Fatalf("later: %s", c)
	}
	if n := len(e.key.Credentials()); n != 0 {
		t.Fatalf("the key holds %d credentials after a cancel", n)
	}
	// The key is free again for the next ceremony.
	e.register("virtual")
}

func TestANewCeremonyCancelsTheRunningOne(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	e.key.SetBehaviour(virtualkey.WaitForTouch(time.Minute))
	first := e.start("create", "virtual", e.registerBegin().PublicKey)
	first = e.await(first.ID, "pin-needed")
	e.sendPIN(first.ID, pin)
	e.await(first.ID, "touch")

	reg := e.registerBegin()
	second := e.start("create", "virtual", reg.PublicKey)
	if got := e.await(first.ID, "failed"); got.Error.Code != "cancelled" {
		t.Fatalf("the first ceremony: %s", got)
	}
	second = e.withPIN(second)
	e.finishRegister(reg, second.Credential)
}

func TestWithNoKeyTheCeremonyWaitsForOneToBeInserted(t *testing.T) {
	bus := &usb.Bus{}
	e := newEnv(t, setup{noVirtual: true, keys: bus})
	e.signUp()
	if r := e.do("GET", "/api/device/authenticators", nil); string(r.body) != `{"authenticators":[]}`+"\n" {
		t.Fatalf("no keys: %s", r.body)
	}

	reg := e.registerBegin()
	c := e.start("create", "", reg.PublicKey)
	if c.State != "insert-key" {
		t.Fatalf("no key connected: %s", c)
	}
	time.Sleep(600 * time.Millisecond) // more than one look at the bus
	if c = e.await(c.ID, "insert-key"); c.State != "insert-key" {
		t.Fatal(c)
	}

	key, err := virtualkey.New(virtualkey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	setPIN(t, key)
	key.SetBehaviour(virtualkey.WaitForTouch(300 * time.Millisecond))
	bus.Plug("/dev/hidraw7", key)
	c = e.await(c.ID, "pin-needed")
	e.sendPIN(c.ID, pin)
	c = e.await(c.ID, "touch") // a hardware key: "touch" while the request blocks
	c = e.await(c.ID, "done")
	e.finishRegister(reg, c.Credential)

	list := decode[struct {
		Authenticators []struct {
			ID, Kind, Name string
			PINSet         bool
		}
	}](t, e.do("GET", "/api/device/authenticators", nil))
	if len(list.Authenticators) != 1 {
		t.Fatalf("authenticators %+v", list)
	}
	a := list.Authenticators[0]
	if !strings.HasPrefix(a.ID, "usb:") || len(a.ID) != 20 || strings.Contains(a.ID, "hidraw") ||
		a.Kind != "security-key" || a.Name != "Test Key /dev/hidraw7" || !a.PINSet {
		t.Errorf("authenticator %+v", a)
	}

	// Asked for by its id, it is used directly.
	e.logout()
	login := e.loginBegin(email)
	c = e.start("get", a.ID, login.PublicKey)
	if c.State != "working" {
		t.Errorf("a ceremony on the connected key starts %s", c)
	}
	c = e.withPIN(c)
	e.finishLogin(login, c.Credential)
}

func TestNoKeyInsertedInTimeFails(t *testing.T) {
	e := newEnv(t, setup{noVirtual: true, keys: &usb.Bus{}, maxTimeout: 700 * time.Millisecond})
	e.signUp()
	c := e.start("create", "", e.registerBegin().PublicKey)
	c = e.await(c.ID, "failed")
	if c.Error.Code != "no_authenticator" || c.Error.Message != "Your security key was not found." {
		t.Fatalf("%s", c)
	}
}

func TestWaitingForThePINEndsWhenTheTimeIsUp(t *testing.T) {
	e := newEnv(t, setup{maxTimeout: 500 * time.Millisecond})
	setPIN(t, e.key)
	e.signUp()
	c := e.start("create", "virtual", e.registerBegin().PublicKey)
	c = e.await(c.ID, "failed")
	if c.Error.Code != "timed_out" || c.Error.Message != "Your security key did not respond in time." {
		t.Fatalf("%s", c)
	}
}

func TestWhatTheKeyDoesBecomesAFailureThePersonUnderstands(t *testing.T) {
	tests := []struct {
		name      string
		kind      string
		behaviour virtualkey.Behaviour
		code, msg string
	}{
		{"the key is full", "create", virtualkey.Full(), "key_full",
			"Your security key is full."},
		{"nobody touches the key", "create", virtualkey.TimeOut(), "timed_out",
			"Your security key did not respond in time."},
		{"the key is pulled out", "create", virtualkey.Unplugged(), "key_removed",
			"Your security key was removed before it finished."},
		{"the person cancels on the key", "get", virtualkey.Cancelled(), "cancelled",
			"You cancelled logging in with your passkey."},
		{"the key is pulled out while logging in", "get", virtualkey.Unplugged(), "key_removed",
			"Your security key was removed before it finished."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, setup{})
			setPIN(t, e.key)
			e.signUp()
			if tt.kind == "get" {
				e.register("virtual")
				e.logout()
			}
			e.key.SetBehaviour(tt.behaviour)
			var b begin
			if tt.kind == "create" {
				b = e.registerBegin()
			} else {
				b = e.loginBegin(email)
			}
			c := e.start(tt.kind, "virtual", b.PublicKey)
			c = e.await(c.ID, "pin-needed")
			e.sendPIN(c.ID, pin)
			c = e.await(c.ID, "failed")
			if c.Error.Code != tt.code || c.Error.Message != tt.msg {
				t.Fatalf("got %s, want %s: %s", c, tt.code, tt.msg)
			}
			if tt.kind == "create" && len(e.key.Credentials()) != 0 {
				t.Error("the key made a credential anyway")
			}
			// After any of these the key can be used again (the virtual key is plugged
			// back in by the app after key_removed).
			if tt.kind == "create" {
				e.register("virtual")
			}
		})
	}
}

func TestAKeyAlreadySetUpForTheAccountIsRefused(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	e.register("virtual")

	c := e.start("create", "virtual", e.registerBegin().PublicKey) // excludeCredentials holds it
	c = e.await(c.ID, "pin-needed")
	e.sendPIN(c.ID, pin)
	c = e.await(c.ID, "failed")
	if c.Error.Code != "already_registered" || c.Error.Message != "This security key is already set up for your NHS login." {
		t.Fatalf("%s", c)
	}
	if n := len(e.key.Credentials()); n != 1 {
		t.Fatalf("the key holds %d credentials", n)
	}
}

func TestAKeyWithoutThePasskeyCannotLogIn(t *testing.T) {
	bus := &usb.Bus{}
	e := newEnv(t, setup{keys: bus})
	setPIN(t, e.key)
	e.signUp()
	e.register("virtual")
	e.logout()

	other, err := virtualkey.New(virtualkey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	setPIN(t, other)
	bus.Plug("/dev/hidraw3", other)
	for _, address := range []string{email, ""} {
		c := e.start("get", "", e.loginBegin(address).PublicKey) // "": the first security key
		c = e.await(c.ID, "pin-needed")
		e.sendPIN(c.ID, pin)
		c = e.await(c.ID, "failed")
		if c.Error.Code != "no_passkey_on_key" || c.Error.Message != "There are no passkeys for your NHS login on this security key." {
			t.Fatalf("email %q: %s", address, c)
		}
	}

	// A key with no PIN cannot hold a passkey of ours: it is not even asked for one.
	bare, err := virtualkey.New(virtualkey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bus.Plug("/dev/hidraw3", bare)
	c := e.start("get", "", e.loginBegin(email).PublicKey)
	if c = e.await(c.ID, "failed"); c.Error.Code != "no_passkey_on_key" {
		t.Fatalf("a key without a PIN: %s", c)
	}
	if _, set := bare.PINRetries(); set {
		t.Error("logging in set a PIN")
	}
}

func TestEveryDeviceRequestNeedsTheAppsOrigin(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	reg := e.registerBegin()
	start := map[string]any{"kind": "create", "authenticator": "virtual", "publicKey": reg.PublicKey}

	for _, origin := range []string{"", "https://evil.example", rpOrigin, "null"} {
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/device/authenticators", nil},
			{"POST", "/api/device/ceremonies", start},
			{"GET", "/api/device/ceremonies/x", nil},
			{"POST", "/api/device/ceremonies/x/pin", map[string]string{"pin": pin}},
			{"POST", "/api/device/ceremonies/x/cancel", struct{}{}},
			{"GET", "/api/device/nothing-here", nil},
		} {
			r := e.request(e.h, req.method, req.path, req.body, origin)
			var body struct {
				Error struct {
					Code    string `json:"code"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(r.body, &body); err != nil || r.status != http.StatusForbidden ||
				body.Error.Code != "origin_not_allowed" || body.Error.Message == "" {
				t.Errorf("%s %s from %q: %d %s", req.method, req.path, origin, r.status, r.body)
			}
		}
	}
	// Nothing was started: the key was never asked.
	if n := len(e.key.Credentials()); n != 0 {
		t.Fatalf("the key holds %d credentials", n)
	}
	c := e.start("create", "virtual", reg.PublicKey)
	if c.State != "working" {
		t.Fatalf("from the app's page: %s", c)
	}
}

func TestServeModeHasNoDeviceEndpoints(t *testing.T) {
	e := newEnv(t, setup{})
	for _, origin := range []string{rpOrigin, pageOrigin} {
		for _, req := range []struct{ method, path string }{
			{"GET", "/api/device/authenticators"},
			{"POST", "/api/device/ceremonies"},
			{"GET", "/api/device/ceremonies/x"},
		} {
			var body any
			if req.method == "POST" {
				body = map[string]any{"kind": "create", "authenticator": "virtual", "publicKey": map[string]any{}}
			}
			r := e.request(e.plain, req.method, req.path, body, origin)
			if r.status != http.StatusNotFound || r.code() != "not_found" {
				t.Errorf("backend alone: %s %s: %d %s", req.method, req.path, r.status, r.body)
			}
		}
	}
}

func TestOtherRequestsGoToTheBackend(t *testing.T) {
	e := newEnv(t, setup{})
	r := e.request(e.h, "GET", "/api/config", nil, "")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"ceremonies":"device"`) {
		t.Fatalf("GET /api/config through the device handler: %d %s", r.status, r.body)
	}
	// The backend's own Origin rule still applies to its endpoints.
	if r := e.request(e.h, "POST", "/api/accounts", map[string]string{"email": email, "password": password}, "https://evil.example"); r.status != http.StatusForbidden {
		t.Fatalf("POST /api/accounts from another origin: %d", r.status)
	}
	// A path that only starts like the device prefix is the backend's.
	if r := e.do("GET", "/api/devices", nil); r.status != http.StatusNotFound || r.code() != "not_found" {
		t.Fatalf("GET /api/devices: %d %s", r.status, r.body)
	}
}

func TestRequestsTheDeviceEndpointsRefuse(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	reg := e.registerBegin()
	foreign := bytes.Replace(reg.PublicKey, []byte(`"id":"localhost"`), []byte(`"id":"example.org"`), 1)
	if bytes.Equal(foreign, reg.PublicKey) {
		t.Fatalf("no rp id in %s", reg.PublicKey)
	}
	noES256 := bytes.Replace(reg.PublicKey, []byte(`"alg":-7`), []byte(`"alg":-8`), 1)

	tests := []struct {
		name         string
		method, path string
		body         any
		status       int
		code         string
	}{
		{"not JSON", "POST", "/api/device/ceremonies", `{"kind":`, 400, "invalid_request"},
		{"an unknown member", "POST", "/api/device/ceremonies", map[string]any{"kind": "create", "authenticator": "virtual", "publicKey": reg.PublicKey, "extra": 1}, 400, "invalid_request"},
		{"an unknown kind", "POST", "/api/device/ceremonies", map[string]any{"kind": "delete", "authenticator": "virtual", "publicKey": reg.PublicKey}, 400, "invalid_request"},
		{"an authenticator the app does not have", "POST", "/api/device/ceremonies", map[string]any{"kind": "create", "authenticator": "usb:0011223344556677", "publicKey": reg.PublicKey}, 400, "invalid_request"},
		{"options for another site", "POST", "/api/device/ceremonies", map[string]any{"kind": "create", "authenticator": "virtual", "publicKey": json.RawMessage(foreign)}, 400, "invalid_request"},
		{"options without ES256", "POST", "/api/device/ceremonies", map[string]any{"kind": "create", "authenticator": "virtual", "publicKey": json.RawMessage(noES256)}, 400, "invalid_request"},
		{"creation options for a get", "POST", "/api/device/ceremonies", map[string]any{"kind": "get", "authenticator": "virtual", "publicKey": "x"}, 400, "invalid_request"},
		{"a body over 64 KiB", "POST", "/api/device/ceremonies", `{"kind":"` + strings.Repeat("a", 70<<10) + `"}`, 413, "request_too_large"},
		{"an unknown ceremony", "GET", "/api/device/ceremonies/nope", nil, 404, "not_found"},
		{"a PIN for an unknown ceremony", "POST", "/api/device/ceremonies/nope/pin", map[string]string{"pin": pin}, 404, "not_found"},
		{"an unknown path", "GET", "/api/device/nothing-here", nil, 404, "not_found"},
		{"the prefix itself", "GET", "/api/device", nil, 404, "not_found"},
		{"an unclean path", "GET", "/api/device//authenticators", nil, 404, "not_found"},
		{"the wrong method", "DELETE", "/api/device/authenticators", nil, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.body)
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
		})
	}

	// The PIN endpoint.
	e.key.SetBehaviour(virtualkey.WaitForTouch(time.Minute))
	c := e.start("create", "virtual", reg.PublicKey)
	c = e.await(c.ID, "pin-needed")
	pinPath := "/api/device/ceremonies/" + c.ID + "/pin"
	for _, tt := range []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"no PIN", `{"pin":""}`, 422, "invalid_input"},
		{"no pin member", `{}`, 422, "invalid_input"},
		{"a PIN that is not a string", `{"pin":482913}`, 400, "invalid_request"},
		{"an unknown member", `{"pin":"482913","remember":true}`, 400, "invalid_request"},
		{"trailing data", `{"pin":"482913"} {}`, 400, "invalid_request"},
		{"not an object", `"482913"`, 400, "invalid_request"},
		{"a lone surrogate", `{"pin":"\ud800"}`, 400, "invalid_request"},
		{"a body over 64 KiB", `{"pin":"` + strings.Repeat("1", 70<<10) + `"}`, 413, "request_too_large"},
		// CTAP 2.1 §6.4, §6.5.5.5: no key has a PIN like these, so none costs a try.
		{"a PIN shorter than any key's", `{"pin":"123"}`, 422, "invalid_input"},
		{"a PIN over 63 bytes", `{"pin":"` + strings.Repeat("1", 64) + `"}`, 422, "invalid_input"},
		{"a PIN of 32 characters that is 64 bytes", `{"pin":"` + strings.Repeat("é", 32) + `"}`, 422, "invalid_input"},
		{"a PIN with a NUL", `{"pin":"48\u00002913"}`, 422, "invalid_input"},
	} {
		r := e.do("POST", pinPath, tt.body)
		if r.status != tt.status || r.code() != tt.code {
			t.Errorf("PIN %s: %d %s, want %d %s", tt.name, r.status, r.body, tt.status, tt.code)
		}
	}
	if c = e.await(c.ID, "pin-needed"); c.RetriesLeft == nil || *c.RetriesLeft != 8 {
		t.Fatalf("a refused request must not reach the key: %s", c)
	}
	// An escaped PIN is the PIN: "482913" with \u escapes.
	if got := e.sendPIN(c.ID, "\u0034\u0038\u0032\u0039\u0031\u0033"); got.State != "working" {
		t.Fatal(got)
	}
	e.await(c.ID, "touch")
	r := e.do("POST", pinPath, map[string]string{"pin": pin})
	if r.status != http.StatusConflict || r.code() != "pin_not_needed" {
		t.Fatalf("a PIN while the key waits for a touch: %d %s", r.status, r.body)
	}
	e.key.Touch()
	e.await(c.ID, "done")
	// Cancelling a ceremony that has ended leaves it as it is.
	r = e.do("POST", "/api/device/ceremonies/"+c.ID+"/cancel", struct{}{})
	if got := ceremonyOf(t, r); r.status != http.StatusOK || got.State != "done" || got.Credential == nil {
		t.Fatalf("cancel after done: %d %s", r.status, r.body)
	}
}

func TestEndedCeremoniesAreForgottenAfterTwoMinutes(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	e.key.SetBehaviour(virtualkey.TimeOut())
	c := e.start("create", "virtual", e.registerBegin().PublicKey)
	c = e.await(c.ID, "pin-needed")
	e.sendPIN(c.ID, pin)
	e.await(c.ID, "failed")

	e.clock.Advance(2*time.Minute - time.Second)
	if r := e.do("GET", "/api/device/ceremonies/"+c.ID, nil); r.status != http.StatusOK {
		t.Fatalf("just under two minutes: %d", r.status)
	}
	e.clock.Advance(time.Second)
	if r := e.do("GET", "/api/device/ceremonies/"+c.ID, nil); r.status != http.StatusNotFound || r.code() != "not_found" {
		t.Fatalf("two minutes after it ended: %d %s", r.status, r.body)
	}
}

func TestNewRefusesAnOriginWithoutWebAuthn(t *testing.T) {
	for _, cfg := range []device.Config{
		{Origins: []string{pageOrigin}, RPOrigin: "wails://wails"},
		{Origins: []string{pageOrigin}, RPOrigin: "http://127.0.0.1:8080"},
		{RPOrigin: rpOrigin},
	} {
		if _, err := device.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

func TestAKeyWhosePINIsBlockedSaysSoWithoutAskingForThePIN(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	b := e.registerBegin()
	if err := e.key.BlockPIN(); err != nil {
		t.Fatal(err)
	}
	c := e.start("create", "virtual", b.PublicKey)
	c = e.await(c.ID, "failed", "pin-needed")
	if c.State != "failed" || c.Error.Code != "pin_blocked" ||
		c.Error.Message != "Your security key's PIN is blocked because the wrong PIN was entered too many times." {
		t.Fatalf("a key with no PIN retries left: %s, want failed pin_blocked at once", c)
	}
}

func TestAKeyThatWantsANewPINSaysSoWithoutAskingForTheOldOne(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	// CTAP 2.1 §6.11.4: the key is told to want a new PIN (forceChangePin).
	dev, err := fido2.OpenTransport(e.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.SetMinPINLength(t.Context(), 0, true, []byte(pin)); err != nil {
		t.Fatal(err)
	}
	dev.Close()

	for _, kind := range []string{"create", "get"} {
		t.Run("a "+kind+" ceremony fails at once with pin_change_required", func(t *testing.T) {
			var options json.RawMessage
			if kind == "create" {
				options = e.registerBegin().PublicKey
			} else {
				options = e.loginBegin(email).PublicKey
			}
			c := e.start(kind, "virtual", options)
			c = e.await(c.ID, "failed", "pin-needed")
			if c.State != "failed" || c.Error.Code != "pin_change_required" ||
				c.Error.Message != "Your security key needs a new PIN before it can be used." {
				t.Fatalf("a key that wants a new PIN: %s, want failed pin_change_required before any PIN is asked for", c)
			}
		})
	}
	if retries, _ := e.key.PINRetries(); retries != 8 {
		t.Errorf("no PIN was tried, yet the key has %d tries left", retries)
	}
}

func TestTheOptionsTimeoutIsCorrectedIntoAReasonableRange(t *testing.T) {
	// WebAuthn L3 §5.1.3 step 11: the options' timeout is only a hint. One too short to find
	// and touch a key gets 30 seconds; one too long ends with the app's own limit.
	withTimeout := func(t *testing.T, options json.RawMessage, ms uint32) json.RawMessage {
		var o map[string]any
		if err := json.Unmarshal(options, &o); err != nil {
			t.Fatal(err)
		}
		o["timeout"] = ms
		raw, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	t.Run("a timeout of 1 ms still leaves time for the PIN and the touch", func(t *testing.T) {
		e := newEnv(t, setup{})
		setPIN(t, e.key)
		e.signUp()
		b := e.registerBegin()
		c := e.start("create", "virtual", withTimeout(t, b.PublicKey, 1))
		c = e.await(c.ID, "pin-needed")
		time.Sleep(50 * time.Millisecond) // far past the 1 ms asked for
		e.sendPIN(c.ID, pin)
		e.finishRegister(b, e.await(c.ID, "done").Credential)
		if n := e.passkeys(); n != 1 {
			t.Errorf("the account has %d passkeys, want 1", n)
		}
	})
	t.Run("a timeout of 49 days ends with the app's limit", func(t *testing.T) {
		e := newEnv(t, setup{maxTimeout: 300 * time.Millisecond})
		setPIN(t, e.key)
		e.signUp()
		start := time.Now()
		c := e.start("create", "virtual", withTimeout(t, e.registerBegin().PublicKey, 1<<32-1))
		if c = e.await(c.ID, "failed"); c.Error.Code != "timed_out" || time.Since(start) > 10*time.Second {
			t.Errorf("%s after %s", c, time.Since(start))
		}
	})
}

func TestAKeyWithoutAPINSaysHowLongItsNewPINMustBe(t *testing.T) {
	// A key whose minimum PIN length is 6 (authenticatorConfig setMinPINLength, CTAP 2.1
	// §6.11.4) and that has no PIN yet: the set-up asks for a new PIN and says the minimum,
	// so the page can refuse a 4-character one before the key does and ends the set-up.
	e := newEnv(t, setup{})
	dev, err := fido2.OpenTransport(e.key)
	if err != nil {
		t.Fatal(err)
	}
	if err := dev.SetMinPINLength(t.Context(), 6, false, nil); err != nil {
		t.Fatal(err)
	}
	dev.Close()
	e.signUp()
	c := e.await(e.start("create", "virtual", e.registerBegin().PublicKey).ID, "pin-needed")
	if c.MinPINLength == nil || *c.MinPINLength != 6 {
		t.Fatalf("the new PIN's minimum is not said: %s", c)
	}
	e.sendPIN(c.ID, "123456")
	if c = e.await(c.ID, "done", "failed"); c.State != "done" {
		t.Fatalf("set-up: %s", c)
	}
	// A key that has a PIN asks for it, with no minimum (a PIN in use may be shorter).
	c = e.await(e.start("create", "virtual", e.registerBegin().PublicKey).ID, "pin-needed", "failed")
	if c.MinPINLength != nil {
		t.Errorf("an existing PIN is asked for with a minimum: %s", c)
	}
}
