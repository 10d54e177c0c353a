package reauth_test

import (
	"context"
	"database/sql"
	"net/http"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/reauth"
	"github.com/nhs-passkeys/companion/backend/session"
	"github.com/nhs-passkeys/companion/backend/store"
)

// A confirmation whose session ended after the request was let in (logged out, or ended by
// "log out everywhere else" or a new password, on this replica or another) while its password
// was being checked gets no proof: it is answered 401 not_signed_in, as the next request of
// that session would be, and writes nothing. Before, the proof's row named a session that
// was gone and the request failed with 500 internal_error.
func TestAProofIsNotIssuedForASessionThatHasEnded(t *testing.T) {
	store.ForEachEngine(t, testAProofIsNotIssuedForASessionThatHasEnded)
}

func testAProofIsNotIssuedForASessionThatHasEnded(t *testing.T, engine store.Engine) {
	ctx := t.Context()
	db := store.NewForTestOn(t, engine)
	clock := func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }
	sessions := session.NewService(db, audit.NewStore(clock), session.Options{Clock: clock})
	proofs := reauth.NewService(sessions, clock)
	var sessionID int64
	err := store.InTx(ctx, db, func(tx *sql.Tx) error {
		var account int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO accounts (email, user_handle, created_at) VALUES ('pat@example.com', $1, 0) RETURNING id`,
			make([]byte, 32)).Scan(&account); err != nil {
			return err
		}
		if _, err := sessions.Start(ctx, tx, "", account); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT id FROM sessions`).Scan(&sessionID)
	})
	if err != nil {
		t.Fatal(err)
	}
	// Another request (or replica) ends the session.
	if _, err := db.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, sessionID); err != nil {
		t.Fatal(err)
	}
	err = store.InTx(ctx, db, func(tx *sql.Tx) error {
		_, _, err := proofs.Issue(context.WithoutCancel(ctx), tx, sessionID, reauth.ChangePassword)
		return err
	})
	if e, ok := apperr.As(err); !ok || e.Code != "not_signed_in" || e.Status != http.StatusUnauthorized {
		t.Errorf("Issue for an ended session = %v, want 401 not_signed_in", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM reauth_proofs`).Scan(&n); err != nil || n != 0 {
		t.Errorf("proofs = %d (%v), want none", n, err)
	}
}
