// Package audit records what happened to an account (sign-ins, failed logins, changes) so
// it can be shown to the person later.
package audit

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/nhs-passkeys/companion/backend/store"
)

// Kind names an event. The values are stored: never change one.
type Kind string

// The events recorded today.
const (
	AccountCreated Kind = "account_created"
	SignedIn       Kind = "signed_in"
	LoginFailed    Kind = "login_failed"
	PasskeyAdded   Kind = "passkey_added"
	SignedOut      Kind = "signed_out"
)

// Event is one row of audit_events. AccountID is 0 when no known account is involved
// (a failed login with an email we do not know). Detail is short and never holds a secret
// or the email address typed: e.g. "password", "passkey", "wrong password".
type Event struct {
	ID        int64
	AccountID int64
	Kind      Kind
	Detail    string
	At        time.Time
}

// Store writes and reads audit_events.
type Store struct {
	clock func() time.Time
}

// NewStore returns a Store that stamps events with clock.
func NewStore(clock func() time.Time) *Store {
	return &Store{clock: clock}
}

// Record writes e (At is set from the clock) through q, so it commits or rolls back with
// the caller's transaction.
func (s *Store) Record(ctx context.Context, q store.DBTX, e Event) error {
	var account any
	if e.AccountID != 0 {
		account = e.AccountID
	}
	_, err := q.ExecContext(ctx,
		`INSERT INTO audit_events (account_id, kind, detail, at) VALUES (?, ?, ?, ?)`,
		account, string(e.Kind), e.Detail, store.Millis(s.clock()))
	if err != nil {
		return fmt.Errorf("record audit event %s: %w", e.Kind, err)
	}
	return nil
}

// List returns the events of one account, newest first.
func (s *Store) List(ctx context.Context, q store.DBTX, accountID int64) ([]Event, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT id, account_id, kind, detail, at FROM audit_events
		 WHERE account_id = ? ORDER BY at DESC, id DESC`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var (
			e       Event
			account sql.NullInt64
			kind    string
			at      int64
		)
		if err := rows.Scan(&e.ID, &account, &kind, &e.Detail, &at); err != nil {
			return nil, fmt.Errorf("list audit events: %w", err)
		}
		e.AccountID = account.Int64
		e.Kind = Kind(kind)
		e.At = store.FromMillis(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return out, nil
}
