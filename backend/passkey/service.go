// Package passkey is the WebAuthn relying party: it sets up passkeys for a signed-in account,
// logs people in with them, re-authenticates them for a sensitive action, and renames and
// removes passkeys, on top of go-webauthn. It adds the rules go-webauthn leaves to us
// (PLATFORM-NOTES.md): single-use expiring ceremonies bound to their purpose, account and
// session; user verification by server policy; unique credential IDs of at most 1023 bytes;
// only the algorithms we asked for, and only public keys that can work (publickey.go); sign
// counts written back and regressions refused and flagged; the same answer for known and
// unknown emails; lockouts on every path; the last way to log in kept.
package passkey

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/lockout"
	"github.com/nhs-passkeys/companion/backend/passkey/aaguid"
	"github.com/nhs-passkeys/companion/backend/reauth"
	"github.com/nhs-passkeys/companion/backend/store"
)

// CeremonyTimeout is how long a person has between begin and finish. It is both what the
// browser is told (options.timeout) and what we enforce.
const CeremonyTimeout = 5 * time.Minute

// RPDisplayName is the relying party name authenticators may show.
const RPDisplayName = "NHS login"

var (
	errCeremonyExpired = apperr.E{Code: "ceremony_expired", Status: 400, Msg: "This took too long, so it was stopped. Try again."}
	errLoginRefused    = apperr.E{Code: "passkey_not_accepted", Status: 401, Msg: "We could not check your passkey. Try again, or log in another way."}
	// errOtherAccount: a login by email answered with a passkey of another account (or of
	// any account, after an email with none). It says only what the person can see for
	// themselves (the passkey they chose is not for the email they typed): the same for an
	// email with an account and one without.
	errOtherAccount  = apperr.E{Code: "passkey_not_accepted", Status: 401, Msg: "This passkey is not for the email address you entered. Check the email address, choose a different passkey, or log in with your password."}
	errReauthRefused = apperr.E{Code: "passkey_not_accepted", Status: 401, Msg: "We could not check your passkey. Try again."}
	errSetupRefused  = apperr.E{Code: "passkey_not_accepted", Status: 400, Msg: "We could not set up a passkey with this device or security key. Try again, or use a different device or security key."}
	errAlreadySetUp  = apperr.E{Code: "passkey_already_registered", Status: 409, Msg: "This passkey is already set up. Use a different device or security key."}
	errFlagged       = apperr.E{Code: "passkey_flagged", Status: 401, Msg: "We have stopped this passkey working because it may have been copied. Log in another way, for example with your password, then remove this passkey and set up a new one."}
	errUsePassword   = apperr.E{Code: "use_password", Status: 409, Msg: "You do not have a passkey you can use, so confirm it's you with your password instead."}
	errNameTaken     = apperr.E{Code: "name_taken", Status: 409, Msg: "You already have a passkey with this name. Choose a different name."}
	errLastWay       = apperr.E{Code: "last_way_to_log_in", Status: 409, Msg: "You cannot remove this passkey because it is the only way you can log in. Set up another passkey or a password first, then remove it."}

	// A second finish of a ceremony whose first finish was refused: it cannot be tried again
	// (single use), and it did not take too long either.
	errCeremonyTried = apperr.E{Code: "ceremony_expired", Status: 400, Msg: "This has already been tried and it did not work. Go back and try again."}
)

// Passkey is a registered WebAuthn credential.
type Passkey struct {
	ID                int64
	AccountID         int64
	CredentialID      []byte
	PublicKey         []byte // COSE_Key
	AAGUID            []byte
	SignCount         uint32
	CloneWarning      bool // flagged: its signature counter went backwards; refused from then on
	UserPresent       bool
	UserVerified      bool
	BackupEligible    bool
	BackupState       bool
	Transports        []string
	Attachment        string
	AttestationType   string
	AttestationFormat string
	Name              string
	CreatedAt         time.Time
	LastUsedAt        *time.Time
}

// MarshalJSON writes the API's Passkey object (docs/api.md).
func (p Passkey) MarshalJSON() ([]byte, error) {
	var lastUsed *string
	if p.LastUsedAt != nil {
		s := p.LastUsedAt.UTC().Format(time.RFC3339)
		lastUsed = &s
	}
	transports := p.Transports
	if transports == nil {
		transports = []string{}
	}
	var provider *string
	if info, ok := lookupAAGUID(p.AAGUID); ok {
		provider = &info.Name
	}
	return json.Marshal(struct {
		ID             string   `json:"id"`
		Name           string   `json:"name"`
		CreatedAt      string   `json:"createdAt"`
		LastUsedAt     *string  `json:"lastUsedAt"`
		BackupEligible bool     `json:"backupEligible"`
		BackedUp       bool     `json:"backedUp"`
		Transports     []string `json:"transports"`
		AAGUID         string   `json:"aaguid"`
		Provider       *string  `json:"provider"`
		StoredOn       string   `json:"storedOn"`
		Flagged        bool     `json:"flagged"`
	}{
		ID:             base64.RawURLEncoding.EncodeToString(p.CredentialID),
		Name:           p.Name,
		CreatedAt:      p.CreatedAt.UTC().Format(time.RFC3339),
		LastUsedAt:     lastUsed,
		BackupEligible: p.BackupEligible,
		BackedUp:       p.BackupState,
		Transports:     transports,
		AAGUID:         formatAAGUID(p.AAGUID),
		Provider:       provider,
		StoredOn:       storedOn(p),
		Flagged:        p.CloneWarning,
	})
}

