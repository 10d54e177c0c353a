package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend/apperr"
)

// insertAccount is a part that writes one account row with email.
func insertAccount(email string, then error) Part {
	return func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO accounts (email, user_handle, created_at) VALUES ($1, $2, 0)`,
			email, []byte(fmt.Sprintf("%-16s", email))); err != nil {
			return err
		}
		return then
	}
}

func emails(t *testing.T, db *sql.DB) map[string]bool {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), `SELECT email FROM accounts`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			t.Fatal(err)
		}
		out[e] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// holdWriter runs a part that blocks the group writer until release is closed, so that the
// requests submitted meanwhile queue up and are committed as one group. It returns once the
// blocking part runs, and the function that waits for its answer.
func holdWriter(t *testing.T, db *sql.DB, release <-chan struct{}) (wait func() error) {
	t.Helper()
	running := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Group(context.Background(), db, func(ctx context.Context, tx *sql.Tx) error {
			close(running)
			<-release
			return insertAccount("first@example.com", nil)(ctx, tx)
		})
	}()
	<-running
	return func() error { return <-done }
}

// queued waits until n requests are queued behind the running group.
func queued(t *testing.T, db *sql.DB, n int) {
	t.Helper()
	w := groupOf(db)
	deadline := time.Now().Add(10 * time.Second)
	for {
		w.mu.Lock()
		got := len(w.queue)
		w.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// Concurrent requests share a transaction, and each is answered for its own part: a part
// that fails is refused alone (its writes undone), a marked refusal keeps its writes, and the
// others commit.
func TestAGroupAnswersEachRequestForItsOwnPart(t *testing.T) {
	failure := errors.New("this request's part failed")
	parts := []struct {
		email     string
		then      error
		committed bool
		wantCode  string
		wantErr   error
	}{
		{email: "ok-1@example.com", committed: true},
		{email: "fails@example.com", then: failure, wantErr: failure},
		{email: "refused-kept@example.com", then: CommitRefusal(apperr.LoginFailed.Wrap(errors.New("no"))), committed: true,
			wantCode: "login_failed"},
		{email: "refused-undone@example.com", then: apperr.LoginFailed.Wrap(errors.New("no")), wantCode: "login_failed"},
		{email: "ok-2@example.com", committed: true},
	}
	ForEachEngine(t, func(t *testing.T, engine Engine) {
		db := NewForTestOn(t, engine)
		release := make(chan struct{})
		var wait func() error
		if engine == SQLite {
			wait = holdWriter(t, db, release)
		}
		answers := make([]error, len(parts))
		var wg sync.WaitGroup
		for i, p := range parts {
			wg.Go(func() { answers[i] = Group(t.Context(), db, insertAccount(p.email, p.then)) })
			if engine == SQLite {
				queued(t, db, i+1) // in this order, all in the next group
			}
		}
		close(release)
		wg.Wait()
		if wait != nil {
			if err := wait(); err != nil {
				t.Fatalf("the first group: %v", err)
			}
		}
		got := emails(t, db)
		for i, p := range parts {
			if got[p.email] != p.committed {
				t.Errorf("%s: written = %v, want %v", p.email, got[p.email], p.committed)
			}
			err := answers[i]
			e, isRefusal := apperr.As(err)
			switch {
			case p.wantCode != "" && (!isRefusal || e.Code != p.wantCode):
				t.Errorf("%s: answered %v, want the %s refusal", p.email, err, p.wantCode)
			case p.wantErr != nil && !errors.Is(err, p.wantErr):
				t.Errorf("%s: answered %v, want %v", p.email, err, p.wantErr)
			case p.wantCode == "" && p.wantErr == nil && err != nil:
				t.Errorf("%s: answered %v, want nil", p.email, err)
			}
			var marked committedRefusal
			if errors.As(err, &marked) {
				t.Errorf("%s: answered with the mark itself (%v)", p.email, err)
			}
		}
	})
}

// A request whose context ends while it waits in the queue is answered at once and its part
// never runs; the requests around it are not affected.
func TestARequestCancelledWhileQueuedWritesNothing(t *testing.T) {
	db := NewForTest(t)
	release := make(chan struct{})
	wait := holdWriter(t, db, release)
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{}, 1)
	answer := make(chan error, 1)
	go func() {
		answer <- Group(ctx, db, func(ctx context.Context, tx *sql.Tx) error {
			ran <- struct{}{}
			return insertAccount("cancelled@example.com", nil)(ctx, tx)
		})
	}()
	queued(t, db, 1)
	after := make(chan error, 1)
	go func() { after <- Group(t.Context(), db, insertAccount("after@example.com", nil)) }()
	queued(t, db, 2)
	cancel()
	close(release)
	if err := <-answer; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled request was answered %v, want context.Canceled", err)
	}
	if err := <-after; err != nil {
		t.Errorf("the request after it: %v", err)
	}
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ran:
		t.Error("the cancelled request's part ran")
	default:
	}
	got := emails(t, db)
	if got["cancelled@example.com"] || !got["after@example.com"] || !got["first@example.com"] {
		t.Errorf("accounts written: %v, want first and after only", got)
	}
}

// When the transaction itself fails, every part of the group is answered with the failure
// and nothing of any of them is written (here: a part ends the transaction under the others).
func TestAGroupWhoseTransactionFailsWritesNothing(t *testing.T) {
	db := NewForTest(t)
	release := make(chan struct{})
	wait := holdWriter(t, db, release)
	answers := make([]error, 3)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() {
			answers[i] = Group(t.Context(), db, func(ctx context.Context, tx *sql.Tx) error {
				if err := insertAccount(fmt.Sprintf("g%d@example.com", i), nil)(ctx, tx); err != nil {
					return err
				}
				if i == 1 {
					// What SQLite does itself after an I/O error or a full disk.
					if _, err := tx.ExecContext(ctx, `ROLLBACK`); err != nil {
						return err
					}
				}
				return nil
			})
		})
		queued(t, db, i+1)
	}
	close(release)
	wg.Wait()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	for i, err := range answers {
		if err == nil {
			t.Errorf("request %d was answered nil, want the group's failure", i)
		}
	}
	if got := emails(t, db); len(got) != 1 {
		t.Errorf("accounts written: %v, want only the first group's", got)
	}
}

// Many concurrent requests all commit, in groups, with no "database is locked".
func TestManyConcurrentRequestsAllCommit(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, engine Engine) {
		db := NewForTestOn(t, engine)
		const n = 200
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs <- Group(t.Context(), db, insertAccount(fmt.Sprintf("c%d@example.com", i), nil)) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := len(emails(t, db)); got != n {
			t.Errorf("%d accounts written, want %d", got, n)
		}
	})
}

// GroupNoSync commits (or not, for a failed part), and gives the connection back at
// synchronous=FULL: a later durable transaction on the same (only) connection still waits
// for the disk.
func TestGroupNoSyncLeavesTheConnectionDurable(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, engine Engine) {
		db := NewForTestOn(t, engine)
		ctx := t.Context()
		if engine == SQLite {
			db.SetMaxOpenConns(1)
		}
		for _, fail := range []bool{false, true} {
			email := fmt.Sprintf("nosync-%v@example.com", fail)
			then := error(nil)
			if fail {
				then = errors.New("refused")
			}
			err := GroupNoSync(ctx, db, insertAccount(email, then))
			if (err != nil) != fail {
				t.Fatalf("GroupNoSync = %v", err)
			}
			if got := emails(t, db)[email]; got == fail {
				t.Errorf("%s written = %v", email, got)
			}
			if engine == SQLite {
				var level int
				if err := db.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&level); err != nil {
					t.Fatal(err)
				}
				if level != 2 { // FULL
					t.Errorf("synchronous = %d after GroupNoSync, want 2 (FULL)", level)
				}
			}
		}
	})
}
