// Package account creates accounts and checks passwords.
package account

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/lockout"
	"github.com/nhs-passkeys/companion/backend/reauth"
	"github.com/nhs-passkeys/companion/backend/store"
)

// Account is a person's NHS login account as this service knows it.
type Account struct {
	ID          int64
	Email       string
	UserHandle  []byte // WebAuthn user handle: random, no personal data
	HasPassword bool
	// HasPasskey: the account has at least one usable (unflagged) passkey. It decides how the
	// person re-authenticates: with a passkey when there is one, else with the password.
	HasPasskey bool
	CreatedAt  time.Time
}

// MarshalJSON writes the API's Account object (docs/api.md); internal fields never leave.
func (a Account) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Email       string `json:"email"`
		CreatedAt   string `json:"createdAt"`
		HasPassword bool   `json:"hasPassword"`
		HasPasskey  bool   `json:"hasPasskey"`
	}{a.Email, a.CreatedAt.UTC().Format(time.RFC3339), a.HasPassword, a.HasPasskey})
}

// SignedIn is who a request is from: the account and the session it came with. The session
// middleware puts it in the request context.
type SignedIn struct {
	SessionID int64
	Account   Account
}

type signedInKey struct{}

// WithSignedIn returns ctx carrying cur.
func WithSignedIn(ctx context.Context, cur SignedIn) context.Context {
	return context.WithValue(ctx, signedInKey{}, cur)
}

// SignedInFrom returns who is signed in on ctx.
func SignedInFrom(ctx context.Context) (SignedIn, bool) {
	cur, ok := ctx.Value(signedInKey{}).(SignedIn)
	return cur, ok
}

// Sessions starts a signed-in session inside the caller's transaction and returns its
// token. oldToken (may be "") is the session the request came with; it is ended, so a login
// always gets a new token. EndOthers deletes every other session of the account.
type Sessions interface {
	Start(ctx context.Context, tx *sql.Tx, oldToken string, accountID int64) (string, error)
	EndOthers(ctx context.Context, q store.DBTX, sessionID, accountID int64) (int64, error)
}

// Auditor records what happened.
type Auditor interface {
	Record(ctx context.Context, q store.DBTX, e audit.Event) error
}

// Limiter counts failed attempts and refuses during a lockout (package lockout).
type Limiter interface {
	KeysFor(email, address, method string, accountID int64) lockout.Keys
	Check(ctx context.Context, q store.DBTX, k lockout.Keys) error
	Refuse(ctx context.Context, q store.DBTX, k lockout.Keys, kind audit.Kind, detail string, refusal *apperr.E) error
	Succeed(ctx context.Context, q store.DBTX, k lockout.Keys) error
}

// Reauth issues and checks proofs of a fresh re-authentication (package reauth).
type Reauth interface {
	Issue(ctx context.Context, tx *sql.Tx, sessionID int64, action reauth.Action) (proof, token string, err error)
	Require(ctx context.Context, tx *sql.Tx, sessionID int64, action reauth.Action, proof string) error
}

// Password length limits, in characters. No composition rules (NCSC and NIST SP 800-63B:
// length matters, forced mixtures of character types do not help).
const (
	MinPasswordLength = 8
	MaxPasswordLength = 256
	maxEmailLength    = 254 // RFC 5321 path limit
	userHandleBytes   = 32
)

// Messages in NHS content style: what happened, what to do.
const (
	msgEnterEmail       = "Enter your email address"
	msgEmailFormat      = "Enter an email address in the correct format, like name@example.com"
	msgEnterNewPassword = "Enter a password"
	msgPasswordTooShort = "Your password must be 8 characters or more"
	msgPasswordTooLong  = "Your password must be 256 characters or fewer"
	msgEnterPassword    = "Enter your password"
)

