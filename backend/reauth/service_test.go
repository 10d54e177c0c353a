package reauth_test

import (
	"crypto/sha256"
	"github.com/nhs-passkeys/companion/backend/store"
	"net/http"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend/reauth"
	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

const password = "correct horse battery"

func signedIn(t *testing.T, c *testserver.Client) bool {
	t.Helper()
	var st struct {
		SignedIn bool `json:"signedIn"`
	}
	c.Get("/api/session").Decode(t, &st)
	return st.SignedIn
}

// withPasskey signs up email and sets up a passkey with the login grace (used up).
func withPasskey(t *testing.T, s *testserver.Server, email string) (*testserver.Client, *softauthn.Authenticator) {
	t.Helper()
	c := s.Client()
	c.SignUp(email, password)
	a := softauthn.New(testserver.Origin)
	c.RegisterPasskey(a, "")
	return c, a
}

// rename tries to rename the first passkey of c's account with proof.
func rename(t *testing.T, c *testserver.Client, proof string) *testserver.Response {
	t.Helper()
	var list struct {
		Passkeys []testserver.Passkey `json:"passkeys"`
	}
	c.Get("/api/passkeys").Decode(t, &list)
	if len(list.Passkeys) == 0 {
		t.Fatal("no passkey to rename")
	}
	return c.Do(http.MethodPatch, "/api/passkeys/"+list.Passkeys[0].ID, map[string]any{"name": "Renamed", "proof": proof})
}

func changePassword(c *testserver.Client, proof string) *testserver.Response {
	return c.Post("/api/account/password", map[string]any{"newPassword": "a brand new password", "proof": proof})
}

func TestPasswordReauthentication(t *testing.T) { store.ForEachEngine(t, testPasswordReauthentication) }

func testPasswordReauthentication(t *testing.T, engine store.Engine) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *testserver.Server)
	}{
		{"the right password gives a proof stored hashed, and rotates the session token", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", password)
			old := *c.Cookie
			proof := c.ReauthWithPassword(password, "change-password")
			if c.Cookie == nil || c.Cookie.Value == old.Value {
				t.Fatalf("the session token was not rotated")
			}
			stale := s.Client()
			stale.Cookie = &old
			if signedIn(t, stale) {
				t.Errorf("the token from before the re-authentication still works")
			}
			if !signedIn(t, c) {
				t.Errorf("the new token does not work")
			}
			sum := sha256.Sum256([]byte(proof))
			if s.Count(`SELECT count(*) FROM reauth_proofs WHERE token_hash = $1 AND action = 'change-password'`, sum[:]) != 1 ||
				s.Count(`SELECT count(*) FROM reauth_proofs WHERE CAST(token_hash AS TEXT) = $1`, proof) != 0 {
				t.Errorf("the proof is not stored as its SHA-256")
			}
			if s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'reauthenticated' AND method = 'password'`) != 1 {
				t.Errorf("the re-authentication was not audited")
			}
		}},
		{"a wrong password is refused, audited, and changes nothing", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", password)
			token := c.Cookie.Value
			before := s.Dump(testserver.StateTables...)
			res := c.Post("/api/reauth/password", map[string]any{"action": "change-password", "password": "not the password"})
			if res.Status != http.StatusUnauthorized || res.Code() != "reauth_failed" ||
				res.Err().Error.Message != "The password is not correct. Check it and try again." {
				t.Errorf("wrong password = %d %s", res.Status, res.Body)
			}
			if s.Dump(testserver.StateTables...) != before || c.Cookie.Value != token {
				t.Errorf("a refused re-authentication changed the database or the cookie")
			}
			if s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'reauth_failed' AND method = 'password'`) != 1 {
				t.Errorf("the failure was not audited")
			}
		}},
		{"an account with a usable passkey must use it", func(t *testing.T, s *testserver.Server) {
			c, _ := withPasskey(t, s, "pat@example.com")
			before := s.Dump(testserver.StateTables...)
			res := c.Post("/api/reauth/password", map[string]any{"action": "change-password", "password": password})
			if res.Status != http.StatusConflict || res.Code() != "use_passkey" {
				t.Errorf("password re-authentication with a passkey = %d %s", res.Status, res.Body)
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("the refusal changed the database")
			}
		}},
		{"an account whose only passkey is flagged may use its password", func(t *testing.T, s *testserver.Server) {
			c, _ := withPasskey(t, s, "pat@example.com")
			if _, err := s.DB.ExecContext(t.Context(), `UPDATE passkeys SET clone_warning = 1`); err != nil {
				t.Fatal(err)
			}
			c.ReauthWithPassword(password, "remove-passkey")
		}},
		{"input errors: no password, an unknown action, not signed in", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", password)
			if res := c.Post("/api/reauth/password", map[string]any{"action": "change-password", "password": ""}); res.Status != http.StatusUnprocessableEntity ||
				res.Err().Error.Fields["password"] != "Enter your password" {
				t.Errorf("no password = %d %s", res.Status, res.Body)
			}
			if res := c.Post("/api/reauth/password", map[string]any{"action": "delete-account", "password": password}); res.Status != http.StatusBadRequest || res.Code() != "invalid_request" {
				t.Errorf("unknown action = %d %s", res.Status, res.Body)
			}
			if res := s.Client().Post("/api/reauth/password", map[string]any{"action": "change-password", "password": password}); res.Status != http.StatusUnauthorized || res.Code() != "not_signed_in" {
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

func TestProofs(t *testing.T) { store.ForEachEngine(t, testProofs) }

func testProofs(t *testing.T, engine store.Engine) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *testserver.Server)
	}{
		{"a proof allows its action once", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", password)
			s.Clock.Advance(reauth.LoginGrace) // no grace left
			proof := c.ReauthWithPassword(password, "change-password")
			if res := changePassword(c, proof); res.Status != http.StatusOK {
				t.Fatalf("change with a proof = %d %s", res.Status, res.Body)
			}
			if res := changePassword(c, proof); res.Status != http.StatusForbidden || res.Code() != "reauth_required" {
				t.Errorf("the proof worked twice: %d %s", res.Status, res.Body)
			}
		}},
		{"a proof expires after 5 minutes", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", password)
			s.Clock.Advance(reauth.LoginGrace)
			proof := c.ReauthWithPassword(password, "change-password")
			s.Clock.Advance(reauth.ProofTimeout)
			before := s.Dump("accounts", "passkeys", "reauth_proofs")
			if res := changePassword(c, proof); res.Status != http.StatusForbidden || res.Code() != "reauth_required" {
				t.Errorf("an expired proof = %d %s", res.Status, res.Body)
			}
			if s.Dump("accounts", "passkeys", "reauth_proofs") != before {
				t.Errorf("a refused change changed the database")
			}
		}},
		{"a proof is bound to its session", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", password)
			other := s.Client()
			if res := other.Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": password}); res.Status != http.StatusOK {
				t.Fatal(res.Status)
			}
			s.Clock.Advance(reauth.LoginGrace)
			proof := c.ReauthWithPassword(password, "change-password")
			if res := changePassword(other, proof); res.Status != http.StatusForbidden || res.Code() != "reauth_required" {
				t.Errorf("another session used the proof: %d %s", res.Status, res.Body)
			}
		}},
		{"a proof for one action does not allow another", func(t *testing.T, s *testserver.Server) {
			c, a := withPasskey(t, s, "pat@example.com")
			proof := c.ReauthWithPasskey(a, "add-passkey")
			for _, res := range []*testserver.Response{rename(t, c, proof), changePassword(c, proof)} {
				if res.Status != http.StatusForbidden || res.Code() != "reauth_required" {
					t.Errorf("proof for add-passkey used elsewhere: %d %s", res.Status, res.Body)
				}
			}
			c.RegisterPasskey(softauthn.New(testserver.Origin), proof)
		}},
		{"a proof dies with its session", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", password)
			c.ReauthWithPassword(password, "change-password")
			c.Post("/api/logout", map[string]any{})
			if s.Count(`SELECT count(*) FROM reauth_proofs`) != 0 {
				t.Errorf("a proof outlived its session")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, testserver.New(t, testserver.OnEngine(engine)))
		})
	}
}

