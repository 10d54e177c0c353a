// Ceremonies: begun (saved) and finished (taken: consumed whatever the outcome, single use).

package passkey

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/store"
)

// newCeremonyID returns 128 random bits, base64url.
func newCeremonyID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("ceremony id: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// saveCeremony stores the server side of a ceremony begun now through q and returns its id.
// saveCeremonyNow stores a ceremony as a part of a group commit, so that it queues with the
// other writers instead of racing them in SQLite's busy handler. Its commit does not wait
// for the disk (store.GroupNoSync says why that is safe: a begin lost in a crash only means
// beginning again, and can never make a used ceremony usable again).
func (s *Service) saveCeremonyNow(ctx context.Context, c ceremony, data *webauthn.SessionData) (id string, err error) {
	err = store.GroupNoSync(ctx, s.db, func(ctx context.Context, tx *sql.Tx) error {
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
	// Expired and forgotten ceremonies are cleared out at most once a minute (cleanUp); a
	// finish refuses an expired one that is still there as it always did.
	if s.cleanUp.Due(now) {
		if err := s.store.deleteEnded(ctx, q, now, now.Add(-usedCeremonyMemory)); err != nil {
			return "", err
		}
	}
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
func ceremonyUsed(purpose string) apperr.Template {
	switch purpose {
	case purposeRegistration:
		return apperr.CeremonyUsedRegistration
	case purposeReauth:
		return apperr.CeremonyUsedReauth
	}
	return apperr.CeremonyUsedLogin
}

// usedCeremonyMemory is how long a used ceremony is remembered after its use: as long as a
// ceremony lives, so a ceremony finished at the last moment is still recognised when the
// second finish comes after its expiry (and every forgotten one has expired: deleteEnded).
const usedCeremonyMemory = CeremonyTimeout

// takeCeremony consumes the ceremony id inside tx: it is marked used, not (or not yet)
// successfully; the finish calls s.store.ceremonySucceeded when it succeeds, in the same
// transaction. It returns a refusal when the ceremony cannot be finished:
//   - it was already used: 409 ceremony_used when that finish succeeded, else 400
//     ceremony_expired "already tried" (the ceremony must be begun again either way);
//   - it is unknown (never begun, or forgotten), has expired, or was begun for another
//     purpose, account or session: 400 ceremony_expired. The binding is checked for a used
//     ceremony too, so another session learns nothing from a replay.
//
// Consumed whatever the outcome: a ceremony is single use, so its refusals are marked with
// store.CommitRefusal (the transaction keeps the consumption).
func (s *Service) takeCeremony(ctx context.Context, tx *sql.Tx, id string, want ceremonyWant) (ceremony, error) {
	refuse := func(refusal *apperr.E) (ceremony, error) { return ceremony{}, store.CommitRefusal(refusal) }
	if id == "" {
		return refuse(apperr.CeremonyExpired.Wrap(errors.New("no ceremony id")))
	}
	now := s.clock()
	c, found, err := s.store.openCeremony(ctx, tx, id)
	if err != nil {
		return ceremony{}, err
	}
	if !found {
		return ceremony{}, s.ceremonyGone(ctx, tx, id, want)
	}
	used, err := s.store.useCeremony(ctx, tx, id, now)
	if err != nil {
		return ceremony{}, err
	}
	if !used {
		// Not expected: tx read it open, and nothing else can write it meanwhile (SQLite's
		// writer lock; on PostgreSQL a concurrent use aborts this SERIALIZABLE transaction
		// with 40001, and the retry reads it used). Answered as a second finish all the same.
		return ceremony{}, s.ceremonyGone(ctx, tx, id, want)
	}
	if err := expired(c, now); err != nil {
		return ceremony{}, err
	}
	if why := want.mismatch(c.Purpose, c.AccountID, c.SessionID); why != "" {
		return refuse(apperr.CeremonyExpired.Wrap(errors.New(why)))
	}
	return c, nil
}

// expired refuses (committed: the ceremony stays consumed) a ceremony finished at now or
// after it expired.
func expired(c ceremony, now time.Time) error {
	if now.Before(c.ExpiresAt) {
		return nil
	}
	return store.CommitRefusal(apperr.CeremonyExpired.Wrap(fmt.Errorf("ceremony expired at %s", c.ExpiresAt.Format(time.RFC3339))))
}

// ceremonyGone is the refusal of a finish whose ceremony id is not (or no longer) there to
// take: used by an earlier finish (409 ceremony_used if that one succeeded, else 400
// ceremony_expired "already tried"), or unknown, forgotten or bound to something else (400
// ceremony_expired). It only reads, through q.
func (s *Service) ceremonyGone(ctx context.Context, q store.DBTX, id string, want ceremonyWant) error {
	refuse := func(refusal *apperr.E) error { return store.CommitRefusal(refusal) }
	used, remembered, err := s.store.usedCeremony(ctx, q, id)
	switch {
	case err != nil:
		return err
	case !remembered || !s.clock().Before(used.UsedAt.Add(usedCeremonyMemory)):
		return refuse(apperr.CeremonyExpired.Wrap(errors.New("unknown ceremony")))
	case !used.UsedAt.Before(used.ExpiresAt):
		// Its finish came too late and was refused as expired: so is this one.
		return refuse(apperr.CeremonyExpired.Wrap(errors.New("ceremony used after it expired")))
	}
	if why := want.mismatch(used.Purpose, used.AccountID, used.SessionID); why != "" {
		return refuse(apperr.CeremonyExpired.Wrap(errors.New("used " + why)))
	}
	if used.Succeeded {
		return refuse(ceremonyUsed(used.Purpose).Wrap(errors.New("second finish of a ceremony that succeeded")))
	}
	return refuse(apperr.CeremonyTried.Wrap(errors.New("second finish of a ceremony that was refused")))
}