// formatAAGUID writes a stored passkey's AAGUID; a passkey without one (or with a malformed
// one) has the zero AAGUID, as an authenticator that does not say its model sends
// (WebAuthn L3 §6.5.1), so the API's Passkey.aaguid is always a UUID.
func formatAAGUID(b []byte) string {
	if text, ok := aaguid.Format(b); ok {
		return text
	}
	return aaguid.Zero
}

// credential is the go-webauthn form of p.
func (p Passkey) credential() webauthn.Credential {
	transports := make([]protocol.AuthenticatorTransport, len(p.Transports))
	for i, t := range p.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	var flags protocol.AuthenticatorFlags
	for _, f := range []struct {
		set  bool
		flag protocol.AuthenticatorFlags
	}{
		{p.UserPresent, protocol.FlagUserPresent},
		{p.UserVerified, protocol.FlagUserVerified},
		{p.BackupEligible, protocol.FlagBackupEligible},
		{p.BackupState, protocol.FlagBackupState},
	} {
		if f.set {
			flags |= f.flag
		}
	}
	return webauthn.Credential{
		ID:                p.CredentialID,
		PublicKey:         p.PublicKey,
		AttestationType:   p.AttestationType,
		AttestationFormat: p.AttestationFormat,
		Transport:         transports,
		Flags:             webauthn.NewCredentialFlags(flags),
		Authenticator: webauthn.Authenticator{
			AAGUID:       p.AAGUID,
			SignCount:    p.SignCount,
			CloneWarning: p.CloneWarning,
			Attachment:   protocol.AuthenticatorAttachment(p.Attachment),
		},
	}
}

// usable drops flagged passkeys: they cannot log in, so they are neither offered nor counted
// as a way to log in.
func usable(passkeys []Passkey) []Passkey {
	out := make([]Passkey, 0, len(passkeys))
	for _, p := range passkeys {
		if !p.CloneWarning {
			out = append(out, p)
		}
	}
	return out
}

func findPasskey(passkeys []Passkey, credentialID []byte) (Passkey, bool) {
	for _, p := range passkeys {
		if bytes.Equal(p.CredentialID, credentialID) {
			return p, true
		}
	}
	return Passkey{}, false
}

// user is an account with passkeys, as go-webauthn wants it.
type user struct {
	account  account.Account
	passkeys []Passkey
}

func (u *user) WebAuthnID() []byte          { return u.account.UserHandle }
func (u *user) WebAuthnName() string        { return u.account.Email }
func (u *user) WebAuthnDisplayName() string { return u.account.Email }
func (u *user) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, len(u.passkeys))
	for i, p := range u.passkeys {
		out[i] = p.credential()
	}
	return out
}

// Accounts finds accounts.
type Accounts interface {
	// ByIDIn reads through q: inside a transaction, the caller's tx.
	ByIDIn(ctx context.Context, q store.DBTX, id int64) (account.Account, bool, error)
	ByEmail(ctx context.Context, email string) (account.Account, bool, error)
}

// Sessions starts a signed-in session inside the caller's transaction (see account.Sessions).
type Sessions interface {
	Start(ctx context.Context, tx *sql.Tx, oldToken string, accountID int64) (string, error)
}

// Auditor records what happened.
type Auditor interface {
	Record(ctx context.Context, q store.DBTX, e audit.Event) error
}

// Limiter counts failed attempts and refuses during a lockout (package lockout).
type Limiter interface {
	KeysFor(email, address, method string, accountID int64) lockout.Keys
	Check(ctx context.Context, q store.DBTX, k lockout.Keys) (*apperr.E, error)
	Fail(ctx context.Context, q store.DBTX, k lockout.Keys) (*apperr.E, error)
	Succeed(ctx context.Context, q store.DBTX, k lockout.Keys) error
}

// Reauth issues and checks proofs of a fresh re-authentication (package reauth).
type Reauth interface {
	Issue(ctx context.Context, tx *sql.Tx, sessionID int64, action reauth.Action) (proof, token string, err error)
	Check(ctx context.Context, q store.DBTX, sessionID int64, action reauth.Action, proof string) (reauth.Grant, *apperr.E, error)
	Use(ctx context.Context, tx *sql.Tx, sessionID int64, action reauth.Action, g reauth.Grant) (*apperr.E, error)
	Require(ctx context.Context, tx *sql.Tx, sessionID int64, action reauth.Action, proof string) (*apperr.E, error)
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
		// go-webauthn only checks SessionData.Expires when Enforce is set (PLATFORM-NOTES.md);
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
		reauth: d.Reauth, clock: d.Clock, log: d.Log}
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

