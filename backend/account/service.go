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

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/store"
)

// Account is a person's NHS login account as this service knows it.
type Account struct {
	ID          int64
	Email       string
	UserHandle  []byte // WebAuthn user handle: random, no personal data
	HasPassword bool
	CreatedAt   time.Time
}

// MarshalJSON writes the API's Account object (docs/api.md); internal fields never leave.
func (a Account) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Email       string `json:"email"`
		CreatedAt   string `json:"createdAt"`
		HasPassword bool   `json:"hasPassword"`
	}{a.Email, a.CreatedAt.UTC().Format(time.RFC3339), a.HasPassword})
}

// Sessions starts a signed-in session inside the caller's transaction and returns its
// token. oldToken (may be "") is the session the request came with; it is ended, so a login
// always gets a new token.
type Sessions interface {
	Start(ctx context.Context, tx *sql.Tx, oldToken string, accountID int64) (string, error)
}

// Auditor records what happened.
type Auditor interface {
	Record(ctx context.Context, q store.DBTX, e audit.Event) error
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

var (
	errEmailTaken  = apperr.E{Code: "email_taken", Status: 409, Msg: "An NHS login account already uses this email address. Log in instead, or use a different email address."}
	errLoginFailed = apperr.E{Code: "login_failed", Status: 401, Msg: "The email address or password is not correct. Check them and try again."}
)

// Service creates accounts and logs people in with a password.
type Service struct {
	db       *sql.DB
	store    Store
	sessions Sessions
	audit    Auditor
	clock    func() time.Time
	log      *slog.Logger
	hashing  HashParams
	// dummyHash is checked for logins with an unknown email, so they take as long as a
	// wrong password and the time does not tell whether the email has an account.
	dummyHash string
}

// NewService builds the service. hashing is DefaultHashParams() in production; tests pass
// cheap settings explicitly.
func NewService(db *sql.DB, sessions Sessions, auditor Auditor, clock func() time.Time, log *slog.Logger, hashing HashParams) (*Service, error) {
	dummy, err := hashing.Hash("not a real password: used to even out login timing")
	if err != nil {
		return nil, err
	}
	return &Service{db: db, sessions: sessions, audit: auditor, clock: clock, log: log, hashing: hashing, dummyHash: dummy}, nil
}

// NormaliseEmail trims spaces and lower-cases, so one address always maps to one account.
func NormaliseEmail(raw string) string {
	return strings.ToLower(strings.TrimSpace(raw))
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
	for _, r := range email {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
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
	hash, err := s.hashing.Hash(password)
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
			return errEmailTaken.Wrap(errors.New("email already has an account"))
		}
		now := s.clock()
		id, err := s.store.insert(ctx, tx, email, handle, hash, now)
		if err != nil {
			if store.IsUniqueViolation(err) {
				return errEmailTaken.Wrap(err)
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
// password give the same error, after the same amount of work.
func (s *Service) Login(ctx context.Context, rawEmail, password, oldToken string) (Account, string, error) {
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

	acct, hash, err := s.store.byEmail(ctx, s.db, email)
	switch {
	case errors.Is(err, errNotFound) || (err == nil && hash == ""):
		// Same work as a real check, result ignored.
		_, _ = VerifyPassword(password, s.dummyHash)
		s.recordFailure(ctx, acct.ID, "password: no such account or no password")
		return Account{}, "", errLoginFailed.Wrap(errors.New("no account with a password for this email"))
	case err != nil:
		return Account{}, "", err
	}
	ok, err := VerifyPassword(password, hash)
	if err != nil {
		return Account{}, "", fmt.Errorf("check password of account %d: %w", acct.ID, err)
	}
	if !ok {
		s.recordFailure(ctx, acct.ID, "password: wrong password")
		return Account{}, "", errLoginFailed.Wrap(fmt.Errorf("wrong password for account %d", acct.ID))
	}

	var token string
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var err error
		if token, err = s.sessions.Start(ctx, tx, oldToken, acct.ID); err != nil {
			return err
		}
		return s.audit.Record(ctx, tx, audit.Event{AccountID: acct.ID, Kind: audit.SignedIn, Detail: "password"})
	})
	if err != nil {
		return Account{}, "", err
	}
	return acct, token, nil
}

// recordFailure audits a failed login. A failure to record is logged but does not change
// the answer, which is a refusal either way.
func (s *Service) recordFailure(ctx context.Context, accountID int64, detail string) {
	if err := s.audit.Record(ctx, s.db, audit.Event{AccountID: accountID, Kind: audit.LoginFailed, Detail: detail}); err != nil {
		s.log.ErrorContext(ctx, "audit failed login", "err", err)
	}
}

// ByID returns the account with id; found is false when there is none.
func (s *Service) ByID(ctx context.Context, id int64) (acct Account, found bool, err error) {
	acct, err = s.store.byID(ctx, s.db, id)
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
