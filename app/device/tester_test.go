//go:build cgo && !windows

package device_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/device"
	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
)

// testerState is TesterState (docs/api.md).
type testerState struct {
	Next         string `json:"next"`
	TestPIN      string `json:"testPin"`
	TouchSeconds int    `json:"touchSeconds"`
	PIN          struct {
		Set         bool `json:"set"`
		IsTestPIN   bool `json:"isTestPin"`
		RetriesLeft int  `json:"retriesLeft"`
		Blocked     bool `json:"blocked"`
	} `json:"pin"`
	Passkeys []struct {
		CredentialID string `json:"credentialId"`
		RPID         string `json:"rpId"`
		UserName     string `json:"userName"`
		CreatedAt    string `json:"createdAt"`
	} `json:"passkeys"`
	Plugged bool `json:"plugged"`
}

func testerOf(t *testing.T, r response) testerState {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("test tools: %d %s", r.status, r.body)
	}
	return decode[struct {
		Tester testerState `json:"tester"`
	}](t, r).Tester
}

func (e *env) choose(choice string) testerState {
	e.t.Helper()
	return testerOf(e.t, e.do("POST", "/api/device/tester/next", map[string]string{"choice": choice}))
}

func TestEachTestToolChoiceReachesItsAnswerInASetUp(t *testing.T) {
	tests := []struct {
		choice string
		// run follows the set-up ceremony c on the virtual key to its end.
		run func(e *env, c ceremony) ceremony
		// code is the failure code; "" means the passkey is set up.
		code string
	}{
		{"succeed", newPINThenEnd, ""},
		{"wait-for-touch", func(e *env, c ceremony) ceremony {
			c = e.await(c.ID, "pin-needed")
			e.sendPIN(c.ID, pin)
			e.await(c.ID, "touch")
			e.key.Touch()
			return e.await(c.ID, "done")
		}, ""},
		{"cancel", newPINThenEnd, "cancelled"},
		{"time-out", newPINThenEnd, "timed_out"},
		{"ask-for-pin", func(e *env, c ceremony) ceremony {
			c = e.await(c.ID, "pin-needed")
			if c.RetriesLeft == nil || *c.RetriesLeft != 8 {
				t.Fatalf("the key should ask for its PIN with 8 tries left: %s", c)
			}
			e.sendPIN(c.ID, device.TestPIN)
			return e.await(c.ID, "done", "failed")
		}, ""},
		{"wrong-pin", func(e *env, c ceremony) ceremony {
			c = e.await(c.ID, "pin-needed")
			e.sendPIN(c.ID, device.TestPIN)
			c = e.await(c.ID, "pin-needed", "failed")
			if c.State != "pin-needed" || c.RetriesLeft == nil || *c.RetriesLeft != 7 {
				t.Fatalf("the right PIN, refused once, should be asked for again with 7 tries left: %s", c)
			}
			e.sendPIN(c.ID, device.TestPIN)
			return e.await(c.ID, "done", "failed")
		}, ""},
		{"pin-blocked", func(e *env, c ceremony) ceremony { return e.await(c.ID, "failed", "pin-needed") }, "pin_blocked"},
		{"full", newPINThenEnd, "key_full"},
		{"already-registered", newPINThenEnd, "already_registered"},
		{"unplugged", newPINThenEnd, "key_removed"},
	}
	for _, tt := range tests {
		t.Run("the choice "+tt.choice+" is what the set-up meets", func(t *testing.T) {
			e := newEnv(t, setup{})
			e.signUp()
			reg := e.registerBegin()
			if got := e.choose(tt.choice).Next; got != tt.choice {
				t.Fatalf("after choosing %s the page is told the next answer is %s", tt.choice, got)
			}
			c := tt.run(e, e.start("create", "virtual", reg.PublicKey))
			switch {
			case tt.code == "" && c.State != "done":
				t.Fatalf("want the passkey made, got %s", c)
			case tt.code != "" && (c.State != "failed" || c.Error.Code != tt.code):
				t.Fatalf("want failed %s, got %s", tt.code, c)
			}
			// One-shot: once used, the key goes back to succeeding (asking for its PIN,
			// now that it has one); a blocked PIN stays blocked until a reset.
			after := testerOf(t, e.do("GET", "/api/device/tester", nil)).Next
			want := "ask-for-pin"
			if tt.choice == "pin-blocked" {
				want = "pin-blocked"
			}
			if after != want {
				t.Errorf("after the ceremony the next answer is %s, want %s", after, want)
			}
		})
	}
}

// newPINThenEnd gives a key without a PIN the one the person chooses, then waits for the end.
func newPINThenEnd(e *env, c ceremony) ceremony {
	e.t.Helper()
	c = e.await(c.ID, "pin-needed")
	e.sendPIN(c.ID, pin)
	return e.await(c.ID, "done", "failed")
}

