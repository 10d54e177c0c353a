// Package backend is the relying party and account service of the NHS passkeys companion:
// one http.Handler with a JSON API under /api (docs/api.md), SQLite storage, sessions and
// an audit trail, and the built frontend for every other GET. It knows nothing of Wails:
// the desktop shell wraps Handler.
package backend

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/activity"
	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/httpapi"
	"github.com/nhs-passkeys/companion/backend/lockout"
	"github.com/nhs-passkeys/companion/backend/origin"
	"github.com/nhs-passkeys/companion/backend/passkey"
	"github.com/nhs-passkeys/companion/backend/reauth"
	"github.com/nhs-passkeys/companion/backend/session"
	"github.com/nhs-passkeys/companion/backend/store"
)

// Config is what the program passes in (internal/cli).
type Config struct {
	DataDir string // folder for passkeys.db (created 0700; the db file and its -wal/-shm 0600)
	// DataFiles names the other files the app keeps in DataDir (the kiosk's record of wrong
	// administrator secrets), so that a folder holding only them and the database's files is
	// still the app's own, and is made private again if it was found looser (store.LockDir).
	DataFiles      []string
	Origin         string   // RP origin, e.g. "http://localhost:8080"; the RP ID is its host name
	RequestOrigins []string // extra Origin header values accepted on state-changing requests (the desktop webview)
	Ceremonies     string   // "browser" or "device" (empty means "browser"); reported by GET /api/config
	Kiosk          bool     // a shared, trusted-device set-up (the desktop app's --kiosk); reported by GET /api/config
	// System is the desktop app's operating system (runtime.GOOS), reported by GET /api/config
	// so that pages describe what it offers: on "windows", Windows' own dialogs for Windows
	// Hello, a phone or tablet and security keys; elsewhere, security keys in the app's steps.
	// Empty in serve mode, where the person's own browser and device decide.
	System   string
	Frontend fs.FS            // the built frontend (contents of frontend/dist); nil = API only
	Logger   *slog.Logger     // nil = discard
	Now      func() time.Time // nil = time.Now; tests inject a clock
	// Database, when set, is the PostgreSQL database (postgres://...) that the replicas of a
	// fleet share, used instead of DataDir's SQLite file (see README, Fleets).
	Database string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For client address is believed
	// (for lockouts and the activity list); with none, forwarding headers are ignored.
	TrustedProxies httpapi.TrustedProxies
}

// Option changes a setting that has a safe production default.
type Option func(*options)

type options struct {
	hashing         account.HashParams
	idleTimeout     time.Duration
	absoluteTimeout time.Duration
	locked          func() // Start's: called once the data folder is locked
}

// WithPasswordHashing sets the argon2id parameters for new password hashes. Production uses
// account.DefaultHashParams(); tests pass cheap ones so the suite stays fast.
func WithPasswordHashing(p account.HashParams) Option {
	return func(o *options) { o.hashing = p }
}

// WithSessionTimeouts overrides the idle and absolute session timeouts (zero keeps the
// default: session.DefaultIdleTimeout, session.DefaultAbsoluteTimeout).
func WithSessionTimeouts(idle, absolute time.Duration) Option {
	return func(o *options) { o.idleTimeout, o.absoluteTimeout = idle, absolute }
}

// Server is the backend: call Handler to serve it and Close when done.
type Server struct {
	db        *sql.DB
	lock      *store.DirLock // the data folder's lock, held until Close
	sessions  *session.Service
	log       *slog.Logger
	responder *httpapi.Responder
	handler   http.Handler
	frontend  fs.FS
	rpID      string
	mode      string
	kiosk     bool
	system    string
}

