package account

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/lockout"
	"github.com/nhs-passkeys/companion/backend/reauth"
	"github.com/nhs-passkeys/companion/backend/store"
)

// fakeSessions records the sessions the service starts.
type fakeSessions struct{ started []int64 }

func (f *fakeSessions) Start(_ context.Context, _ *sql.Tx, _ string, accountID int64) (string, error) {
	f.started = append(f.started, accountID)
	return "token", nil
}

func (f *fakeSessions) EndOthers(context.Context, store.DBTX, int64, int64) (int64, error) {
	return 0, nil
}

func (f *fakeSessions) Rotate(context.Context, *sql.Tx, int64) (string, error) { return "rotated", nil }

func (f *fakeSessions) HasLoginGrace(context.Context, store.DBTX, int64, time.Time, string) (bool, error) {
	return false, nil
}

func (f *fakeSessions) TakeLoginGrace(context.Context, *sql.Tx, int64, time.Time, string) (bool, error) {
	return false, nil
}

// newServiceSignedIn is newService with pat@example.com's account (its password given) and
// the session SignedIn{SessionID: 1} names, for the proof a confirmation gives.
func newServiceSignedIn(t *testing.T, engine store.Engine, password string) (*Service, *sql.DB, *fakeSessions, Account) {
	t.Helper()
	svc, db, sessions := newService(t, engine)
	pat, _, err := svc.Create(t.Context(), "pat@example.com", password, "")
	if err != nil {
		t.Fatal(err)
	}
	sessions.started = nil
	if _, err := db.ExecContext(t.Context(), `INSERT INTO sessions (id, token_hash, account_id, created_at, last_seen_at,
		expires_at, authenticated_at, login_grace) VALUES (1, $1, $2, 0, 0, $3, 0, 0)`,
		make([]byte, 32), pat.ID, int64(1)<<50); err != nil {
		t.Fatal(err)
	}
	return svc, db, sessions, pat
}

func newService(t *testing.T, engine store.Engine) (*Service, *sql.DB, *fakeSessions) {
	t.Helper()
	db := store.NewForTestOn(t, engine)
	clock := func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }
	sessions := &fakeSessions{}
	auditLog := audit.NewStore(clock)
	svc, err := NewService(db, sessions, auditLog, lockout.New(make([]byte, 32), clock, auditLog), reauth.NewService(sessions, clock),
		clock, slog.New(slog.NewTextHandler(io.Discard, nil)), cheap())
	if err != nil {
		t.Fatal(err)
	}
	return svc, db, sessions
}

func count(t *testing.T, db *sql.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func code(err error) string {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return ""
}

func TestEmailRules(t *testing.T) {
	tests := []struct {
		name, raw, want, problem string
	}{
		{"an email is trimmed and lower-cased", "  Pat.Smith@NHS.Example.COM ", "pat.smith@nhs.example.com", ""},
		{"a plus address is fine", "pat+nhs@example.co.uk", "pat+nhs@example.co.uk", ""},
		{"an empty email asks for one", "   ", "", msgEnterEmail},
		{"no @ is the wrong format", "pat.example.com", "pat.example.com", msgEmailFormat},
		{"two @ are the wrong format", "pat@home@example.com", "pat@home@example.com", msgEmailFormat},
		{"no domain dot is the wrong format", "pat@localhost", "pat@localhost", msgEmailFormat},
		{"a space inside is the wrong format", "pat smith@example.com", "pat smith@example.com", msgEmailFormat},
		{"an empty local part is the wrong format", "@example.com", "@example.com", msgEmailFormat},
		{"a display-name form is the wrong format", "pat <pat@example.com>", "pat <pat@example.com>", msgEmailFormat},
		{"an over-long email is the wrong format", strings.Repeat("a", 250) + "@x.uk", strings.Repeat("a", 250) + "@x.uk", msgEmailFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NormaliseEmail(tt.raw)
			if got != tt.want {
				t.Errorf("NormaliseEmail(%q) = %q, want %q", tt.raw, got, tt.want)
			}
			if p := EmailProblem(got); p != tt.problem {
				t.Errorf("EmailProblem(%q) = %q, want %q", got, p, tt.problem)
			}
		})
	}
}

