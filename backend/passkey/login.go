// Logging in with a passkey (WebAuthn L3 §7.2, authentication).

package passkey

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/lockout"
	"github.com/nhs-passkeys/companion/backend/store"
)

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
	if err := s.limiter.Check(ctx, s.db, keys); err != nil {
		return "", none, err
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

// assertionCheck is the outcome of checking an assertion against an account's passkeys.
type assertionCheck struct {
	parsed  *protocol.ParsedCredentialAssertionData
	user    *user
	passkey Passkey // the stored passkey that signed
	cred    *webauthn.Credential
}

// verifyAssertion runs our checks on an assertion that go-webauthn validated (WebAuthn L3
// §7.2) for u's passkeys. A refusal comes back as an *apperr.E: refused for the person, or
// passkey_flagged for a flagged or newly regressed passkey. A newly detected counter
// regression flags the passkey and audits it inside tx.
func (s *Service) verifyAssertion(ctx context.Context, tx *sql.Tx, check *assertionCheck, refused apperr.Template) error {
	p, found := findPasskey(check.user.passkeys, check.cred.ID)
	if !found {
		return refused.Wrap(errors.New("validated credential is not among the account's passkeys"))
	}
	check.passkey = p
	if p.CloneWarning {
		return apperr.PasskeyFlagged.Wrap(errors.New("passkey is flagged (its signature counter went backwards before)"))
	}
	// WebAuthn L3 §7.2 step 22 (signCount): a counter that did not increase (and is not 0 on
	// both sides) may mean a cloned authenticator. go-webauthn only sets CloneWarning; we
	// refuse the login and flag the passkey, which stays refused, and audit it.
	if check.cred.Authenticator.CloneWarning {
		if err := s.store.flagCloneWarning(ctx, tx, p.CredentialID); err != nil {
			return err
		}
		if err := s.audit.Record(ctx, tx, audit.Event{AccountID: p.AccountID, Kind: audit.PasskeyFlagged, PasskeyName: p.Name,
			Detail: "signature counter went backwards"}); err != nil {
			return err
		}
		return apperr.PasskeyFlagged.Wrap(errors.New("signature counter did not increase"))
	}
	// Server policy: user presence and verification are required, whatever the stored
	// ceremony says. Read from this assertion's authenticator data: the credential go-webauthn
	// returns keeps the UV flag stored at registration.
	if flags := check.parsed.Response.AuthenticatorData.Flags; !flags.HasUserPresent() || !flags.HasUserVerified() {
		return refused.Wrap(errors.New("user not present or not verified (UV required by server policy)"))
	}
	return nil
}

// FinishLogin checks a passkey assertion and, if it is good, writes the updated passkey back
// and starts a session in one transaction. It returns the account and the session token.
// Refusals are audited and count towards a lockout; during a lockout even a good assertion
// is refused (429 too_many_attempts) and nothing is written but the consumed ceremony.
func (s *Service) FinishLogin(ctx context.Context, oldToken, ceremonyID string, response json.RawMessage, client string) (account.Account, string, error) {
	var (
		signedIn account.Account
		token    string
	)
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		// Consumed before anything is verified: single use on success and on failure.
		c, err := s.takeCeremony(ctx, tx, ceremonyID, ceremonyWant{purposes: []string{purposeLoginEmail, purposeLoginDiscoverable}})
		if err != nil {
			return err
		}
		// Failed passkeys are counted per client only (package lockout).
		keys := s.limiter.KeysFor("", client, audit.MethodPasskey, c.AccountID)
		refuse := func(err error) error { return s.refuse(ctx, tx, keys, audit.LoginFailed, "passkey", err) }

		// During a pause nothing is checked or counted (attempts then do not extend it).
		if err := s.limiter.Check(ctx, tx, keys); err != nil {
			return store.CommitRefusal(err)
		}
		parsed, err := parseAssertion(response)
		if err != nil {
			return refuse(apperr.LoginRefused.Wrap(err))
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
			return refuse(apperr.OtherAccount.Wrap(errors.New("the passkey is not one of the account of the email typed")))
		}
		if c.Purpose == purposeLoginEmail && owner == nil {
			return refuse(apperr.LoginRefused.Wrap(errors.New("no passkey with this credential id")))
		}
		// WebAuthn L3 §7.2 step 6: with no allowCredentials, the user handle identifies the
		// account, and it must own the credential.
		handler := func(_, userHandle []byte) (webauthn.User, error) {
			if owner == nil || !bytes.Equal(owner.account.UserHandle, userHandle) {
				return nil, errors.New("no passkey with this credential id and user handle")
			}
			return owner, nil
		}
		check := &assertionCheck{parsed: parsed}
		wu, cred, err := s.rp.ValidatePasskeyLogin(handler, c.Data, parsed)
		if err != nil {
			return refuse(apperr.LoginRefused.Wrap(describe(err)))
		}
		u, ok := wu.(*user)
		if !ok {
			// handler above only ever returns a *user; anything else is a bug here.
			return fmt.Errorf("login: the relying party returned a %T, not the passkey's owner", wu)
		}
		check.user, check.cred = u, cred

		if err := s.verifyAssertion(ctx, tx, check, apperr.LoginRefused); err != nil {
			return refuse(err)
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
	return signedIn, token, nil
}

// refuse answers a passkey assertion that did not prove who the person is, inside the
// finish's transaction tx: a refusal (an *apperr.E) is audited as kind with detail and
// counted towards this client's passkey lockout, all of it committed
// (lockout.Limiter.Refuse); any other error is a failure and rolls back.
func (s *Service) refuse(ctx context.Context, tx *sql.Tx, keys lockout.Keys, kind audit.Kind, detail string, err error) error {
	refusal, ok := apperr.As(err)
	if !ok {
		return err
	}
	return s.limiter.Refuse(ctx, tx, keys, kind, detail, refusal)
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
