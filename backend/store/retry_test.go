package store

import (
	"context"
	"database/sql"
	"net/http"
	"testing"

	"github.com/nhs-passkeys/companion/backend/apperr"
)

// A transaction that PostgreSQL aborts as a serialization failure (40001) every time it runs
// gives up after pgMaxAttempts attempts. The request is then answered 503 busy (a stable
// code and a message that says nothing changed and to try again), not 500 internal_error,
// and nothing any attempt wrote is left behind. PostgreSQL itself raises the failure here
// (RAISE ... USING ERRCODE), as it would for a conflict with another replica.
func TestATransactionThatKeepsConflictingIsAnsweredBusyAndChangesNothing(t *testing.T) {
	tests := []struct {
		name string
		run  func(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error
	}{
		{"InTx", InTx},
		{"Group", func(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
			return Group(ctx, db, func(_ context.Context, tx *sql.Tx) error { return fn(tx) })
		}},
		{"GroupNoSync", func(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
			return GroupNoSync(ctx, db, func(_ context.Context, tx *sql.Tx) error { return fn(tx) })
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := NewForTestOn(t, Postgres)
			ctx := t.Context()
			attempts := 0
			err := tt.run(ctx, db, func(tx *sql.Tx) error {
				attempts++
				if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (email, user_handle, created_at) VALUES ('a@b.cd', $1, 0)`, randomBytes(t)); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'another replica changed these rows' USING ERRCODE = 'serialization_failure'; END $$`)
				return err
			})
			if attempts != pgMaxAttempts {
				t.Errorf("attempts = %d, want %d", attempts, pgMaxAttempts)
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != "busy" || e.Status != http.StatusServiceUnavailable {
				t.Errorf("after %d conflicts the answer is %v, want 503 busy", attempts, err)
			}
			if !isSerializationFailure(err) {
				t.Errorf("the answer %v lost its cause (40001) for the log", err)
			}
			var n int
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM accounts`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Errorf("accounts = %d after every attempt was aborted, want 0", n)
			}
		})
	}
}