// newCeremonyID returns 128 random bits, base64url.
func newCeremonyID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("ceremony id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// saveCeremony stores the server side of a ceremony begun now through q and returns its id.
// saveCeremonyNow stores a ceremony in a transaction of its own, so that it queues with the
// other writers (store.InTx) instead of racing them in SQLite's busy handler.
func (s *Service) saveCeremonyNow(ctx context.Context, c ceremony, data *webauthn.SessionData) (id string, err error) {
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		id, err = s.saveCeremony(ctx, tx, c, data)
		return err
	})
	return id, err
}

func (s *Service) saveCeremony(ctx context.Context, q store.DBTX, c ceremony, data *webauthn.SessionData) (string, error) {
	id, err := newCeremonyID()
	if err != nil {
		return "", err
	}
	now := s.clock()
	c.ID, c.Data, c.CreatedAt, c.ExpiresAt = id, *data, now, now.Add(CeremonyTimeout)
	if err := s.store.saveCeremony(ctx, q, c); err != nil {
		return "", err
	}
	return id, nil
}

// ceremonyWant is what a finish expects of its ceremony.
type ceremonyWant struct {
	purposes  []string
	accountID int64 // 0: any
	sessionID int64 // 0: any
}

// mismatch says why a ceremony begun for purpose, account and session is not the one the
// finish wants, or "" when it is.
func (want ceremonyWant) mismatch(purpose string, accountID, sessionID int64) string {
	switch {
	case want.accountID != 0 && accountID != want.accountID:
		return "ceremony belongs to another account"
	case want.sessionID != 0 && sessionID != want.sessionID:
		return "ceremony belongs to another session"
	case !slices.Contains(want.purposes, purpose):
		return "ceremony is for " + purpose
	}
	return ""
}

// ceremonyUsed answers a second finish of a ceremony whose first finish succeeded, most
// often a double click: 409 (RFC 9110 §15.5.10: the request is well formed, but the
// ceremony's state, already completed, conflicts with finishing it again), with a code of
// its own and a message that says it already worked, so that the page can go on as after
// the first. It changes nothing: no second passkey, session or proof, and no failure
// counted towards a lockout.
func ceremonyUsed(purpose string) apperr.E {
	msg := "You have already logged in with your passkey."
	switch purpose {
	case purposeRegistration:
		msg = "Your passkey is already set up. You do not need to set it up again."
	case purposeReauth:
		msg = "You have already confirmed it's you."
	}
	return apperr.E{Code: "ceremony_used", Status: http.StatusConflict, Msg: msg}
}

// usedCeremonyMemory is how long a used ceremony is remembered (used_ceremonies.forget_at):
// as long as a ceremony lives, so a ceremony finished at the last moment is still
// recognised when the second finish comes after its expiry.
const usedCeremonyMemory = CeremonyTimeout

// takeCeremony consumes the ceremony id inside tx, and remembers it as used (not, or not
// yet, successfully: the finish calls s.store.ceremonySucceeded when it succeeds, in the
// same transaction). It returns a refusal when the ceremony cannot be finished:
//   - it was already used: 409 ceremony_used when that finish succeeded, else 400
//     ceremony_expired "already tried" (the ceremony must be begun again either way);
//   - it is unknown (never begun, or forgotten), has expired, or was begun for another
//     purpose, account or session: 400 ceremony_expired. The binding is checked for a used
//     ceremony too, so another session learns nothing from a replay.
//
// Consumed whatever the outcome: a ceremony is single use.
func (s *Service) takeCeremony(ctx context.Context, tx *sql.Tx, id string, want ceremonyWant) (ceremony, *apperr.E, error) {
	if id == "" {
		return ceremony{}, errCeremonyExpired.Wrap(errors.New("no ceremony id")), nil
	}
	now := s.clock()
	c, found, err := s.store.takeCeremony(ctx, tx, id)
	if err != nil {
		return ceremony{}, nil, err
	}
	if !found {
		used, remembered, err := s.store.usedCeremony(ctx, tx, id)
		switch {
		case err != nil:
			return ceremony{}, nil, err
		case !remembered || !now.Before(used.ForgetAt):
			return ceremony{}, errCeremonyExpired.Wrap(errors.New("unknown ceremony")), nil
		}
		if why := want.mismatch(used.Purpose, used.AccountID, used.SessionID); why != "" {
			return ceremony{}, errCeremonyExpired.Wrap(errors.New("used " + why)), nil
		}
		if used.Succeeded {
			return ceremony{}, ceremonyUsed(used.Purpose).Wrap(errors.New("second finish of a ceremony that succeeded")), nil
		}
		return ceremony{}, errCeremonyTried.Wrap(errors.New("second finish of a ceremony that was refused")), nil
	}
	if !now.Before(c.ExpiresAt) {
		return ceremony{}, errCeremonyExpired.Wrap(fmt.Errorf("ceremony expired at %s", c.ExpiresAt.Format(time.RFC3339))), nil
	}
	if err := s.store.recordCeremonyUse(ctx, tx, c, now.Add(usedCeremonyMemory)); err != nil {
		return ceremony{}, nil, err
	}
	if why := want.mismatch(c.Purpose, c.AccountID, c.SessionID); why != "" {
		return ceremony{}, errCeremonyExpired.Wrap(errors.New(why)), nil
	}
	return c, nil, nil
}

