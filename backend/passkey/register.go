// Setting up a passkey (WebAuthn L3 §7.1, registration).

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
		grant, err := s.reauth.Check(ctx, tx, cur.SessionID, reauth.AddPasskey, proof)
		if err != nil {
			return err
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
// outcome; a refusal stores nothing else (its refusals keep the consumption:
// store.CommitRefusal).
func (s *Service) FinishRegistration(ctx context.Context, cur account.SignedIn, ceremonyID string, response json.RawMessage) (Passkey, error) {
	var saved Passkey
	acct := cur.Account
	err := store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		c, err := s.takeCeremony(ctx, tx, ceremonyID, ceremonyWant{
			purposes: []string{purposeRegistration}, accountID: acct.ID, sessionID: cur.SessionID})
		if err != nil {
			return err
		}
		parsed, err := parseCreation(response)
		if err != nil {
			return store.CommitRefusal(apperr.SetupRefused.Wrap(err))
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
			return store.CommitRefusal(apperr.SetupRefused.Wrap(describe(err)))
		}
		if err := checkOriginText(parsed.Response.CollectedClientData, s.rp.Config.RPOrigins); err != nil {
			return store.CommitRefusal(apperr.SetupRefused.Wrap(err))
		}
		// Our own policy, whatever a ceremony's stored options say. A key that cannot work
		// is refused here, before the proof or grace is used and before anything is stored
		// (the ceremony alone is used up), so the person can try again at once.
		if err := checkNewCredential(parsed, cred, c.Data.CredParams); err != nil {
			return store.CommitRefusal(apperr.SetupRefused.Wrap(err))
		}
		// WebAuthn L3 §7.1 "verify that the credentialId is not yet registered for any
		// user": go-webauthn leaves this to us. The UNIQUE index is the last line.
		if _, taken, err := s.store.accountOfCredential(ctx, tx, cred.ID); err != nil {
			return err
		} else if taken {
			return store.CommitRefusal(apperr.AlreadySetUp.Wrap(errors.New("credential id already registered")))
		}
		// The proof or login grace that allowed the set-up is used up with it.
		if err := s.reauth.Use(ctx, tx, cur.SessionID, reauth.AddPasskey, c.Grant); err != nil {
			return store.CommitRefusal(err)
		}
		p := newPasskey(acct.ID, cred, s.clock())
		p.Name = uniqueName(defaultName(p), u.passkeys)
		id, err := s.store.insert(ctx, tx, p)
		if store.IsUniqueViolation(err) {
			// Cannot happen after the check above (the transaction holds the write lock);
			// if it does, everything rolls back, the grant included.
			return apperr.AlreadySetUp.Wrap(err)
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
	return saved, nil
}