// New opens (and migrates) the database and builds the handler.
func New(ctx context.Context, cfg Config, opts ...Option) (*Server, error) {
	o := options{hashing: account.DefaultHashParams()}
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.DataDir == "" && cfg.Database == "" {
		return nil, errors.New("backend: DataDir or Database is required")
	}
	origin, edge, err := edgeOf(cfg)
	if err != nil {
		return nil, err
	}

	mode := cfg.Ceremonies
	switch mode {
	case "":
		mode = "browser"
	case "browser", "device":
	default:
		return nil, fmt.Errorf("backend: Ceremonies must be \"browser\" or \"device\", not %q", cfg.Ceremonies)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clock := cfg.Now
	if clock == nil {
		clock = time.Now
	}
	rp, err := passkey.NewRelyingParty(origin)
	if err != nil {
		return nil, fmt.Errorf("backend: %w", err)
	}

	db, lock, err := openDatabase(ctx, cfg, o.locked)
	if err != nil {
		return nil, err
	}

	// One server secret, generated once and kept in the database: the HMAC key of the
	// lockout keys, so they stay stable across restarts and the table holds no email.
	secret, err := store.Secret(ctx, db, "hmac")
	if err != nil {
		db.Close()
		_ = lock.Release() // err, the reason the server did not start, is the one to report
		return nil, err
	}
	auditLog := audit.NewStore(clock)
	limiter := lockout.New(secret, clock, auditLog)
	sessions := session.NewService(db, auditLog, session.Options{
		Secure:          strings.HasPrefix(origin, "https://"),
		IdleTimeout:     o.idleTimeout,
		AbsoluteTimeout: o.absoluteTimeout,
		Clock:           clock,
		Log:             log,
	})
	proofs := reauth.NewService(sessions, clock)
	accounts, err := account.NewService(db, sessions, auditLog, limiter, proofs, clock, log, o.hashing)
	if err != nil {
		db.Close()
		_ = lock.Release() // err, the reason the server did not start, is the one to report
		return nil, err
	}
	passkeys := passkey.NewService(passkey.Deps{DB: db, RP: rp, Accounts: accounts, Sessions: sessions, Audit: auditLog,
		Limiter: limiter, Reauth: proofs, Clock: clock, Log: log})

	s := &Server{
		db:        db,
		lock:      lock,
		sessions:  sessions,
		log:       log,
		responder: httpapi.NewResponder(log),
		frontend:  cfg.Frontend,
		rpID:      rp.Config.RPID,
		mode:      mode,
		kiosk:     cfg.Kiosk,
		system:    cfg.System,
	}

	accountH := account.NewHandler(accounts, sessions)
	sessionH := session.NewHandler(sessions)
	passkeyH := passkey.NewHandler(passkeys, sessions)
	activityH := activity.NewHandler(db, auditLog)
	// The route table: who may call what is read here, not inside each handler.
	routes := []httpapi.Route{
		{Method: "GET", Pattern: "/api/config", Handle: s.config},
		{Method: "GET", Pattern: "/api/session", Handle: sessionH.State},
		{Method: "POST", Pattern: "/api/logout", Handle: sessionH.Logout},
		{Method: "POST", Pattern: "/api/sessions/others/logout", Handle: sessionH.LogoutOthers, SignedIn: true},
		{Method: "POST", Pattern: "/api/accounts", Handle: accountH.Create},
		{Method: "POST", Pattern: "/api/account/password", Handle: accountH.ChangePassword, SignedIn: true},
		{Method: "GET", Pattern: "/api/activity", Handle: activityH.List, SignedIn: true},
		{Method: "POST", Pattern: "/api/login/password", Handle: accountH.LoginPassword},
		{Method: "POST", Pattern: "/api/login/passkey/begin", Handle: passkeyH.LoginBegin},
		{Method: "POST", Pattern: "/api/login/passkey/finish", Handle: passkeyH.LoginFinish},
		{Method: "POST", Pattern: "/api/reauth/password", Handle: accountH.Reauthenticate, SignedIn: true},
		{Method: "POST", Pattern: "/api/reauth/passkey/begin", Handle: passkeyH.ReauthBegin, SignedIn: true},
		{Method: "POST", Pattern: "/api/reauth/passkey/finish", Handle: passkeyH.ReauthFinish, SignedIn: true},
		{Method: "GET", Pattern: "/api/passkeys", Handle: passkeyH.List, SignedIn: true},
		{Method: "POST", Pattern: "/api/passkeys/register/begin", Handle: passkeyH.RegisterBegin, SignedIn: true},
		{Method: "POST", Pattern: "/api/passkeys/register/finish", Handle: passkeyH.RegisterFinish, SignedIn: true},
		{Method: "PATCH", Pattern: "/api/passkeys/{id}", Handle: passkeyH.Rename, SignedIn: true},
		{Method: "DELETE", Pattern: "/api/passkeys/{id}", Handle: passkeyH.Remove, SignedIn: true},
	}
	api := s.responder.Mount("/api", routes, session.RequireSignIn, session.NewMiddleware(sessions, accounts, s.responder).Wrap)

	s.handler = cfg.TrustedProxies.Wrap(withFrontend(s.responder, edge, s.frontend, api))
	return s, nil
}

// isAPI says whether path is the API's (docs/api.md) rather than the frontend's.
func isAPI(path string) bool { return path == "/api" || strings.HasPrefix(path, "/api/") }

// edgeOf returns the RP origin in the form browsers send it and the rules every request
// meets (httpapi.Edge): the Host names answered (the RP origin's, and the desktop webview's
// in the desktop app), the origins allowed to change anything, the security headers.
func edgeOf(cfg Config) (string, httpapi.Edge, error) {
	// One spelling for every origin (origin.Parse): the kiosks of a fleet write theirs the
	// same way, and a browser sends it so.
	rpOrigin, _, err := origin.Parse(cfg.Origin)
	if err != nil {
		return "", httpapi.Edge{}, fmt.Errorf("backend: the relying party's origin %w (write it as https://passkeys.example.org, or http://localhost:8080 on this computer)", err)
	}
	origins := append([]string{rpOrigin}, cfg.RequestOrigins...)
	hosts, err := httpapi.HostsOf(origins...)
	if err != nil {
		return "", httpapi.Edge{}, fmt.Errorf("backend: %w", err)
	}
	return rpOrigin, httpapi.Edge{Hosts: hosts, Origins: origins, Headers: securityHeaders}, nil
}

// openDatabase opens the fleet's PostgreSQL database when cfg.Database names one (no data
// folder, no lock: many replicas share it), else the SQLite file in cfg.DataDir under the
// folder's lock.
func openDatabase(ctx context.Context, cfg Config, locked func()) (*sql.DB, *store.DirLock, error) {
	if cfg.Database != "" {
		db, err := store.OpenPostgres(ctx, cfg.Database)
		return db, nil, err
	}
	// A data folder that cannot be used (a damaged, read-only, linked or newer database, a
	// folder we may not change) is refused with a message that says what to do, before
	// anything in it is created or changed, the lock file included.
	if err := store.CheckDir(ctx, cfg.DataDir); err != nil {
		return nil, nil, err
	}
	// One process per data folder (store.LockFileName): a second copy of the app is refused
	// with a message that says what to do, before it touches the database.
	lock, err := store.LockDir(cfg.DataDir, cfg.DataFiles...)
	if err != nil {
		return nil, nil, err
	}
	if locked != nil {
		locked()
	}
	// Open checks the file again, now under the lock: nothing can change it between that
	// check and the migrations.
	db, err := store.Open(ctx, filepath.Join(cfg.DataDir, store.FileName))
	if err != nil {
		_ = lock.Release() // err, the reason the database did not open, is the one to report
		return nil, nil, err
	}
	return db, lock, nil
}

// Handler is the whole app: the API under /api and the frontend for every other GET.
func (s *Server) Handler() http.Handler { return s.handler }

// Close writes the sessions' last uses that are only in memory, closes the database and
// then releases the data folder's lock.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.sessions.SaveLastUses(ctx); err != nil {
		// A session may end up to a minute early after the restart; nothing else is lost.
		s.log.Warn("could not record the sessions' last uses before closing", "err", err)
	}
	err := s.db.Close()
	if lerr := s.lock.Release(); err == nil {
		err = lerr
	}
	return err
}