// BeginRegistration starts setting up a passkey for the signed-in account: creation options
// that exclude the passkeys the account already has (so an authenticator does not make a
// second one) and ask only for the algorithms we accept. Adding a passkey is a sensitive
// action: it needs a proof for add-passkey or the login grace, checked here and used up when
// the passkey is stored (so a cancelled set-up can be begun again).
func (s *Service) BeginRegistration(ctx context.Context, cur account.SignedIn, proof string) (string, protocol.PublicKeyCredentialCreationOptions, error) {
	var (
		none    protocol.PublicKeyCredentialCreationOptions
		id      string
		options protocol.PublicKeyCredentialCreationOptions
	)
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		grant, refusal, err := s.reauth.Check(ctx, tx, cur.SessionID, reauth.AddPasskey, proof)
		if err != nil {
			return err
		}
		if refusal != nil {
			return refusal
		}
		u, err := s.loadUser(ctx, tx, cur.Account)
		if err != nil {
			return err
		}
		creation, data, err := s.rp.BeginRegistration(u,
			webauthn.WithExclusions(webauthn.Credentials(u.WebAuthnCredentials()).CredentialDescriptors()),
			webauthn.WithCredentialParameters(credentialParameters()),
			webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementRequired),
			webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
		)
		if err != nil {
			return fmt.Errorf("begin registration: %w", err)
		}
		id, err = s.saveCeremony(ctx, tx, ceremony{Purpose: purposeRegistration, AccountID: cur.Account.ID, SessionID: cur.SessionID,
			Grant: grant}, data)
		options = creation.Response
		return err
	})
	if err != nil {
		return "", none, err
	}
	return id, options, nil
}

// FinishRegistration checks the authenticator's answer and stores the new passkey. The
// ceremony is consumed first, in the same transaction, so it is single-use whatever the
// outcome; a refusal stores nothing else.
func (s *Service) FinishRegistration(ctx context.Context, cur account.SignedIn, ceremonyID string, response json.RawMessage) (Passkey, error) {
	var (
		saved   Passkey
		refusal *apperr.E
	)
	acct := cur.Account
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		c, refused, err := s.takeCeremony(ctx, tx, ceremonyID, ceremonyWant{
			purposes: []string{purposeRegistration}, accountID: acct.ID, sessionID: cur.SessionID})
		if err != nil || refused != nil {
			refusal = refused
			return err
		}
		parsed, err := parseCreation(response)
		if err != nil {
			refusal = errSetupRefused.Wrap(err)
			return nil
		}
		u, err := s.loadUser(ctx, tx, acct)
		if err != nil {
			return err
		}
		// WebAuthn L3 §7.1 (go-webauthn): challenge, type, origin, RP ID hash, UP, UV
		// (required by the session data we stored), algorithm in pubKeyCredParams,
		// attestation "none", BE/BS consistency.
		cred, err := s.rp.CreateCredential(u, c.Data, parsed)
		if err != nil {
			refusal = errSetupRefused.Wrap(describe(err))
			return nil
		}
		// Our own policy, whatever a ceremony's stored options say. A key that cannot work
		// is refused here, before the proof or grace is used and before anything is stored
		// (the ceremony alone is used up), so the person can try again at once.
		if err := checkNewCredential(parsed, cred, c.Data.CredParams); err != nil {
			refusal = errSetupRefused.Wrap(err)
			return nil
		}
		// WebAuthn L3 §7.1 "verify that the credentialId is not yet registered for any
		// user": go-webauthn leaves this to us. The UNIQUE index is the last line.
		if _, taken, err := s.store.accountOfCredential(ctx, tx, cred.ID); err != nil {
			return err
		} else if taken {
			refusal = errAlreadySetUp.Wrap(errors.New("credential id already registered"))
			return nil
		}
		// The proof or login grace that allowed the set-up is used up with it.
		if refused, err := s.reauth.Use(ctx, tx, cur.SessionID, reauth.AddPasskey, c.Grant); err != nil || refused != nil {
			refusal = refused
			return err
		}
		p := newPasskey(acct.ID, cred, s.clock())
		p.Name = uniqueName(defaultName(p), u.passkeys)
		id, err := s.store.insert(ctx, tx, p)
		if store.IsUniqueViolation(err) {
			// Cannot happen after the check above (the transaction holds the write lock);
			// if it does, everything rolls back, the grant included.
			return errAlreadySetUp.Wrap(err)
		}
		if err != nil {
			return err
		}
		p.ID = id
		if err := s.audit.Record(ctx, tx, audit.Event{AccountID: acct.ID, Kind: audit.PasskeyAdded, PasskeyName: p.Name}); err != nil {
			return err
		}
		saved = p
		return s.store.ceremonySucceeded(ctx, tx, c.ID)
	})
	if err != nil {
		return Passkey{}, err
	}
	if refusal != nil {
		return Passkey{}, refusal
	}
	return saved, nil
}

