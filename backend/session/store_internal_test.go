package session

import (
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/backend/store"
)

// Every login clears out ended sessions; reading the whole table to do it would make each
// login slower as sessions build up.
// SQLite only: the plan is SQLite's (EXPLAIN QUERY PLAN); on PostgreSQL the same two indexes
// serve a BitmapOr.
func TestClearingEndedSessionsReadsOnlyTheEndedOnes(t *testing.T) {
	db := store.NewForTest(t)
	rows, err := db.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+deleteEnded, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(plan, "; ")
	for _, want := range []string{"sessions_by_expiry", "sessions_by_last_seen", "ceremonies_by_session"} {
		if !strings.Contains(got, want) {
			t.Errorf("plan %q does not use %s", got, want)
		}
	}
	if strings.Contains(got, "SCAN ") {
		t.Errorf("plan %q reads a whole table (the sessions, or the ceremonies it cascades to)", got)
	}
}
