package lockout_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/internal/softauthn"
	"github.com/nhs-passkeys/companion/backend/internal/testserver"
)

const (
	password = "correct horse battery"
	wrong    = "not the password"
)

func passwordLogin(c *testserver.Client, email, pw string) *testserver.Response {
	return c.Post("/api/login/password", map[string]string{"email": email, "password": pw})
}

// fail makes n wrong password logins for email from c and returns the last answer.
func fail(t *testing.T, c *testserver.Client, email string, n int) *testserver.Response {
	t.Helper()
	var res *testserver.Response
	for range n {
		res = passwordLogin(c, email, wrong)
	}
	return res
}

func isLockout(res *testserver.Response, minutes string) bool {
	return res.Status == http.StatusTooManyRequests && res.Code() == "too_many_attempts" &&
		res.Err().Error.Message == "You have tried too many times. For your security, wait "+minutes+", then try again."
}

func TestFiveFailuresLockTheAccountForFifteenMinutes(t *testing.T) {
	s := testserver.New(t)
	owner := s.Client()
	owner.SignUp("pat@example.com", password)
	a := softauthn.New(testserver.Origin)
	owner.RegisterPasskey(a, "")
	c := s.Client()

	if res := fail(t, c, "pat@example.com", 4); res.Status != http.StatusUnauthorized || res.Code() != "login_failed" {
		t.Fatalf("4th failure = %d %s", res.Status, res.Body)
	}
	res := fail(t, c, "pat@example.com", 1)
	if !isLockout(res, "15 minutes") || res.Header.Get("Retry-After") != "900" {
		t.Fatalf("5th failure = %d %s (Retry-After %q)", res.Status, res.Body, res.Header.Get("Retry-After"))
	}
	if s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'locked_out' AND account_id IS NOT NULL`) != 1 {
		t.Errorf("the lockout was not audited on the account")
	}
	before := s.Dump(testserver.StateTables...)

	t.Run("the right password is refused during the lockout", func(t *testing.T) {
		if res := passwordLogin(c, "pat@example.com", password); !isLockout(res, "15 minutes") || c.Cookie != nil {
			t.Errorf("right password = %d %s", res.Status, res.Body)
		}
	})
	t.Run("a passkey login is refused during the lockout, by email or without one", func(t *testing.T) {
		if res := c.Post("/api/login/passkey/begin", map[string]any{"email": "pat@example.com"}); !isLockout(res, "15 minutes") {
			t.Errorf("email-first begin = %d %s", res.Status, res.Body)
		}
		b := c.Begin("/api/login/passkey/begin", map[string]any{})
		cred, err := a.Get(b.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if res := c.Finish("/api/login/passkey/finish", b.Ceremony, cred); !isLockout(res, "15 minutes") || c.Cookie != nil {
			t.Errorf("a good discoverable assertion = %d %s", res.Status, res.Body)
		}
	})
	t.Run("re-authentication is refused during the lockout", func(t *testing.T) {
		if res := owner.Post("/api/reauth/passkey/begin", map[string]any{"action": "remove-passkey"}); !isLockout(res, "15 minutes") {
			t.Errorf("passkey re-authentication = %d %s", res.Status, res.Body)
		}
	})
	t.Run("nothing changed, and attempts during the lockout do not extend it", func(t *testing.T) {
		failures := s.Count(`SELECT count(*) FROM auth_failures`)
		for range 5 {
			if res := passwordLogin(c, "pat@example.com", wrong); !isLockout(res, "15 minutes") {
				t.Errorf("a wrong password during the lockout = %d %s", res.Status, res.Body)
			}
		}
		if s.Dump(testserver.StateTables...) != before {
			t.Errorf("refused attempts changed the database")
		}
		if s.Count(`SELECT count(*) FROM auth_failures`) != failures || s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'locked_out'`) != 1 {
			t.Errorf("attempts during the lockout were counted")
		}
		s.Clock.Advance(10 * time.Minute)
		if res := passwordLogin(c, "pat@example.com", password); !isLockout(res, "5 minutes") {
			t.Errorf("10 minutes later = %d %s", res.Status, res.Body)
		}
	})
	t.Run("after 15 minutes the right password works", func(t *testing.T) {
		s.Clock.Advance(5 * time.Minute)
		if res := passwordLogin(c, "pat@example.com", password); res.Status != http.StatusOK {
			t.Errorf("after the lockout = %d %s", res.Status, res.Body)
		}
	})
}

func TestAnUnknownEmailIsLockedOutExactlyLikeAKnownOne(t *testing.T) {
	s := testserver.New(t)
	s.Client().SignUp("pat@example.com", password)
	known, unknown := s.Client(), s.Client()
	for i := range 6 {
		k := passwordLogin(known, "pat@example.com", wrong)
		u := passwordLogin(unknown, "nobody@example.com", wrong)
		if k.Status != u.Status || !bytes.Equal(k.Body, u.Body) || k.Header.Get("Retry-After") != u.Header.Get("Retry-After") {
			t.Errorf("attempt %d: known %d %s, unknown %d %s", i+1, k.Status, k.Body, u.Status, u.Body)
		}
	}
	k := known.Post("/api/login/passkey/begin", map[string]any{"email": "pat@example.com"})
	u := unknown.Post("/api/login/passkey/begin", map[string]any{"email": "nobody@example.com"})
	if k.Status != http.StatusTooManyRequests || !bytes.Equal(k.Body, u.Body) {
		t.Errorf("passkey begin: known %d %s, unknown %d %s", k.Status, k.Body, u.Status, u.Body)
	}
}