func newPasskey(accountID int64, c *webauthn.Credential, now time.Time) Passkey {
	transports := make([]string, len(c.Transport))
	for i, t := range c.Transport {
		transports[i] = string(t)
	}
	return Passkey{
		AccountID:         accountID,
		CredentialID:      c.ID,
		PublicKey:         c.PublicKey,
		AAGUID:            c.Authenticator.AAGUID,
		SignCount:         c.Authenticator.SignCount,
		UserPresent:       c.Flags.UserPresent,
		UserVerified:      c.Flags.UserVerified,
		BackupEligible:    c.Flags.BackupEligible,
		BackupState:       c.Flags.BackupState,
		Transports:        transports,
		Attachment:        string(c.Authenticator.Attachment),
		AttestationType:   c.AttestationType,
		AttestationFormat: c.AttestationFormat,
		CreatedAt:         now.UTC(),
	}
}

// BeginLogin starts a passkey login. The options are the same for every email, and for no
// email: no allowCredentials, so the authenticator offers the discoverable passkeys it holds
// for this site and its answer's user handle names the account (WebAuthn L3 §5.4.5
// allowCredentials, §7.2 step 6). So the email step reveals nothing to someone who knows none
// of an account's passkeys: not whether the email has an account, nor whether it has
// passkeys, nor their number, IDs or transports (which an allow list would list). We chose
// this over decoy allow lists: decoys can only imitate the lengths, counts and transports
// of the authenticators we know of, and any other would stand out. The cost, that a
// passkey must be discoverable, is met at registration (residentKey "required").
//
// The email binds the ceremony to its account (0 for an unknown email): FinishLogin accepts
// only a passkey of that account. Every email does the same work (one account query); a
// pause of this client's passkey attempts answers 429 too_many_attempts for every email
// alike. A paused password never pauses this (package lockout).
func (s *Service) BeginLogin(ctx context.Context, rawEmail, client string) (string, protocol.PublicKeyCredentialRequestOptions, error) {
	var none protocol.PublicKeyCredentialRequestOptions
	email := account.NormaliseEmail(rawEmail)
	if email != "" {
		if msg := account.EmailProblem(email); msg != "" {
			return "", none, apperr.Invalid(map[string]string{"email": msg})
		}
	}
	keys := s.limiter.KeysFor("", client, audit.MethodPasskey, 0)
	if refused, err := s.limiter.Check(ctx, s.db, keys); err != nil || refused != nil {
		return "", none, errOr(err, refused)
	}
	c := ceremony{Purpose: purposeLoginDiscoverable}
	if email != "" {
		// For an unknown email acct.ID is 0, after the same query.
		acct, _, err := s.accounts.ByEmail(ctx, email)
		if err != nil {
			return "", none, err
		}
		c = ceremony{Purpose: purposeLoginEmail, AccountID: acct.ID}
	}
	assertion, data, err := s.rp.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return "", none, fmt.Errorf("begin login: %w", err)
	}
	id, err := s.saveCeremonyNow(ctx, c, data)
	return id, assertion.Response, err
}

// errOr returns err when there is one, else the refusal.
func errOr(err error, refusal *apperr.E) error {
	if err != nil {
		return err
	}
	return refusal
}

// assertionCheck is the outcome of checking an assertion against an account's passkeys.
type assertionCheck struct {
	parsed  *protocol.ParsedCredentialAssertionData
	user    *user
	passkey Passkey // the stored passkey that signed
	cred    *webauthn.Credential
}

