// Package session keeps people signed in with a cookie: random tokens, stored only as
// SHA-256 hashes, rotated at every login, with idle and absolute timeouts enforced here.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/store"
)

// Cookie names. The desktop shell's cookie jar imports these.
const (
	CookieName = "nhsp_session"
	// SecureCookieName is used when the origin is HTTPS: the __Host- prefix makes the
	// browser insist on Secure, Path=/ and no Domain, so no sibling host can set or read it.
	SecureCookieName = "__Host-nhsp_session"
)

// Default timeouts (OWASP Session Management: idle 15-30 min for a low-risk app, absolute
// 4-8 h for an office day; 12 h covers a long clinic day on a kiosk without a re-login).
const (
	DefaultIdleTimeout     = 30 * time.Minute
	DefaultAbsoluteTimeout = 12 * time.Hour
	tokenBytes             = 32 // 256 bits
)

// Auditor records what happened.
type Auditor interface {
	Record(ctx context.Context, q store.DBTX, e audit.Event) error
}

// Options configures a Service. Zero timeouts mean the defaults.
type Options struct {
	Secure          bool // origin is HTTPS: __Host- cookie with Secure
	IdleTimeout     time.Duration
	AbsoluteTimeout time.Duration
	Clock           func() time.Time
	Log             *slog.Logger // nil = discard
}

// Service starts, checks and ends sessions.
type Service struct {
	db       *sql.DB
	store    Store
	audit    Auditor
	secure   bool
	idle     time.Duration
	absolute time.Duration
	clock    func() time.Time
	log      *slog.Logger
	uses     lastUses
	// cleanUp paces the deletion of ended sessions at login (lastUseEvery): see
	// store.Periodic for why not at every login.
	cleanUp store.Periodic
}

// NewService returns a session service over db.
func NewService(db *sql.DB, auditor Auditor, opts Options) *Service {
	s := &Service{db: db, audit: auditor, secure: opts.Secure, idle: opts.IdleTimeout, absolute: opts.AbsoluteTimeout,
		clock: opts.Clock, log: opts.Log, uses: lastUses{every: lastUseEvery, byID: map[int64]lastUse{}},
		cleanUp: store.Periodic{Period: lastUseEvery}}
	if store.EngineOf(db) == store.Postgres {
		s.uses.every = 0 // shared by replicas: see lastUseEvery
	}
	if s.idle <= 0 {
		s.idle = DefaultIdleTimeout
	}
	if s.absolute <= 0 {
		s.absolute = DefaultAbsoluteTimeout
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Why a session's last use is written at most once a minute (issue 14, rule 5: a full disk
// never breaks reading). Every request with a session used to write its last use, so on a
// full disk even GET /api/passkeys answered 503. Now a request only reads the session; the
// last use is written when the stored one is a minute old or more (lastUseEvery), and a
// failed write is logged and the request answered as usual.
//
// The idle timeout stays exact, neither longer nor shorter: the service keeps each session's
// true last use in memory (lastUses) and judges a session by the later of that and the
// stored one. Only one process uses a data folder (store.LockDir), so memory is the whole
// truth while the app runs. What the database holds is never more than a minute behind
// (lastUseEvery) unless a write failed; a failed one is tried again by the session's next
// request a minute later and by the next login's clean-up, and everything is written when
// the app closes (SaveLastUses). So:
//   - a session never lives longer than its idle timeout: the stored last use is never later
//     than the true one;
//   - it never ends early while the app runs, nor after a clean restart; only after the app
//     was killed (or the computer lost power) may a session end up to a minute early, which
//     errs on the safe side;
//   - the clean-up at login deletes only sessions stored as idle for the timeout plus a
//     minute, so it never deletes one whose later use is only in memory. Ended sessions that
//     it leaves are refused (and deleted) by Resolve like any other.
//
// On PostgreSQL (a fleet) several replicas share the sessions and none can see another's
// memory, so every use is written (lastUses.every is 0): otherwise a replica that last
// wrote a session's use 59 seconds before a later one would leave the others believing the
// session idle a minute early, and the next request answered by one of them (a patient's
// "Stay logged in", seconds before the countdown ends) would end it. A failed write is
// logged and the request answered, as above.
const lastUseEvery = time.Minute

// lastUses is what the service knows of its sessions' last uses beyond the database.
type lastUses struct {
	every time.Duration // how old the stored last use may be before a use is written
	mu    sync.Mutex
	byID  map[int64]lastUse
}

type lastUse struct {
	at     time.Time // the latest request with the session
	stored time.Time // the last use the database holds, as far as this process knows
	tried  time.Time // when the last write was attempted
	failed bool      // that write failed, so the database may be behind by more than lastUseEvery
}

// latest is the session's last use: the later of stored (read from the database) and any
// later use known in memory.
func (u *lastUses) latest(id int64, stored time.Time) time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	if at := u.byID[id].at; at.After(stored) {
		return at
	}
	return stored
}

// use records a request with session id at now, stored being the last use the database
// holds; it reports whether the last use is due to be written (and then counts the write
// as attempted, so that concurrent requests do not all write it).
func (u *lastUses) use(id int64, stored, now time.Time) (write bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	e := u.byID[id]
	if now.After(e.at) {
		e.at = now
	}
	e.stored = stored // what the database holds is what it holds
	write = now.Sub(later(e.stored, e.tried)) >= u.every
	if write {
		e.tried = now
	}
	u.byID[id] = e
	return write
}

// wrote records the outcome of writing session id's last use at.
func (u *lastUses) wrote(id int64, at time.Time, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	e, ok := u.byID[id]
	if !ok {
		return
	}
	e.failed = err != nil
	if err == nil && at.After(e.stored) {
		e.stored = at
	}
	u.byID[id] = e
}

// unsaved returns the last uses the database is behind on: all of them (every is true), or
// only those whose write failed.
func (u *lastUses) unsaved(every bool) map[int64]time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := map[int64]time.Time{}
	for id, e := range u.byID {
		if e.at.After(e.stored) && (every || e.failed) {
			out[id] = e.at
		}
	}
	return out
}

