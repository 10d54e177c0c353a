// Logging in with a passkey (WebAuthn L3 §7.2, authentication).

package passkey

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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

// judgeAssertion runs our checks on an assertion that go-webauthn validated (WebAuthn L3
// §7.2) for u's passkeys. It writes nothing: a refusal comes back as an *apperr.E (refused
// for the person, or passkey_flagged for a flagged or newly regressed passkey), and flag is
// true when the passkey must now be flagged (flagPasskey), which the caller does in its
// write transaction.
func judgeAssertion(check *assertionCheck, refused apperr.Template) (flag bool, err error) {
	p, found := findPasskey(check.user.passkeys, check.cred.ID)
	if !found {
		return false, refused.Wrap(errors.New("validated credential is not among the account's passkeys"))
	}
	check.passkey = p
	if p.CloneWarning {
		return false, apperr.PasskeyFlagged.Wrap(errors.New("passkey is flagged (its signature counter went backwards before)"))
	}
	// WebAuthn L3 §7.2 step 22 (signCount): a counter that did not increase (and is not 0 on
	// both sides) may mean a cloned authenticator. go-webauthn only sets CloneWarning; we
	// refuse the login and flag the passkey, which stays refused, and audit it.
	if check.cred.Authenticator.CloneWarning {
		return true, apperr.PasskeyFlagged.Wrap(errors.New("signature counter did not increase"))
	}
	// Server policy: user presence and verification are required, whatever the stored
	// ceremony says. Read from this assertion's authenticator data: the credential go-webauthn
	// returns keeps the UV flag stored at registration.
	if flags := check.parsed.Response.AuthenticatorData.Flags; !flags.HasUserPresent() || !flags.HasUserVerified() {
		return false, refused.Wrap(errors.New("user not present or not verified (UV required by server policy)"))
	}
	return false, nil
}

// counterWentBack is go-webauthn's signature counter rule (WebAuthn L3 §7.2 step 22), for
// a stored counter read again inside the write transaction: the assertion's counter must be
// greater than the stored one unless both are 0 (an authenticator without a counter).
func counterWentBack(stored, asserted uint32) bool {
	return asserted <= stored && (asserted != 0 || stored != 0)
}

// verifyAssertion is judgeAssertion inside tx: a newly detected counter regression flags the
// passkey and audits it there.
func (s *Service) verifyAssertion(ctx context.Context, tx *sql.Tx, check *assertionCheck, refused apperr.Template) error {
	flag, err := judgeAssertion(check, refused)
	if flag {
		if ferr := s.flagPasskey(ctx, tx, check.passkey); ferr != nil {
			return ferr
		}
	}
	return err
}

// flagPasskey flags p (its signature counter went backwards) and audits it, inside tx. Every
// session p logged in ends: the passkey may have been copied, and nobody can tell whether
// the copy or the original made the login with the higher counter (a session logged in
// another way, the password, is untouched).
func (s *Service) flagPasskey(ctx context.Context, tx *sql.Tx, p Passkey) error {
	if err := s.store.flagCloneWarning(ctx, tx, p.CredentialID); err != nil {
		return err
	}
	ended, err := s.sessions.EndLoggedInWith(ctx, tx, p.AccountID, p.CredentialID, 0)
	if err != nil {
		return err
	}
	detail := "signature counter went backwards"
	if ended > 0 {
		detail += fmt.Sprintf("; %d sessions it logged in ended", ended)
	}
	return s.audit.Record(ctx, tx, audit.Event{AccountID: p.AccountID, Kind: audit.PasskeyFlagged, PasskeyName: p.Name,
		Detail: detail})
}

// loginPurposes are the ceremonies a login finish accepts.
var loginPurposes = ceremonyWant{purposes: []string{purposeLoginEmail, purposeLoginDiscoverable}}

// loginVerdict is what checking a login's assertion outside the writer lock found.
type loginVerdict struct {
	check   *assertionCheck // the assertion's passkey and account, when it was good
	refusal error           // why it was refused (an *apperr.E), or nil
	flag    *Passkey        // a passkey to flag with the refusal (its counter went backwards)
}