func TestTestToolsShowWhatTheKeyHoldsAndResetIt(t *testing.T) {
	e := newEnv(t, setup{})
	st := testerOf(t, e.do("GET", "/api/device/tester", nil))
	if st.Next != "succeed" || st.PIN.Set || len(st.Passkeys) != 0 || st.TestPIN != device.TestPIN || st.TouchSeconds != 15 {
		t.Fatalf("a new key: %+v", st)
	}

	e.signUp()
	st = e.choose("ask-for-pin")
	if !st.PIN.Set || !st.PIN.IsTestPIN || st.PIN.RetriesLeft != 8 || st.PIN.Blocked {
		t.Fatalf("ask-for-pin should give the key the test PIN: %+v", st.PIN)
	}
	b := e.registerBegin()
	c := e.start("create", "virtual", b.PublicKey)
	c = e.await(c.ID, "pin-needed")
	e.sendPIN(c.ID, device.TestPIN)
	c = e.await(c.ID, "done")
	e.finishRegister(b, c.Credential)
	st = testerOf(t, e.do("GET", "/api/device/tester", nil))
	if len(st.Passkeys) != 1 || st.Passkeys[0].RPID != "localhost" || st.Passkeys[0].UserName != email || st.Passkeys[0].CreatedAt == "" {
		t.Fatalf("the key should list the passkey for localhost and %s: %+v", email, st.Passkeys)
	}

	e.choose("cancel")
	st = testerOf(t, e.do("POST", "/api/device/tester/reset", struct{}{}))
	if st.Next != "succeed" || st.PIN.Set || len(st.Passkeys) != 0 {
		t.Fatalf("after a reset: %+v, want no PIN, no passkeys, nothing armed", st)
	}
	if n := len(e.key.Credentials()); n != 0 {
		t.Errorf("the key still holds %d passkeys", n)
	}
	if a := e.key.Armed(); a.HasBehaviour {
		t.Errorf("the reset should drop the armed choice: %+v", a)
	}
}

func TestAPINTheTesterChoseIsKeptAndNotShownAsTheTestPIN(t *testing.T) {
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	st := e.choose("wrong-pin")
	if st.Next != "wrong-pin" || !st.PIN.Set || st.PIN.IsTestPIN {
		t.Fatalf("a key with its own PIN keeps it: %+v", st)
	}
	if !e.key.PINIs(pin) {
		t.Error("the key's own PIN was replaced")
	}
	// A later choice replaces the earlier one: only one is armed at a time.
	if st := e.choose("full"); st.Next != "full" || e.key.Armed().RefusePIN {
		t.Errorf("choosing full after wrong-pin: next %s, PIN refusal still armed %v", st.Next, e.key.Armed().RefusePIN)
	}
}

func TestTestToolsRefuse(t *testing.T) {
	tests := []struct {
		name         string
		noVirtual    bool
		method, path string
		body         any
		origin       string
		status       int
		code         string
	}{
		{"an unknown choice", false, "POST", "/api/device/tester/next", map[string]string{"choice": "explode"}, pageOrigin, 422, "invalid_input"},
		{"no choice", false, "POST", "/api/device/tester/next", struct{}{}, pageOrigin, 422, "invalid_input"},
		{"a request from another page", false, "GET", "/api/device/tester", nil, "https://evil.example", 403, "origin_not_allowed"},
		{"a reset from another page", false, "POST", "/api/device/tester/reset", struct{}{}, "https://evil.example", 403, "origin_not_allowed"},
		{"a look without the virtual key", true, "GET", "/api/device/tester", nil, pageOrigin, 404, "not_found"},
		{"a choice without the virtual key", true, "POST", "/api/device/tester/next", map[string]string{"choice": "cancel"}, pageOrigin, 404, "not_found"},
		{"a reset without the virtual key", true, "POST", "/api/device/tester/reset", struct{}{}, pageOrigin, 404, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			e := newEnv(t, setup{noVirtual: tt.noVirtual})
			r := e.request(e.h, tt.method, tt.path, tt.body, tt.origin)
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("%d %s, want %d %s", r.status, r.body, tt.status, tt.code)
			}
			if !tt.noVirtual {
				if a := e.key.Armed(); a.HasBehaviour || a.RefusePIN {
					t.Errorf("a refused request armed the key: %+v", a)
				}
			}
		})
	}
	t.Run("serve mode has no test tools", func(t *testing.T) {
		e := newEnv(t, setup{})
		if r := e.request(e.plain, "GET", "/api/device/tester", nil, pageOrigin); r.status != http.StatusNotFound {
			t.Fatalf("the backend alone answered %d %s", r.status, r.body)
		}
	})
}