func TestCreateAccount(t *testing.T) { store.ForEachEngine(t, testCreateAccount) }

func testCreateAccount(t *testing.T, engine store.Engine) {
	tests := []struct {
		name, email, password string
		fields                map[string]string
	}{
		{"a missing email and password are both reported", "", "",
			map[string]string{"email": "Enter your email address", "password": "Enter a password"}},
		{"a password of 7 characters is too short", "pat@example.com", "1234567",
			map[string]string{"password": "Your password must be 8 characters or more"}},
		{"a password of 257 characters is too long", "pat@example.com", strings.Repeat("p", 257),
			map[string]string{"password": "Your password must be 256 characters or fewer"}},
		{"length counts characters, not bytes", "pat@example.com", "ééé",
			map[string]string{"password": "Your password must be 8 characters or more"}},
		{"a badly formatted email is reported", "pat", "correct horse battery",
			map[string]string{"email": "Enter an email address in the correct format, like name@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, db, sessions := newService(t, engine)
			_, _, err := svc.Create(t.Context(), tt.email, tt.password, "")
			e, ok := apperr.As(err)
			if !ok || e.Code != "invalid_input" || e.Status != 422 || len(e.Fields) != len(tt.fields) {
				t.Fatalf("Create = %v, want invalid_input with %v", err, tt.fields)
			}
			for k, v := range tt.fields {
				if e.Fields[k] != v {
					t.Errorf("field %s = %q, want %q", k, e.Fields[k], v)
				}
			}
			if count(t, db, `SELECT count(*) FROM accounts`) != 0 || len(sessions.started) != 0 {
				t.Errorf("a refused account was stored or signed in")
			}
		})
	}

	t.Run("an account is stored with a normalised email, a PHC hash and a random user handle, and signed in", func(t *testing.T) {
		svc, db, sessions := newService(t, engine)
		acct, token, err := svc.Create(t.Context(), " Pat@Example.com", "8 chars!", "")
		if err != nil {
			t.Fatal(err)
		}
		if acct.Email != "pat@example.com" || !acct.HasPassword || len(acct.UserHandle) != 32 || token != "token" {
			t.Errorf("account = %+v, token %q", acct, token)
		}
		if count(t, db, `SELECT count(*) FROM accounts WHERE email = 'pat@example.com' AND password_hash LIKE '$argon2id$v=19$m=64,t=1,p=1$%' AND length(user_handle) = 32`) != 1 {
			t.Errorf("the stored account does not match")
		}
		if count(t, db, `SELECT count(*) FROM accounts WHERE password_hash LIKE '%8 chars!%'`) != 0 {
			t.Errorf("the password is stored in clear")
		}
		if len(sessions.started) != 1 || sessions.started[0] != acct.ID {
			t.Errorf("sessions started = %v", sessions.started)
		}
		if count(t, db, `SELECT count(*) FROM audit_events WHERE kind = 'account_created' AND account_id = $1`, acct.ID) != 1 {
			t.Errorf("account creation not audited")
		}
	})

	t.Run("an email already in use is refused whatever its case", func(t *testing.T) {
		svc, db, _ := newService(t, engine)
		if _, _, err := svc.Create(t.Context(), "pat@example.com", "correct horse battery", ""); err != nil {
			t.Fatal(err)
		}
		_, _, err := svc.Create(t.Context(), "PAT@example.com ", "another password", "")
		if e, ok := apperr.As(err); !ok || e.Code != "email_taken" || e.Status != 409 {
			t.Errorf("second Create = %v, want email_taken", err)
		}
		if count(t, db, `SELECT count(*) FROM accounts`) != 1 {
			t.Errorf("a second account was stored")
		}
		ok, err := verifyStoredPassword(t, db, "pat@example.com", "correct horse battery")
		if err != nil || !ok {
			t.Errorf("the first account's password changed")
		}
	})
}

