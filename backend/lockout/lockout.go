// Package lockout counts failed attempts to prove who someone is (password login, passkey
// login, re-authentication) and locks out a subject (an email address, known or not) or a
// client (a remote address) that fails too often. Every path checks and counts the same
// keys, so switching from password to passkey, or to re-authentication, does not get round
// a lockout. Counts live in the database, so a restart does not reset them.
package lockout

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/store"
)

// Rule is how many failures within Window lock a key out, and for how long.
type Rule struct {
	Limit  int
	Window time.Duration
	Lock   time.Duration
}

// SubjectRule applies to one email address (OWASP Authentication Cheat Sheet: lock after a
// few failures, for a period rather than for ever, so an attacker cannot lock a person out
// permanently): 5 failures in 15 minutes lock it for 15 minutes.
var SubjectRule = Rule{Limit: 5, Window: 15 * time.Minute, Lock: 15 * time.Minute}

// ClientRule applies to one remote address: it stops one client trying a few passwords on
// each of many accounts. It is higher than SubjectRule because in the desktop app every
// request comes from the same client (a GP surgery kiosk serves many patients).
var ClientRule = Rule{Limit: 20, Window: 15 * time.Minute, Lock: 15 * time.Minute}

const (
	scopeSubject = "subject"
	scopeClient  = "client"
)

// Keys identify one attempt: who it claims to be and where it comes from.
type Keys struct {
	Subject       []byte // SubjectKey of the email; nil when no subject is known (e.g. an unknown passkey)
	Client        []byte // ClientKey of the remote address
	AccountID     int64  // the account involved, for the audit; 0 when none is known
	ClientAddress string // for the audit
	Method        string // audit.MethodPassword or audit.MethodPasskey
}

// Auditor records what happened.
type Auditor interface {
	Record(ctx context.Context, q store.DBTX, e audit.Event) error
}

// Limiter checks and counts failures.
type Limiter struct {
	secret  []byte
	clock   func() time.Time
	audit   Auditor
	subject Rule
	client  Rule
}

// New returns a Limiter whose keys are HMAC-SHA256 under secret (so the table holds no email
// or address) with SubjectRule and ClientRule.
func New(secret []byte, clock func() time.Time, auditor Auditor) *Limiter {
	return &Limiter{secret: secret, clock: clock, audit: auditor, subject: SubjectRule, client: ClientRule}
}

// SubjectKey is the key of a normalised email address. An email with no account has a key
// like any other: unknown emails are counted and locked exactly like known ones, so a
// lockout says nothing about whether an account exists.
func (l *Limiter) SubjectKey(email string) []byte { return l.mac("subject\x00" + email) }

// ClientKey is the key of a remote address ("" for the desktop app's in-process requests).
func (l *Limiter) ClientKey(address string) []byte { return l.mac("client\x00" + address) }

// KeysFor builds the Keys of an attempt by email (may be "" when unknown) from address.
func (l *Limiter) KeysFor(email, address, method string, accountID int64) Keys {
	k := Keys{Client: l.ClientKey(address), ClientAddress: address, Method: method, AccountID: accountID}
	if email != "" {
		k.Subject = l.SubjectKey(email)
	}
	return k
}

func (l *Limiter) mac(s string) []byte {
	m := hmac.New(sha256.New, l.secret)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// Check refuses (429 too_many_attempts) while the subject or the client is locked out. It
// runs before any credential is checked, so even the right password or passkey is refused
// during a lockout.
func (l *Limiter) Check(ctx context.Context, q store.DBTX, k Keys) (*apperr.E, error) {
	now := l.clock()
	var until time.Time
	for _, key := range []struct {
		scope string
		key   []byte
	}{{scopeSubject, k.Subject}, {scopeClient, k.Client}} {
		if key.key == nil {
			continue
		}
		var ms int64
		err := q.QueryRowContext(ctx, `SELECT until FROM lockouts WHERE scope = ? AND key = ? AND until > ?`,
			key.scope, key.key, store.Millis(now)).Scan(&ms)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("check lockout: %w", err)
		}
		if t := store.FromMillis(ms); t.After(until) {
			until = t
		}
	}
	if until.IsZero() {
		return nil, nil
	}
	return refusal(now, until, fmt.Errorf("locked out until %s", until.Format(time.RFC3339))), nil
}

