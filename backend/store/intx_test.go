package store

import (
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/nhs-passkeys/companion/backend/apperr"
)

// A refusal that must keep its bookkeeping (a consumed ceremony, a counted failure) is
// committed only when marked with CommitRefusal; every other error rolls back.
func TestInTxCommitsOnlyWhatItShould(t *testing.T) {
	refusal := func() *apperr.E { return apperr.LoginFailed.Wrap(errors.New("wrong password")) }
	failure := errors.New("disk on fire")
	tests := []struct {
		name      string
		result    func() error
		committed bool
		wantCode  string // the *apperr.E InTx returns, "" for none
		wantPlain error  // the plain error InTx returns, nil for none
	}{
		{name: "nothing wrong commits", result: func() error { return nil }, committed: true},
		{name: "a failure rolls back", result: func() error { return failure }, wantPlain: failure},
		{name: "an unmarked refusal rolls back", result: func() error { return refusal() }, wantCode: "login_failed"},
		{name: "a marked refusal commits and is returned as itself", result: func() error { return CommitRefusal(refusal()) },
			committed: true, wantCode: "login_failed"},
		{name: "a marked refusal wrapped with context still commits", result: func() error {
			return fmt.Errorf("finish login: %w", CommitRefusal(refusal()))
		}, committed: true, wantCode: "login_failed"},
		{name: "a failure passed to CommitRefusal still rolls back", result: func() error { return CommitRefusal(failure) },
			wantPlain: failure},
		{name: "nil passed to CommitRefusal is nil and commits", result: func() error { return CommitRefusal(nil) }, committed: true},
	}
	ForEachEngine(t, func(t *testing.T, engine Engine) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				db := NewForTestOn(t, engine)
				ctx := t.Context()
				err := InTx(ctx, db, func(tx *sql.Tx) error {
					if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (email, user_handle, created_at) VALUES ('a@b.cd', $1, 0)`, randomBytes(t)); err != nil {
						return err
					}
					return tt.result()
				})
				var n int
				if err := db.QueryRowContext(ctx, `SELECT count(*) FROM accounts`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if got := n == 1; got != tt.committed {
					t.Errorf("committed = %v, want %v", got, tt.committed)
				}
				e, isRefusal := apperr.As(err)
				switch {
				case tt.wantCode != "" && (!isRefusal || e.Code != tt.wantCode):
					t.Errorf("InTx = %v, want the %s refusal", err, tt.wantCode)
				case tt.wantCode == "" && isRefusal:
					t.Errorf("InTx = %v, want no refusal", err)
				case tt.wantPlain != nil && !errors.Is(err, tt.wantPlain):
					t.Errorf("InTx = %v, want %v", err, tt.wantPlain)
				case tt.wantCode == "" && tt.wantPlain == nil && err != nil:
					t.Errorf("InTx = %v, want nil", err)
				}
				var marked committedRefusal
				if errors.As(err, &marked) {
					t.Errorf("InTx returned the mark itself (%v): a second InTx would commit on it", err)
				}
			})
		}
	})
}