// verifyAssertion runs go-webauthn's checks (WebAuthn L3 §7.2) and ours on an assertion for
// u's passkeys. A refusal comes back as cause (for the log) and template (for the person);
// a flagged or newly regressed passkey as errFlagged. A newly detected counter regression
// flags the passkey and audits it inside tx.
func (s *Service) verifyAssertion(ctx context.Context, tx *sql.Tx, check *assertionCheck) (cause error, template *apperr.E, err error) {
	p, found := findPasskey(check.user.passkeys, check.cred.ID)
	if !found {
		return errors.New("validated credential is not among the account's passkeys"), nil, nil
	}
	check.passkey = p
	if p.CloneWarning {
		return errors.New("passkey is flagged (its signature counter went backwards before)"), &errFlagged, nil
	}
	// WebAuthn L3 §7.2 step 22 (signCount): a counter that did not increase (and is not 0 on
	// both sides) may mean a cloned authenticator. go-webauthn only sets CloneWarning; we
	// refuse the login and flag the passkey, which stays refused, and audit it.
	if check.cred.Authenticator.CloneWarning {
		if err := s.store.flagCloneWarning(ctx, tx, p.CredentialID); err != nil {
			return nil, nil, err
		}
		if err := s.audit.Record(ctx, tx, audit.Event{AccountID: p.AccountID, Kind: audit.PasskeyFlagged, PasskeyName: p.Name,
			Detail: "signature counter went backwards"}); err != nil {
			return nil, nil, err
		}
		return errors.New("signature counter did not increase"), &errFlagged, nil
	}
	// Server policy: user presence and verification are required, whatever the stored
	// ceremony says. Read from this assertion's authenticator data: the credential go-webauthn
	// returns keeps the UV flag stored at registration.
	if flags := check.parsed.Response.AuthenticatorData.Flags; !flags.HasUserPresent() || !flags.HasUserVerified() {
		return errors.New("user not present or not verified (UV required by server policy)"), nil, nil
	}
	return nil, nil, nil
}

// FinishLogin checks a passkey assertion and, if it is good, writes the updated passkey back
// and starts a session in one transaction. It returns the account and the session token.
// Refusals are audited and count towards a lockout; during a lockout even a good assertion
// is refused (429 too_many_attempts) and nothing is written but the consumed ceremony.
func (s *Service) FinishLogin(ctx context.Context, oldToken, ceremonyID string, response json.RawMessage, client string) (account.Account, string, error) {
	var (
		signedIn account.Account
		token    string
		refusal  *apperr.E
	)
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		// Consumed before anything is verified: single use on success and on failure.
		c, refused, err := s.takeCeremony(ctx, tx, ceremonyID, ceremonyWant{purposes: []string{purposeLoginEmail, purposeLoginDiscoverable}})
		if err != nil || refused != nil {
			refusal = refused
			return err
		}
		// Failed passkeys are counted per client only (package lockout).
		keys := s.limiter.KeysFor("", client, audit.MethodPasskey, c.AccountID)
		refuse := func(cause error, template *apperr.E) error {
			if template == nil {
				template = &errLoginRefused
			}
			refusal = template.Wrap(cause)
			if err := s.audit.Record(ctx, tx, audit.Event{AccountID: keys.AccountID, Kind: audit.LoginFailed, Detail: "passkey",
				Method: audit.MethodPasskey, Client: client}); err != nil {
				return err
			}
			locked, err := s.limiter.Fail(ctx, tx, keys)
			if locked != nil {
				refusal = locked
			}
			return err
		}

		// During a pause nothing is checked or counted (attempts then do not extend it).
		if refusal, err = s.limiter.Check(ctx, tx, keys); err != nil || refusal != nil {
			return err
		}
		parsed, err := parseAssertion(response)
		if err != nil {
			return refuse(err, nil)
		}
		// The account is the owner of the credential ID...
		owner, err := s.ownerOf(ctx, tx, parsed.RawID)
		if err != nil {
			return err
		}
		if owner != nil && keys.AccountID == 0 {
			keys.AccountID = owner.account.ID
		}
		// ...and, when the login began with an email, it must be that email's account (an
		// unknown email has none, so every passkey is refused).
		if c.Purpose == purposeLoginEmail && owner != nil && owner.account.ID != c.AccountID {
			return refuse(errors.New("the passkey is not one of the account of the email typed"), &errOtherAccount)
		}
		if c.Purpose == purposeLoginEmail && owner == nil {
			return refuse(errors.New("no passkey with this credential id"), nil)
		}
		// WebAuthn L3 §7.2 step 6: with no allowCredentials, the user handle identifies the
		// account, and it must own the credential.
		handler := func(rawID, userHandle []byte) (webauthn.User, error) {
			if owner == nil || !bytes.Equal(owner.account.UserHandle, userHandle) {
				return nil, errors.New("no passkey with this credential id and user handle")
			}
			return owner, nil
		}
		check := &assertionCheck{parsed: parsed}
		wu, cred, err := s.rp.ValidatePasskeyLogin(handler, c.Data, parsed)
		if err != nil {
			return refuse(describe(err), nil)
		}
		check.user, check.cred = wu.(*user), cred

		if cause, template, err := s.verifyAssertion(ctx, tx, check); err != nil {
			return err
		} else if cause != nil {
			return refuse(cause, template)
		}
		// After every login the stored passkey is updated (counter, flags, last use) in the
		// same transaction that creates the session.
		if err := s.store.recordUse(ctx, tx, check.cred.ID, check.cred, s.clock()); err != nil {
			return err
		}
		if err := s.limiter.Succeed(ctx, tx, keys); err != nil {
			return err
		}
		if token, err = s.sessions.Start(ctx, tx, oldToken, check.user.account.ID); err != nil {
			return err
		}
		if err := s.audit.Record(ctx, tx, audit.Event{AccountID: check.user.account.ID, Kind: audit.SignedIn, Detail: audit.MethodPasskey,
			Method: audit.MethodPasskey, PasskeyName: check.passkey.Name, Client: client}); err != nil {
			return err
		}
		signedIn = check.user.account
		signedIn.HasPasskey = true
		return s.store.ceremonySucceeded(ctx, tx, c.ID)
	})
	if err != nil {
		return account.Account{}, "", err
	}
	if refusal != nil {
		return account.Account{}, "", refusal
	}
	return signedIn, token, nil
}