// forget drops what is known of session id (it has ended).
func (u *lastUses) forget(id int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	delete(u.byID, id)
}

// prune drops every session last used at or before idleSince: they have ended, so there is
// nothing more to know about them, and memory stays bounded by the live sessions.
func (u *lastUses) prune(idleSince time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for id, e := range u.byID {
		if !later(e.at, e.stored).After(idleSince) {
			delete(u.byID, id)
		}
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Start creates a session for accountID inside tx and returns its token. The session the
// request came with (oldToken, may be "") is deleted first: a login always gets a new token,
// so a token planted before login is worthless after it (session fixation). The new session
// records the login as its authentication (authenticated_at) with its login grace unused.
func (s *Service) Start(ctx context.Context, tx *sql.Tx, oldToken string, accountID int64) (string, error) {
	return s.StartWithPasskey(ctx, tx, oldToken, accountID, 0)
}

// StartWithPasskey is Start for a login with passkey passkeyID: the session records it, so
// that removing the passkey ends the session (EndLoggedInWith).
func (s *Service) StartWithPasskey(ctx context.Context, tx *sql.Tx, oldToken string, accountID, passkeyID int64) (string, error) {
	now := s.clock()
	if oldToken != "" {
		if _, _, err := s.store.delete(ctx, tx, hashToken(oldToken)); err != nil {
			return "", err
		}
	}
	// Clear out ended sessions (at most once a minute: cleanUp). Last uses whose write
	// failed are written first, and a session counts as ended here only when stored as idle
	// for a minute more than the timeout (lastUseEvery): a later use may still be only in
	// memory.
	for id, at := range s.uses.unsaved(false) {
		if err := s.store.saveLastUse(ctx, tx, id, at); err != nil {
			return "", err
		}
	}
	if s.cleanUp.Due(now) {
		if err := s.store.deleteExpired(ctx, tx, now, s.idle+lastUseEvery); err != nil {
			return "", err
		}
		s.uses.prune(now.Add(-s.idle))
	}
	token, err := newToken()
	if err != nil {
		return "", err
	}
	if err := s.store.insert(ctx, tx, hashToken(token), accountID, passkeyID, now, now.Add(s.absolute)); err != nil {
		return "", err
	}
	return token, nil
}

// Live is a session that a request has just used.
type Live struct {
	ID, AccountID int64
	// IdleLeft is how long until the session ends if nothing else uses it (the idle timeout,
	// restarted by this request); Left is how long until it ends whatever happens (the
	// absolute timeout).
	IdleLeft, Left time.Duration
}

// Resolve returns the live session of token and records the activity (which restarts the
// idle timeout). An ended session is deleted and found is false. It fails only when the
// session cannot be read: recording the use and deleting an ended session are writes that
// may fail on a full disk, and a request that only reads must still be answered (see
// lastUseEvery).
func (s *Service) Resolve(ctx context.Context, token string) (live Live, found bool, err error) {
	if token == "" {
		return Live{}, false, nil
	}
	h := hashToken(token)
	now := s.clock()
	r, found, err := s.store.byToken(ctx, s.db, h)
	if err != nil || !found {
		return Live{}, false, err
	}
	if !r.expires.After(now) || !s.uses.latest(r.id, r.lastSeen).Add(s.idle).After(now) {
		s.uses.forget(r.id)
		err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
			return s.store.deleteEndedByToken(ctx, tx, h, now, s.idle)
		})
		if err != nil {
			// It stays refused: the next request finds it ended again.
			s.log.WarnContext(ctx, "could not delete an ended session; the request is answered as signed out", "session", r.id, "err", err)
		}
		return Live{}, false, nil
	}
	if s.uses.use(r.id, r.lastSeen, now) {
		err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
			return s.store.saveLastUse(ctx, tx, r.id, now)
		})
		s.uses.wrote(r.id, now, err)
		if err != nil {
			s.log.WarnContext(ctx, "could not record a session's last use; the request is answered anyway", "session", r.id, "err", err)
		}
	}
	return Live{ID: r.id, AccountID: r.accountID, IdleLeft: s.idle, Left: r.expires.Sub(now)}, true, nil
}

