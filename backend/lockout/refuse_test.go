package lockout_test

import (
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/lockout"
	"github.com/nhs-passkeys/companion/backend/store"
)

// Refuse is the one owner of a failed attempt's bookkeeping: inside the caller's
// transaction it audits the attempt, counts it, pauses the way in at the limit (audited
// too), and its answer keeps all of that committed even though InTx returns an error.
func TestRefuseAuditsCountsAndPausesAndKeepsItAll(t *testing.T) {
	store.ForEachEngine(t, testRefuseAuditsCountsAndPausesAndKeepsItAll)
}

func testRefuseAuditsCountsAndPausesAndKeepsItAll(t *testing.T, engine store.Engine) {
	tests := []struct {
		name      string
		method    string
		kind      audit.Kind
		template  apperr.Template
		limit     int
		wantPause string
	}{
		{name: "wrong passwords pause the password after five", method: audit.MethodPassword, kind: audit.LoginFailed,
			template: apperr.LoginFailed, limit: lockout.SubjectRule.Limit, wantPause: "password"},
		{name: "refused passkeys pause this client's passkeys after twenty", method: audit.MethodPasskey, kind: audit.ReauthFailed,
			template: apperr.ReauthRefused, limit: lockout.PasskeyClientRule.Limit, wantPause: "passkey"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := store.NewForTestOn(t, engine)
			ctx := t.Context()
			now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			auditLog := audit.NewStore(clock)
			limiter := lockout.New(make([]byte, 32), clock, auditLog)
			keys := limiter.KeysFor("patient@example.com", "192.0.2.1", tt.method, 0)
			refuse := func() error {
				return store.InTx(ctx, db, func(tx *sql.Tx) error {
					return limiter.Refuse(ctx, tx, keys, tt.kind, "detail", tt.template.Wrap(errors.New("wrong")))
				})
			}
			want := tt.template.E()
			for i := 1; i < tt.limit; i++ {
				e, ok := apperr.As(refuse())
				if !ok || e.Code != want.Code || e.Status != want.Status || e.Msg != want.Msg {
					t.Fatalf("attempt %d: got %+v, want the %s refusal unchanged", i, e, want.Code)
				}
			}
			if err := limiter.Check(ctx, db, keys); err != nil {
				t.Fatalf("paused before the limit: %v", err)
			}
			e, ok := apperr.As(refuse())
			if !ok || e.Code != "too_many_attempts" || e.Status != 429 || e.Paused != tt.wantPause {
				t.Fatalf("attempt %d: got %+v, want the 429 pause of the %s", tt.limit, e, tt.wantPause)
			}
			// Committed: the pause holds, and every attempt and the pause are in the audit.
			if err := limiter.Check(ctx, db, keys); err == nil {
				t.Errorf("the pause was not committed")
			}
			var attempts, pauses int
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM audit_events WHERE kind = $1 AND method = $2 AND client = $3`,
				string(tt.kind), tt.method, "192.0.2.1").Scan(&attempts); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRowContext(ctx, `SELECT count(*) FROM audit_events WHERE kind = $1`, string(audit.LockedOut)).Scan(&pauses); err != nil {
				t.Fatal(err)
			}
			if attempts != tt.limit || pauses == 0 {
				t.Errorf("audited %d attempts and %d pauses, want %d attempts and a pause", attempts, pauses, tt.limit)
			}
		})
	}
}