func TestPasskeyFailuresCountTowardsTheSameLockout(t *testing.T) {
	s := testserver.New(t)
	owner := s.Client()
	owner.SignUp("pat@example.com", password)
	a := softauthn.New(testserver.Origin)
	owner.RegisterPasskey(a, "")
	a.UserVerified = false // every assertion is refused
	c := s.Client()
	var res *testserver.Response
	for range 5 {
		res = c.LoginWithPasskey(a, "pat@example.com")
	}
	if !isLockout(res, "15 minutes") {
		t.Fatalf("5th bad assertion = %d %s", res.Status, res.Body)
	}
	if res := passwordLogin(c, "pat@example.com", password); !isLockout(res, "15 minutes") {
		t.Errorf("the password got round a lockout earned with passkeys: %d %s", res.Status, res.Body)
	}
}

func TestReauthenticationFailuresCountTowardsTheSameLockout(t *testing.T) {
	s := testserver.New(t)
	c := s.Client()
	c.SignUp("pat@example.com", password)
	var res *testserver.Response
	for range 5 {
		res = c.Post("/api/reauth/password", map[string]any{"action": "change-password", "password": wrong})
	}
	if !isLockout(res, "15 minutes") {
		t.Fatalf("5th wrong re-authentication = %d %s", res.Status, res.Body)
	}
	if res := c.Post("/api/reauth/password", map[string]any{"action": "change-password", "password": password}); !isLockout(res, "15 minutes") {
		t.Errorf("right password during the lockout = %d %s", res.Status, res.Body)
	}
	if res := passwordLogin(s.Client(), "pat@example.com", password); !isLockout(res, "15 minutes") {
		t.Errorf("login during the lockout = %d %s", res.Status, res.Body)
	}
}

func TestFailuresAreCountedInTheDatabaseAndSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	onDir := testserver.WithConfig(func(c *backend.Config) { c.DataDir = dir })
	s := testserver.New(t, onDir)
	s.Client().SignUp("pat@example.com", password)
	fail(t, s.Client(), "pat@example.com", 4)

	s.Backend.Close() // one process per data folder (store.LockDir): stop it first, as a restart does
	restarted := testserver.New(t, onDir)
	restarted.Clock.Advance(time.Minute)
	if res := fail(t, restarted.Client(), "pat@example.com", 1); !isLockout(res, "15 minutes") {
		t.Errorf("the 5th failure after a restart = %d %s", res.Status, res.Body)
	}
	restarted.Backend.Close()
	again := testserver.New(t, onDir)
	again.Clock.Advance(2 * time.Minute)
	if res := passwordLogin(again.Client(), "pat@example.com", password); !isLockout(res, "14 minutes") {
		t.Errorf("the lockout after another restart = %d %s", res.Status, res.Body)
	}
}

func TestOnlyRecentFailuresCountAndASuccessClearsThem(t *testing.T) {
	s := testserver.New(t)
	s.Client().SignUp("pat@example.com", password)
	c := s.Client()
	fail(t, c, "pat@example.com", 4)
	s.Clock.Advance(15 * time.Minute)
	if res := fail(t, c, "pat@example.com", 1); res.Code() != "login_failed" {
		t.Errorf("failures older than 15 minutes still counted: %d %s", res.Status, res.Body)
	}
	if res := passwordLogin(c, "pat@example.com", password); res.Status != http.StatusOK {
		t.Fatal(res.Status)
	}
	if res := fail(t, c, "pat@example.com", 4); res.Code() != "login_failed" {
		t.Errorf("a successful login did not clear the count: %d %s", res.Status, res.Body)
	}
}

func TestOneClientTryingManyAccountsIsLockedOut(t *testing.T) {
	s := testserver.New(t)
	s.Client().SignUp("pat@example.com", password)
	attacker := s.Client()
	attacker.RemoteAddr = "203.0.113.9:5000"
	attacker.SignUp("attacker@example.com", password)
	var res *testserver.Response
	for i := range 20 {
		res = passwordLogin(attacker, fmt.Sprintf("person%d@example.com", i), wrong)
		if i%4 == 3 && i < 19 {
			// Logging in to an account of its own does not reset the client's count.
			if ok := passwordLogin(attacker, "attacker@example.com", password); ok.Status != http.StatusOK {
				t.Fatalf("own login = %d %s", ok.Status, ok.Body)
			}
		}
	}
	if !isLockout(res, "15 minutes") {
		t.Fatalf("20th failure from one client = %d %s", res.Status, res.Body)
	}
	if res := passwordLogin(attacker, "pat@example.com", password); !isLockout(res, "15 minutes") {
		t.Errorf("the client logged in during its lockout: %d %s", res.Status, res.Body)
	}
	other := s.Client()
	other.RemoteAddr = "198.51.100.7:6000"
	if res := passwordLogin(other, "pat@example.com", password); res.Status != http.StatusOK {
		t.Errorf("another client was locked out too: %d %s", res.Status, res.Body)
	}
}