// verifyStoredPassword checks password against the stored hash of email.
func verifyStoredPassword(t *testing.T, db *sql.DB, email, password string) (bool, error) {
	t.Helper()
	var hash string
	if err := db.QueryRowContext(t.Context(), `SELECT password_hash FROM accounts WHERE email = $1`, email).Scan(&hash); err != nil {
		return false, err
	}
	return VerifyPassword(password, hash)
}

func TestPasswordLogin(t *testing.T) { store.ForEachEngine(t, testPasswordLogin) }

func testPasswordLogin(t *testing.T, engine store.Engine) {
	svc, db, sessions := newService(t, engine)
	pat, _, err := svc.Create(t.Context(), "pat@example.com", "correct horse battery", "")
	if err != nil {
		t.Fatal(err)
	}
	sessions.started = nil

	tests := []struct {
		name, email, password string
		wantCode              string
		wantFields            map[string]string
	}{
		{"the right password logs in, whatever the email's case", " PAT@example.com ", "correct horse battery", "", nil},
		{"a wrong password is refused", "pat@example.com", "correct horse batterY", "login_failed", nil},
		{"an unknown email is refused the same way", "sam@example.com", "correct horse battery", "login_failed", nil},
		{"a missing password is asked for", "pat@example.com", "", "invalid_input", map[string]string{"password": "Enter your password"}},
		{"a missing email is asked for", "", "x", "invalid_input", map[string]string{"email": "Enter your email address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(sessions.started)
			acct, _, err := svc.Login(t.Context(), tt.email, tt.password, "", "")
			if code(err) != tt.wantCode {
				t.Fatalf("Login = %v, want code %q", err, tt.wantCode)
			}
			if tt.wantCode == "" {
				if acct.ID != pat.ID || len(sessions.started) != before+1 {
					t.Errorf("logged in as %+v, sessions %v", acct, sessions.started)
				}
				return
			}
			if len(sessions.started) != before {
				t.Errorf("a refused login started a session")
			}
			e, _ := apperr.As(err)
			if tt.wantCode == "login_failed" && (e.Status != 401 || e.Msg != "The email address or password is not correct. Check them and try again.") {
				t.Errorf("refusal = %+v", e)
			}
			for k, v := range tt.wantFields {
				if e.Fields[k] != v {
					t.Errorf("field %s = %q, want %q", k, e.Fields[k], v)
				}
			}
		})
	}
	if got := count(t, db, `SELECT count(*) FROM audit_events WHERE kind = 'login_failed'`); got != 2 {
		t.Errorf("failed logins audited = %d, want 2", got)
	}
	if got := count(t, db, `SELECT count(*) FROM audit_events WHERE kind = 'login_failed' AND account_id IS NULL`); got != 1 {
		t.Errorf("failed logins with an unknown email audited without an account = %d, want 1", got)
	}
}

func TestUnknownEmailsAreCheckedAgainstADummyHashWithTheSameParameters(t *testing.T) {
	svc, _, _ := newService(t, store.SQLite) // no storage involved
	if !strings.HasPrefix(svc.dummyHash, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("dummy hash %q does not use the configured parameters", svc.dummyHash)
	}
	if _, err := VerifyPassword("anything", svc.dummyHash); err != nil {
		t.Errorf("the dummy hash cannot be checked: %v", err)
	}
	_, _, err := svc.Login(t.Context(), "nobody@example.com", "x", "", "")
	if code(err) != "login_failed" {
		t.Errorf("unknown email = %v", err)
	}
}

