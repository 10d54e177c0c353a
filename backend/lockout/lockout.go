// Package lockout counts failed attempts to prove who someone is (password login, passkey
// login, re-authentication) and pauses a way in that fails too often. Counts live in the
// database, so a restart does not reset them.
//
// Passwords and passkeys are counted apart, because only a password can be guessed:
//   - A password is throttled per email address (known or not, so a pause says nothing about
//     whether an account exists) and per client (remote address), for logins and
//     re-authentication alike, so switching between them does not get round a pause.
//   - A passkey cannot be guessed (WebAuthn L3 §13.4.1: the private key never leaves the
//     authenticator, and every assertion signs a fresh challenge), so failed passwords never
//     pause the account's passkey: otherwise anyone who knows a patient's email could keep
//     them out by typing five wrong passwords every quarter of an hour. Failed passkey
//     assertions are throttled per client only (a client sending forged or replayed
//     assertions), never per email, so no stranger can pause a patient's passkey either.
package lockout

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
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

// PasskeyClientRule applies to failed passkey assertions from one remote address. Like
// ClientRule, it is not low: in the desktop app every patient at a kiosk is the same client.
var PasskeyClientRule = Rule{Limit: 20, Window: 15 * time.Minute, Lock: 15 * time.Minute}

// Scopes of the lockouts and auth_failures tables (their CHECK allows these two). A client's
// passkey failures are counted in the client scope under a key of their own (passkeyKey),
// apart from its password failures.
const (
	scopeSubject = "subject"
	scopeClient  = "client"
)

// Keys identify one attempt: who it claims to be and where it comes from.
type Keys struct {
	Subject       []byte // SubjectKey of the email (passwords only); nil when none is known
	Client        []byte // ClientKey of the remote address
	AccountID     int64  // the account involved, for the audit; 0 when none is known
	ClientAddress string // for the audit
	Method        string // audit.MethodPassword or audit.MethodPasskey
	Reauth        bool   // a re-authentication, not a login (only the wording of a pause differs)
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
	passkey Rule
}

// New returns a Limiter whose keys are HMAC-SHA256 under secret (so the table holds no email
// or address) with SubjectRule and ClientRule.
func New(secret []byte, clock func() time.Time, auditor Auditor) *Limiter {
	return &Limiter{secret: secret, clock: clock, audit: auditor, subject: SubjectRule, client: ClientRule,
		passkey: PasskeyClientRule}
}

// SubjectKey is the key of a normalised email address. An email with no account has a key
// like any other: unknown emails are counted and locked exactly like known ones, so a
// lockout says nothing about whether an account exists.
func (l *Limiter) SubjectKey(email string) []byte { return l.mac("subject\x00" + email) }

// ClientKey is the key of a remote address ("" for the desktop app's in-process requests).
// An IPv6 client is its /64 network, not its one address: a single host or home gets a whole
// /64 (RFC 6177 §3, RFC 7421) and may send each attempt from another address in it (RFC
// 8981 temporary addresses change on their own), so counting per address would let one
// client try without end. An IPv4 address is one client.
func (l *Limiter) ClientKey(address string) []byte {
	return l.mac("client\x00" + clientNetwork(address))
}

// clientNetwork is what identifies a client for counting: an IPv4 address as it is (an
// IPv4-mapped IPv6 address as its IPv4 address), an IPv6 address as its /64 prefix, and
// anything else (no address: the desktop app's requests) as it is. An IPv6 address that
// carries an IPv4 client's address is that IPv4 address: behind NAT64 or SIIT (the
// well-known prefix 64:ff9b::/96, RFC 6052 §2.1) every IPv4 client shares one /64, and so do
// all the Teredo clients of one Teredo server (2001::/32, RFC 4380 §4), so counting their /64
// would let a stranger pause everyone behind it.
func clientNetwork(address string) string {
	a, err := netip.ParseAddr(address)
	if err != nil {
		return address
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return a.String()
	}
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])).String()
	case teredo.Contains(a):
		// The client's public IPv4 address, stored with every bit inverted (RFC 4380 §4).
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}).String()
	}
	return netip.PrefixFrom(a, 64).Masked().String()
}

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	teredo = netip.MustParsePrefix("2001::/32")
)

// KeysFor builds the Keys of an attempt by email (may be "" when unknown) from address. The
// email is a key for passwords only (see the package comment).
func (l *Limiter) KeysFor(email, address, method string, accountID int64) Keys {
	k := Keys{Client: l.ClientKey(address), ClientAddress: address, Method: method, AccountID: accountID}
	if email != "" && method != audit.MethodPasskey {
		k.Subject = l.SubjectKey(email)
	}
	return k
}

// scoped is one counter an attempt is checked and counted against.
type scoped struct {
	scope string
	key   []byte
	rule  Rule
}

