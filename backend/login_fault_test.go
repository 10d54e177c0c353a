//go:build linux

package backend_test

// kill -9 while logins are being group-committed (issue 21): the served backend in a child
// process (serve_fault_test.go) takes passkey logins from many clients at once, so that on
// SQLite their writes are committed in groups (store.Group), and is killed in the middle.

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend/store"
)

func TestKillDashNineDuringGroupCommitsLosesNothingAcknowledged(t *testing.T) {
	store.ForEachEngine(t, testKillDashNineDuringGroupCommits)
}

// person is one account with one passkey, logging in again and again.
type person struct {
	email      string
	setUp      *browser
	registered uint32     // the authenticator's counter after registration
	acked      []*browser // the browsers whose login was answered 200, in order
	lastAcked  uint32     // the counter of the last login answered 200
	lastTried  uint32     // the counter of the last login tried (answered or not)
}

func testKillDashNineDuringGroupCommits(t *testing.T, engine store.Engine) {
	dir := t.TempDir()
	var (
		env []string
		url string
	)
	if engine == store.Postgres {
		url = store.PostgresForTest(t)
		env = append(env, childDatabaseEnv+"="+url)
	}
	srv := startChild(t, dir, env...)

	// Each person signs up and sets up a passkey, before the logins start (four at a time, as
	// in serve_fault_test.go: set-up is not under test).
	const people = 16
	persons := make([]*person, people)
	var wg sync.WaitGroup
	setUpSlots := make(chan struct{}, 4)
	for i := range persons {
		wg.Go(func() {
			setUpSlots <- struct{}{}
			defer func() { <-setUpSlots }()
			b := newBrowser(t, srv)
			p := &person{email: fmt.Sprintf("group-%d@example.com", i), setUp: b}
			if status, body, err := b.signUp(p.email); err != nil || status != http.StatusCreated {
				t.Errorf("sign up: %d %s %v", status, body, err)
				return
			}
			if status, body, err := b.registerPasskey(); err != nil || status != http.StatusCreated {
				t.Errorf("set up a passkey: %d %s %v", status, body, err)
				return
			}
			p.registered = b.passes.Credentials[0].SignCount
			p.lastAcked, p.lastTried = p.registered, p.registered
			persons[i] = p
		})
	}
	wg.Wait()
	if t.Failed() {
		t.Fatalf("the set-up failed; the server said:\n%s", srv.stderr)
	}

	// Everyone logs in over and over, each from a new browser, all at once: the finishes
	// queue for the writer and are committed in groups. The kill comes in the middle.
	var (
		mu     sync.Mutex
		total  int
		killed = make(chan struct{})
	)
	for _, p := range persons {
		wg.Go(func() {
			for {
				select {
				case <-killed:
					return
				default:
				}
				b := &browser{t: t, c: srv, passes: p.setUp.passes}
				jar, _ := cookiejar.New(nil)
				b.http = &http.Client{Jar: jar, Timeout: 30 * time.Second}
				status, _, err := b.loginWithPasskey()
				mu.Lock()
				p.lastTried = p.setUp.passes.Credentials[0].SignCount
				if err == nil && status == http.StatusOK {
					p.acked = append(p.acked, b)
					p.lastAcked = p.lastTried
					total++
				}
				mu.Unlock()
				if err != nil {
					return // the server is gone
				}
				// Any other answer than 200 (on PostgreSQL a transaction may still conflict after
				// its retries) is a login not acknowledged: the checks below hold for it too.
			}
		})
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := total
		mu.Unlock()
		if n >= 300 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	srv.kill(t)
	close(killed)
	wg.Wait()

	// What the database holds after the kill, read before the server starts again.
	var db *sql.DB
	if engine == store.SQLite {
		integrityCheck(t, dir)
		var err error
		if db, err = sql.Open("sqlite", filepath.Join(dir, store.FileName)+"?_busy_timeout=5000"); err != nil {
			t.Fatal(err)
		}
	} else {
		var err error
		if db, err = store.OpenPostgresNoMigrate(url); err != nil {
			t.Fatal(err)
		}
	}
	defer db.Close()
	ctx := t.Context()
	var acknowledged, committed int
	for _, p := range persons {
		var stored uint32
		var signIns, sessions int
		if err := db.QueryRowContext(ctx, `SELECT p.sign_count,
			(SELECT count(*) FROM audit_events e WHERE e.account_id = a.id AND e.kind = 'signed_in' AND e.method = 'passkey'),
			(SELECT count(*) FROM sessions s WHERE s.account_id = a.id)
			FROM accounts a JOIN passkeys p ON p.account_id = a.id WHERE a.email = $1`, p.email).Scan(&stored, &signIns, &sessions); err != nil {
			t.Fatalf("%s: %v", p.email, err)
		}
		// Every login answered 200 is durable: the counter is at least its counter...
		if stored < p.lastAcked || stored > p.lastTried {
			t.Errorf("%s: stored counter %d, want between the last acknowledged login's %d and the last tried %d",
				p.email, stored, p.lastAcked, p.lastTried)
		}
		// ...and nothing is half-written: each login committed is its counter step, its
		// audited sign-in and its session together (each login signs once, counter +1).
		if int(stored-p.registered) != signIns {
			t.Errorf("%s: the counter moved %d times but %d sign-ins are audited", p.email, stored-p.registered, signIns)
		}
		if sessions != signIns+1 { // + the sign-up's session
			t.Errorf("%s: %d sessions for %d audited sign-ins, want one each and the sign-up's", p.email, sessions, signIns)
		}
		acknowledged += len(p.acked)
		committed += signIns
	}
	var usedOK int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM ceremonies WHERE purpose = 'login_discoverable' AND used_at IS NOT NULL AND succeeded = 1`).
		Scan(&usedOK); err != nil {
		t.Fatal(err)
	}
	if usedOK != committed {
		t.Errorf("%d login ceremonies remembered as succeeded, but %d logins committed", usedOK, committed)
	}

	// And the restarted server agrees: every acknowledged login's browser is signed in.
	restarted := startChild(t, dir, env...)
	for _, p := range persons {
		for _, b := range p.acked {
			b.moveTo(restarted)
			if got := b.signedInAs(); got != p.email {
				t.Errorf("%s: an acknowledged login's session answered %q after the restart", p.email, got)
			}
		}
	}
	t.Logf("killed during group commits: %d logins acknowledged, %d committed, all acknowledged ones present", acknowledged, committed)
	if acknowledged < 300 {
		t.Fatalf("only %d logins were acknowledged before the kill; the load did not run", acknowledged)
	}
}
