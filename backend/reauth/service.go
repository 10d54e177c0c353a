// Package reauth guards the sensitive actions (adding, renaming or removing a passkey,
// changing the password): each needs a fresh re-authentication, scoped to that action.
//
// A re-authentication (a passkey assertion or, where PasswordMayConfirm allows it, the
// password) gives a proof: a random token, stored only as its SHA-256, bound to the session
// and one action, valid for ProofTimeout and used up by the action it allows.
//
// Decision: a login (account creation, password login, passkey login) counts as a fresh
// re-authentication too. For LoginGrace after it, ONE sensitive action may proceed without a
// proof; the first such action uses the grace up. So "create an account, then set up a
// passkey" does not ask for the password twice, while a session left open still needs a
// re-authentication before a change.
//
// Decision: removing passkeys counts as one action, however many passkeys are removed
// (Repeatable). A patient who has lost the devices their passkeys were on logs in with their
// password; they must be able to remove every lost passkey without logging in again, and
// without being asked for a passkey they no longer have. So:
//   - the login grace, once used to remove a passkey, keeps allowing removals (and nothing
//     else) until it ends, LoginGrace after the login;
//   - a proof for remove-passkey allows any number of removals until it expires, in its own
//     session; proofs for the other actions stay single use;
//   - the password may confirm a removal even when the account still has a usable passkey
//     (PasswordMayConfirm), so a patient whose grace has ended is not sent back to log in.
//
// Why this is safe (docs/api.md, "Re-authentication"): whoever knows the password can already
// log in with it, and with that login's grace set up a passkey of their own and then confirm
// anything; a removal confirmed by password gives them nothing more. A stolen session token
// without the password cannot get a proof. Every grant is bound to one session, expires within
// 5 minutes, and allows removals only: never a new passkey or a new password. Each removal
// still keeps the last way to log in, and every removal and re-authentication is audited and
// shown in the account's recent activity.
package reauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/store"
)

// Action is a sensitive action a proof can allow. The values are part of the API and stored.
type Action string

// The sensitive actions.
const (
	AddPasskey     Action = "add-passkey"
	RenamePasskey  Action = "rename-passkey"
	RemovePasskey  Action = "remove-passkey"
	ChangePassword Action = "change-password"
)

// actions lists every Action.
var actions = []Action{AddPasskey, RenamePasskey, RemovePasskey, ChangePassword}

// Repeatable reports whether one re-authentication (a proof, or the login grace) allows action
// any number of times within its lifetime, in its session: only removing passkeys (see the
// package comment). Any other action uses it up.
func Repeatable(a Action) bool {
	return a == RemovePasskey
}

// PasswordMayConfirm reports whether the password may confirm action for an account with a
// password. An account with a usable passkey confirms with it, except to remove passkeys: a
// patient who has lost their devices may still have a passkey on the account that they cannot
// use, and must be able to remove it with the password they logged in with.
func PasswordMayConfirm(a Action, hasUsablePasskey bool) bool {
	return !hasUsablePasskey || a == RemovePasskey
}

// repeat is what the session's login grace is asked about for action: the action itself when
// the grace may be kept for its repeats, else "".
func repeat(a Action) string {
	if Repeatable(a) {
		return string(a)
	}
	return ""
}

// ParseAction returns the Action named s, or a 400 invalid_request refusal.
func ParseAction(s string) (Action, error) {
	for _, a := range actions {
		if string(a) == s {
			return a, nil
		}
	}
	return "", apperr.InvalidRequest(fmt.Errorf("unknown re-authentication action %q", s))
}

const (
	// ProofTimeout is how long a proof stays valid: a re-authentication no older than this.
	ProofTimeout = 5 * time.Minute
	// LoginGrace is how long after a login one sensitive action may go without a proof.
	LoginGrace = 5 * time.Minute
	proofBytes = 32 // 256 bits
)

// Required is the 403 answer to a sensitive action without a valid proof or login grace.
func Required(cause error) *apperr.E {
	return apperr.ReauthRequired.Wrap(cause)
}

// Sessions is what re-authentication needs of the session service.
type Sessions interface {
	// Rotate gives the session a new token (the old one stops working) and returns it.
	Rotate(ctx context.Context, tx *sql.Tx, sessionID int64) (string, error)
	// HasLoginGrace reports whether the session logged in after since and its login grace is
	// unused or, when repeat names an action, was used for that action and kept for its
	// repeats.
	HasLoginGrace(ctx context.Context, q store.DBTX, sessionID int64, since time.Time, repeat string) (bool, error)
	// TakeLoginGrace uses up the session's login grace as HasLoginGrace allows it, keeping it
	// for further repeats of repeat when that is not "".
	TakeLoginGrace(ctx context.Context, tx *sql.Tx, sessionID int64, since time.Time, repeat string) (bool, error)
}

// Grant is what allowed an action when it was checked: a proof (its hash) or, when
// ProofHash is nil, the login grace. An action that takes two steps (adding a passkey:
// begin, then finish) is checked at the first and uses its grant at the last, so a set-up
// that is cancelled or fails can be tried again.
type Grant struct {
	ProofHash []byte
}