// Issue #21, item 2: the desktop app builds the service before its first page, so the dummy
// hash must cost nothing there: no argon2id derivation (19 MiB and about 85 ms with the
// production settings). It must still cost a full derivation when it is checked.
func TestTheDummyHashIsMadeWithoutAnArgon2idDerivation(t *testing.T) {
	params := DefaultHashParams()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	dummy, err := params.DummyHash()
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 64<<10 {
		t.Errorf("making the dummy hash allocated %d bytes; an argon2id derivation would be %d", allocated, params.Memory<<10)
	}
	if !strings.HasPrefix(dummy, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("dummy hash %q does not carry the production settings", dummy)
	}
	other, err := params.DummyHash()
	if err != nil {
		t.Fatal(err)
	}
	if other == dummy {
		t.Error("two dummy hashes are the same: the salt and key must be random")
	}

	// Checking it costs what checking a real hash costs: one derivation of the settings'
	// memory.
	runtime.ReadMemStats(&before)
	ok, err := VerifyPassword("not a real password: used to even out login timing", dummy)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if ok {
		t.Error("a password matched the dummy hash")
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated < uint64(params.Memory)<<10 {
		t.Errorf("checking the dummy hash allocated %d bytes, less than one derivation's %d KiB: it would answer faster than a real check", allocated, params.Memory)
	}
}

// Every argon2id derivation takes a slot (password.go, derivations): a flood of sign-ups or
// password logins, which anyone can send, holds at most one derivation's memory per core. The
// test holds every slot itself, as such a flood would: each way a password is hashed or
// checked then waits, is answered 503 busy when no slot comes free in time, and changes and
// counts nothing; with a slot free, the same request works.
func TestAPasswordIsHashedOrCheckedOnlyInAFreeSlot(t *testing.T) {
	store.ForEachEngine(t, testAPasswordIsHashedOrCheckedOnlyInAFreeSlot)
}

func testAPasswordIsHashedOrCheckedOnlyInAFreeSlot(t *testing.T, engine store.Engine) {
	const client = "192.0.2.7"
	check := func(svc *Service) derivations { return svc.checkSlots }
	hash := func(svc *Service) derivations { return svc.hashSlots }
	tests := []struct {
		name string
		// slots is the set the request's derivation waits in; the other set is not its.
		slots func(*Service) derivations
		// call makes one request of its kind; existing is the account made before.
		call func(ctx context.Context, svc *Service, existing Account) error
	}{
		{"a sign-up", hash, func(ctx context.Context, svc *Service, _ Account) error {
			_, _, err := svc.Create(ctx, "new@example.com", "a new password", "")
			return err
		}},
		{"a password login with the right password", check, func(ctx context.Context, svc *Service, _ Account) error {
			_, _, err := svc.Login(ctx, "pat@example.com", "the password", "", client)
			return err
		}},
		{"a password login with a wrong password", check, func(ctx context.Context, svc *Service, _ Account) error {
			_, _, err := svc.Login(ctx, "pat@example.com", "not the password", "", client)
			if code(err) == "login_failed" {
				return nil // it ran: what the test wants once a slot is free
			}
			return err
		}},
		{"a password login for an email with no account (the dummy check)", check, func(ctx context.Context, svc *Service, _ Account) error {
			_, _, err := svc.Login(ctx, "nobody@example.com", "a password", "", client)
			if code(err) == "login_failed" {
				return nil
			}
			return err
		}},
		{"a new password", hash, func(ctx context.Context, svc *Service, existing Account) error {
			_, err := svc.ChangePassword(ctx, SignedIn{SessionID: 1, Account: existing}, "another password", "", client)
			if code(err) == "reauth_required" {
				return nil // hashed, then refused for want of a proof: it ran
			}
			return err
		}},
		{"confirming it's you with a password", check, func(ctx context.Context, svc *Service, existing Account) error {
			_, _, err := svc.Reauthenticate(ctx, SignedIn{SessionID: 1, Account: existing}, reauth.ChangePassword, "the password", client)
			return err
		}},
	}
	setUp := func(t *testing.T) (*Service, *sql.DB, *fakeSessions, Account) {
		svc, db, sessions, existing := newServiceSignedIn(t, engine, "the password")
		svc.slotWait = 50 * time.Millisecond
		return svc, db, sessions, existing
	}
	fill := func(slots derivations) {
		for range cap(slots) {
			slots <- struct{}{}
		}
	}
	for _, tt := range tests {
		t.Run(tt.name+" waits for a slot of its own kind, and changes nothing while it does", func(t *testing.T) {
			svc, db, sessions, existing := setUp(t)
			state := func() [3]int {
				return [3]int{count(t, db, `SELECT count(*) FROM accounts`), count(t, db, `SELECT count(*) FROM auth_failures`),
					count(t, db, `SELECT count(*) FROM audit_events`)}
			}
			was := state()
			own := tt.slots(svc)
			fill(own)
			err := tt.call(t.Context(), svc, existing)
			if e, ok := apperr.As(err); !ok || e.Code != "busy" || e.Status != 503 {
				t.Fatalf("with every slot taken: %v, want 503 busy", err)
			}
			// A request that ends while it waits is not answered busy: it just stops.
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
			svc.slotWait = time.Minute
			err = tt.call(ctx, svc, existing)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("a request that ended while waiting: %v, want its context's end", err)
			}
			if now := state(); now != was || len(sessions.started) != 0 {
				t.Fatalf("waiting for a slot changed something: accounts, failures, audit events %v, then %v; sessions %v", was, now, sessions.started)
			}
			// One slot free: the request runs.
			<-own
			if err := tt.call(t.Context(), svc, existing); err != nil {
				t.Fatalf("with a slot free: %v", err)
			}
		})
		t.Run(tt.name+" does not wait for the other kind's slots", func(t *testing.T) {
			svc, _, _, existing := setUp(t)
			other := svc.checkSlots
			if tt.slots(svc) == svc.checkSlots {
				other = svc.hashSlots
			}
			fill(other)
			if err := tt.call(t.Context(), svc, existing); err != nil {
				t.Fatalf("with every slot of the other kind taken: %v", err)
			}
		})
	}
}

