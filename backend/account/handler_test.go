package account_test

import (
	"bytes"
	"github.com/nhs-passkeys/companion/backend/store"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/internal/testserver"
)

type accountBody struct {
	Account struct {
		Email       string `json:"email"`
		CreatedAt   string `json:"createdAt"`
		HasPassword bool   `json:"hasPassword"`
	} `json:"account"`
}

func TestAccountEndpoints(t *testing.T) { store.ForEachEngine(t, testAccountEndpoints) }

func testAccountEndpoints(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))

	t.Run("creating an account answers 201 with the account and signs in", func(t *testing.T) {
		c := s.Client()
		res := c.Post("/api/accounts", map[string]string{"email": "Pat@Example.com", "password": "correct horse battery"})
		if res.Status != http.StatusCreated || c.Cookie == nil {
			t.Fatalf("create = %d %s", res.Status, res.Body)
		}
		var body accountBody
		res.Decode(t, &body)
		if body.Account.Email != "pat@example.com" || !body.Account.HasPassword || body.Account.CreatedAt != "2026-03-02T09:00:00Z" {
			t.Errorf("account = %+v", body.Account)
		}
		if bytes.Contains(res.Body, []byte("userHandle")) || bytes.Contains(res.Body, []byte(`"id"`)) {
			t.Errorf("internal fields leaked: %s", res.Body)
		}
		if s.Count(`SELECT count(*) FROM sessions`) != 1 {
			t.Errorf("no session stored")
		}
	})

	t.Run("an email already in use answers 409 email_taken and stores nothing", func(t *testing.T) {
		c := s.Client()
		res := c.Post("/api/accounts", map[string]string{"email": "pat@example.com", "password": "another password"})
		if res.Status != http.StatusConflict || res.Code() != "email_taken" || c.Cookie != nil {
			t.Errorf("duplicate = %d %s", res.Status, res.Body)
		}
		if s.Count(`SELECT count(*) FROM accounts`) != 1 || s.Count(`SELECT count(*) FROM sessions`) != 1 {
			t.Errorf("the refused request changed the database")
		}
	})

	t.Run("invalid input answers 422 with a message per field", func(t *testing.T) {
		res := s.Client().Post("/api/accounts", map[string]string{"email": "pat", "password": "short"})
		e := res.Err()
		if res.Status != http.StatusUnprocessableEntity || e.Error.Code != "invalid_input" ||
			e.Error.Fields["email"] != "Enter an email address in the correct format, like name@example.com" ||
			e.Error.Fields["password"] != "Your password must be 8 characters or more" {
			t.Errorf("invalid = %d %s", res.Status, res.Body)
		}
		if s.Count(`SELECT count(*) FROM accounts`) != 1 {
			t.Errorf("an invalid account was stored")
		}
	})

	t.Run("a password login answers 200 with the account and a new session", func(t *testing.T) {
		s.Clock.Advance(time.Minute)
		c := s.Client()
		res := c.Post("/api/login/password", map[string]string{"email": "PAT@example.com", "password": "correct horse battery"})
		if res.Status != http.StatusOK || c.Cookie == nil {
			t.Fatalf("login = %d %s", res.Status, res.Body)
		}
		var body accountBody
		res.Decode(t, &body)
		if body.Account.Email != "pat@example.com" {
			t.Errorf("account = %+v", body.Account)
		}
		if s.Count(`SELECT count(*) FROM sessions`) != 2 {
			t.Errorf("sessions = %d, want 2", s.Count(`SELECT count(*) FROM sessions`))
		}
	})

	t.Run("an unknown email and a wrong password get the very same answer", func(t *testing.T) {
		sessions := s.Count(`SELECT count(*) FROM sessions`)
		unknown := s.Client().Post("/api/login/password", map[string]string{"email": "sam@example.com", "password": "correct horse battery"})
		wrong := s.Client().Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": "not the password"})
		if unknown.Status != http.StatusUnauthorized || unknown.Code() != "login_failed" || !bytes.Equal(unknown.Body, wrong.Body) || wrong.Status != unknown.Status {
			t.Errorf("unknown = %d %s; wrong = %d %s", unknown.Status, unknown.Body, wrong.Status, wrong.Body)
		}
		if s.Count(`SELECT count(*) FROM sessions`) != sessions {
			t.Errorf("a refused login stored a session")
		}
	})
}

