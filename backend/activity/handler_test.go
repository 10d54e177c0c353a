package activity_test

import (
	"encoding/json"
	"github.com/nhs-passkeys/companion/backend/store"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

const password = "correct horse battery"

type event struct {
	Type        string  `json:"type"`
	At          string  `json:"at"`
	PasskeyName *string `json:"passkeyName"`
	Method      *string `json:"method"`
	Client      *string `json:"client"`
}

func activity(t *testing.T, c *testserver.Client) ([]event, []map[string]any) {
	t.Helper()
	res := c.Get("/api/activity")
	if res.Status != http.StatusOK {
		t.Fatalf("GET /api/activity = %d %s", res.Status, res.Body)
	}
	var typed struct {
		Events []event `json:"events"`
	}
	var raw struct {
		Events []map[string]any `json:"events"`
	}
	res.Decode(t, &typed)
	res.Decode(t, &raw)
	return typed.Events, raw.Events
}

func TestTheAccountHolderSeesWhatHappened(t *testing.T) {
	store.ForEachEngine(t, testTheAccountHolderSeesWhatHappened)
}

func testTheAccountHolderSeesWhatHappened(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	c := s.Client()
	c.RemoteAddr = "192.0.2.10:4444"
	c.SignUp("pat@example.com", password)
	a := softauthn.New(testserver.Origin)
	pk := c.RegisterPasskey(a, "")
	step := func() { s.Clock.Advance(time.Second) }
	step()
	proof := c.ReauthWithPasskey(a, "rename-passkey")
	step()
	c.Do(http.MethodPatch, "/api/passkeys/"+pk.ID, map[string]any{"name": "Pat's laptop", "proof": proof})
	step()
	c.Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": "not the password"})
	step()
	other := s.Client()
	other.RemoteAddr = "198.51.100.20:5555"
	if res := other.LoginWithPasskey(a, "pat@example.com"); res.Status != http.StatusOK {
		t.Fatalf("passkey login = %d %s", res.Status, res.Body)
	}
	step()
	s.Client().SignUp("sam@example.com", password) // someone else's events are not shown

	events, raw := activity(t, c)
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	want := []string{"signed_in", "login_failed", "passkey_renamed", "reauthenticated", "passkey_added", "account_created"}
	if strings.Join(types, ",") != strings.Join(want, ",") {
		t.Fatalf("event types (newest first) = %v, want %v", types, want)
	}
	login := events[0]
	if login.Method == nil || *login.Method != "passkey" || login.PasskeyName == nil || *login.PasskeyName != "Pat's laptop" ||
		login.Client == nil || *login.Client != "198.51.100.20" {
		t.Errorf("the passkey sign-in = %+v", login)
	}
	if failed := events[1]; failed.Method == nil || *failed.Method != "password" || failed.Client == nil || *failed.Client != "192.0.2.10" {
		t.Errorf("the failed login = %+v", failed)
	}
	if renamed := events[2]; renamed.PasskeyName == nil || *renamed.PasskeyName != "Pat's laptop" {
		t.Errorf("the rename = %+v", renamed)
	}
	if added := events[4]; added.PasskeyName == nil || *added.PasskeyName != "This device" || added.Method != nil {
		t.Errorf("the passkey added = %+v", added)
	}
	for i, e := range raw {
		for k := range e {
			switch k {
			case "type", "at", "passkeyName", "method", "client":
			default:
				t.Errorf("event %d has the key %q: only type, at, passkeyName, method and client may leave", i, k)
			}
		}
		if _, err := time.Parse(time.RFC3339, events[i].At); err != nil || !strings.HasSuffix(events[i].At, "Z") {
			t.Errorf("event %d at %q is not RFC 3339 UTC", i, events[i].At)
		}
	}
	body := c.Get("/api/activity").Body
	for _, secret := range []string{password, "not the password", proof, c.Cookie.Value, "wrong password", "was "} {
		if strings.Contains(string(body), secret) {
			t.Errorf("the activity contains %q: %s", secret, body)
		}
	}
}

func TestActivityShowsTheLatestFiftyAndNeedsASignIn(t *testing.T) {
	store.ForEachEngine(t, testActivityShowsTheLatestFiftyAndNeedsASignIn)
}

func testActivityShowsTheLatestFiftyAndNeedsASignIn(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	c := s.Client()
	c.SignUp("pat@example.com", password)
	for range 60 {
		s.Clock.Advance(time.Second)
		c.Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": password})
	}
	events, _ := activity(t, c)
	if len(events) != 50 || events[0].Type != "signed_in" || events[0].At != s.Clock.Now().UTC().Format(time.RFC3339) {
		t.Errorf("got %d events, newest %+v", len(events), events[0])
	}
	res := s.Client().Get("/api/activity")
	if res.Status != http.StatusUnauthorized || res.Code() != "not_signed_in" {
		t.Errorf("signed out = %d %s", res.Status, res.Body)
	}
	var empty map[string]json.RawMessage
	res.Decode(t, &empty)
}
