// Package passkey is the WebAuthn relying party: it sets up passkeys for a signed-in account,
// logs people in with them, re-authenticates them for a sensitive action, and renames and
// removes passkeys, on top of go-webauthn. It adds the rules go-webauthn leaves to us
// (../shared/PLATFORM-NOTES.md): single-use expiring ceremonies bound to their purpose, account and
// session; user verification by server policy; unique credential IDs of at most 1023 bytes;
// only the algorithms we asked for, and only public keys that can work (publickey.go); sign
// counts written back and regressions refused and flagged; the same answer for known and
// unknown emails; lockouts on every path; the last way to log in kept.
//
// One file per ceremony: register.go (setting up), login.go (logging in), reauth.go
// (confirming it's you), manage.go (renaming and removing); ceremony.go keeps what they share
// (single-use ceremonies), model.go the passkey itself, and service.go the service and what
// it depends on.
package passkey

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/lockout"
	"github.com/nhs-passkeys/companion/backend/reauth"
	"github.com/nhs-passkeys/companion/backend/store"
)

// CeremonyTimeout is how long a person has between begin and finish. It is both what the
// browser is told (options.timeout) and what we enforce.
const CeremonyTimeout = 5 * time.Minute

// RPDisplayName is the relying party name authenticators may show.
const RPDisplayName = "NHS login"

// Accounts finds accounts.
type Accounts interface {
	// ByIDIn reads through q: inside a transaction, the caller's tx.
	ByIDIn(ctx context.Context, q store.DBTX, id int64) (account.Account, bool, error)
	ByEmail(ctx context.Context, email string) (account.Account, bool, error)
}

// Sessions starts a signed-in session inside the caller's transaction (see account.Sessions),
// recording the passkey that logged it in, and ends the sessions a removed passkey logged in.
type Sessions interface {
	StartWithPasskey(ctx context.Context, tx *sql.Tx, oldToken string, accountID, passkeyID int64) (string, error)
	EndLoggedInWith(ctx context.Context, q store.DBTX, accountID int64, credentialID []byte, keep int64) (int64, error)
}

// Auditor records what happened.
type Auditor interface {
	Record(ctx context.Context, q store.DBTX, e audit.Event) error
}

// Limiter counts failed attempts and refuses during a lockout (package lockout).
type Limiter interface {
	KeysFor(email, address, method string, accountID int64) lockout.Keys
	Check(ctx context.Context, q store.DBTX, k lockout.Keys) error
	// PasskeyPause and PausedUntil are Check split in two, for a login that reads the pause
	// in the statement consuming its ceremony.
	PasskeyPause(k lockout.Keys) (scope string, key []byte, ok bool)
	PausedUntil(k lockout.Keys, until time.Time) error
	Refuse(ctx context.Context, q store.DBTX, k lockout.Keys, kind audit.Kind, detail string, refusal *apperr.E) error
	Succeed(ctx context.Context, q store.DBTX, k lockout.Keys) error
}

// Reauth issues and checks proofs of a fresh re-authentication (package reauth).
type Reauth interface {
	Issue(ctx context.Context, tx *sql.Tx, sessionID int64, action reauth.Action) (proof, token string, err error)
	Check(ctx context.Context, q store.DBTX, sessionID int64, action reauth.Action, proof string) (reauth.Grant, error)
	Use(ctx context.Context, tx *sql.Tx, sessionID int64, action reauth.Action, g reauth.Grant) error
	Require(ctx context.Context, tx *sql.Tx, sessionID int64, action reauth.Action, proof string) error
}

// NewRelyingParty configures go-webauthn for origin: the RP ID is the origin's host name,
// user verification is required (a passkey is the whole login, not a second factor), the
// passkey must be discoverable (BeginLogin sends no allowCredentials, so a non-discoverable
// credential could never be found; WebAuthn L3 §5.4.6), attestation is not asked for, and
// ceremonies expire after CeremonyTimeout.
func NewRelyingParty(origin string) (*webauthn.WebAuthn, error) {
	u, err := url.Parse(origin)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("relying party origin %q is not a URL with a host", origin)
	}
	required := true
	return webauthn.New(&webauthn.Config{
		RPID:                  u.Hostname(),
		RPDisplayName:         RPDisplayName,
		RPOrigins:             []string{origin},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: &required,
			UserVerification:   protocol.VerificationRequired,
		},
		// go-webauthn only checks SessionData.Expires when Enforce is set (../shared/PLATFORM-NOTES.md);
		// it measures with the wall clock. We also expire the stored ceremony with our own
		// (injectable) clock.
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: CeremonyTimeout, TimeoutUVD: CeremonyTimeout},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: CeremonyTimeout, TimeoutUVD: CeremonyTimeout},
		},
	})
}

// Service runs the ceremonies and manages passkeys.
type Service struct {
	db       *sql.DB
	store    Store
	rp       *webauthn.WebAuthn
	accounts Accounts
	sessions Sessions
	audit    Auditor
	limiter  Limiter
	reauth   Reauth
	clock    func() time.Time
	log      *slog.Logger
	// cleanUp paces the clearing out of ended ceremonies at begin (store.Periodic).
	cleanUp store.Periodic
	// loginChecked, set only by this package's tests, runs after a login's assertion was
	// checked and before its writes are queued: the window in which another request may
	// change what was checked (login_race_test.go).
	loginChecked func()
}

// Deps are the service's collaborators.
type Deps struct {
	DB       *sql.DB
	RP       *webauthn.WebAuthn
	Accounts Accounts
	Sessions Sessions
	Audit    Auditor
	Limiter  Limiter
	Reauth   Reauth
	Clock    func() time.Time
	Log      *slog.Logger
}

// NewService wires the service.
func NewService(d Deps) *Service {
	return &Service{db: d.DB, rp: d.RP, accounts: d.Accounts, sessions: d.Sessions, audit: d.Audit, limiter: d.Limiter,
		reauth: d.Reauth, clock: d.Clock, log: d.Log, cleanUp: store.Periodic{Period: time.Minute}}
}

// List returns an account's passkeys, oldest first.
func (s *Service) List(ctx context.Context, accountID int64) ([]Passkey, error) {
	return s.store.listByAccount(ctx, s.db, accountID)
}

func (s *Service) loadUser(ctx context.Context, q store.DBTX, acct account.Account) (*user, error) {
	passkeys, err := s.store.listByAccount(ctx, q, acct.ID)
	if err != nil {
		return nil, err
	}
	return &user{account: acct, passkeys: passkeys}, nil
}

// describe keeps go-webauthn's details and developer information in the logged cause.
func describe(err error) error {
	var pe *protocol.Error
	if !errors.As(err, &pe) {
		return err
	}
	var extra []string
	for _, s := range []string{pe.Details, pe.DevInfo} {
		if s != "" && !strings.Contains(err.Error(), s) {
			extra = append(extra, s)
		}
	}
	if len(extra) == 0 {
		return err
	}
	return fmt.Errorf("%w (%s)", err, strings.Join(extra, "; "))
}
