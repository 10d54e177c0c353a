package lockout_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/nhs-passkeys/companion/backend/store"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend/lockout"
	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

const (
	password = "correct horse battery"
	wrong    = "not the password"
)

func passwordLogin(c *testserver.Client, email, pw string) *testserver.Response {
	return c.Post("/api/login/password", map[string]string{"email": email, "password": pw})
}

// fail makes n wrong password logins for pat@example.com from c and returns the last answer.
func fail(t *testing.T, c *testserver.Client, n int) *testserver.Response {
	t.Helper()
	var res *testserver.Response
	for range n {
		res = passwordLogin(c, "pat@example.com", wrong)
	}
	return res
}

// isLockout says whether res is the 429 that pauses the password for minutes.
func isLockout(res *testserver.Response, minutes string) bool {
	return isPause(res, "password", minutes)
}

// isPause says whether res is the 429 that pauses way ("password" or "passkey") for minutes,
// saying so, until when, and what still works.
func isPause(res *testserver.Response, way, minutes string) bool {
	var body struct {
		Error struct {
			Code, Message, Paused, PausedUntil string
		}
	}
	if err := json.Unmarshal(res.Body, &body); err != nil {
		return false
	}
	e := body.Error
	until, err := time.Parse(time.RFC3339, e.PausedUntil)
	return res.Status == http.StatusTooManyRequests && e.Code == "too_many_attempts" && e.Paused == way && err == nil &&
		strings.Contains(e.Message, " is paused for "+minutes+" (until "+lockout.ClockTime(until.In(time.Local))+")") &&
		strings.Contains(strings.ToLower(e.Message), way) && !strings.Contains(e.Message, "You have tried")
}

func TestFiveFailuresLockTheAccountForFifteenMinutes(t *testing.T) {
	store.ForEachEngine(t, testFiveFailuresLockTheAccountForFifteenMinutes)
}

