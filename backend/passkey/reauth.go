// Confirming it's you with a passkey before a sensitive action (package reauth).

package passkey

import (
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
	"github.com/nhs-passkeys/companion/backend/reauth"
	"github.com/nhs-passkeys/companion/backend/store"
)

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
		return "", none, apperr.UsePassword.Wrap(errors.New("no usable passkey"))
	}
	keys := s.limiter.KeysFor("", client, audit.MethodPasskey, cur.Account.ID)
	keys.Reauth = true
	if err := s.limiter.Check(ctx, s.db, keys); err != nil {
		return "", none, err
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
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		c, err := s.takeCeremony(ctx, tx, ceremonyID, ceremonyWant{
			purposes: []string{purposeReauth}, accountID: cur.Account.ID, sessionID: cur.SessionID})
		if err != nil {
			return err
		}
		keys := s.limiter.KeysFor("", client, audit.MethodPasskey, cur.Account.ID)
		keys.Reauth = true
		if err := s.limiter.Check(ctx, tx, keys); err != nil {
			return store.CommitRefusal(err)
		}
		refuse := func(err error) error { return s.refuse(ctx, tx, keys, audit.ReauthFailed, c.Action, err) }
		parsed, err := parseAssertion(response)
		if err != nil {
			return refuse(apperr.ReauthRefused.Wrap(err))
		}
		check := &assertionCheck{parsed: parsed}
		if check.user, err = s.loadUser(ctx, tx, cur.Account); err != nil {
			return err
		}
		if check.cred, err = s.rp.ValidateLogin(check.user, c.Data, parsed); err != nil {
			return refuse(apperr.ReauthRefused.Wrap(describe(err)))
		}
		if err := checkOriginText(parsed.Response.CollectedClientData, s.rp.Config.RPOrigins); err != nil {
			return refuse(apperr.ReauthRefused.Wrap(err))
		}
		if err := s.verifyAssertion(ctx, tx, check, apperr.ReauthRefused); err != nil {
			return refuse(err)
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
	return proof, token, nil
}
