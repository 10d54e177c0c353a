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

func (Store) insert(ctx context.Context, q store.DBTX, tokenHash []byte, accountID int64, now, expires time.Time) error {
	_, err := q.ExecContext(ctx,
		`INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		tokenHash, accountID, store.Millis(now), store.Millis(now), store.Millis(expires))
	if err != nil {
		return fmt.Errorf("insert session: %w", err)
	}
	return nil
}

// touch marks the session as seen now and returns its account, but only while it is within
// both timeouts; found is false otherwise.
func (Store) touch(ctx context.Context, q store.DBTX, tokenHash []byte, now time.Time, idle time.Duration) (accountID int64, found bool, err error) {
	err = q.QueryRowContext(ctx,
		`UPDATE sessions SET last_seen_at = ?
		 WHERE token_hash = ? AND expires_at > ? AND last_seen_at > ?
		 RETURNING account_id`,
		store.Millis(now), tokenHash, store.Millis(now), store.Millis(now.Add(-idle))).Scan(&accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("touch session: %w", err)
	}
	return accountID, true, nil
}

// delete removes the session with tokenHash and returns its account; found is false when
// there was none.
func (Store) delete(ctx context.Context, q store.DBTX, tokenHash []byte) (accountID int64, found bool, err error) {
	err = q.QueryRowContext(ctx, `DELETE FROM sessions WHERE token_hash = ? RETURNING account_id`, tokenHash).Scan(&accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("delete session: %w", err)
	}
	return accountID, true, nil
}

// deleteExpired removes every session past either timeout.
func (Store) deleteExpired(ctx context.Context, q store.DBTX, now time.Time, idle time.Duration) error {
	_, err := q.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?`,
		store.Millis(now), store.Millis(now.Add(-idle)))
	if err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}