// counters are the counters of k's way in: a passkey's client, or a password's email and
// client. A key that is nil is skipped.
func (l *Limiter) counters(k Keys) []scoped {
	if k.Method == audit.MethodPasskey {
		return []scoped{{scopeClient, l.passkeyKey(k.Client), l.passkey}}
	}
	return []scoped{{scopeSubject, k.Subject, l.subject}, {scopeClient, k.Client, l.client}}
}

// passkeyKey is the key that counts a client's failed passkey assertions, derived from its
// ClientKey so that they never share a counter with its failed passwords.
func (l *Limiter) passkeyKey(client []byte) []byte {
	if client == nil {
		return nil
	}
	return l.mac("passkey\x00" + string(client))
}

func (l *Limiter) mac(s string) []byte {
	m := hmac.New(sha256.New, l.secret)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// Check refuses (429 too_many_attempts, an *apperr.E) while k's way in is paused (see
// counters). It runs before any credential is checked, so even the right password is refused
// during a pause.
func (l *Limiter) Check(ctx context.Context, q store.DBTX, k Keys) error {
	now := l.clock()
	var until time.Time
	for _, key := range l.counters(k) {
		if key.key == nil {
			continue
		}
		var ms int64
		err := q.QueryRowContext(ctx, `SELECT until FROM lockouts WHERE scope = $1 AND key = $2 AND until > $3`,
			key.scope, key.key, store.Millis(now)).Scan(&ms)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("check lockout: %w", err)
		}
		if t := store.FromMillis(ms); t.After(until) {
			until = t
		}
	}
	return l.paused(k, now, until)
}

// paused is Check's answer when k's way in is paused until until (the zero time: not paused).
func (l *Limiter) paused(k Keys, now, until time.Time) error {
	if !until.After(now) {
		return nil
	}
	return lockedOut(k, now, until, fmt.Errorf("%s locked out until %s", k.Method, until.Format(time.RFC3339)))
}

// PasskeyPause is the lockouts row (scope and key) whose until pauses k's passkey attempts,
// for a caller that reads it inside a statement of its own instead of calling Check: a
// login reads it in the statement that consumes its ceremony, one statement fewer inside
// the writer lock. ok is false when k (not a passkey attempt, or without a client) has none.
func (l *Limiter) PasskeyPause(k Keys) (scope string, key []byte, ok bool) {
	if k.Method != audit.MethodPasskey || k.Client == nil {
		return "", nil, false
	}
	return scopeClient, l.passkeyKey(k.Client), true
}

// PausedUntil is Check for a pause read by the caller (PasskeyPause): nil when until (the
// zero time for no row) is not after now, else the same 429 refusal.
func (l *Limiter) PausedUntil(k Keys, until time.Time) error {
	return l.paused(k, l.clock(), until)
}

// Refuse is the one place a failed attempt to prove who someone is (a wrong password, a
// passkey assertion refused, at login or re-authentication) is written down. Inside the
// caller's transaction q it audits the attempt (kind and detail, with k's account, method
// and client), counts it against the counters of k's way in and, when one reaches its limit,
// pauses that way in and audits the pause. It returns the answer to give, marked with
// store.CommitRefusal so that the transaction keeps all of this: the pause's 429 when this
// failure started one, else refusal.
func (l *Limiter) Refuse(ctx context.Context, q store.DBTX, k Keys, kind audit.Kind, detail string, refusal *apperr.E) error {
	if err := l.audit.Record(ctx, q, audit.Event{AccountID: k.AccountID, Kind: kind, Detail: detail,
		Method: k.Method, Client: k.ClientAddress}); err != nil {
		return err
	}
	now := l.clock()
	until, err := l.fail(ctx, q, k, now)
	if err != nil {
		return err
	}
	if !until.IsZero() {
		refusal = lockedOut(k, now, until, fmt.Errorf("too many %s failures: locked out", k.Method))
	}
	return store.CommitRefusal(refusal)
}

