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
	"net/http"
	"time"

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
}

// NewService returns a session service over db.
func NewService(db *sql.DB, auditor Auditor, opts Options) *Service {
	s := &Service{db: db, audit: auditor, secure: opts.Secure, idle: opts.IdleTimeout, absolute: opts.AbsoluteTimeout, clock: opts.Clock}
	if s.idle <= 0 {
		s.idle = DefaultIdleTimeout
	}
	if s.absolute <= 0 {
		s.absolute = DefaultAbsoluteTimeout
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	return s
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
	now := s.clock()
	if oldToken != "" {
		if _, _, err := s.store.delete(ctx, tx, hashToken(oldToken)); err != nil {
			return "", err
		}
	}
	if err := s.store.deleteExpired(ctx, tx, now, s.idle); err != nil {
		return "", err
	}
	token, err := newToken()
	if err != nil {
		return "", err
	}
	if err := s.store.insert(ctx, tx, hashToken(token), accountID, now, now.Add(s.absolute)); err != nil {
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
// idle timeout). An expired session is deleted and found is false.
func (s *Service) Resolve(ctx context.Context, token string) (live Live, found bool, err error) {
	if token == "" {
		return Live{}, false, nil
	}
	h := hashToken(token)
	// A write on every request: in a transaction so it queues with the other writers
	// (store.InTx) instead of racing them in SQLite's busy handler.
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		live, found, err = s.store.touch(ctx, tx, h, s.clock(), s.idle)
		if err != nil || found {
			return err
		}
		// Unknown or expired: make sure nothing is left of it.
		_, _, err = s.store.delete(ctx, tx, h)
		return err
	})
	if err != nil || !found {
		return Live{}, false, err
	}
	return live, true, nil
}

// Peek returns the live session of token without recording any activity: the page asks
// "has my session ended?" when its countdown reaches zero, and that question must not itself
// keep the session alive (with two windows open, each asking would restart the other's
// countdown for ever).
func (s *Service) Peek(ctx context.Context, token string) (live Live, found bool, err error) {
	if token == "" {
		return Live{}, false, nil
	}
	return s.store.peek(ctx, s.db, hashToken(token), s.clock(), s.idle)
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
	if err := s.store.setToken(ctx, tx, sessionID, hashToken(token)); err != nil {
		return "", err
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
	http.SetCookie(w, &http.Cookie{
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
	http.SetCookie(w, &http.Cookie{
		Name:     s.CookieName(),
		Value:    "",
		Path:     "/",
		MaxAge:   -1, // written as Max-Age=0
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteStrictMode,
	})
}