// Service creates accounts, logs people in with a password, re-authenticates them with it
// and changes it.
type Service struct {
	db       *sql.DB
	store    Store
	sessions Sessions
	audit    Auditor
	limiter  Limiter
	reauth   Reauth
	clock    func() time.Time
	log      *slog.Logger
	hashing  HashParams
	// dummyHash is checked for logins with an unknown email, so they take as long as a
	// wrong password and the time does not tell whether the email has an account. It is
	// HashParams.DummyHash: made without an argon2id derivation, so start-up pays nothing.
	dummyHash string
	// checkSlots and hashSlots bound the argon2id derivations running at once (password.go,
	// derivations): checks of a password (a login, a confirmation) and hashes of a new one (a
	// sign-up, a new password) each have their own, so a flood of sign-ups, which nothing
	// throttles, cannot keep people from logging in (failed logins are paused per client
	// before they take a slot). slotWait is how long a request waits for one
	// (maxDerivationWait; tests shorten it).
	checkSlots derivations
	hashSlots  derivations
	slotWait   time.Duration
	// passwordChecked, if set, runs between a password check and the transaction that acts
	// on it (tests use it to change the account in that window; samePassword).
	passwordChecked func()
}

// NewService builds the service. hashing is DefaultHashParams() in production; tests pass
// cheap settings explicitly.
func NewService(db *sql.DB, sessions Sessions, auditor Auditor, limiter Limiter, reauth Reauth, clock func() time.Time, log *slog.Logger, hashing HashParams) (*Service, error) {
	dummy, err := hashing.DummyHash()
	if err != nil {
		return nil, err
	}
	return &Service{db: db, sessions: sessions, audit: auditor, limiter: limiter, reauth: reauth, clock: clock, log: log,
		hashing: hashing, dummyHash: dummy,
		checkSlots: newDerivations(), hashSlots: newDerivations(), slotWait: maxDerivationWait}, nil
}

// NormaliseEmail trims spaces and lower-cases, so one address always maps to one account.
// Two spellings a person cannot tell apart are one address too: invisible format characters
// (Unicode category Cf: a byte order mark, a zero-width space) copied along with the address
// at either end are trimmed like spaces, and the result is in Unicode Normalization Form C
// (UAX #15), so "é" typed as one character or as "e" and a combining accent (as macOS may
// write it) finds the same account. An invisible character inside the address is left for
// EmailProblem to refuse.
func NormaliseEmail(raw string) string {
	trimmed := strings.TrimFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) })
	return norm.NFC.String(strings.ToLower(trimmed))
}

// EmailProblem returns the message for a normalised email that cannot be used, or "".
func EmailProblem(email string) string {
	switch {
	case email == "":
		return msgEnterEmail
	case len(email) > maxEmailLength || !plausibleEmail(email):
		return msgEmailFormat
	}
	return ""
}

