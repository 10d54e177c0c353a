package passkey

// The races of a login checked outside the writer lock (issue 21): what another request
// changes between the check of an assertion and the write of its login must be seen by the
// write. Each test stops a login in that window (Service.loginChecked) and changes the
// database there, with the real services on each engine.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/lockout"
	"github.com/nhs-passkeys/companion/backend/reauth"
	"github.com/nhs-passkeys/companion/backend/session"
	"github.com/nhs-passkeys/companion/backend/store"
	"github.com/nhs-passkeys/companion/internal/softauthn"
)

const (
	raceOrigin = "http://localhost:8080"
	raceClient = "198.51.100.7"
)

// raceRig is a passkey service on a fresh database with one account holding one passkey,
// which the software authenticator a holds.
type raceRig struct {
	s       *Service
	db      *sql.DB
	limiter *lockout.Limiter
	a       *softauthn.Authenticator
	acct    account.Account
}

func newRaceRig(t *testing.T, engine store.Engine) *raceRig {
	t.Helper()
	ctx := t.Context()
	db := store.NewForTestOn(t, engine)
	clock := time.Now
	log := slog.New(slog.DiscardHandler)
	auditLog := audit.NewStore(clock)
	limiter := lockout.New([]byte("a test secret of thirty-two bytes"), clock, auditLog)
	sessions := session.NewService(db, auditLog, session.Options{Clock: clock, Log: log})
	proofs := reauth.NewService(sessions, clock)
	accounts, err := account.NewService(db, sessions, auditLog, limiter, proofs, clock, log,
		account.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
	if err != nil {
		t.Fatal(err)
	}
	rp, err := NewRelyingParty(raceOrigin)
	if err != nil {
		t.Fatal(err)
	}
	s := NewService(Deps{DB: db, RP: rp, Accounts: accounts, Sessions: sessions, Audit: auditLog, Limiter: limiter,
		Reauth: proofs, Clock: clock, Log: log})

	handle := make([]byte, 32)
	if _, err := rand.Read(handle); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO accounts (email, user_handle, created_at) VALUES ('pat@example.com', $1, 0)`, handle); err != nil {
		t.Fatal(err)
	}
	acct, found, err := accounts.ByEmail(ctx, "pat@example.com")
	if err != nil || !found {
		t.Fatalf("account: %v %v", found, err)
	}
	// The passkey, registered by go-webauthn itself (set-up is not under test here).
	u := &user{account: acct}
	creation, data, err := rp.BeginRegistration(u)
	if err != nil {
		t.Fatal(err)
	}
	options, err := json.Marshal(creation.Response)
	if err != nil {
		t.Fatal(err)
	}
	a := softauthn.New(raceOrigin)
	response, err := a.Create(options)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := parseCreation(response)
	if err != nil {
		t.Fatal(err)
	}
	cred, err := rp.CreateCredential(u, *data, parsed)
	if err != nil {
		t.Fatal(err)
	}
	p := newPasskey(acct.ID, cred, time.Now())
	p.Name = "Pat's phone"
	if _, err := s.store.insert(ctx, db, p); err != nil {
		t.Fatal(err)
	}
	return &raceRig{s: s, db: db, limiter: limiter, a: a, acct: acct}
}

// begin begins a discoverable login and signs it: the ceremony id and the assertion.
func (r *raceRig) begin(t *testing.T) (string, []byte) {
	t.Helper()
	id, options, err := r.s.BeginLogin(t.Context(), "", raceClient)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(options)
	if err != nil {
		t.Fatal(err)
	}
	assertion, err := r.a.Get(raw)
	if err != nil {
		t.Fatal(err)
	}
	return id, assertion
}

func (r *raceRig) finish(ctx context.Context, id string, assertion []byte) error {
	_, _, err := r.s.FinishLogin(ctx, "", id, assertion, raceClient)
	return err
}

func (r *raceRig) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := r.db.QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// wantCode fails unless err is the refusal code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if e, ok := apperr.As(err); !ok || e.Code != code {
		t.Fatalf("FinishLogin = %v, want the %s refusal", err, code)
	}
}

// once returns a loginChecked hook that runs f the first time only (f may itself finish a
// login, which calls the hook again: sync.Once would wait on itself).
func once(f func()) func() {
	var done atomic.Bool
	return func() {
		if done.CompareAndSwap(false, true) {
			f()
		}
	}
}

func TestLoginRacesAreSettledInsideTheWriteTransaction(t *testing.T) {
	store.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		t.Run("a passkey removed between the check and the write is refused, and no session is started", func(t *testing.T) {
			r := newRaceRig(t, engine)
			id, assertion := r.begin(t)
			r.s.loginChecked = once(func() {
				if _, err := r.db.ExecContext(context.Background(), `DELETE FROM passkeys`); err != nil {
					t.Error(err)
				}
			})
			wantCode(t, r.finish(t.Context(), id, assertion), "passkey_not_accepted")
			if n := r.count(t, `SELECT count(*) FROM sessions`); n != 0 {
				t.Errorf("%d sessions started", n)
			}
			if n := r.count(t, `SELECT count(*) FROM audit_events WHERE kind = 'login_failed'`); n != 1 {
				t.Errorf("%d failed logins audited, want 1", n)
			}
			if n := r.count(t, `SELECT count(*) FROM audit_events WHERE kind = 'signed_in'`); n != 0 {
				t.Errorf("%d sign-ins audited, want 0", n)
			}
			if n := r.count(t, `SELECT count(*) FROM ceremonies WHERE id = $1 AND used_at IS NOT NULL AND succeeded = 0`, id); n != 1 {
				t.Errorf("the ceremony is not remembered as used and refused")
			}
		})

		t.Run("the same ceremony finished twice at once signs in once, and the other is told it already worked", func(t *testing.T) {
			r := newRaceRig(t, engine)
			id, assertion := r.begin(t)
			// Both finishes are checked before either writes.
			var arrived sync.WaitGroup
			arrived.Add(2)
			r.s.loginChecked = func() { arrived.Done(); arrived.Wait() }
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() { errs[i] = r.finish(t.Context(), id, assertion) })
			}
			wg.Wait()
			var ok, used int
			for _, err := range errs {
				e, isRefusal := apperr.As(err)
				switch {
				case err == nil:
					ok++
				case isRefusal && e.Code == "ceremony_used":
					used++
				default:
					t.Errorf("a finish answered %v", err)
				}
			}
			if ok != 1 || used != 1 {
				t.Errorf("%d succeeded and %d were told ceremony_used, want 1 and 1", ok, used)
			}
			if n := r.count(t, `SELECT count(*) FROM sessions`); n != 1 {
				t.Errorf("%d sessions started, want 1", n)
			}
			if n := r.count(t, `SELECT sign_count FROM passkeys`); n != 1 {
				t.Errorf("sign count %d, want 1", n)
			}
			if n := r.count(t, `SELECT count(*) FROM audit_events WHERE kind = 'login_failed'`); n != 0 {
				t.Errorf("the second finish was counted as a failure")
			}
		})

		t.Run("a counter at or below one another login committed meanwhile is refused and flags the passkey", func(t *testing.T) {
			r := newRaceRig(t, engine)
			first, lower := r.begin(t) // counter 1
			second, higher := r.begin(t)
			r.s.loginChecked = once(func() {
				if err := r.finish(context.Background(), second, higher); err != nil { // counter 2, committed first
					t.Errorf("the other login: %v", err)
				}
			})
			wantCode(t, r.finish(t.Context(), first, lower), "passkey_flagged")
			if n := r.count(t, `SELECT clone_warning FROM passkeys`); n != 1 {
				t.Errorf("the passkey is not flagged")
			}
			if n := r.count(t, `SELECT sign_count FROM passkeys`); n != 2 {
				t.Errorf("sign count %d, want the other login's 2", n)
			}
			if n := r.count(t, `SELECT count(*) FROM audit_events WHERE kind = 'passkey_flagged'`); n != 1 {
				t.Errorf("%d flags audited, want 1", n)
			}
			// The other login's session ends with the flag: it may have been the copy's.
			if n := r.count(t, `SELECT count(*) FROM sessions`); n != 0 {
				t.Errorf("%d sessions, want none (the other login's ended when the passkey was flagged)", n)
			}
		})

		t.Run("a counter above one another login committed meanwhile still logs in", func(t *testing.T) {
			r := newRaceRig(t, engine)
			first, lower := r.begin(t) // counter 1
			second, higher := r.begin(t)
			r.s.loginChecked = once(func() {
				if err := r.finish(context.Background(), first, lower); err != nil { // counter 1, committed first
					t.Errorf("the other login: %v", err)
				}
			})
			if err := r.finish(t.Context(), second, higher); err != nil {
				t.Fatalf("FinishLogin = %v, want a login", err)
			}
			if n := r.count(t, `SELECT sign_count FROM passkeys WHERE clone_warning = 0`); n != 2 {
				t.Errorf("sign count %d (or flagged), want 2", n)
			}
			if n := r.count(t, `SELECT count(*) FROM sessions`); n != 2 {
				t.Errorf("%d sessions, want 2", n)
			}
		})

		t.Run("a pause that started between the check and the write refuses even a good assertion", func(t *testing.T) {
			r := newRaceRig(t, engine)
			id, assertion := r.begin(t)
			r.s.loginChecked = once(func() {
				keys := r.limiter.KeysFor("", raceClient, audit.MethodPasskey, 0)
				for range lockout.PasskeyClientRule.Limit {
					err := store.InTx(context.Background(), r.db, func(tx *sql.Tx) error {
						return r.limiter.Refuse(context.Background(), tx, keys, audit.LoginFailed, "passkey",
							apperr.LoginRefused.Wrap(errors.New("someone else's failures")))
					})
					if _, ok := apperr.As(err); !ok {
						t.Errorf("Refuse = %v", err)
					}
				}
			})
			wantCode(t, r.finish(t.Context(), id, assertion), "too_many_attempts")
			if n := r.count(t, `SELECT count(*) FROM sessions`); n != 0 {
				t.Errorf("%d sessions started", n)
			}
			if n := r.count(t, `SELECT sign_count FROM passkeys`); n != 0 {
				t.Errorf("the passkey's counter was written (%d)", n)
			}
			if n := r.count(t, `SELECT count(*) FROM ceremonies WHERE id = $1 AND used_at IS NULL`, id); n != 0 {
				t.Errorf("the ceremony was not consumed")
			}
		})
	})
}