// Peek returns the live session of token without recording any activity: the page asks
// "has my session ended?" when its countdown reaches zero, and that question must not itself
// keep the session alive (with two windows open, each asking would restart the other's
// countdown for ever).
func (s *Service) Peek(ctx context.Context, token string) (live Live, found bool, err error) {
	if token == "" {
		return Live{}, false, nil
	}
	now := s.clock()
	r, found, err := s.store.byToken(ctx, s.db, hashToken(token))
	if err != nil || !found {
		return Live{}, false, err
	}
	idleEnds := s.uses.latest(r.id, r.lastSeen).Add(s.idle)
	if !r.expires.After(now) || !idleEnds.After(now) {
		return Live{}, false, nil
	}
	return Live{ID: r.id, AccountID: r.accountID, IdleLeft: idleEnds.Sub(now), Left: r.expires.Sub(now)}, true, nil
}

// SaveLastUses writes every last use that is only in memory, so that after a restart no
// session ends earlier than it would have (the app calls it as it closes).
func (s *Service) SaveLastUses(ctx context.Context) error {
	unsaved := s.uses.unsaved(true)
	if len(unsaved) == 0 {
		return nil
	}
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		for id, at := range unsaved {
			if err := s.store.saveLastUse(ctx, tx, id, at); err != nil {
				return err
			}
		}
		return nil
	})
	for id, at := range unsaved {
		s.uses.wrote(id, at, err)
	}
	return err
}

// newToken returns a fresh random token.
func newToken() (string, error) {
	raw := make([]byte, tokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// Rotate gives session sessionID a new token inside tx and returns it; the old token stops
// working. Re-authentication rotates (a token captured before it is worthless after it);
// the session keeps its id, so its proofs and ceremonies stay bound to it.
func (s *Service) Rotate(ctx context.Context, tx *sql.Tx, sessionID int64) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", err
	}
	found, err := s.store.setToken(ctx, tx, sessionID, hashToken(token))
	if err != nil {
		return "", err
	}
	if !found {
		// Ended since the request was let in (a logout, "log out everywhere else" or a new
		// password, on this replica or another): the request is answered as its session's
		// next one would be.
		return "", apperr.NotSignedIn().Wrap(fmt.Errorf("session %d ended during the request", sessionID))
	}
	return token, nil
}