func testFiveFailuresLockTheAccountForFifteenMinutes(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	owner := s.Client()
	owner.SignUp("pat@example.com", password)
	a := softauthn.New(testserver.Origin)
	owner.RegisterPasskey(a, "")
	c := s.Client()

	if res := fail(t, c, 4); res.Status != http.StatusUnauthorized || res.Code() != "login_failed" {
		t.Fatalf("4th failure = %d %s", res.Status, res.Body)
	}
	res := fail(t, c, 1)
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
	t.Run("the message says the password is paused, until when, and that the passkey still works", func(t *testing.T) {
		msg := res.Err().Error.Message
		for _, want := range []string{"Logging in with a password is paused", "This may not have been you", "passkey, it still works"} {
			if !strings.Contains(msg, want) {
				t.Errorf("message %q does not say %q", msg, want)
			}
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
	store.ForEachEngine(t, testAnUnknownEmailIsLockedOutExactlyLikeAKnownOne)
}

func testAnUnknownEmailIsLockedOutExactlyLikeAKnownOne(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	s.Client().SignUp("pat@example.com", password)
	known, unknown := s.Client(), s.Client()
	for i := range 6 {
		k := passwordLogin(known, "pat@example.com", wrong)
		u := passwordLogin(unknown, "nobody@example.com", wrong)
		if k.Status != u.Status || !bytes.Equal(k.Body, u.Body) || k.Header.Get("Retry-After") != u.Header.Get("Retry-After") {
			t.Errorf("attempt %d: known %d %s, unknown %d %s", i+1, k.Status, k.Body, u.Status, u.Body)
		}
	}
	// The passkey is not paused by passwords, for a known email or an unknown one alike.
	k := known.Post("/api/login/passkey/begin", map[string]any{"email": "pat@example.com"})
	u := unknown.Post("/api/login/passkey/begin", map[string]any{"email": "nobody@example.com"})
	if k.Status != http.StatusOK || u.Status != http.StatusOK {
		t.Errorf("passkey begin: known %d %s, unknown %d %s", k.Status, k.Body, u.Status, u.Body)
	}
}

// A passkey cannot be guessed, so failed passwords never pause it: a stranger who types
// wrong passwords for a patient's email, from anywhere, cannot keep the patient out.
func TestFailedPasswordsNeverLockAPatientOutOfTheirPasskey(t *testing.T) {
	store.ForEachEngine(t, testFailedPasswordsNeverLockAPatientOutOfTheirPasskey)
}

func testFailedPasswordsNeverLockAPatientOutOfTheirPasskey(t *testing.T, engine store.Engine) {
	tests := []struct {
		name     string
		failures func(t *testing.T, s *testserver.Server) // wrong passwords by strangers
	}{
		{"five wrong passwords from one stranger", func(t *testing.T, s *testserver.Server) {
			fail(t, stranger(s, "203.0.113.9:1"), 5)
		}},
		{"wrong passwords every quarter of an hour for an hour", func(t *testing.T, s *testserver.Server) {
			for range 4 {
				fail(t, stranger(s, "203.0.113.9:1"), 5)
				s.Clock.Advance(14 * time.Minute)
			}
		}},
		{"twenty wrong passwords from the patient's own computer", func(t *testing.T, s *testserver.Server) {
			fail(t, stranger(s, ""), 20)
		}},
		{"wrong passwords from many clients", func(t *testing.T, s *testserver.Server) {
			for i := range 10 {
				fail(t, stranger(s, fmt.Sprintf("198.51.100.%d:1", i)), 3)
			}
		}},
		{"wrong re-authentication passwords in another of the patient's sessions", func(t *testing.T, s *testserver.Server) {
			thief := s.Client()
			if res := passwordLogin(thief, "pat@example.com", password); res.Status != http.StatusOK {
				t.Fatalf("password login = %d %s", res.Status, res.Body)
			}
			for range 6 {
				thief.Post("/api/reauth/password", map[string]any{"action": "change-password", "password": wrong})
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testserver.New(t, testserver.OnEngine(engine))
			owner := s.Client()
			owner.SignUp("pat@example.com", password)
			a := softauthn.New(testserver.Origin)
			owner.RegisterPasskey(a, "")

			tt.failures(t, s)
			if res := passwordLogin(s.Client(), "pat@example.com", password); !isPause(res, "password", "") &&
				res.Status != http.StatusTooManyRequests && res.Status != http.StatusOK {
				t.Fatalf("the password after the failures = %d %s", res.Status, res.Body)
			}
			var c *testserver.Client
			for _, email := range []string{"pat@example.com", ""} {
				c = s.Client()
				if res := c.LoginWithPasskey(a, email); res.Status != http.StatusOK || c.Cookie == nil {
					t.Errorf("passkey login (email %q) = %d %s", email, res.Status, res.Body)
				}
			}
			if proof := c.ReauthWithPasskey(a, "remove-passkey"); proof == "" {
				t.Errorf("passkey re-authentication gave no proof")
			}
			if n := s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'signed_in' AND method = 'passkey'`); n != 2 {
				t.Errorf("%d passkey sign-ins audited, want 2", n)
			}
		})
	}
}

func stranger(s *testserver.Server, addr string) *testserver.Client {
	c := s.Client()
	if addr != "" {
		c.RemoteAddr = addr
	}
	return c
}

// Failed passkey assertions are paused per client, never per email: the client sending
// them is paused (and told its password still works), nobody else is.
func TestFailedPasskeysArePausedPerClientNotPerEmail(t *testing.T) {
	store.ForEachEngine(t, testFailedPasskeysArePausedPerClientNotPerEmail)
}

func testFailedPasskeysArePausedPerClientNotPerEmail(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	owner := s.Client()
	owner.SignUp("pat@example.com", password)
	a := softauthn.New(testserver.Origin)
	owner.RegisterPasskey(a, "")
	bad := softauthn.New(testserver.Origin)
	*bad = *a
	bad.UserVerified = false // every assertion is refused
	attacker := stranger(s, "203.0.113.9:5000")
	var res *testserver.Response
	for i := range 20 {
		res = attacker.LoginWithPasskey(bad, "pat@example.com")
		if i < 19 && res.Code() != "passkey_not_accepted" {
			t.Fatalf("bad assertion %d = %d %s", i+1, res.Status, res.Body)
		}
	}
	if !isPause(res, "passkey", "15 minutes") {
		t.Fatalf("20th bad assertion = %d %s", res.Status, res.Body)
	}
	if msg := res.Err().Error.Message; !strings.Contains(msg, "log in with your password instead") {
		t.Errorf("the passkey pause does not offer the password: %q", msg)
	}
	if res := attacker.Post("/api/login/passkey/begin", map[string]any{"email": "pat@example.com"}); !isPause(res, "passkey", "15 minutes") {
		t.Errorf("a passkey login from the paused client = %d %s", res.Status, res.Body)
	}
	if res := passwordLogin(stranger(s, "203.0.113.9:5001"), "pat@example.com", password); res.Status != http.StatusOK {
		t.Errorf("the paused client's password = %d %s (passkey failures paused the password)", res.Status, res.Body)
	}
	if res := s.Client().LoginWithPasskey(a, "pat@example.com"); res.Status != http.StatusOK {
		t.Errorf("the owner's passkey on their own computer = %d %s (paused per email)", res.Status, res.Body)
	}
}

func TestReauthenticationFailuresCountTowardsTheSameLockout(t *testing.T) {
	store.ForEachEngine(t, testReauthenticationFailuresCountTowardsTheSameLockout)
}

func testReauthenticationFailuresCountTowardsTheSameLockout(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
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
	if msg := res.Err().Error.Message; !strings.HasPrefix(msg, "Confirming it's you with your password is paused") {
		t.Errorf("re-authentication pause says %q", msg)
	}
}

func TestFailuresAreCountedInTheDatabaseAndSurviveARestart(t *testing.T) {
	store.ForEachEngine(t, testFailuresAreCountedInTheDatabaseAndSurviveARestart)
}

func testFailuresAreCountedInTheDatabaseAndSurviveARestart(t *testing.T, engine store.Engine) {
	onDir := testserver.SameStorage(t, engine)
	s := testserver.New(t, onDir)
	s.Client().SignUp("pat@example.com", password)
	fail(t, s.Client(), 4)

	s.Backend.Close() // one process per data folder (store.LockDir): stop it first, as a restart does
	restarted := testserver.New(t, onDir)
	restarted.Clock.Advance(time.Minute)
	if res := fail(t, restarted.Client(), 1); !isLockout(res, "15 minutes") {
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
	store.ForEachEngine(t, testOnlyRecentFailuresCountAndASuccessClearsThem)
}

func testOnlyRecentFailuresCountAndASuccessClearsThem(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	s.Client().SignUp("pat@example.com", password)
	c := s.Client()
	fail(t, c, 4)
	s.Clock.Advance(15 * time.Minute)
	if res := fail(t, c, 1); res.Code() != "login_failed" {
		t.Errorf("failures older than 15 minutes still counted: %d %s", res.Status, res.Body)
	}
	if res := passwordLogin(c, "pat@example.com", password); res.Status != http.StatusOK {
		t.Fatal(res.Status)
	}
	if res := fail(t, c, 4); res.Code() != "login_failed" {
		t.Errorf("a successful login did not clear the count: %d %s", res.Status, res.Body)
	}
}

func TestOneClientTryingManyAccountsIsLockedOut(t *testing.T) {
	store.ForEachEngine(t, testOneClientTryingManyAccountsIsLockedOut)
}

func testOneClientTryingManyAccountsIsLockedOut(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
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

// An IPv6 client is counted as its /64 network: one host or home has a whole /64 and may send
// each attempt from another address in it, which must not reset its count. Addresses in
// another /64, and IPv4 addresses, stay other clients.
func TestAnIPv6ClientIsCountedAsItsWholeSlash64(t *testing.T) {
	store.ForEachEngine(t, testAnIPv6ClientIsCountedAsItsWholeSlash64)
}

func testAnIPv6ClientIsCountedAsItsWholeSlash64(t *testing.T, engine store.Engine) {
	// The n-th address of the attacker's /64, in its spellings (a zone, an upper-case form).
	attackerAddress := func(n int) string {
		switch n % 3 {
		case 0:
			return fmt.Sprintf("[2001:db8:a:b::%x]:5000", n+1)
		case 1:
			return fmt.Sprintf("[2001:DB8:A:B:%x::1]:5000", n+1)
		default:
			return fmt.Sprintf("[2001:db8:a:b:ffff:%x:0:1%%eth0]:5000", n+1)
		}
	}
	t.Run("failed passkeys from every address of one /64 pause that /64", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		owner := s.Client()
		owner.SignUp("pat@example.com", password)
		a := softauthn.New(testserver.Origin)
		owner.RegisterPasskey(a, "")
		bad := softauthn.New(testserver.Origin)
		*bad = *a
		bad.UserVerified = false // every assertion is refused
		var res *testserver.Response
		for i := range 20 {
			res = stranger(s, attackerAddress(i)).LoginWithPasskey(bad, "pat@example.com")
		}
		if !isPause(res, "passkey", "15 minutes") {
			t.Fatalf("20th bad assertion from the /64 = %d %s", res.Status, res.Body)
		}
		if res := stranger(s, "[2001:db8:a:b:1234:5678:9abc:def0]:1").Post("/api/login/passkey/begin", map[string]any{"email": ""}); !isPause(res, "passkey", "15 minutes") {
			t.Errorf("a new address of the paused /64 = %d %s", res.Status, res.Body)
		}
		for _, addr := range []string{"[2001:db8:a:c::1]:5000", "203.0.113.9:5000", "[::ffff:203.0.113.10]:5000"} {
			if res := stranger(s, addr).LoginWithPasskey(a, "pat@example.com"); res.Status != http.StatusOK {
				t.Errorf("the owner's passkey from %s = %d %s (another /64 or IPv4 was paused)", addr, res.Status, res.Body)
			}
		}
	})
	t.Run("wrong passwords for many emails from every address of one /64 pause that /64", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		s.Client().SignUp("pat@example.com", password)
		var res *testserver.Response
		for i := range 20 {
			res = passwordLogin(stranger(s, attackerAddress(i)), fmt.Sprintf("person%d@example.com", i), wrong)
		}
		if !isLockout(res, "15 minutes") {
			t.Fatalf("20th wrong password from the /64 = %d %s", res.Status, res.Body)
		}
		if res := passwordLogin(stranger(s, "[2001:db8:a:b::beef]:1"), "pat@example.com", password); !isLockout(res, "15 minutes") {
			t.Errorf("a new address of the paused /64 logged in: %d %s", res.Status, res.Body)
		}
		if res := passwordLogin(stranger(s, "[2001:db8:a:c::1]:1"), "pat@example.com", password); res.Status != http.StatusOK {
			t.Errorf("another /64 was paused too: %d %s", res.Status, res.Body)
		}
	})
	t.Run("IPv4 addresses next to each other stay separate clients", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		s.Client().SignUp("pat@example.com", password)
		for i := range 20 {
			passwordLogin(stranger(s, "203.0.113.9:5000"), fmt.Sprintf("person%d@example.com", i), wrong)
		}
		if res := passwordLogin(stranger(s, "203.0.113.8:5000"), "pat@example.com", password); res.Status != http.StatusOK {
			t.Errorf("a neighbouring IPv4 address was paused: %d %s", res.Status, res.Body)
		}
	})
}

// A paused password re-authentication says, as a paused password login does, that the
// passkey still works, without blaming the person; and it does: the passkey confirms it's
// them during the pause.
func TestAPausedPasswordConfirmationSaysThePasskeyStillWorks(t *testing.T) {
	store.ForEachEngine(t, testAPausedPasswordConfirmationSaysThePasskeyStillWorks)
}

func testAPausedPasswordConfirmationSaysThePasskeyStillWorks(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	c := s.Client()
	c.SignUp("pat@example.com", password)
	a := softauthn.New(testserver.Origin)
	c.RegisterPasskey(a, "")
	var res *testserver.Response
	for range 5 {
		res = c.Post("/api/reauth/password", map[string]any{"action": "remove-passkey", "password": wrong})
	}
	if !isLockout(res, "15 minutes") {
		t.Fatalf("5th wrong re-authentication = %d %s", res.Status, res.Body)
	}
	msg := res.Err().Error.Message
	for _, want := range []string{"Confirming it's you with your password is paused", "This may not have been you.",
		"If you have a passkey, it still works: you can confirm it's you with it now."} {
		if !strings.Contains(msg, want) {
			t.Errorf("the pause says %q, without %q", msg, want)
		}
	}
	if proof := c.ReauthWithPasskey(a, "remove-passkey"); proof == "" {
		t.Errorf("the passkey did not confirm it's Pat during the password's pause")
	}
}