// FinishLogin checks a passkey assertion and, if it is good, writes the updated passkey back
// and starts a session in one transaction. It returns the account and the session token.
// Refusals are audited and count towards a lockout; during a lockout even a good assertion
// is refused (429 too_many_attempts) and nothing is written but the consumed ceremony.
//
// Issue 21: the SQLite writer lock is held only for the writes. The ceremony, the passkey
// and its account are read first, from the pool (in WAL mode readers run beside the writer),
// and the assertion is parsed and verified with no lock held; then the writes run as one
// part of a group commit (store.Group), which re-checks what may have changed meanwhile.
func (s *Service) FinishLogin(ctx context.Context, oldToken, ceremonyID string, response json.RawMessage, client string) (account.Account, string, error) {
	if ceremonyID == "" {
		return account.Account{}, "", apperr.CeremonyExpired.Wrap(errors.New("no ceremony id"))
	}
	// Failed passkeys are counted per client only (package lockout).
	keys := s.limiter.KeysFor("", client, audit.MethodPasskey, 0)
	// The reads before the group commit (the ceremony, the passkey and its account) are each
	// one row by key from a WAL snapshot, which never waits for a lock: they run without the
	// request's end. With a context that can end, database/sql and the SQLite driver each
	// start a goroutine per statement to watch it (Rows.awaitDone, interruptOnDone): measured
	// (issue 21), those hand-offs cost more scheduler CPU than the reads themselves. A request
	// that ends meanwhile is still stopped before it writes (store.Group checks its context).
	reads := context.WithoutCancel(ctx)
	c, found, err := s.store.openCeremony(reads, s.db, ceremonyID)
	if err != nil {
		return account.Account{}, "", err
	}
	if !found {
		// Nothing to consume: the refusal only reads.
		return account.Account{}, "", unmark(s.ceremonyGone(ctx, s.db, ceremonyID, loginPurposes))
	}
	keys.AccountID = c.AccountID // the email's account, when the login began with one
	var v loginVerdict
	if loginPurposes.mismatch(c.Purpose, c.AccountID, c.SessionID) == "" && s.clock().Before(c.ExpiresAt) {
		if v, err = s.checkLogin(reads, c, response, &keys); err != nil {
			return account.Account{}, "", err
		}
	}
	if s.loginChecked != nil {
		s.loginChecked()
	}
	var (
		signedIn account.Account
		token    string
	)
	err = store.Group(ctx, s.db, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		signedIn, token, err = s.commitLogin(ctx, tx, c, v, keys, oldToken, client)
		return err
	})
	if err != nil {
		return account.Account{}, "", err
	}
	return signedIn, token, nil
}

// unmark returns the refusal a CommitRefusal mark holds (for an answer given without a
// transaction), or err as it is.
func unmark(err error) error {
	if refusal, ok := apperr.As(err); ok {
		return refusal
	}
	return err
}