// ownerOf returns the account owning credential rawID with all its passkeys, or nil.
func (s *Service) ownerOf(ctx context.Context, tx *sql.Tx, rawID []byte) (*user, error) {
	accountID, found, err := s.store.accountOfCredential(ctx, tx, rawID)
	if err != nil || !found {
		return nil, err
	}
	acct, found, err := s.accounts.ByIDIn(ctx, tx, accountID)
	if err != nil || !found {
		return nil, err
	}
	return s.loadUser(ctx, tx, acct)
}

// BeginReauth starts a passkey re-authentication of the signed-in person for action: request
// options allowing the account's usable passkeys, bound to the account, the session and the
// action. An account with no usable passkey gets 409 use_password.
func (s *Service) BeginReauth(ctx context.Context, cur account.SignedIn, action reauth.Action, client string) (string, protocol.PublicKeyCredentialRequestOptions, error) {
	var none protocol.PublicKeyCredentialRequestOptions
	u, err := s.loadUser(ctx, s.db, cur.Account)
	if err != nil {
		return "", none, err
	}
	offered := usable(u.passkeys)
	if len(offered) == 0 {
		return "", none, errUsePassword.Wrap(errors.New("no usable passkey"))
	}
	keys := s.limiter.KeysFor("", client, audit.MethodPasskey, cur.Account.ID)
	keys.Reauth = true
	if refused, err := s.limiter.Check(ctx, s.db, keys); err != nil || refused != nil {
		return "", none, errOr(err, refused)
	}
	assertion, data, err := s.rp.BeginLogin(&user{account: cur.Account, passkeys: offered},
		webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return "", none, fmt.Errorf("begin re-authentication: %w", err)
	}
	id, err := s.saveCeremonyNow(ctx, ceremony{Purpose: purposeReauth, Action: string(action),
		AccountID: cur.Account.ID, SessionID: cur.SessionID}, data)
	return id, assertion.Response, err
}

// FinishReauth checks the assertion of a re-authentication and returns a proof for the
// ceremony's action and the session's new (rotated) token. The passkey's counter is checked
// and written back as at login; refusals count towards the lockout.
func (s *Service) FinishReauth(ctx context.Context, cur account.SignedIn, ceremonyID string, response json.RawMessage, client string) (proof, token string, err error) {
	var refusal *apperr.E
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		c, refused, err := s.takeCeremony(ctx, tx, ceremonyID, ceremonyWant{
			purposes: []string{purposeReauth}, accountID: cur.Account.ID, sessionID: cur.SessionID})
		if err != nil || refused != nil {
			refusal = refused
			return err
		}
		keys := s.limiter.KeysFor("", client, audit.MethodPasskey, cur.Account.ID)
		keys.Reauth = true
		if refusal, err = s.limiter.Check(ctx, tx, keys); err != nil || refusal != nil {
			return err
		}
		refuse := func(cause error, template *apperr.E) error {
			if template == nil {
				template = &errReauthRefused
			}
			refusal = template.Wrap(cause)
			if err := s.audit.Record(ctx, tx, audit.Event{AccountID: cur.Account.ID, Kind: audit.ReauthFailed, Detail: c.Action,
				Method: audit.MethodPasskey, Client: client}); err != nil {
				return err
			}
			locked, err := s.limiter.Fail(ctx, tx, keys)
			if locked != nil {
				refusal = locked
			}
			return err
		}
		parsed, err := parseAssertion(response)
		if err != nil {
			return refuse(err, nil)
		}
		check := &assertionCheck{parsed: parsed}
		if check.user, err = s.loadUser(ctx, tx, cur.Account); err != nil {
			return err
		}
		if check.cred, err = s.rp.ValidateLogin(check.user, c.Data, parsed); err != nil {
			return refuse(describe(err), nil)
		}
		if cause, template, err := s.verifyAssertion(ctx, tx, check); err != nil {
			return err
		} else if cause != nil {
			return refuse(cause, template)
		}
		if err := s.store.recordUse(ctx, tx, check.cred.ID, check.cred, s.clock()); err != nil {
			return err
		}
		if err := s.limiter.Succeed(ctx, tx, keys); err != nil {
			return err
		}
		if proof, token, err = s.reauth.Issue(ctx, tx, cur.SessionID, reauth.Action(c.Action)); err != nil {
			return err
		}
		if err := s.audit.Record(ctx, tx, audit.Event{AccountID: cur.Account.ID, Kind: audit.Reauthenticated, Detail: c.Action,
			Method: audit.MethodPasskey, PasskeyName: check.passkey.Name, Client: client}); err != nil {
			return err
		}
		return s.store.ceremonySucceeded(ctx, tx, c.ID)
	})
	if err != nil {
		return "", "", err
	}
	if refusal != nil {
		return "", "", refusal
	}
	return proof, token, nil
}