func TestTestToolsTakeTheKeyOutAndPutItBack(t *testing.T) {
	e := newEnv(t, setup{})
	out := e.do("POST", "/api/device/tester/plug", map[string]bool{"plugged": false})
	if out.status != http.StatusOK || e.key.Plugged() {
		t.Fatalf("take the key out: %d %s, plugged = %v", out.status, out.body, e.key.Plugged())
	}
	if keys, err := e.svc.ConnectedKeys(); err != nil || len(keys) != 0 {
		t.Fatalf("a key taken out is still connected: %q, %v", keys, err)
	}
	in := e.do("POST", "/api/device/tester/plug", map[string]bool{"plugged": true})
	if in.status != http.StatusOK || !e.key.Plugged() {
		t.Fatalf("put the key back: %d %s, plugged = %v", in.status, in.body, e.key.Plugged())
	}

	// Taken out while a ceremony waits for a touch: the ceremony fails with key_removed, and
	// the key stays out (the app puts the virtual key back by itself only after the one-shot
	// "be unplugged" choice).
	setPIN(t, e.key)
	e.signUp()
	e.choose("wait-for-touch")
	c := e.start("create", "virtual", e.registerBegin().PublicKey)
	c = e.await(c.ID, "pin-needed")
	e.sendPIN(c.ID, pin)
	e.await(c.ID, "touch")
	if r := e.do("POST", "/api/device/tester/plug", map[string]bool{"plugged": false}); r.status != http.StatusOK {
		t.Fatalf("take the key out mid-ceremony: %d %s", r.status, r.body)
	}
	if c = e.await(c.ID, "failed"); c.Error == nil || c.Error.Code != "key_removed" {
		t.Fatalf("the ceremony should fail with key_removed: %s", c)
	}
	if e.key.Plugged() {
		t.Fatal("a failed ceremony put back a key the tester took out")
	}
	if r := e.do("POST", "/api/device/tester/plug", map[string]string{}); r.status != http.StatusUnprocessableEntity || r.code() != "invalid_input" {
		t.Fatalf("no answer: %d %s", r.status, r.body)
	}
}

func TestASetUpChoiceWaitsForTheSetUpWhateverTheKeyDoesFirst(t *testing.T) {
	// A tester chooses what the next set-up meets, then uses the key for something else
	// first that needs a touch (a log in; here to another site): the choice is for the
	// set-up, and the set-up meets it.
	for _, tt := range []struct{ choice, code string }{
		{"full", "key_full"},
		{"already-registered", "already_registered"},
	} {
		t.Run("the choice "+tt.choice+" outlasts a log in with the key", func(t *testing.T) {
			e := newEnv(t, setup{})
			setPIN(t, e.key)
			e.signUp()
			makePasskey(t, e.key, "example.org", "someone")
			e.choose(tt.choice)
			logInElsewhere(t, e.key, "example.org")
			if got := testerOf(t, e.do("GET", "/api/device/tester", nil)).Next; got != tt.choice {
				t.Errorf("after the log in the next answer is %s, want %s", got, tt.choice)
			}
			reg := e.registerBegin()
			c := e.start("create", "virtual", reg.PublicKey)
			c = e.await(c.ID, "pin-needed")
			e.sendPIN(c.ID, pin)
			if c = e.await(c.ID, "done", "failed"); c.State != "failed" || c.Error.Code != tt.code {
				t.Errorf("the set-up: %s, want failed %s", c, tt.code)
			}
		})
	}
}

// logInElsewhere logs in to rpID with the virtual key's passkey, through libfido2, as another
// site would: the key asks for a touch.
func logInElsewhere(t *testing.T, key *virtualkey.Key, rpID string) {
	t.Helper()
	dev, err := fido2.OpenTransport(key)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if _, err := dev.GetAssertion(t.Context(), fido2.GetAssertionRequest{
		ClientDataJSON: []byte(`{"type":"webauthn.get","challenge":"AAAA","origin":"https://` + rpID + `"}`),
		RPID:           rpID, UserVerification: true, PIN: []byte(pin),
	}); err != nil {
		t.Fatal(err)
	}
}