// plausibleEmail accepts name@domain.tld without spaces or control characters. It does not
// try to be RFC 5322 complete: it stops mistakes, it does not prove an address exists.
func plausibleEmail(email string) bool {
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || len(local) > 64 || domain == "" || strings.Contains(domain, "@") {
		return false
	}
	// No spaces, control characters or invisible format characters (Cf: zero-width spaces
	// and joiners, soft hyphens, direction overrides): an address holding one looks like
	// another address (or, with an override, reads backwards) and would be an account of its
	// own beside the one it looks like.
	for _, r := range email {
		if unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 || len(labels[len(labels)-1]) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	addr, err := mail.ParseAddress(email)
	return err == nil && addr.Address == email
}

func newPasswordProblem(password string) string {
	switch n := utf8.RuneCountInString(password); {
	case n == 0:
		return msgEnterNewPassword
	case n < MinPasswordLength:
		return msgPasswordTooShort
	case n > MaxPasswordLength:
		return msgPasswordTooLong
	}
	return ""
}

// Create makes an account with email and password and signs it in: it returns the account
// and the new session token.
func (s *Service) Create(ctx context.Context, rawEmail, password, oldToken string) (Account, string, error) {
	email := NormaliseEmail(rawEmail)
	fields := map[string]string{}
	if msg := EmailProblem(email); msg != "" {
		fields["email"] = msg
	}
	if msg := newPasswordProblem(password); msg != "" {
		fields["password"] = msg
	}
	if len(fields) > 0 {
		return Account{}, "", apperr.Invalid(fields)
	}

	// Hash before the transaction: it is the slow part and needs no lock.
	hash, err := s.hash(ctx, password)
	if err != nil {
		return Account{}, "", err
	}
	handle := make([]byte, userHandleBytes)
	if _, err := rand.Read(handle); err != nil {
		return Account{}, "", fmt.Errorf("user handle: %w", err)
	}

	var (
		acct  Account
		token string
	)
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		taken, err := s.store.emailExists(ctx, tx, email)
		if err != nil {
			return err
		}
		if taken {
			return apperr.EmailTaken.Wrap(errors.New("email already has an account"))
		}
		now := s.clock()
		id, err := s.store.insert(ctx, tx, email, handle, hash, now)
		if err != nil {
			if store.IsUniqueViolation(err) {
				return apperr.EmailTaken.Wrap(err)
			}
			return err
		}
		if err := s.audit.Record(ctx, tx, audit.Event{AccountID: id, Kind: audit.AccountCreated}); err != nil {
			return err
		}
		if token, err = s.sessions.Start(ctx, tx, oldToken, id); err != nil {
			return err
		}
		acct = Account{ID: id, Email: email, UserHandle: handle, HasPassword: true, CreatedAt: now.UTC()}
		return nil
	})
	if err != nil {
		return Account{}, "", err
	}
	return acct, token, nil
}

// Login checks email and password and starts a session. An unknown email and a wrong
// password give the same error, after the same amount of work, and count towards a lockout
// alike. During a lockout even the right password is refused (429 too_many_attempts).
func (s *Service) Login(ctx context.Context, rawEmail, password, oldToken, client string) (Account, string, error) {
	email := NormaliseEmail(rawEmail)
	fields := map[string]string{}
	if msg := EmailProblem(email); msg != "" {
		fields["email"] = msg
	}
	if password == "" {
		fields["password"] = msgEnterPassword
	}
	if len(fields) > 0 {
		return Account{}, "", apperr.Invalid(fields)
	}

	keys := s.limiter.KeysFor(email, client, audit.MethodPassword, 0)
	if err := s.limiter.Check(ctx, s.db, keys); err != nil {
		return Account{}, "", err
	}
	acct, hash, err := s.store.byEmail(ctx, s.db, email)
	if err != nil && !errors.Is(err, errNotFound) {
		return Account{}, "", err
	}
	keys.AccountID = acct.ID
	ok, why, err := s.checkPassword(ctx, password, hash)
	if err != nil {
		return Account{}, "", fmt.Errorf("check password of account %d: %w", acct.ID, err)
	}
	if s.passwordChecked != nil {
		s.passwordChecked()
	}
	if !ok {
		return Account{}, "", s.refuse(ctx, keys, audit.LoginFailed, "password: "+why, apperr.LoginFailed.Wrap(errors.New(why)))
	}

	var token string
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		// Checked again under the write lock: a lockout may have begun since.
		if err := s.limiter.Check(ctx, tx, keys); err != nil {
			return err
		}
		if err := s.samePassword(ctx, tx, acct.ID, hash, apperr.LoginFailed); err != nil {
			return err
		}
		if err := s.limiter.Succeed(ctx, tx, keys); err != nil {
			return err
		}
		if token, err = s.sessions.Start(ctx, tx, oldToken, acct.ID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Event{AccountID: acct.ID, Kind: audit.SignedIn, Detail: audit.MethodPassword,
			Method: audit.MethodPassword, Client: client})
	})
	if err != nil {
		return Account{}, "", err
	}
	return acct, token, nil
}

