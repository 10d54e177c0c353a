// Package passkey is the WebAuthn relying party: it sets up passkeys for a signed-in account
// and logs people in with them, on top of go-webauthn, and adds the rules go-webauthn leaves
// to us (single-use expiring ceremonies, unique credential IDs, sign counts written back,
// same answer for known and unknown emails).
package passkey

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/store"
)

// CeremonyTimeout is how long a person has between begin and finish. It is both what the
// browser is told (options.timeout) and what we enforce.
const CeremonyTimeout = 5 * time.Minute

// RPDisplayName is the relying party name authenticators may show.
const RPDisplayName = "NHS login"

var (
	errCeremonyExpired = apperr.E{Code: "ceremony_expired", Status: 400, Msg: "Your request timed out. Try again."}
	errLoginRefused    = apperr.E{Code: "passkey_not_accepted", Status: 401, Msg: "We could not check your passkey. Try again, or log in another way."}
	errSetupRefused    = apperr.E{Code: "passkey_not_accepted", Status: 400, Msg: "We could not set up your passkey. Try again."}
	errAlreadySetUp    = apperr.E{Code: "passkey_already_registered", Status: 409, Msg: "This passkey is already set up for an NHS login account."}
)

// Passkey is a registered WebAuthn credential.
type Passkey struct {
	ID                int64
	AccountID         int64
	CredentialID      []byte
	PublicKey         []byte // COSE_Key
	AAGUID            []byte
	SignCount         uint32
	CloneWarning      bool
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
	return json.Marshal(struct {
		ID             string   `json:"id"`
		Name           string   `json:"name"`
		CreatedAt      string   `json:"createdAt"`
		LastUsedAt     *string  `json:"lastUsedAt"`
		BackupEligible bool     `json:"backupEligible"`
		BackedUp       bool     `json:"backedUp"`
		Transports     []string `json:"transports"`
		AAGUID         string   `json:"aaguid"`
	}{
		ID:             base64.RawURLEncoding.EncodeToString(p.CredentialID),
		Name:           p.Name,
		CreatedAt:      p.CreatedAt.UTC().Format(time.RFC3339),
		LastUsedAt:     lastUsed,
		BackupEligible: p.BackupEligible,
		BackedUp:       p.BackupState,
		Transports:     transports,
		AAGUID:         formatAAGUID(p.AAGUID),
	})
}