// config serves GET /api/config.
func (s *Server) config(w http.ResponseWriter, _ *http.Request) error {
	httpapi.Write(w, http.StatusOK, struct {
		Ceremonies string `json:"ceremonies"`
		RPID       string `json:"rpId"`
		// Kiosk: the page keeps nothing of a patient and offers only portable authenticators.
		Kiosk  bool   `json:"kiosk"`
		System string `json:"system,omitempty"`
		// IdleTimeout (kiosk mode only), in seconds: the page also ends a visit nobody has
		// logged in to after this long with nothing done (frontend/src/shell/kiosk.ts).
		IdleTimeout int64 `json:"idleTimeout,omitempty"`
	}{s.mode, s.rpID, s.kiosk, s.system, kioskIdleSeconds(s.kiosk, s.sessions.IdleTimeout())})
	return nil
}

// kioskIdleSeconds is GET /api/config's idleTimeout: the idle timeout in whole seconds in
// kiosk mode, else 0 (left out).
func kioskIdleSeconds(kiosk bool, idle time.Duration) int64 {
	if !kiosk {
		return 0
	}
	return int64(idle / time.Second)
}

// securityHeaders are on every answer of the backend; the API's are never cached.
func securityHeaders(h http.Header, r *http.Request) {
	// img-src data: for the phone's QR code, which the device endpoints send as a PNG data
	// URL (docs/api.md, DeviceCeremony.qr); an image runs no script.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/") {
		h.Set("Cache-Control", "no-store")
	}
}