// samePassword refuses, with refusal, a login or confirmation whose password was checked
// against checked when account id no longer has that password hash (or no longer exists).
// The check runs outside the transaction (argon2id is slow and must hold no lock), so the
// owner may set a new password, remove it or delete the account meanwhile, on this replica
// or another; a change of password ends every other session because someone may know the
// old one, and a login checked against the old one must not start a session after it. Read
// inside the transaction, the hash is the one the write commits against (SQLite's single
// writer; PostgreSQL's SERIALIZABLE retries the whole transaction if it changes before the
// commit). Nothing is counted: the password was right when it was checked.
func (s *Service) samePassword(ctx context.Context, tx *sql.Tx, id int64, checked string, refusal apperr.Template) error {
	_, now, err := s.store.byIDWithHash(ctx, tx, id)
	switch {
	case errors.Is(err, errNotFound):
		return refusal.Wrap(errors.New("the account was deleted while its password was checked"))
	case err != nil:
		return err
	case now != checked:
		return refusal.Wrap(errors.New("the password changed while it was checked"))
	}
	return nil
}

// hash hashes a new password, in one of the process's derivation slots.
func (s *Service) hash(ctx context.Context, password string) (hash string, err error) {
	if slotErr := s.hashSlots.run(ctx, s.slotWait, func() { hash, err = s.hashing.Hash(password) }); slotErr != nil {
		return "", slotErr
	}
	return hash, err
}

// checkPassword checks password against hash, or against the dummy hash when there is no
// hash (no account, or an account without a password), so both take the same time (and wait
// for a derivation slot alike). why says what failed, for the log.
func (s *Service) checkPassword(ctx context.Context, password, hash string) (ok bool, why string, err error) {
	if hash == "" {
		err = s.checkSlots.run(ctx, s.slotWait, func() {
			_, _ = VerifyPassword(password, s.dummyHash) // same work as a real check, result ignored
		})
		return false, "no account with a password for this email", err
	}
	slotErr := s.checkSlots.run(ctx, s.slotWait, func() { ok, err = VerifyPassword(password, hash) })
	if slotErr != nil {
		return false, "", slotErr
	}
	if err != nil || !ok {
		return false, "wrong password", err
	}
	return true, "", nil
}

// refuse answers a wrong password: the attempt is audited and counted towards a lockout in
// a transaction of its own (the password was checked outside one: hashing is slow), which
// commits (lockout.Limiter.Refuse). It returns the lockout's refusal when this failure
// started one, else refusal.
//
// A pause that began while the password was being checked is answered instead (429, not
// counted again), as Login and Reauthenticate answer the right password then. Attempts sent
// at once, on one replica or several, all pass the lockout check before the first of their
// failures is counted; were a wrong password answered 401 after the pause began while the
// right one gets 429, the answers would tell the guesser which password was right, and the
// pause would hide nothing from such a burst.
func (s *Service) refuse(ctx context.Context, keys lockout.Keys, kind audit.Kind, detail string, refusal *apperr.E) error {
	return store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := s.limiter.Check(ctx, tx, keys); err != nil {
			return err
		}
		return s.limiter.Refuse(ctx, tx, keys, kind, detail, refusal)
	})
}

