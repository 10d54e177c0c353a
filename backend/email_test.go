package backend_test

import (
	"net/http"
	"testing"

	"github.com/nhs-passkeys/companion/backend/store"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

// One email address is one account, however it was typed or pasted. Two strings a person
// cannot tell apart (a letter with its accent as one character or two, NFC and NFD in
// Unicode's words; an invisible character copied along with the address) are the same
// address, or else refused: never a second account that looks like the first, and never "no
// account" for a patient whose keyboard or clipboard wrote their own address another way.
func TestAnEmailIsOneAccountHoweverItIsWritten(t *testing.T) {
	const (
		composed   = "jos\u00e9@example.com"  // é as one character (NFC), as most keyboards write it
		decomposed = "jose\u0301@example.com" // e and a combining acute accent (NFD), as macOS may
	)
	type want struct {
		status int
		code   string
	}
	tests := []struct {
		name  string
		path  string
		email string
		want  want
	}{
		{"a second sign-up with the accent written apart is refused as the same address", "/api/accounts", decomposed, want{409, "email_taken"}},
		{"a password login with the accent written apart finds the account", "/api/login/password", decomposed, want{200, ""}},
		{"an invisible character pasted before or after the address is left out", "/api/login/password", "\ufeff" + composed + "\u200b", want{200, ""}},
		{"a sign-up with a zero-width space inside a known address is refused", "/api/accounts", "jos\u00e9\u200b@example.com", want{422, "invalid_input"}},
		{"a sign-up with a soft hyphen inside the address is refused", "/api/accounts", "pat\u00adsmith@example.com", want{422, "invalid_input"}},
		{"a sign-up with a right-to-left override inside the address is refused", "/api/accounts", "pat\u202emoc.elpmaxe@example.com", want{422, "invalid_input"}},
		{"a password login with a zero-width joiner inside the address is refused", "/api/login/password", "jo\u200ds\u00e9@example.com", want{422, "invalid_input"}},
		{"the email step of a passkey login with an invisible character inside is refused", "/api/login/passkey/begin", "jos\u00e9\u2060@example.com", want{422, "invalid_input"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t)
			s.Client().SignUp(composed, password)
			before := s.Dump("accounts")

			body := map[string]string{"email": tt.email, "password": password}
			if tt.path == "/api/login/passkey/begin" {
				body = map[string]string{"email": tt.email}
			}
			res := s.Client().Post(tt.path, body)

			if res.Status != tt.want.status || res.Code() != tt.want.code {
				t.Fatalf("answer = %d %s, want %d %s", res.Status, res.Body, tt.want.status, tt.want.code)
			}
			if tt.want.code == "invalid_input" && res.Err().Error.Fields["email"] == "" {
				t.Errorf("the refusal does not say what is wrong with the email: %s", res.Body)
			}
			if after := s.Dump("accounts"); after != before {
				t.Errorf("the accounts changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if n := s.Count(`SELECT count(*) FROM accounts`); n != 1 {
				t.Errorf("%d accounts, want the one", n)
			}
			if res.Status == http.StatusOK && tt.path == "/api/login/password" {
				var got struct {
					Account struct {
						Email string `json:"email"`
					} `json:"account"`
				}
				res.Decode(t, &got)
				if got.Account.Email != composed {
					t.Errorf("signed in as %q, want %q", got.Account.Email, composed)
				}
			}
		})
	}
}

// An account made before emails were stored in NFC holds an accented address as it was
// typed: decomposed (NFD), when its accent was typed as a combining mark. It stays the
// patient's: found however the address is typed now, and no second account can be made
// beside it.
func TestAnAccountStoredBeforeEmailsWereNormalisedIsStillFound(t *testing.T) {
	store.ForEachEngine(t, testAnAccountStoredBeforeEmailsWereNormalisedIsStillFound)
}

func testAnAccountStoredBeforeEmailsWereNormalisedIsStillFound(t *testing.T, engine store.Engine) {
	const (
		composed   = "jos\u00e9@example.com"
		decomposed = "jose\u0301@example.com"
	)
	s := testserver.New(t, testserver.OnEngine(engine))
	s.Client().SignUp("someone@example.com", password) // a password hash to copy
	if _, err := s.DB.ExecContext(t.Context(), `INSERT INTO accounts (email, user_handle, password_hash, created_at)
		SELECT $1, $2, password_hash, created_at FROM accounts WHERE email = 'someone@example.com'`,
		decomposed, []byte("an earlier version's user handle")); err != nil {
		t.Fatal(err)
	}
	for _, typed := range []string{composed, decomposed} {
		res := s.Client().Post("/api/login/password", map[string]string{"email": typed, "password": password})
		if res.Status != http.StatusOK {
			t.Errorf("a password login typed %+q: %d %s, want 200", typed, res.Status, res.Body)
		}
	}
	if res := s.Client().Post("/api/accounts", map[string]string{"email": composed, "password": password}); res.Status != http.StatusConflict || res.Code() != "email_taken" {
		t.Errorf("a sign-up beside the earlier account: %d %s, want 409 email_taken", res.Status, res.Body)
	}
	if n := s.Count(`SELECT count(*) FROM accounts`); n != 2 {
		t.Errorf("%d accounts, want the two", n)
	}
}