func TestTheVirtualKeyUnpluggedMidKeyJobIsPutBackAsTheChoiceSays(t *testing.T) {
	// "Be unplugged": as if the key were taken out while it was being used; the app puts it
	// back in straight away (the test tools' hint), in key jobs as in ceremonies, so the
	// person can do what the page asks ("insert it and try again").
	t.Run("while a fingerprint is added", func(t *testing.T) {
		e := newEnv(t, setup{})
		setPIN(t, e.key)
		e.choose("unplugged")
		r := e.do("POST", "/api/device/keys/virtual/fingerprints", map[string]string{"pin": pin})
		if r.status != http.StatusAccepted {
			t.Fatalf("add: %d %s", r.status, r.body)
		}
		if j := e.awaitJob(jobOf(t, r).ID, nil); j.State != "failed" || j.Error.Code != "key_removed" ||
			j.Error.Message != "The virtual security key was taken out before it finished. The app has put it back in, so you can try again." {
			t.Fatalf("the job: %+v", j.Error)
		}
		if list, _ := e.keys(); len(list) != 1 || !testerOf(t, e.do("GET", "/api/device/tester", nil)).Plugged {
			t.Fatalf("the virtual key was left out: %+v", list)
		}
		if id := e.addFingerprint(); id == "" {
			t.Error("no fingerprint on trying again")
		}
	})
	t.Run("while it is reset", func(t *testing.T) {
		e := newEnv(t, setup{})
		setPIN(t, e.key)
		e.signUp()
		r := e.do("POST", "/api/device/keys/virtual/reset/check", map[string]string{"pin": pin})
		ticket := decode[struct{ Ticket string }](t, r).Ticket
		e.do("POST", "/api/device/keys/virtual/replug", struct{}{})
		e.choose("unplugged")
		r = e.do("POST", "/api/device/keys/virtual/reset", map[string]string{"ticket": ticket})
		if r.status != http.StatusAccepted {
			t.Fatalf("reset: %d %s", r.status, r.body)
		}
		if j := e.awaitJob(jobOf(t, r).ID, nil); j.State != "failed" || j.Error.Code != "key_removed" {
			t.Fatalf("the job: %+v", j)
		}
		if _, set := e.key.PINRetries(); !set {
			t.Error("the key was reset although it was pulled out before the touch")
		}
		if list, _ := e.keys(); len(list) != 1 {
			t.Fatalf("the virtual key was left out: %+v", list)
		}
		// Put back in, its reset window starts again: the reset can be tried again at once.
		r = e.do("POST", "/api/device/keys/virtual/reset", map[string]string{"ticket": ticket})
		if r.status != http.StatusAccepted {
			t.Fatalf("reset again: %d %s", r.status, r.body)
		}
		if j := e.awaitJob(jobOf(t, r).ID, nil); j.State != "done" {
			t.Fatalf("the job: %+v", j)
		}
	})
	t.Run("not when the tester took it out", func(t *testing.T) {
		e := newEnv(t, setup{})
		setPIN(t, e.key)
		e.choose("unplugged")
		r := e.do("POST", "/api/device/keys/virtual/fingerprints", map[string]string{"pin": pin})
		e.do("POST", "/api/device/tester/plug", map[string]bool{"plugged": false})
		if r.status == http.StatusAccepted {
			e.awaitJob(jobOf(t, r).ID, nil)
		}
		if list, _ := e.keys(); len(list) != 0 {
			t.Fatalf("the key the tester took out is back: %+v", list)
		}
	})
}

func TestTheVirtualKeyPutBackWithTheTestToolsOpensItsResetWindow(t *testing.T) {
	// The reset page asks the tester to take the key out and put it back; the test tools'
	// panel is one way to do it, and the page waits for the window to open.
	e := newEnv(t, setup{})
	setPIN(t, e.key)
	e.signUp()
	r := e.do("POST", "/api/device/keys/virtual/reset/check", map[string]string{"pin": pin})
	ticket := decode[struct{ Ticket string }](t, r).Ticket
	if k := e.securityKey("virtual"); k.ResetSecondsLeft != 0 {
		t.Fatalf("before any replug: %d seconds", k.ResetSecondsLeft)
	}
	e.do("POST", "/api/device/tester/plug", map[string]bool{"plugged": false})
	if list, _ := e.keys(); len(list) != 0 {
		t.Fatalf("taken out, still listed: %+v", list)
	}
	e.do("POST", "/api/device/tester/plug", map[string]bool{"plugged": true})
	list, _ := e.keys()
	if len(list) != 1 || list[0].ResetSecondsLeft != 10 {
		t.Fatalf("put back in: %+v", list)
	}
	e.clock.Advance(4 * time.Second)
	if k := e.securityKey("virtual"); k.ResetSecondsLeft != 6 {
		t.Errorf("4 s later: %d seconds", k.ResetSecondsLeft)
	}
	r = e.do("POST", "/api/device/keys/virtual/reset", map[string]string{"ticket": ticket})
	if r.status != http.StatusAccepted {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	if j := e.awaitJob(jobOf(t, r).ID, nil); j.State != "done" {
		t.Fatalf("reset job %+v", j.Error)
	}
}