func TestPasskeyReauthentication(t *testing.T) { store.ForEachEngine(t, testPasskeyReauthentication) }

func testPasskeyReauthentication(t *testing.T, engine store.Engine) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *testserver.Server)
	}{
		{"options allow the account's usable passkeys only, with user verification required", func(t *testing.T, s *testserver.Server) {
			c, a := withPasskey(t, s, "pat@example.com")
			flagged := c.RegisterPasskey(softauthn.New(testserver.Origin), c.ReauthWithPasskey(a, "add-passkey"))
			if _, err := s.DB.ExecContext(t.Context(), `UPDATE passkeys SET clone_warning = 1 WHERE name = $1`, flagged.Name); err != nil {
				t.Fatal(err)
			}
			var opts struct {
				UV    string `json:"userVerification"`
				Allow []struct {
					ID string `json:"id"`
				} `json:"allowCredentials"`
			}
			b := c.Begin("/api/reauth/passkey/begin", map[string]any{"action": "rename-passkey"})
			testserver.DecodeJSON(t, b.PublicKey, &opts)
			if opts.UV != "required" || len(opts.Allow) != 1 || opts.Allow[0].ID == flagged.ID {
				t.Errorf("re-authentication options = %s", b.PublicKey)
			}
		}},
		{"a good assertion gives a proof for the action begun, and rotates the token", func(t *testing.T, s *testserver.Server) {
			c, a := withPasskey(t, s, "pat@example.com")
			old := c.Cookie.Value
			proof := c.ReauthWithPasskey(a, "rename-passkey")
			if c.Cookie.Value == old {
				t.Errorf("the session token was not rotated")
			}
			if res := rename(t, c, proof); res.Status != http.StatusOK {
				t.Errorf("rename with the proof = %d %s", res.Status, res.Body)
			}
			if s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'reauthenticated' AND method = 'passkey' AND passkey_name != ''`) != 1 {
				t.Errorf("the re-authentication was not audited with the passkey")
			}
			if s.Count(`SELECT sign_count FROM passkeys`) != 1 {
				t.Errorf("the sign count was not written back")
			}
		}},
		{"an account without a usable passkey is told to use its password", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", password)
			res := c.Post("/api/reauth/passkey/begin", map[string]any{"action": "change-password"})
			if res.Status != http.StatusConflict || res.Code() != "use_password" {
				t.Errorf("begin = %d %s", res.Status, res.Body)
			}
			if s.Count(`SELECT count(*) FROM ceremonies`) != 0 {
				t.Errorf("a ceremony was stored")
			}
		}},
		{"the ceremony is bound to its session, account and purpose", func(t *testing.T, s *testserver.Server) {
			c, a := withPasskey(t, s, "pat@example.com")
			sameAccount := s.Client()
			sameAccount.Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": password})
			sam, samAuth := withPasskey(t, s, "sam@example.com")
			stranger := s.Client()
			for _, tc := range []struct {
				who    string
				client *testserver.Client
				path   string
				auth   *softauthn.Authenticator
			}{
				{"another session of the same account", sameAccount, "/api/reauth/passkey/finish", a},
				{"another account", sam, "/api/reauth/passkey/finish", samAuth},
				{"a login", stranger, "/api/login/passkey/finish", a},
			} {
				b := c.Begin("/api/reauth/passkey/begin", map[string]any{"action": "remove-passkey"})
				cred, err := tc.auth.GetWith(b.PublicKey, tc.auth.Credentials[0])
				if err != nil {
					t.Fatal(err)
				}
				before := s.Dump(testserver.StateTables...)
				if res := tc.client.Finish(tc.path, b.Ceremony, cred); res.Status != http.StatusBadRequest || res.Code() != "ceremony_expired" {
					t.Errorf("%s finished the re-authentication: %d %s", tc.who, res.Status, res.Body)
				}
				if s.Dump(testserver.StateTables...) != before {
					t.Errorf("%s: the refusal changed the database", tc.who)
				}
			}
			// And a login ceremony cannot re-authenticate.
			b := c.Begin("/api/login/passkey/begin", map[string]any{"email": "pat@example.com"})
			cred, _ := a.Get(b.PublicKey)
			if res := c.Finish("/api/reauth/passkey/finish", b.Ceremony, cred); res.Status != http.StatusBadRequest || res.Code() != "ceremony_expired" {
				t.Errorf("a login ceremony re-authenticated: %d %s", res.Status, res.Body)
			}
		}},
		{"a replayed or expired re-authentication is refused", func(t *testing.T, s *testserver.Server) {
			c, a := withPasskey(t, s, "pat@example.com")
			b := c.Begin("/api/reauth/passkey/begin", map[string]any{"action": "remove-passkey"})
			cred, _ := a.Get(b.PublicKey)
			if res := c.Finish("/api/reauth/passkey/finish", b.Ceremony, cred); res.Status != http.StatusOK {
				t.Fatalf("finish = %d %s", res.Status, res.Body)
			}
			before := s.Dump("accounts", "passkeys", "reauth_proofs")
			if res := c.Finish("/api/reauth/passkey/finish", b.Ceremony, cred); res.Status != http.StatusConflict || res.Code() != "ceremony_used" {
				t.Errorf("replay = %d %s", res.Status, res.Body)
			}
			b = c.Begin("/api/reauth/passkey/begin", map[string]any{"action": "remove-passkey"})
			cred, _ = a.Get(b.PublicKey)
			s.Clock.Advance(5 * time.Minute)
			if res := c.Finish("/api/reauth/passkey/finish", b.Ceremony, cred); res.Status != http.StatusBadRequest || res.Code() != "ceremony_expired" {
				t.Errorf("expired = %d %s", res.Status, res.Body)
			}
			if s.Dump("accounts", "passkeys", "reauth_proofs") != before {
				t.Errorf("a refused re-authentication changed the database")
			}
		}},
		{"user verification is required", func(t *testing.T, s *testserver.Server) {
			c, a := withPasskey(t, s, "pat@example.com")
			a.UserVerified = false
			b := c.Begin("/api/reauth/passkey/begin", map[string]any{"action": "remove-passkey"})
			cred, _ := a.Get(b.PublicKey)
			before := s.Dump(testserver.StateTables...)
			if res := c.Finish("/api/reauth/passkey/finish", b.Ceremony, cred); res.Status != http.StatusUnauthorized || res.Code() != "passkey_not_accepted" {
				t.Errorf("without UV = %d %s", res.Status, res.Body)
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("the refusal changed the database")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, testserver.New(t, testserver.OnEngine(engine)))
		})
	}
}

// lostDevices signs up pat@example.com with a password and three passkeys, each on its own
// authenticator (the devices the patient will lose), then logs in afresh with the password on
// a new client, as the patient does once the devices are gone. It returns that client and the
// three passkeys.
func lostDevices(t *testing.T, s *testserver.Server) (*testserver.Client, []testserver.Passkey) {
	t.Helper()
	const email = "pat@example.com"
	setUp := s.Client()
	setUp.SignUp(email, password)
	first := softauthn.New(testserver.Origin)
	passkeys := []testserver.Passkey{setUp.RegisterPasskey(first, "")}
	for range 2 {
		passkeys = append(passkeys, setUp.RegisterPasskey(softauthn.New(testserver.Origin), setUp.ReauthWithPasskey(first, "add-passkey")))
	}
	c := s.Client()
	if res := c.Post("/api/login/password", map[string]string{"email": email, "password": password}); res.Status != http.StatusOK {
		t.Fatalf("password login = %d %s", res.Status, res.Body)
	}
	return c, passkeys
}

func removePasskey(c *testserver.Client, id, proof string) *testserver.Response {
	body := map[string]any{}
	if proof != "" {
		body["proof"] = proof
	}
	return c.Do(http.MethodDelete, "/api/passkeys/"+id, body)
}

// refused checks that res is the 403 reauth_required refusal and that the database is as it
// was (before).
func refused(t *testing.T, s *testserver.Server, what string, res *testserver.Response, before string) {
	t.Helper()
	if res.Status != http.StatusForbidden || res.Code() != "reauth_required" {
		t.Errorf("%s = %d %s, want 403 reauth_required", what, res.Status, res.Body)
	}
	if s.Dump(testserver.StateTables...) != before {
		t.Errorf("%s was refused but changed the database", what)
	}
}

// The rule (package reauth, docs/api.md "Re-authentication"): removing passkeys counts as one
// change, however many are removed. After a password login, a patient whose devices are
// gone removes every lost passkey with no second login and no passkey asked for; whatever
// allowed the first removal (the login grace, or a proof) allows the next ones in the same
// session until it ends, and allows nothing else.
func TestAPatientWhoLostTheirDevicesCanRemoveEveryLostPasskey(t *testing.T) {
	store.ForEachEngine(t, testAPatientWhoLostTheirDevicesCanRemoveEveryLostPasskey)
}

func testAPatientWhoLostTheirDevicesCanRemoveEveryLostPasskey(t *testing.T, engine store.Engine) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *testserver.Server)
	}{
		{"after a password login every lost passkey is removed, one after the other, with nothing more asked", func(t *testing.T, s *testserver.Server) {
			c, lost := lostDevices(t, s)
			for i, pk := range lost {
				if res := removePasskey(c, pk.ID, ""); res.Status != http.StatusOK {
					t.Fatalf("removal %d of %d = %d %s", i+1, len(lost), res.Status, res.Body)
				}
				s.Clock.Advance(time.Minute)
			}
			if n := s.Count(`SELECT count(*) FROM passkeys`); n != 0 {
				t.Errorf("%d passkeys are left, want none", n)
			}
			if n := s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'passkey_removed'`); n != len(lost) {
				t.Errorf("%d removals audited, want %d", n, len(lost))
			}
			var activity struct {
				Events []struct {
					Type        string `json:"type"`
					PasskeyName string `json:"passkeyName"`
				} `json:"events"`
			}
			c.Get("/api/activity").Decode(t, &activity)
			shown := map[string]bool{}
			for _, e := range activity.Events {
				if e.Type == "passkey_removed" {
					shown[e.PasskeyName] = true
				}
			}
			for _, pk := range lost {
				if !shown[pk.Name] {
					t.Errorf("recent activity does not show the removal of %q: %+v", pk.Name, activity.Events)
				}
			}
		}},
		{"the grace kept for removals allows nothing else", func(t *testing.T, s *testserver.Server) {
			c, lost := lostDevices(t, s)
			if res := removePasskey(c, lost[0].ID, ""); res.Status != http.StatusOK {
				t.Fatalf("first removal = %d %s", res.Status, res.Body)
			}
			before := s.Dump(testserver.StateTables...)
			refused(t, s, "changing the password", changePassword(c, ""), before)
			refused(t, s, "renaming a passkey", c.Do(http.MethodPatch, "/api/passkeys/"+lost[1].ID, map[string]any{"name": "Renamed"}), before)
			refused(t, s, "setting up a passkey", c.Post("/api/passkeys/register/begin", map[string]any{}), before)
		}},
		{"a grace used for another change does not allow removals", func(t *testing.T, s *testserver.Server) {
			c, lost := lostDevices(t, s)
			if res := changePassword(c, ""); res.Status != http.StatusOK {
				t.Fatalf("change the password with the grace = %d %s", res.Status, res.Body)
			}
			refused(t, s, "a removal after the grace was used", removePasskey(c, lost[0].ID, ""), s.Dump(testserver.StateTables...))
		}},
		{"the grace kept for removals still ends 5 minutes after the login", func(t *testing.T, s *testserver.Server) {
			c, lost := lostDevices(t, s)
			if res := removePasskey(c, lost[0].ID, ""); res.Status != http.StatusOK {
				t.Fatalf("first removal = %d %s", res.Status, res.Body)
			}
			s.Clock.Advance(reauth.LoginGrace)
			refused(t, s, "a removal after the grace", removePasskey(c, lost[1].ID, ""), s.Dump(testserver.StateTables...))
		}},
		{"the grace kept for removals is the session's own", func(t *testing.T, s *testserver.Server) {
			c, lost := lostDevices(t, s)
			other := s.Client()
			if res := other.Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": password}); res.Status != http.StatusOK {
				t.Fatal(res.Status)
			}
			if res := other.Do(http.MethodPatch, "/api/passkeys/"+lost[2].ID, map[string]any{"name": "Old phone"}); res.Status != http.StatusOK {
				t.Fatalf("rename with the other session's grace = %d %s", res.Status, res.Body)
			}
			if res := removePasskey(c, lost[0].ID, ""); res.Status != http.StatusOK {
				t.Fatalf("removal = %d %s", res.Status, res.Body)
			}
			refused(t, s, "a removal in a session whose own grace was used for a rename", removePasskey(other, lost[1].ID, ""), s.Dump(testserver.StateTables...))
		}},
		{"once the grace has ended the password confirms the removals, though a usable passkey remains", func(t *testing.T, s *testserver.Server) {
			c, lost := lostDevices(t, s)
			s.Clock.Advance(reauth.LoginGrace)
			proof := c.ReauthWithPassword(password, "remove-passkey")
			for i, pk := range lost {
				if res := removePasskey(c, pk.ID, proof); res.Status != http.StatusOK {
					t.Fatalf("removal %d with one proof = %d %s", i+1, res.Status, res.Body)
				}
			}
			if n := s.Count(`SELECT count(*) FROM passkeys`); n != 0 {
				t.Errorf("%d passkeys are left, want none", n)
			}
			if s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'reauthenticated' AND method = 'password' AND detail = 'remove-passkey'`) != 1 {
				t.Errorf("the password re-authentication was not audited")
			}
		}},
		{"a proof for removals expires 5 minutes after the re-authentication", func(t *testing.T, s *testserver.Server) {
			c, lost := lostDevices(t, s)
			s.Clock.Advance(reauth.LoginGrace)
			proof := c.ReauthWithPassword(password, "remove-passkey")
			if res := removePasskey(c, lost[0].ID, proof); res.Status != http.StatusOK {
				t.Fatalf("first removal = %d %s", res.Status, res.Body)
			}
			s.Clock.Advance(reauth.ProofTimeout)
			refused(t, s, "a removal with an expired proof", removePasskey(c, lost[1].ID, proof), s.Dump(testserver.StateTables...))
		}},
		{"a proof for removals is bound to its session", func(t *testing.T, s *testserver.Server) {
			c, lost := lostDevices(t, s)
			other := s.Client()
			if res := other.Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": password}); res.Status != http.StatusOK {
				t.Fatal(res.Status)
			}
			s.Clock.Advance(reauth.LoginGrace)
			proof := c.ReauthWithPassword(password, "remove-passkey")
			if res := removePasskey(c, lost[0].ID, proof); res.Status != http.StatusOK {
				t.Fatalf("removal = %d %s", res.Status, res.Body)
			}
			refused(t, s, "another session using the proof", removePasskey(other, lost[1].ID, proof), s.Dump(testserver.StateTables...))
		}},
		{"a proof for removals allows nothing else", func(t *testing.T, s *testserver.Server) {
			c, lost := lostDevices(t, s)
			s.Clock.Advance(reauth.LoginGrace)
			proof := c.ReauthWithPassword(password, "remove-passkey")
			if res := removePasskey(c, lost[0].ID, proof); res.Status != http.StatusOK {
				t.Fatalf("removal = %d %s", res.Status, res.Body)
			}
			before := s.Dump(testserver.StateTables...)
			refused(t, s, "changing the password with it", changePassword(c, proof), before)
			refused(t, s, "renaming with it", c.Do(http.MethodPatch, "/api/passkeys/"+lost[1].ID, map[string]any{"name": "Renamed", "proof": proof}), before)
			refused(t, s, "setting up a passkey with it", c.Post("/api/passkeys/register/begin", map[string]any{"proof": proof}), before)
		}},
		{"while a usable passkey remains, the password confirms nothing but removals", func(t *testing.T, s *testserver.Server) {
			c, _ := lostDevices(t, s)
			s.Clock.Advance(reauth.LoginGrace)
			c.Get("/api/session") // the session is seen now, before the dump
			before := s.Dump(testserver.StateTables...)
			for _, action := range []string{"add-passkey", "rename-passkey", "change-password"} {
				res := c.Post("/api/reauth/password", map[string]any{"action": action, "password": password})
				if res.Status != http.StatusConflict || res.Code() != "use_passkey" {
					t.Errorf("password re-authentication for %s = %d %s, want 409 use_passkey", action, res.Status, res.Body)
				}
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("the refusals changed the database")
			}
		}},
		{"a wrong password gives no proof for removals", func(t *testing.T, s *testserver.Server) {
			c, _ := lostDevices(t, s)
			s.Clock.Advance(reauth.LoginGrace)
			c.Get("/api/session") // the session is seen now, before the dump
			before := s.Dump(testserver.StateTables...)
			res := c.Post("/api/reauth/password", map[string]any{"action": "remove-passkey", "password": "not the password"})
			if res.Status != http.StatusUnauthorized || res.Code() != "reauth_failed" {
				t.Errorf("wrong password = %d %s", res.Status, res.Body)
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("a refused re-authentication changed the database")
			}
		}},
		{"the last way to log in still stays", func(t *testing.T, s *testserver.Server) {
			setUp := s.Client()
			setUp.SignUp("pat@example.com", password)
			kept := softauthn.New(testserver.Origin)
			keptKey := setUp.RegisterPasskey(kept, "")
			lostKey := setUp.RegisterPasskey(softauthn.New(testserver.Origin), setUp.ReauthWithPasskey(kept, "add-passkey"))
			if _, err := s.DB.ExecContext(t.Context(), `UPDATE accounts SET password_hash = NULL`); err != nil {
				t.Fatal(err)
			}
			c := s.Client()
			if res := c.LoginWithPasskey(kept, "pat@example.com"); res.Status != http.StatusOK {
				t.Fatalf("passkey login = %d %s", res.Status, res.Body)
			}
			if res := removePasskey(c, lostKey.ID, ""); res.Status != http.StatusOK {
				t.Fatalf("removal of the lost passkey = %d %s", res.Status, res.Body)
			}
			before := s.Dump(testserver.StateTables...)
			if res := removePasskey(c, keptKey.ID, ""); res.Status != http.StatusConflict || res.Code() != "last_way_to_log_in" {
				t.Errorf("removal of the last way to log in = %d %s", res.Status, res.Body)
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("the refused removal changed the database")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, testserver.New(t, testserver.OnEngine(engine)))
		})
	}
}

// The other changes stay single use: one re-authentication, one change.
func TestProofsForOtherChangesAreUsedUpByOneChange(t *testing.T) {
	store.ForEachEngine(t, testProofsForOtherChangesAreUsedUpByOneChange)
}

func testProofsForOtherChangesAreUsedUpByOneChange(t *testing.T, engine store.Engine) {
	c, a := withPasskey(t, testserver.New(t, testserver.OnEngine(engine)), "pat@example.com")
	proof := c.ReauthWithPasskey(a, "rename-passkey")
	if res := rename(t, c, proof); res.Status != http.StatusOK {
		t.Fatalf("rename = %d %s", res.Status, res.Body)
	}
	if res := rename(t, c, proof); res.Status != http.StatusForbidden || res.Code() != "reauth_required" {
		t.Errorf("a rename proof worked twice: %d %s", res.Status, res.Body)
	}
	add := c.ReauthWithPasskey(a, "add-passkey")
	c.RegisterPasskey(softauthn.New(testserver.Origin), add)
	if res := c.Post("/api/passkeys/register/begin", map[string]any{"proof": add}); res.Status != http.StatusForbidden || res.Code() != "reauth_required" {
		t.Errorf("an add-passkey proof worked twice: %d %s", res.Status, res.Body)
	}
}
