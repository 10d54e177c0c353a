package audit_test

import (
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/store"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

func TestEventsAreRecordedAndListedNewestFirst(t *testing.T) {
	store.ForEachEngine(t, testEventsAreRecordedAndListedNewestFirst)
}

func testEventsAreRecordedAndListedNewestFirst(t *testing.T, engine store.Engine) {
	db := store.NewForTestOn(t, engine)
	clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	a := audit.NewStore(clock.Now)
	if _, err := db.ExecContext(t.Context(), `INSERT INTO accounts (id, email, user_handle, created_at) VALUES (7, 'a@b.cd', $1, 0)`, make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	for _, e := range []audit.Event{
		{AccountID: 7, Kind: audit.AccountCreated},
		{AccountID: 0, Kind: audit.LoginFailed, Detail: "password"},
		{AccountID: 7, Kind: audit.SignedIn, Detail: "password"},
	} {
		clock.Advance(time.Second) // each event a second after the one before
		if err := a.Record(t.Context(), db, e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := a.List(t.Context(), db, 7, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Kind != audit.SignedIn || got[0].Detail != "password" || got[1].Kind != audit.AccountCreated ||
		!got[0].At.After(got[1].At) || got[0].AccountID != 7 {
		t.Errorf("List = %+v", got)
	}
	var anonymous int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM audit_events WHERE account_id IS NULL AND kind = 'login_failed'`).Scan(&anonymous); err != nil || anonymous != 1 {
		t.Errorf("an event without an account is stored with account_id NULL: %d %v", anonymous, err)
	}
}