// Service issues and checks proofs.
type Service struct {
	sessions Sessions
	clock    func() time.Time
}

// NewService returns the service.
func NewService(sessions Sessions, clock func() time.Time) *Service {
	return &Service{sessions: sessions, clock: clock}
}

func hash(proof string) []byte {
	sum := sha256.Sum256([]byte(proof))
	return sum[:]
}

// Issue records a proof for action in session sessionID, inside the caller's transaction (the
// one that checked the password or passkey), and rotates the session token (a
// re-authentication is a new authentication: a token captured before it is worthless after
// it). It returns the proof and the session's new token.
func (s *Service) Issue(ctx context.Context, tx *sql.Tx, sessionID int64, action Action) (proof, token string, err error) {
	now := s.clock()
	// Expired proofs are kept a while longer: a passkey set-up checked with one before it
	// expired may still be finishing (see Use).
	if _, err := tx.ExecContext(ctx, `DELETE FROM reauth_proofs WHERE expires_at <= $1`, store.Millis(now.Add(-ProofTimeout))); err != nil {
		return "", "", fmt.Errorf("delete expired proofs: %w", err)
	}
	raw := make([]byte, proofBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", "", fmt.Errorf("proof: %w", err)
	}
	proof = base64.RawURLEncoding.EncodeToString(raw)
	// The rotation first: it refuses a session that has ended since the request was let in
	// (401 not_signed_in), before a proof could name it.
	if token, err = s.sessions.Rotate(ctx, tx, sessionID); err != nil {
		return "", "", err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO reauth_proofs (token_hash, session_id, action, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, hash(proof), sessionID, string(action), store.Millis(now), store.Millis(now.Add(ProofTimeout))); err != nil {
		return "", "", fmt.Errorf("insert proof: %w", err)
	}
	return proof, token, nil
}

// Check tells whether action may proceed in session sessionID, without using anything up:
// with a proof, the proof must be live, of this session and for this action; without one,
// the session's login grace must be recent and unused (or, for a Repeatable action, kept for
// it). Otherwise it returns the 403 reauth_required refusal (an *apperr.E).
func (s *Service) Check(ctx context.Context, q store.DBTX, sessionID int64, action Action, proof string) (Grant, error) {
	now := s.clock()
	if proof == "" {
		ok, err := s.sessions.HasLoginGrace(ctx, q, sessionID, now.Add(-LoginGrace), repeat(action))
		if err != nil {
			return Grant{}, err
		}
		if !ok {
			return Grant{}, Required(errors.New("no proof, and no unused login grace"))
		}
		return Grant{}, nil
	}
	h := hash(proof)
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM reauth_proofs WHERE token_hash = $1 AND session_id = $2 AND action = $3 AND expires_at > $4`,
		h, sessionID, string(action), store.Millis(now)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Grant{}, Required(fmt.Errorf("no live proof for %s in this session", action))
	}
	if err != nil {
		return Grant{}, fmt.Errorf("check proof: %w", err)
	}
	return Grant{ProofHash: h}, nil
}

// Use uses up a grant that Check gave, inside the transaction that makes the change. Its
// freshness was checked then; here it only must not have been used meanwhile (by another
// action, or a second finish). Otherwise it returns the 403 reauth_required refusal. A grant
// for a Repeatable action is not used up: the grace is kept for that action, and the proof
// stays until it expires (Issue deletes it later).
func (s *Service) Use(ctx context.Context, tx *sql.Tx, sessionID int64, action Action, g Grant) error {
	if g.ProofHash == nil {
		ok, err := s.sessions.TakeLoginGrace(ctx, tx, sessionID, time.Time{}, repeat(action))
		if err != nil {
			return err
		}
		if !ok {
			return Required(errors.New("the login grace was used meanwhile"))
		}
		return nil
	}
	query := `DELETE FROM reauth_proofs WHERE token_hash = $1 AND session_id = $2 AND action = $3 RETURNING id`
	if Repeatable(action) {
		query = `SELECT id FROM reauth_proofs WHERE token_hash = $1 AND session_id = $2 AND action = $3`
	}
	var id int64
	err := tx.QueryRowContext(ctx, query, g.ProofHash, sessionID, string(action)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Required(fmt.Errorf("the proof for %s was used meanwhile", action))
	}
	if err != nil {
		return fmt.Errorf("take proof: %w", err)
	}
	return nil
}

// Require checks and uses up a proof or the login grace for action in one go (Check, then
// Use). Call it in the transaction that makes the change, so a refused change (or a failed
// one) rolls back and leaves the proof or grace as it was.
func (s *Service) Require(ctx context.Context, tx *sql.Tx, sessionID int64, action Action, proof string) error {
	g, err := s.Check(ctx, tx, sessionID, action, proof)
	if err != nil {
		return err
	}
	return s.Use(ctx, tx, sessionID, action, g)
}