func TestChangingThePassword(t *testing.T) { store.ForEachEngine(t, testChangingThePassword) }

func testChangingThePassword(t *testing.T, engine store.Engine) {
	change := func(c *testserver.Client, newPassword, proof string) *testserver.Response {
		body := map[string]any{"newPassword": newPassword}
		if proof != "" {
			body["proof"] = proof
		}
		return c.Post("/api/account/password", body)
	}
	login := func(s *testserver.Server, password string) int {
		return s.Client().Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": password}).Status
	}
	tests := []struct {
		name string
		run  func(t *testing.T, s *testserver.Server)
	}{
		{"with a proof the password changes, other sessions end and it is audited", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			elsewhere := s.Client()
			elsewhere.Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": "correct horse battery"})
			s.Clock.Advance(6 * time.Minute) // no login grace left on c
			proof := c.ReauthWithPassword("correct horse battery", "change-password")
			res := change(c, "a brand new password", proof)
			var body accountBody
			res.Decode(t, &body)
			if res.Status != http.StatusOK || !body.Account.HasPassword {
				t.Fatalf("change = %d %s", res.Status, res.Body)
			}
			if login(s, "correct horse battery") != http.StatusUnauthorized || login(s, "a brand new password") != http.StatusOK {
				t.Errorf("the old password still works or the new one does not")
			}
			var st struct {
				SignedIn bool `json:"signedIn"`
			}
			elsewhere.Get("/api/session").Decode(t, &st)
			if st.SignedIn {
				t.Errorf("the other session survived the password change")
			}
			c.Get("/api/session").Decode(t, &st)
			if !st.SignedIn {
				t.Errorf("the session that changed the password was ended")
			}
			if s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'password_changed'`) != 1 {
				t.Errorf("the change was not audited")
			}
		}},
		{"right after sign-up the login grace allows it once", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			if res := change(c, "a brand new password", ""); res.Status != http.StatusOK {
				t.Fatalf("change with the grace = %d %s", res.Status, res.Body)
			}
			before := s.Dump(testserver.StateTables...)
			if res := change(c, "a third password", ""); res.Status != http.StatusForbidden || res.Code() != "reauth_required" {
				t.Errorf("second change = %d %s", res.Status, res.Body)
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("the refused change changed the database")
			}
		}},
		{"an account without a password gets one", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			if _, err := s.DB.ExecContext(t.Context(), `UPDATE accounts SET password_hash = NULL`); err != nil {
				t.Fatal(err)
			}
			if res := change(c, "a brand new password", ""); res.Status != http.StatusOK {
				t.Fatalf("set = %d %s", res.Status, res.Body)
			}
			if s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'password_set'`) != 1 || login(s, "a brand new password") != http.StatusOK {
				t.Errorf("the new password was not set or not audited")
			}
		}},
		{"the new password follows the length rules, before anything is used up", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			before := s.Dump(testserver.StateTables...)
			for pw, msg := range map[string]string{
				"":                       "Enter a password",
				"1234567":                "Your password must be 8 characters or more",
				strings.Repeat("p", 257): "Your password must be 256 characters or fewer",
			} {
				if res := change(c, pw, ""); res.Status != http.StatusUnprocessableEntity || res.Err().Error.Fields["newPassword"] != msg {
					t.Errorf("new password %q = %d %s", pw, res.Status, res.Body)
				}
			}
			if s.Dump(testserver.StateTables...) != before {
				t.Errorf("a refused change changed the database (or used the login grace)")
			}
			if res := change(c, strings.Repeat("p", 256), ""); res.Status != http.StatusOK {
				t.Errorf("256 characters, no composition rules = %d %s", res.Status, res.Body)
			}
		}},
		{"changing the password needs a signed-in account", func(t *testing.T, s *testserver.Server) {
			if res := change(s.Client(), "a brand new password", ""); res.Status != http.StatusUnauthorized || res.Code() != "not_signed_in" {
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
