package account_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend/internal/testserver"
)

type accountBody struct {
	Account struct {
		Email       string `json:"email"`
		CreatedAt   string `json:"createdAt"`
		HasPassword bool   `json:"hasPassword"`
	} `json:"account"`
}

func TestAccountEndpoints(t *testing.T) {
	s := testserver.New(t)

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
