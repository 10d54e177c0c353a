package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/nhs-passkeys/companion/backend/store"
)

// Store reads and writes the sessions table. Tokens arrive here already hashed.
type Store struct{}

// insert adds a session that has just logged in: authenticated now, with its login grace
// unused (see package reauth), logged in with passkey passkeyID (0: not with a passkey).
func (Store) insert(ctx context.Context, q store.DBTX, tokenHash []byte, accountID, passkeyID int64, now, expires time.Time) error {
	passkey := sql.NullInt64{Int64: passkeyID, Valid: passkeyID != 0}
	_, err := q.ExecContext(ctx,
		`INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at, authenticated_at, login_grace, passkey_id)
		 VALUES ($1, $2, $3, $4, $5, $6, 1, $7)`,
		tokenHash, accountID, store.Millis(now), store.Millis(now), store.Millis(expires), store.Millis(now), passkey)
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// deleteLoggedInWith deletes the sessions of accountID that the account's passkey with
// credentialID logged in, except session keep, and returns how many. It must run before the
// passkey's row is deleted, which sets their passkey_id to NULL.
func (Store) deleteLoggedInWith(ctx context.Context, q store.DBTX, accountID int64, credentialID []byte, keep int64) (int64, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = $1 AND id != $2
		AND passkey_id IN (SELECT id FROM passkeys WHERE credential_id = $3 AND account_id = $4)`, accountID, keep, credentialID, accountID)
	if err != nil {
		return 0, fmt.Errorf("delete the sessions a passkey logged in: %w", err)
	}
	return res.RowsAffected()
}

// row is a stored session as Resolve and Peek need it.
type row struct {
	id, accountID     int64
	lastSeen, expires time.Time
}

// byToken reads the session with tokenHash, whether or not it has ended; found is false when
// there is none. It only reads: a request must be answerable when nothing can be written.
func (Store) byToken(ctx context.Context, q store.DBTX, tokenHash []byte) (r row, found bool, err error) {
	var lastSeen, expires int64
	err = q.QueryRowContext(ctx, `SELECT id, account_id, last_seen_at, expires_at FROM sessions WHERE token_hash = $1`,
		tokenHash).Scan(&r.id, &r.accountID, &lastSeen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return row{}, false, nil
	}
	if err != nil {
		return row{}, false, fmt.Errorf("read session: %w", err)
	}
	r.lastSeen, r.expires = store.FromMillis(lastSeen), store.FromMillis(expires)
	return r, true, nil
}

// saveLastUse records that session id was used at; an earlier time never replaces a later
// one (two requests may save out of order). A CASE, not max() or greatest(): each engine
// lacks the other's (store.Engine).
func (Store) saveLastUse(ctx context.Context, q store.DBTX, id int64, at time.Time) error {
	if _, err := q.ExecContext(ctx, `UPDATE sessions SET last_seen_at = CASE WHEN last_seen_at > $1 THEN last_seen_at ELSE $1 END WHERE id = $2`, store.Millis(at), id); err != nil {
		return fmt.Errorf("record the last use of a session: %w", err)
	}
	return nil
}

// deleteEndedByToken removes the session with tokenHash if it has ended by now: past its
// absolute end, or stored as last used idle or longer ago. The caller has found it ended
// (with its last use in memory too); the conditions keep a session that another request
// has just rotated or renewed from being deleted on stale knowledge.
func (Store) deleteEndedByToken(ctx context.Context, q store.DBTX, tokenHash []byte, now time.Time, idle time.Duration) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1 AND (expires_at <= $2 OR last_seen_at <= $3)`,
		tokenHash, store.Millis(now), store.Millis(now.Add(-idle))); err != nil {
		return fmt.Errorf("delete ended session: %w", err)
	}
	return nil
}

// setToken replaces the token of session id (rotation); the row, its proofs and its
// ceremonies stay. found is false when there is no such session (it has ended).
func (Store) setToken(ctx context.Context, q store.DBTX, id int64, tokenHash []byte) (found bool, err error) {
	res, err := q.ExecContext(ctx, `UPDATE sessions SET token_hash = $1 WHERE id = $2`, tokenHash, id)
	if err != nil {
		return false, fmt.Errorf("rotate session token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("rotate session token: rows affected: %w", err)
	}
	return n == 1, nil
}

// takeLoginGrace uses up the login grace of session id if the session logged in after since
// and the grace is unused, or was kept for repeat (see hasLoginGrace); it reports whether it
// did. With repeat set, the grace is kept for further repeats of that action.
func (Store) takeLoginGrace(ctx context.Context, q store.DBTX, id int64, since time.Time, repeat string) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE sessions SET login_grace = 0, login_grace_kept_for = $1
		WHERE id = $2 AND authenticated_at > $3 AND (login_grace = 1 OR ($4 != '' AND login_grace_kept_for = $5))`,
		repeat, id, store.Millis(since), repeat, repeat)
	if err != nil {
		return false, fmt.Errorf("take login grace: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("take login grace: %w", err)
	}
	return n == 1, nil
}

// hasLoginGrace reports whether session id logged in after since and its login grace is
// unused or, when repeat names an action, was used for that action and kept for its repeats.
func (Store) hasLoginGrace(ctx context.Context, q store.DBTX, id int64, since time.Time, repeat string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM sessions
		WHERE id = $1 AND authenticated_at > $2 AND (login_grace = 1 OR ($3 != '' AND login_grace_kept_for = $4))`,
		id, store.Millis(since), repeat, repeat).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check login grace: %w", err)
	}
	return n == 1, nil
}

// deleteOthers removes every session of accountID except id and returns how many there were.
func (Store) deleteOthers(ctx context.Context, q store.DBTX, id, accountID int64) (int64, error) {
	res, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = $1 AND id != $2`, accountID, id)
	if err != nil {
		return 0, fmt.Errorf("delete other sessions: %w", err)
	}
	return res.RowsAffected()
}

// delete removes the session with tokenHash and returns its account; found is false when
// there was none.
func (Store) delete(ctx context.Context, q store.DBTX, tokenHash []byte) (accountID int64, found bool, err error) {
	err = q.QueryRowContext(ctx, `DELETE FROM sessions WHERE token_hash = $1 RETURNING account_id`, tokenHash).Scan(&accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("delete session: %w", err)
	}
	return accountID, true, nil
}

// deleteEnded removes the sessions past their absolute end or idle for too long. Each side
// of the OR has its own index (migration 0003), so it reads only the ended rows.
const deleteEnded = `DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2`

// deleteExpired removes every session past its absolute end or stored as last used idle or
// longer ago.
func (Store) deleteExpired(ctx context.Context, q store.DBTX, now time.Time, idle time.Duration) error {
	_, err := q.ExecContext(ctx, deleteEnded, store.Millis(now), store.Millis(now.Add(-idle)))
	if err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}