// Fail counts a failed attempt against the subject and the client. When either reaches its
// limit it is locked out, the lockout is audited, and Fail returns the 429 refusal to give
// instead of the ordinary one; otherwise it returns nil.
func (l *Limiter) Fail(ctx context.Context, q store.DBTX, k Keys) (*apperr.E, error) {
	now := l.clock()
	var lockedUntil time.Time
	for _, key := range []struct {
		scope string
		key   []byte
		rule  Rule
	}{{scopeSubject, k.Subject, l.subject}, {scopeClient, k.Client, l.client}} {
		if key.key == nil {
			continue
		}
		// Old failures no longer count; forget them so the table stays small.
		if _, err := q.ExecContext(ctx, `DELETE FROM auth_failures WHERE scope = ? AND key = ? AND at <= ?`,
			key.scope, key.key, store.Millis(now.Add(-key.rule.Window))); err != nil {
			return nil, fmt.Errorf("forget old failures: %w", err)
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO auth_failures (scope, key, at) VALUES (?, ?, ?)`,
			key.scope, key.key, store.Millis(now)); err != nil {
			return nil, fmt.Errorf("count failure: %w", err)
		}
		var n int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM auth_failures WHERE scope = ? AND key = ?`,
			key.scope, key.key).Scan(&n); err != nil {
			return nil, fmt.Errorf("count failures: %w", err)
		}
		if n < key.rule.Limit {
			continue
		}
		// Locked: the count starts again from nothing when the lockout ends.
		until := now.Add(key.rule.Lock)
		if _, err := q.ExecContext(ctx, `INSERT INTO lockouts (scope, key, until) VALUES (?, ?, ?)
			ON CONFLICT (scope, key) DO UPDATE SET until = max(until, excluded.until)`,
			key.scope, key.key, store.Millis(until)); err != nil {
			return nil, fmt.Errorf("lock out: %w", err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM auth_failures WHERE scope = ? AND key = ?`, key.scope, key.key); err != nil {
			return nil, fmt.Errorf("reset failures: %w", err)
		}
		if err := l.audit.Record(ctx, q, audit.Event{AccountID: k.AccountID, Kind: audit.LockedOut, Detail: key.scope,
			Method: k.Method, Client: k.ClientAddress}); err != nil {
			return nil, err
		}
		if until.After(lockedUntil) {
			lockedUntil = until
		}
	}
	if lockedUntil.IsZero() {
		return nil, nil
	}
	return refusal(now, lockedUntil, errors.New("too many failures: locked out")), nil
}

// Succeed forgets the subject's failures after a successful attempt. The client's stay:
// otherwise one client could reset its count by logging in to an account of its own between
// guesses at others.
func (l *Limiter) Succeed(ctx context.Context, q store.DBTX, k Keys) error {
	if k.Subject == nil {
		return nil
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM auth_failures WHERE scope = ? AND key = ?`, scopeSubject, k.Subject); err != nil {
		return fmt.Errorf("forget failures: %w", err)
	}
	return nil
}

// refusal is the 429 answer: what happened and when to try again, in whole minutes.
func refusal(now, until time.Time, cause error) *apperr.E {
	wait := until.Sub(now)
	minutes := int((wait + time.Minute - 1) / time.Minute)
	if minutes < 1 {
		minutes = 1
	}
	when := fmt.Sprintf("%d minutes", minutes)
	if minutes == 1 {
		when = "1 minute"
	}
	return apperr.E{
		Code:       "too_many_attempts",
		Status:     429,
		Msg:        "You have tried too many times. For your security, wait " + when + ", then try again.",
		RetryAfter: int((wait + time.Second - 1) / time.Second),
	}.Wrap(cause)
}
