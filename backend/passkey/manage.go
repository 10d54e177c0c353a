// Renaming and removing the signed-in account's passkeys.

package passkey

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/reauth"
	"github.com/nhs-passkeys/companion/backend/store"
)

// notFound is the answer for a passkey that is not the signed-in account's (or does not
// exist): the same either way.
func notFound(cause error) *apperr.E {
	return apperr.PasskeyNotFound.Wrap(cause)
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
		if err := s.reauth.Require(ctx, tx, cur.SessionID, reauth.RenamePasskey, proof); err != nil {
			return err
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
			if other.ID != p.ID && SameName(other.Name, name) {
				return apperr.NameTaken.Wrap(fmt.Errorf("passkey %d already has the name", other.ID))
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
// Every other session that the passkey logged in ends with it (a lost or stolen device may
// still be logged in with it).
func (s *Service) Remove(ctx context.Context, cur account.SignedIn, id, proof string) ([]Passkey, error) {
	credID, err := decodeID(id)
	if err != nil {
		return nil, err
	}
	var left []Passkey
	err = store.InTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := s.reauth.Require(ctx, tx, cur.SessionID, reauth.RemovePasskey, proof); err != nil {
			return err
		}
		// A passkey is removed most often because its device was lost or stolen: whoever
		// holds the device may be logged in with it, so the sessions it logged in end with
		// it (all but this one, the person's own). Before the passkey's row goes, which
		// forgets which sessions it logged in; a refusal below rolls this back too.
		ended, err := s.sessions.EndLoggedInWith(ctx, tx, cur.Account.ID, credID, cur.SessionID)
		if err != nil {
			return err
		}
		// DELETE ... WHERE credential_id = $1 AND account_id = $2: ownership is part of the
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
		// another usable passkey remains. (Rolled back: nothing was deleted.) On PostgreSQL
		// this check holds across replicas because InTx is SERIALIZABLE: two removals of an
		// account's last two passkeys, each seeing the other left, cannot both commit.
		if !removed.CloneWarning && !acct.HasPassword && len(usable(left)) == 0 {
			return apperr.LastWayToLogIn.Wrap(errors.New("last usable passkey of an account without a password"))
		}
		e := audit.Event{AccountID: cur.Account.ID, Kind: audit.PasskeyRemoved, PasskeyName: removed.Name}
		if ended > 0 {
			e.Detail = fmt.Sprintf("%d sessions it logged in ended", ended)
		}
		return s.audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return left, nil
}