// checkLogin parses and verifies a login's assertion for ceremony c outside any transaction
// (nothing it reads is locked; commitLogin re-checks what matters). keys gets the account
// the credential belongs to, for the audit. A refusal is returned in the verdict, to be
// written down by commitLogin; an error is a failure.
func (s *Service) checkLogin(ctx context.Context, c ceremony, response json.RawMessage, keys *lockout.Keys) (loginVerdict, error) {
	refused := func(err error) (loginVerdict, error) { return loginVerdict{refusal: err}, nil }
	parsed, err := parseAssertion(response)
	if err != nil {
		return refused(apperr.LoginRefused.Wrap(err))
	}
	// The account is the owner of the credential ID...
	owner, err := s.ownerOf(ctx, s.db, parsed.RawID)
	if err != nil {
		return loginVerdict{}, err
	}
	if owner != nil && keys.AccountID == 0 {
		keys.AccountID = owner.account.ID
	}
	// ...and, when the login began with an email, it must be that email's account (an
	// unknown email has none, so every passkey is refused). That it is another account's is
	// said only after the assertion is verified (below): told before, anyone holding a
	// credential ID and no key could ask, email by email, whose passkey it is (the one email
	// for which the refusal is "We could not check your passkey" instead).
	otherAccount := c.Purpose == purposeLoginEmail && owner != nil && owner.account.ID != c.AccountID
	if c.Purpose == purposeLoginEmail && owner == nil {
		return refused(apperr.LoginRefused.Wrap(errors.New("no passkey with this credential id")))
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
		return refused(apperr.LoginRefused.Wrap(describe(err)))
	}
	if err := checkOriginText(parsed.Response.CollectedClientData, s.rp.Config.RPOrigins); err != nil {
		return refused(apperr.LoginRefused.Wrap(err))
	}
	if otherAccount {
		// The person holds this passkey (it signed this challenge), so saying it is not for
		// the email they typed tells them only what they can see for themselves.
		return refused(apperr.OtherAccount.Wrap(errors.New("the passkey is not one of the account of the email typed")))
	}
	u, ok := wu.(*user)
	if !ok {
		// handler above only ever returns a *user; anything else is a bug here.
		return loginVerdict{}, fmt.Errorf("login: the relying party returned a %T, not the passkey's owner", wu)
	}
	check.user, check.cred = u, cred
	flag, err := judgeAssertion(check, apperr.LoginRefused)
	if err != nil {
		v := loginVerdict{refusal: err}
		if flag {
			v.flag = &check.passkey
		}
		return v, nil
	}
	return loginVerdict{check: check}, nil
}

// commitLogin is a login's part of a group commit: it consumes ceremony c and writes what
// verdict v decided, after checking again, inside tx, what may have changed since c and the
// passkey were read without the lock:
//   - the ceremony is still there to consume (the same ceremony finished twice at once: the
//     first to commit wins, the second is answered as a second finish, 409 or 400);
//   - this client's passkey logins are not paused (a pause started by failures committed
//     meanwhile refuses even a good assertion, as it would have before);
//   - the passkey is still the one verified (removed meanwhile: refused at once; flagged or
//     its counter moved by another login: judged again on the row as it is now).
//
// A refusal computed outside stays right inside: a passkey's row only changes by a login
// (its counter goes up, so a regression seen outside is still one), by being flagged (still
// refused), or by removal (still refused), and a credential never changes account.
func (s *Service) commitLogin(ctx context.Context, tx *sql.Tx, c ceremony, v loginVerdict, keys lockout.Keys, oldToken, client string) (account.Account, string, error) {
	// Consumed before anything is decided: single use on success and on failure. The same
	// statement reads whether this client's passkey logins are paused.
	now := s.clock()
	scope, key, _ := s.limiter.PasskeyPause(keys)
	taken, pausedUntil, err := s.store.useLoginCeremony(ctx, tx, c.ID, scope, key, now)
	if err != nil {
		return account.Account{}, "", err
	}
	if !taken {
		return account.Account{}, "", s.ceremonyGone(ctx, tx, c.ID, loginPurposes)
	}
	if err := expired(c, now); err != nil {
		return account.Account{}, "", err
	}
	refuse := func(refusal error) (account.Account, string, error) {
		if v.flag != nil {
			if err := s.flagPasskey(ctx, tx, *v.flag); err != nil {
				return account.Account{}, "", err
			}
		}
		return account.Account{}, "", s.refuse(ctx, tx, keys, audit.LoginFailed, "passkey", refusal)
	}
	if why := loginPurposes.mismatch(c.Purpose, c.AccountID, c.SessionID); why != "" {
		return account.Account{}, "", store.CommitRefusal(apperr.CeremonyExpired.Wrap(errors.New(why)))
	}
	// During a pause nothing is checked or counted (attempts then do not extend it).
	if err := s.limiter.PausedUntil(keys, pausedUntil); err != nil {
		return account.Account{}, "", store.CommitRefusal(err)
	}
	if v.refusal != nil {
		return refuse(v.refusal)
	}
	check := v.check
	// After every login the stored passkey is updated (counter, flags, last use) in the
	// same transaction that creates the session, if it is still the one verified.
	wrote, err := s.store.recordUseIf(ctx, tx, check.passkey, check.cred, now)
	if err != nil {
		return account.Account{}, "", err
	}
	if !wrote {
		if err := s.recheckPasskey(ctx, tx, check, now); err != nil {
			// A refusal is written down and committed; a failure rolls back.
			if _, refused := apperr.As(err); refused {
				return refuse(err)
			}
			return account.Account{}, "", err
		}
	}
	if err := s.limiter.Succeed(ctx, tx, keys); err != nil {
		return account.Account{}, "", err
	}
	token, err := s.sessions.StartWithPasskey(ctx, tx, oldToken, check.user.account.ID, check.passkey.ID)
	if err != nil {
		return account.Account{}, "", err
	}
	if err := s.audit.Record(ctx, tx, audit.Event{AccountID: check.user.account.ID, Kind: audit.SignedIn, Detail: audit.MethodPasskey,
		Method: audit.MethodPasskey, PasskeyName: check.passkey.Name, Client: client}); err != nil {
		return account.Account{}, "", err
	}
	if err := s.store.ceremonySucceeded(ctx, tx, c.ID); err != nil {
		return account.Account{}, "", err
	}
	signedIn := check.user.account
	signedIn.HasPasskey = true
	return signedIn, token, nil
}

