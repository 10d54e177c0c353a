package passkey_test

import (
	"encoding/hex"
	"github.com/nhs-passkeys/companion/backend/store"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

const password = "correct horse battery"

// windowsHello is a platform authenticator whose AAGUID names it.
func windowsHello() *softauthn.Authenticator {
	a := softauthn.New(testserver.Origin)
	b, _ := hex.DecodeString("08987058cadc4b81b6e130de50dcbe96")
	copy(a.AAGUID[:], b)
	return a
}

// signedUp signs up email on a fresh client, sets up a passkey on a new authenticator with
// the login grace, and returns both. The grace is then used up.
func signedUp(t *testing.T, s *testserver.Server, email string) (*testserver.Client, *softauthn.Authenticator, testserver.Passkey) {
	t.Helper()
	c := s.Client()
	c.SignUp(email, password)
	a := softauthn.New(testserver.Origin)
	return c, a, c.RegisterPasskey(a, "")
}

func TestPasskeysAreNamedAfterTheirAuthenticator(t *testing.T) {
	store.ForEachEngine(t, testPasskeysAreNamedAfterTheirAuthenticator)
}

func testPasskeysAreNamedAfterTheirAuthenticator(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	c := s.Client()
	c.SignUp("pat@example.com", password)
	a := windowsHello()
	first := c.RegisterPasskey(a, "")
	second := c.RegisterPasskey(windowsHello(), c.ReauthWithPasskey(a, "add-passkey"))
	if first.Name != "Windows Hello" || first.Provider == nil || *first.Provider != "Windows Hello" || first.StoredOn != "this-device" {
		t.Errorf("first passkey = %+v", first)
	}
	if second.Name != "Windows Hello 2" {
		t.Errorf("second passkey name = %q, want Windows Hello 2", second.Name)
	}
	if s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'passkey_added' AND passkey_name = 'Windows Hello 2'`) != 1 {
		t.Errorf("the passkey's name is not in the audit")
	}
}

func TestRenamingAPasskey(t *testing.T) { store.ForEachEngine(t, testRenamingAPasskey) }

func testRenamingAPasskey(t *testing.T, engine store.Engine) {
	rename := func(c *testserver.Client, id, name, proof string) *testserver.Response {
		body := map[string]any{"name": name}
		if proof != "" {
			body["proof"] = proof
		}
		return c.Do(http.MethodPatch, "/api/passkeys/"+id, body)
	}
	tests := []struct {
		name string
		run  func(t *testing.T, s *testserver.Server)
	}{
		{"with a proof the passkey is renamed, trimmed, audited, and the proof is used up", func(t *testing.T, s *testserver.Server) {
			c, a, pk := signedUp(t, s, "pat@example.com")
			proof := c.ReauthWithPasskey(a, "rename-passkey")
			res := rename(c, pk.ID, "  Work phone ", proof)
			var out struct {
				Passkey testserver.Passkey `json:"passkey"`
			}
			res.Decode(t, &out)
			if res.Status != http.StatusOK || out.Passkey.Name != "Work phone" || out.Passkey.ID != pk.ID {
				t.Fatalf("rename = %d %s", res.Status, res.Body)
			}
			if s.Count(`SELECT count(*) FROM passkeys WHERE name = 'Work phone'`) != 1 ||
				s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'passkey_renamed' AND passkey_name = 'Work phone'`) != 1 {
				t.Errorf("the rename was not stored or audited")
			}
			before := s.Dump(testserver.StateTables...)
			if res := rename(c, pk.ID, "Again", proof); res.Status != http.StatusForbidden || res.Code() != "reauth_required" {
				t.Errorf("a used proof = %d %s", res.Status, res.Body)
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("a refused rename changed the database")
			}
		}},
		{"without a proof or login grace it is refused and nothing changes", func(t *testing.T, s *testserver.Server) {
			c, _, pk := signedUp(t, s, "pat@example.com")
			before := s.Dump(testserver.StateTables...)
			res := rename(c, pk.ID, "Work phone", "")
			if res.Status != http.StatusForbidden || res.Code() != "reauth_required" ||
				res.Err().Error.Message != "For your security, confirm it's you before you make this change." {
				t.Errorf("rename = %d %s", res.Status, res.Body)
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("a refused rename changed the database")
			}
		}},
		{"a proof for another action is refused and stays usable for its own", func(t *testing.T, s *testserver.Server) {
			c, a, pk := signedUp(t, s, "pat@example.com")
			proof := c.ReauthWithPasskey(a, "remove-passkey")
			before := s.Dump(testserver.StateTables...)
			if res := rename(c, pk.ID, "Work phone", proof); res.Status != http.StatusForbidden || res.Code() != "reauth_required" {
				t.Errorf("rename with a remove proof = %d %s", res.Status, res.Body)
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("a refused rename changed the database")
			}
			c.Post("/api/account/password", map[string]any{"newPassword": "another good password", "proof": proof}) // wrong action again
			if s.Count(`SELECT count(*) FROM reauth_proofs WHERE action = 'remove-passkey'`) != 1 {
				t.Errorf("the proof was used up by an action it does not allow")
			}
		}},
		{"a name already used in the account is refused whatever its case, and the proof stays", func(t *testing.T, s *testserver.Server) {
			c, a, pk := signedUp(t, s, "pat@example.com")
			other := c.RegisterPasskey(softauthn.New(testserver.Origin), c.ReauthWithPasskey(a, "add-passkey"))
			proof := c.ReauthWithPasskey(a, "rename-passkey")
			before := s.Dump(testserver.StateTables...)
			res := rename(c, pk.ID, strings.ToUpper(other.Name), proof)
			if res.Status != http.StatusConflict || res.Code() != "name_taken" ||
				res.Err().Error.Message != "You already have a passkey with this name. Choose a different name." {
				t.Errorf("rename to a taken name = %d %s", res.Status, res.Body)
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("a refused rename changed the database (or used the proof)")
			}
			if res := rename(c, pk.ID, "Pat's phone", proof); res.Status != http.StatusOK {
				t.Errorf("the proof could not be used after a refusal: %d %s", res.Status, res.Body)
			}
		}},
		{"a name that breaks the rules is an input error", func(t *testing.T, s *testserver.Server) {
			c, a, pk := signedUp(t, s, "pat@example.com")
			proof := c.ReauthWithPasskey(a, "rename-passkey")
			for raw, msg := range map[string]string{
				"   ":                   "Enter a name for your passkey",
				strings.Repeat("a", 65): "Passkey name must be 64 characters or fewer",
				"two\nlines":            "Passkey name must only include letters, numbers, spaces, punctuation and symbols",
			} {
				res := rename(c, pk.ID, raw, proof)
				if res.Status != http.StatusUnprocessableEntity || res.Code() != "invalid_input" || res.Err().Error.Fields["name"] != msg {
					t.Errorf("rename to %q = %d %s", raw, res.Status, res.Body)
				}
			}
		}},
		{"someone else's passkey is not found and nothing changes", func(t *testing.T, s *testserver.Server) {
			_, _, patKey := signedUp(t, s, "pat@example.com")
			sam, samAuth, _ := signedUp(t, s, "sam@example.com")
			proof := sam.ReauthWithPasskey(samAuth, "rename-passkey")
			before := s.Dump(testserver.StateTables...)
			for _, id := range []string{patKey.ID, "bm9wZQ", "not%20base64!", strings.Repeat("A", 1400)} {
				if res := rename(sam, id, "Mine now", proof); res.Status != http.StatusNotFound || res.Code() != "not_found" {
					t.Errorf("rename %q = %d %s", id, res.Status, res.Body)
				}
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("renaming someone else's passkey changed the database")
			}
		}},
		{"renaming needs a signed-in account", func(t *testing.T, s *testserver.Server) {
			if res := rename(s.Client(), "AAAA", "x", ""); res.Status != http.StatusUnauthorized || res.Code() != "not_signed_in" {
				t.Errorf("signed out = %d %s", res.Status, res.Body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, testserver.New(t, testserver.OnEngine(engine)))
		})
	}
}