// formatAAGUID writes the 16 bytes as a UUID string; anything else reads as the zero AAGUID.
func formatAAGUID(b []byte) string {
	if len(b) != 16 {
		b = make([]byte, 16)
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
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

// user is an account with its passkeys, as go-webauthn wants it.
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
	ByID(ctx context.Context, id int64) (account.Account, bool, error)
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

// NewRelyingParty configures go-webauthn for origin: the RP ID is the origin's host name,
// user verification is required (a passkey is the whole login, not a second factor),
// attestation is not asked for, and ceremonies expire after CeremonyTimeout.
func NewRelyingParty(origin string) (*webauthn.WebAuthn, error) {
	u, err := url.Parse(origin)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("relying party origin %q is not a URL with a host", origin)
	}
	notRequired := false
	return webauthn.New(&webauthn.Config{
		RPID:                  u.Hostname(),
		RPDisplayName:         RPDisplayName,
		RPOrigins:             []string{origin},
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementPreferred,
			RequireResidentKey: &notRequired,
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

// Service runs the ceremonies.
type Service struct {
	db       *sql.DB
	store    Store
	rp       *webauthn.WebAuthn
	accounts Accounts
	sessions Sessions
	audit    Auditor
	clock    func() time.Time
	log      *slog.Logger
}

// NewService wires the service.
func NewService(db *sql.DB, rp *webauthn.WebAuthn, accounts Accounts, sessions Sessions, auditor Auditor, clock func() time.Time, log *slog.Logger) *Service {
	return &Service{db: db, rp: rp, accounts: accounts, sessions: sessions, audit: auditor, clock: clock, log: log}
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

func (s *Service) saveCeremony(ctx context.Context, purpose string, accountID int64, data *webauthn.SessionData) (string, error) {
	id, err := newCeremonyID()
	if err != nil {
		return "", err
	}
	now := s.clock()
	c := ceremony{ID: id, Purpose: purpose, AccountID: accountID, Data: *data, CreatedAt: now, ExpiresAt: now.Add(CeremonyTimeout)}
	if err := store.InTx(ctx, s.db, func(tx *sql.Tx) error { return s.store.saveCeremony(ctx, tx, c) }); err != nil {
		return "", err
	}
	return id, nil
}

// takeCeremony consumes the ceremony id inside tx. It returns a refusal (ceremony_expired)
// when there is none, it has expired, or it was begun for another purpose or account.
func (s *Service) takeCeremony(ctx context.Context, tx *sql.Tx, id string, accountID int64, purposes ...string) (ceremony, *apperr.E, error) {
	if id == "" {
		return ceremony{}, errCeremonyExpired.Wrap(errors.New("no ceremony id")), nil
	}
	c, found, err := s.store.takeCeremony(ctx, tx, id)
	if err != nil {
		return ceremony{}, nil, err
	}
	switch {
	case !found:
		return ceremony{}, errCeremonyExpired.Wrap(errors.New("unknown or used ceremony")), nil
	case !s.clock().Before(c.ExpiresAt):
		return ceremony{}, errCeremonyExpired.Wrap(fmt.Errorf("ceremony expired at %s", c.ExpiresAt.Format(time.RFC3339))), nil
	case accountID != 0 && c.AccountID != accountID:
		return ceremony{}, errCeremonyExpired.Wrap(errors.New("ceremony belongs to another account")), nil
	}
	for _, p := range purposes {
		if c.Purpose == p {
			return c, nil, nil
		}
	}
	return ceremony{}, errCeremonyExpired.Wrap(fmt.Errorf("ceremony is for %s", c.Purpose)), nil
}

// BeginRegistration starts setting up a passkey for acct: creation options that exclude the
// passkeys the account already has, so an authenticator does not make a second one.
func (s *Service) BeginRegistration(ctx context.Context, acct account.Account) (string, protocol.PublicKeyCredentialCreationOptions, error) {
	u, err := s.loadUser(ctx, s.db, acct)
	if err != nil {
		return "", protocol.PublicKeyCredentialCreationOptions{}, err
	}
	creation, data, err := s.rp.BeginRegistration(u,
		webauthn.WithExclusions(webauthn.Credentials(u.WebAuthnCredentials()).CredentialDescriptors()),
		webauthn.WithResidentKeyRequirement(protocol.ResidentKeyRequirementPreferred),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation),
	)
	if err != nil {
		return "", protocol.PublicKeyCredentialCreationOptions{}, fmt.Errorf("begin registration: %w", err)
	}
	id, err := s.saveCeremony(ctx, purposeRegistration, acct.ID, data)
	if err != nil {
		return "", protocol.PublicKeyCredentialCreationOptions{}, err
	}
	return id, creation.Response, nil
}

// FinishRegistration checks the authenticator's answer and stores the new passkey. The
// ceremony is consumed first, in the same transaction, so it is single-use whatever the
// outcome.
func (s *Service) FinishRegistration(ctx context.Context, acct account.Account, ceremonyID string, response json.RawMessage) (Passkey, error) {
	var (
		saved   Passkey
		refusal *apperr.E
	)
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		c, refused, err := s.takeCeremony(ctx, tx, ceremonyID, acct.ID, purposeRegistration)
		if err != nil || refused != nil {
			refusal = refused
			return err
		}
		parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
		if err != nil {
			refusal = errSetupRefused.Wrap(err)
			return nil
		}
		u, err := s.loadUser(ctx, tx, acct)
		if err != nil {
			return err
		}
		// WebAuthn L3 §7.1 (go-webauthn): challenge, type, origin, RP ID hash, UP, UV
		// (required by the session), algorithm, attestation "none", BE/BS consistency.
		cred, err := s.rp.CreateCredential(u, c.Data, parsed)
		if err != nil {
			refusal = errSetupRefused.Wrap(describe(err))
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
		p := newPasskey(acct.ID, cred, s.clock())
		id, err := s.store.insert(ctx, tx, p)
		if store.IsUniqueViolation(err) {
			refusal = errAlreadySetUp.Wrap(err)
			return nil
		}
		if err != nil {
			return err
		}
		p.ID = id
		if err := s.audit.Record(ctx, tx, audit.Event{AccountID: acct.ID, Kind: audit.PasskeyAdded, Detail: p.Name}); err != nil {
			return err
		}
		saved = p
		return nil
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
		Name:              defaultName(transports),
		CreatedAt:         now.UTC(),
	}
}

// BeginLogin starts a passkey login. With an email, the options allow that account's
// passkeys; without one, any passkey for this site (discoverable login). An email with no
// account (or no passkeys) gets the same shape of answer as a discoverable login, bound to
// fail at finish: no error says whether the email has an account.
func (s *Service) BeginLogin(ctx context.Context, rawEmail string) (string, protocol.PublicKeyCredentialRequestOptions, error) {
	var none protocol.PublicKeyCredentialRequestOptions
	email := account.NormaliseEmail(rawEmail)
	uv := webauthn.WithUserVerification(protocol.VerificationRequired)

	if email == "" {
		assertion, data, err := s.rp.BeginDiscoverableLogin(uv)
		if err != nil {
			return "", none, fmt.Errorf("begin discoverable login: %w", err)
		}
		id, err := s.saveCeremony(ctx, purposeLoginDiscoverable, 0, data)
		return id, assertion.Response, err
	}

	if msg := account.EmailProblem(email); msg != "" {
		return "", none, apperr.Invalid(map[string]string{"email": msg})
	}
	acct, found, err := s.accounts.ByEmail(ctx, email)
	if err != nil {
		return "", none, err
	}
	var (
		assertion *protocol.CredentialAssertion
		data      *webauthn.SessionData
	)
	var u *user
	if found {
		if u, err = s.loadUser(ctx, s.db, acct); err != nil {
			return "", none, err
		}
	}
	if u != nil && len(u.passkeys) > 0 {
		assertion, data, err = s.rp.BeginLogin(u, uv)
	} else {
		assertion, data, err = s.rp.BeginDiscoverableLogin(uv)
	}
	if err != nil {
		return "", none, fmt.Errorf("begin login: %w", err)
	}
	id, err := s.saveCeremony(ctx, purposeLoginEmail, acct.ID, data)
	return id, assertion.Response, err
}

// FinishLogin checks a passkey assertion and, if it is good, writes the updated passkey back
// and starts a session in one transaction. It returns the account and the session token.
func (s *Service) FinishLogin(ctx context.Context, oldToken, ceremonyID string, response json.RawMessage) (account.Account, string, error) {
	var (
		signedIn account.Account
		token    string
		refusal  *apperr.E
	)
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		// Consumed before anything is verified: single use on success and on failure.
		c, refused, err := s.takeCeremony(ctx, tx, ceremonyID, 0, purposeLoginEmail, purposeLoginDiscoverable)
		if err != nil || refused != nil {
			refusal = refused
			return err
		}
		refuse := func(accountID int64, cause error) error {
			refusal = errLoginRefused.Wrap(cause)
			return s.audit.Record(ctx, tx, audit.Event{AccountID: accountID, Kind: audit.LoginFailed, Detail: "passkey"})
		}
		parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
		if err != nil {
			return refuse(c.AccountID, err)
		}

		var (
			u    *user
			cred *webauthn.Credential
		)
		switch c.Purpose {
		case purposeLoginEmail:
			if c.AccountID == 0 {
				return refuse(0, errors.New("login began with an email that has no account"))
			}
			acct, found, err := s.accounts.ByID(ctx, c.AccountID)
			if err != nil {
				return err
			}
			if !found {
				return refuse(0, errors.New("account of the ceremony is gone"))
			}
			if u, err = s.loadUser(ctx, tx, acct); err != nil {
				return err
			}
			// WebAuthn L3 §7.2 (go-webauthn), with allowCredentials = the account's passkeys.
			cred, err = s.rp.ValidateLogin(u, c.Data, parsed)
			if err != nil {
				return refuse(acct.ID, describe(err))
			}
		case purposeLoginDiscoverable:
			var lookupErr error
			found := func(rawID, userHandle []byte) (webauthn.User, error) {
				u, lookupErr = s.discoverUser(ctx, tx, rawID, userHandle)
				if u == nil && lookupErr == nil {
					return nil, errors.New("no passkey with this credential id and user handle")
				}
				return u, lookupErr
			}
			// WebAuthn L3 §7.2: with no allowCredentials, the user handle identifies the
			// account, and it must own the credential.
			var wu webauthn.User
			wu, cred, err = s.rp.ValidatePasskeyLogin(found, c.Data, parsed)
			if lookupErr != nil {
				return lookupErr // a database failure, not a refusal
			}
			if err != nil {
				var accountID int64
				if u != nil {
					accountID = u.account.ID
				}
				return refuse(accountID, describe(err))
			}
			u = wu.(*user)
		}

		// WebAuthn L3 §7.2, signCount step: a counter that did not increase may mean a cloned
		// authenticator. go-webauthn only sets CloneWarning (and keeps it once stored); we
		// refuse the login and flag the passkey, which stays refused.
		if cred.Authenticator.CloneWarning {
			if err := s.store.flagCloneWarning(ctx, tx, cred.ID); err != nil {
				return err
			}
			return refuse(u.account.ID, errors.New("signature counter did not increase"))
		}
		// Write back the counter, flags and last use (go-webauthn returns them updated).
		if err := s.store.recordUse(ctx, tx, cred.ID, cred, s.clock()); err != nil {
			return err
		}
		if token, err = s.sessions.Start(ctx, tx, oldToken, u.account.ID); err != nil {
			return err
		}
		if err := s.audit.Record(ctx, tx, audit.Event{AccountID: u.account.ID, Kind: audit.SignedIn, Detail: "passkey"}); err != nil {
			return err
		}
		signedIn = u.account
		return nil
	})
	if err != nil {
		return account.Account{}, "", err
	}
	if refusal != nil {
		return account.Account{}, "", refusal
	}
	return signedIn, token, nil
}

// discoverUser finds the account owning credential rawID and checks the user handle. It
// returns nil, nil when there is no such passkey or the handle does not match.
func (s *Service) discoverUser(ctx context.Context, tx *sql.Tx, rawID, userHandle []byte) (*user, error) {
	accountID, found, err := s.store.accountOfCredential(ctx, tx, rawID)
	if err != nil || !found {
		return nil, err
	}
	acct, found, err := s.accounts.ByID(ctx, accountID)
	if err != nil || !found {
		return nil, err
	}
	if !bytes.Equal(acct.UserHandle, userHandle) {
		return nil, nil
	}
	return s.loadUser(ctx, tx, acct)
}

// describe keeps go-webauthn's developer detail (DevInfo) in the logged cause.
func describe(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) && pe.DevInfo != "" {
		return fmt.Errorf("%w (%s)", err, pe.DevInfo)
	}
	return err
}