// A password is checked outside the transaction that acts on it (argon2id is slow, and holds
// no lock). If the password changes meanwhile (the owner sets a new one on this or another
// replica, which ends every other session because someone may know the old one), a login or
// a confirmation with the old password must not succeed after that change: the check was of
// a password the account no longer has. Nothing is written for it: no session, no proof, no
// audit of a success.
func TestAPasswordChangedDuringItsCheckLetsNobodyIn(t *testing.T) {
	store.ForEachEngine(t, testAPasswordChangedDuringItsCheckLetsNobodyIn)
}

func testAPasswordChangedDuringItsCheckLetsNobodyIn(t *testing.T, engine store.Engine) {
	changes := []struct {
		name   string
		change func(t *testing.T, svc *Service, db *sql.DB, id int64)
	}{
		{"the password is changed", func(t *testing.T, svc *Service, db *sql.DB, id int64) {
			hash, err := svc.hash(context.Background(), "a brand new passphrase")
			if err != nil {
				t.Error(err)
				return
			}
			if err := svc.store.setPassword(context.Background(), db, id, hash); err != nil {
				t.Error(err)
			}
		}},
		{"the password is removed", func(t *testing.T, _ *Service, db *sql.DB, id int64) {
			if _, err := db.ExecContext(context.Background(), `UPDATE accounts SET password_hash = NULL WHERE id = $1`, id); err != nil {
				t.Error(err)
			}
		}},
		{"the account is deleted", func(t *testing.T, _ *Service, db *sql.DB, id int64) {
			if _, err := db.ExecContext(context.Background(), `DELETE FROM accounts WHERE id = $1`, id); err != nil {
				t.Error(err)
			}
		}},
	}
	attempts := []struct {
		name     string
		wantCode string
		success  string // the audit kind of a success
		try      func(ctx context.Context, svc *Service, pat Account) error
	}{
		{"a login", "login_failed", "signed_in", func(ctx context.Context, svc *Service, _ Account) error {
			_, _, err := svc.Login(ctx, "pat@example.com", "correct horse battery", "", "")
			return err
		}},
		{"a confirmation", "reauth_failed", "reauthenticated", func(ctx context.Context, svc *Service, pat Account) error {
			_, _, err := svc.Reauthenticate(ctx, SignedIn{SessionID: 1, Account: pat}, reauth.ChangePassword, "correct horse battery", "")
			return err
		}},
	}
	for _, attempt := range attempts {
		for _, change := range changes {
			t.Run(attempt.name+" when "+change.name, func(t *testing.T) {
				svc, db, sessions, pat := newServiceSignedIn(t, engine, "correct horse battery")
				svc.passwordChecked = func() { change.change(t, svc, db, pat.ID) }
				if err := attempt.try(t.Context(), svc, pat); code(err) != attempt.wantCode {
					t.Errorf("%s = %v, want %s", attempt.name, err, attempt.wantCode)
				}
				if len(sessions.started) != 0 {
					t.Errorf("a session was started with the old password")
				}
				if n := count(t, db, `SELECT count(*) FROM reauth_proofs`); n != 0 {
					t.Errorf("%d proofs were issued for the old password", n)
				}
				if n := count(t, db, `SELECT count(*) FROM audit_events WHERE kind = $1`, attempt.success); n != 0 {
					t.Errorf("%s audited %d times", attempt.success, n)
				}
			})
		}
	}
}