func TestRemovingAPasskey(t *testing.T) { store.ForEachEngine(t, testRemovingAPasskey) }

func testRemovingAPasskey(t *testing.T, engine store.Engine) {
	remove := func(c *testserver.Client, id, proof string) *testserver.Response {
		body := map[string]any{}
		if proof != "" {
			body["proof"] = proof
		}
		return c.Do(http.MethodDelete, "/api/passkeys/"+id, body)
	}
	// passwordless removes the password of email's account, as an account made elsewhere
	// with a passkey only would be.
	passwordless := func(t *testing.T, s *testserver.Server, email string) {
		t.Helper()
		if _, err := s.DB.ExecContext(t.Context(), `UPDATE accounts SET password_hash = NULL WHERE email = $1`, email); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		run  func(t *testing.T, s *testserver.Server)
	}{
		{"with a proof the passkey is removed, audited, and the rest listed", func(t *testing.T, s *testserver.Server) {
			c, a, pk := signedUp(t, s, "pat@example.com")
			res := remove(c, pk.ID, c.ReauthWithPasskey(a, "remove-passkey"))
			if res.Status != http.StatusOK || strings.TrimSpace(string(res.Body)) != `{"passkeys":[]}` {
				t.Fatalf("remove = %d %s", res.Status, res.Body)
			}
			if s.Count(`SELECT count(*) FROM passkeys`) != 0 ||
				s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'passkey_removed' AND passkey_name = $1`, pk.Name) != 1 {
				t.Errorf("the passkey was not removed, or not audited")
			}
		}},
		{"without a proof it is refused and nothing changes", func(t *testing.T, s *testserver.Server) {
			c, _, pk := signedUp(t, s, "pat@example.com")
			before := s.Dump(testserver.StateTables...)
			if res := remove(c, pk.ID, ""); res.Status != http.StatusForbidden || res.Code() != "reauth_required" {
				t.Errorf("remove = %d %s", res.Status, res.Body)
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("a refused removal changed the database")
			}
		}},
		{"someone else's passkey is not found and stays", func(t *testing.T, s *testserver.Server) {
			_, _, patKey := signedUp(t, s, "pat@example.com")
			sam, samAuth, _ := signedUp(t, s, "sam@example.com")
			proof := sam.ReauthWithPasskey(samAuth, "remove-passkey")
			before := s.Dump(testserver.StateTables...)
			res := remove(sam, patKey.ID, proof)
			if res.Status != http.StatusNotFound || res.Code() != "not_found" {
				t.Errorf("remove someone else's = %d %s", res.Status, res.Body)
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("removing someone else's passkey changed the database")
			}
		}},
		{"the last passkey of an account without a password stays", func(t *testing.T, s *testserver.Server) {
			c, a, pk := signedUp(t, s, "pat@example.com")
			passwordless(t, s, "pat@example.com")
			proof := c.ReauthWithPasskey(a, "remove-passkey")
			before := s.Dump(testserver.StateTables...)
			res := remove(c, pk.ID, proof)
			if res.Status != http.StatusConflict || res.Code() != "last_way_to_log_in" ||
				!strings.Contains(res.Err().Error.Message, "only way you can log in") {
				t.Errorf("remove the last way = %d %s", res.Status, res.Body)
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("the refused removal changed the database (or used the proof)")
			}
		}},
		{"with a second passkey the first of a password-less account can go", func(t *testing.T, s *testserver.Server) {
			c, a, pk := signedUp(t, s, "pat@example.com")
			c.RegisterPasskey(softauthn.New(testserver.Origin), c.ReauthWithPasskey(a, "add-passkey"))
			passwordless(t, s, "pat@example.com")
			if res := remove(c, pk.ID, c.ReauthWithPasskey(a, "remove-passkey")); res.Status != http.StatusOK {
				t.Errorf("remove = %d %s", res.Status, res.Body)
			}
		}},
		{"a flagged passkey does not count as a way to log in", func(t *testing.T, s *testserver.Server) {
			c, a, pk := signedUp(t, s, "pat@example.com")
			other := softauthn.New(testserver.Origin)
			otherKey := c.RegisterPasskey(other, c.ReauthWithPasskey(a, "add-passkey"))
			passwordless(t, s, "pat@example.com")
			if _, err := s.DB.ExecContext(t.Context(), `UPDATE passkeys SET clone_warning = 1 WHERE name = $1`, otherKey.Name); err != nil {
				t.Fatal(err)
			}
			// The usable one is the last way to log in, although a flagged one remains...
			if res := remove(c, pk.ID, c.ReauthWithPasskey(a, "remove-passkey")); res.Status != http.StatusConflict || res.Code() != "last_way_to_log_in" {
				t.Errorf("remove the last usable passkey = %d %s", res.Status, res.Body)
			}
			// ...and the flagged one can always go.
			if res := remove(c, otherKey.ID, c.ReauthWithPasskey(a, "remove-passkey")); res.Status != http.StatusOK {
				t.Errorf("remove the flagged passkey = %d %s", res.Status, res.Body)
			}
		}},
		{"a second removal of the same passkey is not found", func(t *testing.T, s *testserver.Server) {
			c, a, pk := signedUp(t, s, "pat@example.com")
			remove(c, pk.ID, c.ReauthWithPasskey(a, "remove-passkey"))
			c.Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": password}) // a fresh login grace
			if res := remove(c, pk.ID, ""); res.Status != http.StatusNotFound || res.Code() != "not_found" {
				t.Errorf("second removal = %d %s", res.Status, res.Body)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, testserver.New(t, testserver.OnEngine(engine)))
		})
	}
}

func TestTheLoginGraceAllowsOneChange(t *testing.T) {
	store.ForEachEngine(t, testTheLoginGraceAllowsOneChange)
}

func testTheLoginGraceAllowsOneChange(t *testing.T, engine store.Engine) {
	t.Run("after sign-up the first passkey needs no re-authentication; the second does", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		c, a, _ := signedUp(t, s, "pat@example.com")
		res := c.Post("/api/passkeys/register/begin", map[string]any{})
		if res.Status != http.StatusForbidden || res.Code() != "reauth_required" {
			t.Errorf("second set-up without a proof = %d %s", res.Status, res.Body)
		}
		c.RegisterPasskey(softauthn.New(testserver.Origin), c.ReauthWithPasskey(a, "add-passkey"))
	})
	t.Run("a cancelled set-up can be begun again: the grace is used when a passkey is stored", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		c := s.Client()
		c.SignUp("pat@example.com", password)
		c.Begin("/api/passkeys/register/begin", map[string]any{}) // abandoned
		c.RegisterPasskey(softauthn.New(testserver.Origin), "")
		if s.Count(`SELECT count(*) FROM sessions WHERE login_grace = 1`) != 0 {
			t.Errorf("the login grace was not used up")
		}
	})
	t.Run("two set-ups begun with one grace store only one passkey", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		c := s.Client()
		c.SignUp("pat@example.com", password)
		first := c.Begin("/api/passkeys/register/begin", map[string]any{})
		second := c.Begin("/api/passkeys/register/begin", map[string]any{})
		for i, b := range []testserver.Begun{first, second} {
			cred, err := softauthn.New(testserver.Origin).Create(b.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			res := c.Finish("/api/passkeys/register/finish", b.Ceremony, cred)
			if want := []int{http.StatusCreated, http.StatusForbidden}[i]; res.Status != want {
				t.Errorf("finish %d = %d %s, want %d", i+1, res.Status, res.Body, want)
			}
		}
		if s.Count(`SELECT count(*) FROM passkeys`) != 1 {
			t.Errorf("passkeys = %d, want 1", s.Count(`SELECT count(*) FROM passkeys`))
		}
	})
	t.Run("the grace ends 5 minutes after the login", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		c := s.Client()
		c.SignUp("pat@example.com", password)
		s.Clock.Advance(5 * time.Minute)
		if res := c.Post("/api/passkeys/register/begin", map[string]any{}); res.Status != http.StatusForbidden || res.Code() != "reauth_required" {
			t.Errorf("set-up 5 minutes after sign-up = %d %s", res.Status, res.Body)
		}
	})
	t.Run("a refused change does not use the grace", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		c, _, pk := signedUp(t, s, "pat@example.com")
		c.Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": password})
		if res := c.Do(http.MethodPatch, "/api/passkeys/"+pk.ID, map[string]any{"name": "\x00"}); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("bad rename = %d %s", res.Status, res.Body)
		}
		if res := c.Do(http.MethodPatch, "/api/passkeys/AAAA", map[string]any{"name": "x"}); res.Status != http.StatusNotFound {
			t.Fatalf("rename of nothing = %d %s", res.Status, res.Body)
		}
		if res := c.Do(http.MethodPatch, "/api/passkeys/"+pk.ID, map[string]any{"name": "Phone"}); res.Status != http.StatusOK {
			t.Errorf("rename with the grace = %d %s", res.Status, res.Body)
		}
		if res := c.Do(http.MethodPatch, "/api/passkeys/"+pk.ID, map[string]any{"name": "Phone 2"}); res.Status != http.StatusForbidden {
			t.Errorf("a second change with one grace = %d %s", res.Status, res.Body)
		}
	})
	t.Run("a passkey login gives a grace too", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		_, a, _ := signedUp(t, s, "pat@example.com")
		c := s.Client()
		if res := c.LoginWithPasskey(a, "pat@example.com"); res.Status != http.StatusOK {
			t.Fatalf("login = %d %s", res.Status, res.Body)
		}
		c.RegisterPasskey(softauthn.New(testserver.Origin), "")
	})
}

func TestTheAccountSaysWhetherItHasAUsablePasskey(t *testing.T) {
	store.ForEachEngine(t, testTheAccountSaysWhetherItHasAUsablePasskey)
}

func testTheAccountSaysWhetherItHasAUsablePasskey(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	c := s.Client()
	c.SignUp("pat@example.com", password)
	hasPasskey := func() bool {
		var st struct {
			Account struct {
				HasPasskey *bool `json:"hasPasskey"`
			} `json:"account"`
		}
		c.Get("/api/session").Decode(t, &st)
		if st.Account.HasPasskey == nil {
			t.Fatal("the account has no hasPasskey")
		}
		return *st.Account.HasPasskey
	}
	if hasPasskey() {
		t.Errorf("a new account has a passkey")
	}
	c.RegisterPasskey(softauthn.New(testserver.Origin), "")
	if !hasPasskey() {
		t.Errorf("hasPasskey is false after setting one up")
	}
	if _, err := s.DB.ExecContext(t.Context(), `UPDATE passkeys SET clone_warning = 1`); err != nil {
		t.Fatal(err)
	}
	if hasPasskey() {
		t.Errorf("a flagged passkey counts as usable")
	}
}