// notFound is the answer for a passkey that is not the signed-in account's (or does not
// exist): the same either way.
func notFound(cause error) *apperr.E {
	return apperr.E{Code: "not_found", Status: 404, Msg: "We could not find that passkey. It may have been removed already."}.Wrap(cause)
}

// decodeID reads the API's passkey id (the credential ID, base64url).
func decodeID(id string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil || len(raw) == 0 || len(raw) > MaxCredentialIDBytes {
		return nil, notFound(fmt.Errorf("passkey id %q is not a credential id", truncate(id)))
	}
	return raw, nil
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Rename gives the signed-in account's passkey id a new name (1-64 characters after
// trimming, unique in the account). It needs a proof for rename-passkey or the login grace.
func (s *Service) Rename(ctx context.Context, cur account.SignedIn, id, rawName, proof string) (Passkey, error) {
	name, problem := ValidateName(rawName)
	if problem != "" {
		return Passkey{}, apperr.Invalid(map[string]string{"name": problem})
	}
	credID, err := decodeID(id)
	if err != nil {
		return Passkey{}, err
	}
	var renamed Passkey
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		// Every refusal below returns an error, so the transaction (and the proof or grace
		// it used) rolls back: nothing changes.
		if refusal, err := s.reauth.Require(ctx, tx, cur.SessionID, reauth.RenamePasskey, proof); err != nil || refusal != nil {
			return errOr(err, refusal)
		}
		passkeys, err := s.store.listByAccount(ctx, tx, cur.Account.ID)
		if err != nil {
			return err
		}
		p, found := findPasskey(passkeys, credID)
		if !found {
			return notFound(errors.New("no such passkey in this account"))
		}
		for _, other := range passkeys {
			if other.ID != p.ID && strings.EqualFold(other.Name, name) {
				return errNameTaken.Wrap(fmt.Errorf("passkey %d already has the name", other.ID))
			}
		}
		// Ownership is checked again in the statement itself.
		if err := s.store.rename(ctx, tx, p.ID, cur.Account.ID, name); err != nil {
			return err
		}
		if err := s.audit.Record(ctx, tx, audit.Event{AccountID: cur.Account.ID, Kind: audit.PasskeyRenamed, PasskeyName: name,
			Detail: "was " + p.Name}); err != nil {
			return err
		}
		p.Name = name
		renamed = p
		return nil
	})
	if err != nil {
		return Passkey{}, err
	}
	return renamed, nil
}

// Remove deletes the signed-in account's passkey id and returns the passkeys left. It needs
// a proof for remove-passkey or the login grace, and it will not remove the last way to log
// in: the last usable passkey of an account without a password (409 last_way_to_log_in).
func (s *Service) Remove(ctx context.Context, cur account.SignedIn, id, proof string) ([]Passkey, error) {
	credID, err := decodeID(id)
	if err != nil {
		return nil, err
	}
	var left []Passkey
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		if refusal, err := s.reauth.Require(ctx, tx, cur.SessionID, reauth.RemovePasskey, proof); err != nil || refusal != nil {
			return errOr(err, refusal)
		}
		// DELETE ... WHERE credential_id = ? AND account_id = ?: ownership is part of the
		// statement, so someone else's passkey is simply not found.
		removed, found, err := s.store.deleteOwned(ctx, tx, credID, cur.Account.ID)
		if err != nil {
			return err
		}
		if !found {
			return notFound(errors.New("no such passkey in this account"))
		}
		acct, found, err := s.accounts.ByIDIn(ctx, tx, cur.Account.ID)
		if err != nil {
			return err
		}
		if !found {
			return apperr.NotSignedIn()
		}
		if left, err = s.store.listByAccount(ctx, tx, cur.Account.ID); err != nil {
			return err
		}
		// The last way to log in stays: a usable passkey may go only if a password or
		// another usable passkey remains. (Rolled back: nothing was deleted.)
		if !removed.CloneWarning && !acct.HasPassword && len(usable(left)) == 0 {
			return errLastWay.Wrap(errors.New("last usable passkey of an account without a password"))
		}
		return s.audit.Record(ctx, tx, audit.Event{AccountID: cur.Account.ID, Kind: audit.PasskeyRemoved, PasskeyName: removed.Name})
	})
	if err != nil {
		return nil, err
	}
	return left, nil
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