// A password is checked after the lockout check, outside any transaction, and a burst of
// attempts sent at once (on one replica or several) all pass that check before the first
// failure is counted. An attempt whose check ends after a pause has begun is answered as the
// pause, 429 too_many_attempts, whether its password was right or wrong: answering a wrong
// one 401 there while the right one gets 429 would tell the guesser which was right, and so
// every guess of the burst would be learnt in spite of the pause. It is not counted again.
func TestAnAttemptCheckedWhileAPauseBeganIsAnsweredAsThePause(t *testing.T) {
	store.ForEachEngine(t, testAnAttemptCheckedWhileAPauseBeganIsAnsweredAsThePause)
}

func testAnAttemptCheckedWhileAPauseBeganIsAnsweredAsThePause(t *testing.T, engine store.Engine) {
	const right = "correct horse battery"
	attempts := []struct {
		name   string
		failed string // the audit kind of a failure
		try    func(ctx context.Context, svc *Service, pat Account, password string) error
	}{
		{"a login", "login_failed", func(ctx context.Context, svc *Service, _ Account, password string) error {
			_, _, err := svc.Login(ctx, "pat@example.com", password, "", "198.51.100.7")
			return err
		}},
		{"a confirmation", "reauth_failed", func(ctx context.Context, svc *Service, pat Account, password string) error {
			_, _, err := svc.Reauthenticate(ctx, SignedIn{SessionID: 1, Account: pat}, reauth.ChangePassword, password, "198.51.100.7")
			return err
		}},
	}
	for _, attempt := range attempts {
		for _, password := range []string{"a wrong guess", right} {
			t.Run(attempt.name+" with the password "+password, func(t *testing.T) {
				svc, db, sessions, pat := newServiceSignedIn(t, engine, right)
				// While this attempt's password is checked, the rest of the burst fails and
				// pauses the way in.
				var burst bool
				var afterBurst int
				svc.passwordChecked = func() {
					if burst {
						return
					}
					burst = true
					for range 5 {
						_ = attempt.try(context.Background(), svc, pat, "another wrong guess")
					}
					if err := attempt.try(context.Background(), svc, pat, "yet another wrong guess"); code(err) != "too_many_attempts" {
						t.Errorf("after the burst, an attempt is answered %v, want too_many_attempts", err)
					}
					afterBurst = count(t, db, `SELECT count(*) FROM audit_events WHERE kind = $1`, attempt.failed)
				}
				if err := attempt.try(t.Context(), svc, pat, password); code(err) != "too_many_attempts" {
					t.Errorf("%s checked while the pause began = %v, want too_many_attempts", attempt.name, err)
				}
				if n := count(t, db, `SELECT count(*) FROM audit_events WHERE kind = $1`, attempt.failed); n != afterBurst {
					t.Errorf("failures audited = %d, want the burst's %d only", n, afterBurst)
				}
				if len(sessions.started) != 0 || count(t, db, `SELECT count(*) FROM reauth_proofs`) != 0 {
					t.Errorf("the attempt let someone in")
				}
			})
		}
	}
}