// recheckPasskey judges a verified login again on the passkey's row as it is inside the
// write transaction, after recordUseIf found it changed since it was read, and writes the
// use when it still passes. When it does not, the error is the refusal, an *apperr.E (a
// newly regressed counter has flagged the passkey in tx already); any other error is a
// failure.
func (s *Service) recheckPasskey(ctx context.Context, tx *sql.Tx, check *assertionCheck, now time.Time) error {
	p, found, err := s.store.byCredentialID(ctx, tx, check.passkey.CredentialID)
	switch {
	case err != nil:
		return err
	case !found || p.AccountID != check.passkey.AccountID || !bytes.Equal(p.PublicKey, check.passkey.PublicKey):
		// Removed (or removed and set up again) after the assertion was verified: a removed
		// passkey is refused at once, even by a login already under way.
		return apperr.LoginRefused.Wrap(errors.New("the passkey was removed while the login was being checked"))
	case p.CloneWarning:
		return apperr.PasskeyFlagged.Wrap(errors.New("passkey was flagged while the login was being checked"))
	case counterWentBack(p.SignCount, check.parsed.Response.AuthenticatorData.Counter):
		// Another login with this passkey committed a counter at or above this assertion's
		// (WebAuthn L3 §7.2 step 22, as if the two had run one after the other): flag it.
		if err := s.flagPasskey(ctx, tx, p); err != nil {
			return err
		}
		return apperr.PasskeyFlagged.Wrap(errors.New("signature counter did not increase past another login's"))
	}
	wrote, err := s.store.recordUseIf(ctx, tx, p, check.cred, now)
	if err != nil {
		return err
	}
	if !wrote {
		// We hold the writer lock and have just read the row: it cannot have changed.
		return errors.New("update passkey after login: the passkey changed under the writer lock")
	}
	return nil
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

// ownerOf returns the account owning credential rawID with that passkey, or nil. go-webauthn
// only looks for the credential that signed among the user's, so the account's other
// passkeys need not be read.
func (s *Service) ownerOf(ctx context.Context, q store.DBTX, rawID []byte) (*user, error) {
	p, found, err := s.store.byCredentialID(ctx, q, rawID)
	if err != nil || !found {
		return nil, err
	}
	acct, found, err := s.accounts.ByIDIn(ctx, q, p.AccountID)
	if err != nil || !found {
		return nil, err
	}
	return &user{account: acct, passkeys: []Passkey{p}}, nil
}