// fail counts a failed attempt at now against the counters of k's way in. When one reaches
// its limit that way in is paused and the pause is audited; fail returns the end of the
// pause, or the zero time when this failure paused nothing.
func (l *Limiter) fail(ctx context.Context, q store.DBTX, k Keys, now time.Time) (time.Time, error) {
	var lockedUntil time.Time
	for _, key := range l.counters(k) {
		if key.key == nil {
			continue
		}
		// Old failures no longer count; forget them so the table stays small.
		if _, err := q.ExecContext(ctx, `DELETE FROM auth_failures WHERE scope = $1 AND key = $2 AND at <= $3`,
			key.scope, key.key, store.Millis(now.Add(-key.rule.Window))); err != nil {
			return time.Time{}, fmt.Errorf("forget old failures: %w", err)
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO auth_failures (scope, key, at) VALUES ($1, $2, $3)`,
			key.scope, key.key, store.Millis(now)); err != nil {
			return time.Time{}, fmt.Errorf("count failure: %w", err)
		}
		// Count, then maybe pause: on PostgreSQL the caller's InTx is SERIALIZABLE, so two
		// replicas counting the same key at once cannot both see one short of the limit.
		var n int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM auth_failures WHERE scope = $1 AND key = $2`,
			key.scope, key.key).Scan(&n); err != nil {
			return time.Time{}, fmt.Errorf("count failures: %w", err)
		}
		if n < key.rule.Limit {
			continue
		}
		// Locked: the count starts again from nothing when the lockout ends.
		until := now.Add(key.rule.Lock)
		if _, err := q.ExecContext(ctx, `INSERT INTO lockouts (scope, key, until) VALUES ($1, $2, $3)
			ON CONFLICT (scope, key) DO UPDATE SET until = CASE WHEN lockouts.until > excluded.until THEN lockouts.until ELSE excluded.until END`,
			key.scope, key.key, store.Millis(until)); err != nil {
			return time.Time{}, fmt.Errorf("lock out: %w", err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM auth_failures WHERE scope = $1 AND key = $2`, key.scope, key.key); err != nil {
			return time.Time{}, fmt.Errorf("reset failures: %w", err)
		}
		if err := l.audit.Record(ctx, q, audit.Event{AccountID: k.AccountID, Kind: audit.LockedOut, Detail: key.scope,
			Method: k.Method, Client: k.ClientAddress}); err != nil {
			return time.Time{}, err
		}
		if until.After(lockedUntil) {
			lockedUntil = until
		}
	}
	return lockedUntil, nil
}

// Succeed forgets the email's password failures after a successful password attempt. The
// client's stay: otherwise one client could reset its count by logging in to an account of
// its own between guesses at others. (A passkey success forgets nothing: its only counter
// is the client's.)
func (l *Limiter) Succeed(ctx context.Context, q store.DBTX, k Keys) error {
	if k.Subject == nil || k.Method == audit.MethodPasskey {
		return nil
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM auth_failures WHERE scope = $1 AND key = $2`, scopeSubject, k.Subject); err != nil {
		return fmt.Errorf("forget failures: %w", err)
	}
	return nil
}

// lockedOut is the 429 answer. It says which way in is paused, until when (whole minutes, and
// the time on this computer's clock; the JSON also carries the time itself, for the page to
// show in the person's own time zone), and which way in still works. It does not blame the
// person: the failures may have been someone else's.
func lockedOut(k Keys, now, until time.Time, cause error) *apperr.E {
	wait := until.Sub(now)
	minutes := int((wait + time.Minute - 1) / time.Minute)
	if minutes < 1 {
		minutes = 1
	}
	when := fmt.Sprintf("%d minutes", minutes)
	if minutes == 1 {
		when = "1 minute"
	}
	at := ClockTime(until.In(time.Local))
	paused := fmt.Sprintf(" is paused for %s (until %s) because ", when, at)
	var msg string
	switch {
	case k.Method == audit.MethodPasskey && k.Reauth:
		msg = "Confirming it's you with a passkey on this device" + paused + "too many passkey attempts did not work. " +
			"Try again after " + at + "."
	case k.Method == audit.MethodPasskey:
		msg = "Logging in with a passkey on this device" + paused + "too many passkey attempts did not work. " +
			"You can log in with your password instead, or try your passkey again after " + at + "."
	case k.Reauth:
		// A passkey still confirms it's you (failed passwords never pause it), so say so, as
		// the login's pause does.
		msg = "Confirming it's you with your password" + paused + "the wrong password was entered too many times. " +
			"This may not have been you. If you have a passkey, it still works: you can confirm it's you with it now. " +
			"Or try your password again after " + at + "."
	default:
		msg = "Logging in with a password" + paused + "the wrong password was entered too many times. This may not " +
			"have been you. If you have a passkey, it still works: you can log in with it now. Or try your password again " +
			"after " + at + "."
	}
	e := apperr.TooManyAttempts.Wrap(cause)
	e.Msg = msg
	e.RetryAfter = int((wait + time.Second - 1) / time.Second)
	e.Paused, e.PausedUntil = k.Method, until.UTC()
	return e
}

// ClockTime writes t as NHS content style writes times: "9am", "3:45pm", "12pm" (midday).
func ClockTime(t time.Time) string {
	h, m := t.Hour(), t.Minute()
	suffix := "am"
	if h >= 12 {
		suffix = "pm"
	}
	h %= 12
	if h == 0 {
		h = 12
	}
	if m == 0 {
		return fmt.Sprintf("%d%s", h, suffix)
	}
	return fmt.Sprintf("%d:%02d%s", h, m, suffix)
}