// HasLoginGrace reports whether session sessionID logged in after since and its login grace
// is unused, or was kept for repeats of the action repeat ("" for none) (see package reauth).
func (s *Service) HasLoginGrace(ctx context.Context, q store.DBTX, sessionID int64, since time.Time, repeat string) (bool, error) {
	return s.store.hasLoginGrace(ctx, q, sessionID, since, repeat)
}

// TakeLoginGrace uses up the login grace of session sessionID as HasLoginGrace allows it,
// keeping it for further repeats of repeat when that is not "" (see package reauth); it
// reports whether it did.
func (s *Service) TakeLoginGrace(ctx context.Context, tx *sql.Tx, sessionID int64, since time.Time, repeat string) (bool, error) {
	return s.store.takeLoginGrace(ctx, tx, sessionID, since, repeat)
}

// EndOthers deletes every session of accountID except sessionID inside q's transaction and
// returns how many it ended. The caller audits.
func (s *Service) EndOthers(ctx context.Context, q store.DBTX, sessionID, accountID int64) (int64, error) {
	return s.store.deleteOthers(ctx, q, sessionID, accountID)
}

// EndLoggedInWith deletes, inside q's transaction, every session of accountID that the
// account's passkey with credentialID logged in, except session keep (the one removing the
// passkey), and returns how many it ended. Call it before the passkey's row is deleted. A
// patient removes the passkey of a lost or stolen device: whoever holds the device may be
// logged in with it, and must not stay so. The caller audits.
func (s *Service) EndLoggedInWith(ctx context.Context, q store.DBTX, accountID int64, credentialID []byte, keep int64) (int64, error) {
	return s.store.deleteLoggedInWith(ctx, q, accountID, credentialID, keep)
}

// SignOutEverywhereElse ends every other session of the account of sessionID, audited, and
// returns how many it ended.
func (s *Service) SignOutEverywhereElse(ctx context.Context, sessionID, accountID int64, client string) (int64, error) {
	var n int64
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var err error
		if n, err = s.store.deleteOthers(ctx, tx, sessionID, accountID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Event{AccountID: accountID, Kind: audit.SignedOutElsewhere,
			Detail: fmt.Sprintf("%d sessions", n), Client: client})
	})
	return n, err
}

// End deletes the session of token (if any) and audits the sign-out.
func (s *Service) End(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	return store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		accountID, found, err := s.store.delete(ctx, tx, hashToken(token))
		if err != nil || !found {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Event{AccountID: accountID, Kind: audit.SignedOut})
	})
}

// IdleTimeout is how long a session may go unused (Options.IdleTimeout, or the default).
func (s *Service) IdleTimeout() time.Duration { return s.idle }

// CookieName is the name of the session cookie for this origin.
func (s *Service) CookieName() string {
	if s.secure {
		return SecureCookieName
	}
	return CookieName
}

// Token returns the session token the request carries, or "".
func (s *Service) Token(r *http.Request) string {
	c, err := r.Cookie(s.CookieName())
	if err != nil {
		return ""
	}
	return c.Value
}

// SetCookie sends token as the session cookie: HttpOnly (no script reads it), SameSite=Strict
// (never sent on a cross-site request), Path=/; Secure with the __Host- name over HTTPS. It
// has no Max-Age, so a browser drops it when it closes; the server enforces the timeouts.
func (s *Service) SetCookie(w http.ResponseWriter, token string) {
	// Secure follows the origin: a Secure cookie over http://localhost (serve on loopback,
	// the desktop's in-process handler) would never be sent back.
	http.SetCookie(w, &http.Cookie{ //nolint:gosec // G124: HttpOnly and SameSite=Strict always; Secure over HTTPS, see above
		Name:     s.CookieName(),
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteStrictMode,
	})
}

// ClearCookie tells the client to drop the session cookie (Max-Age=0).
func (s *Service) ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{ //nolint:gosec // G124: the same attributes as SetCookie's, which says why
		Name:     s.CookieName(),
		Value:    "",
		Path:     "/",
		MaxAge:   -1, // written as Max-Age=0
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteStrictMode,
	})
}