// Reauthenticate checks the signed-in person's password for action and returns a proof for
// it and the session's new token (see package reauth). An account with a usable passkey gets
// 409 use_passkey, except to remove passkeys (reauth.PasswordMayConfirm): a patient who lost
// their devices confirms with the password they logged in with. Failures count towards the
// same lockout as logins.
func (s *Service) Reauthenticate(ctx context.Context, cur SignedIn, action reauth.Action, password, client string) (proof, token string, err error) {
	if password == "" {
		return "", "", apperr.Invalid(map[string]string{"password": msgEnterPassword})
	}
	acct, hash, err := s.store.byIDWithHash(ctx, s.db, cur.Account.ID)
	if errors.Is(err, errNotFound) {
		return "", "", apperr.NotSignedIn().Wrap(errors.New("the signed-in account is gone"))
	}
	if err != nil {
		return "", "", err
	}
	if !reauth.PasswordMayConfirm(action, acct.HasPasskey) {
		return "", "", apperr.UsePasskey.Wrap(fmt.Errorf("password re-authentication for %s by an account with a usable passkey", action))
	}
	keys := s.limiter.KeysFor(acct.Email, client, audit.MethodPassword, acct.ID)
	keys.Reauth = true
	if err := s.limiter.Check(ctx, s.db, keys); err != nil {
		return "", "", err
	}
	ok, why, err := s.checkPassword(ctx, password, hash)
	if err != nil {
		return "", "", fmt.Errorf("check password of account %d: %w", acct.ID, err)
	}
	if s.passwordChecked != nil {
		s.passwordChecked()
	}
	if !ok {
		return "", "", s.refuse(ctx, keys, audit.ReauthFailed, "password: "+why, apperr.ReauthFailed.Wrap(errors.New(why)))
	}
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := s.limiter.Check(ctx, tx, keys); err != nil {
			return err
		}
		if err := s.samePassword(ctx, tx, acct.ID, hash, apperr.ReauthFailed); err != nil {
			return err
		}
		if err := s.limiter.Succeed(ctx, tx, keys); err != nil {
			return err
		}
		if proof, token, err = s.reauth.Issue(ctx, tx, cur.SessionID, action); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Event{AccountID: acct.ID, Kind: audit.Reauthenticated, Detail: string(action),
			Method: audit.MethodPassword, Client: client})
	})
	if err != nil {
		return "", "", err
	}
	return proof, token, nil
}

// ChangePassword sets the signed-in account's password (or gives it one, if it had none).
// It needs a proof for change-password or the login grace (package reauth). Every other
// session of the account is ended: whoever may have known the old password is signed out.
func (s *Service) ChangePassword(ctx context.Context, cur SignedIn, newPassword, proof, client string) (Account, error) {
	if msg := newPasswordProblem(newPassword); msg != "" {
		return Account{}, apperr.Invalid(map[string]string{"newPassword": msg})
	}
	// Hash before the transaction: it is the slow part and needs no lock.
	hash, err := s.hash(ctx, newPassword)
	if err != nil {
		return Account{}, err
	}
	var acct Account
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := s.reauth.Require(ctx, tx, cur.SessionID, reauth.ChangePassword, proof); err != nil {
			return err // a refusal too is rolled back: the proof or grace stays unused
		}
		if acct, err = s.store.byID(ctx, tx, cur.Account.ID); err != nil {
			if errors.Is(err, errNotFound) {
				return apperr.NotSignedIn().Wrap(err)
			}
			return err
		}
		kind := audit.PasswordChanged
		if !acct.HasPassword {
			kind = audit.PasswordSet
		}
		if err := s.store.setPassword(ctx, tx, acct.ID, hash); err != nil {
			return err
		}
		ended, err := s.sessions.EndOthers(ctx, tx, cur.SessionID, acct.ID)
		if err != nil {
			return err
		}
		acct.HasPassword = true
		return s.audit.Record(ctx, tx, audit.Event{AccountID: acct.ID, Kind: kind,
			Detail: fmt.Sprintf("%d other sessions ended", ended), Client: client})
	})
	if err != nil {
		return Account{}, err
	}
	return acct, nil
}

// ByID returns the account with id; found is false when there is none.
func (s *Service) ByID(ctx context.Context, id int64) (acct Account, found bool, err error) {
	return s.ByIDIn(ctx, s.db, id)
}

// ByIDIn is ByID read through q, so that a caller's transaction sees the account as it is
// inside that transaction (and does not take a second connection for it).
func (s *Service) ByIDIn(ctx context.Context, q store.DBTX, id int64) (acct Account, found bool, err error) {
	acct, err = s.store.byID(ctx, q, id)
	if errors.Is(err, errNotFound) {
		return Account{}, false, nil
	}
	return acct, err == nil, err
}

// ByEmail returns the account with this normalised email; found is false when there is none.
func (s *Service) ByEmail(ctx context.Context, email string) (acct Account, found bool, err error) {
	acct, _, err = s.store.byEmail(ctx, s.db, email)
	if errors.Is(err, errNotFound) {
		return Account{}, false, nil
	}
	return acct, err == nil, err
}
