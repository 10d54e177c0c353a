package store

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestMigrationsApplyToAFreshFile(t *testing.T) {
	db := NewForTest(t)
	ctx := t.Context()

	migrations, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(migrations) == 0 || migrations[0].Version != 1 || migrations[0].Name != "0001_init" {
		t.Fatalf("migrations = %+v", migrations)
	}
	var applied int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != len(migrations) {
		t.Errorf("schema_migrations has %d rows, want %d", applied, len(migrations))
	}
	for _, table := range []string{"accounts", "passkeys", "sessions", "ceremonies", "audit_events",
		"reauth_proofs", "auth_failures", "lockouts", "server_secrets"} {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s missing (%v)", table, err)
		}
	}

	pragmas := []struct{ name, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
		{"synchronous", "2"}, // FULL
	}
	for _, p := range pragmas {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil || got != p.want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", p.name, got, err, p.want)
		}
	}
}

func TestReopeningAppliesNothingTwice(t *testing.T) {
	migrations, err := Migrations()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), FileName)
	for range 2 {
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(migrations) {
			t.Errorf("schema_migrations rows = %d (%v), want %d", n, err, len(migrations))
		}
		db.Close()
	}
}

func TestAFailedMigrationLeavesNoTrace(t *testing.T) {
	db := NewForTest(t)
	bad := Migration{Version: 99, Name: "0099_bad", SQL: `CREATE TABLE half_done (id INTEGER); INSERT INTO no_such_table VALUES (1);`}
	if err := apply(t.Context(), db, []Migration{bad}); err == nil {
		t.Fatal("a broken migration was applied")
	}
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the first half of the failed migration stayed (%d, %v)", n, err)
	}
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM schema_migrations WHERE version = 99`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the failed migration was recorded")
	}
}

func TestAnExistingLooseFileIsMadePrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v (%v), want 0600", info.Mode().Perm(), err)
	}
}

func TestForeignKeysCascade(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, engine Engine) {
		db := NewForTestOn(t, engine)
		ctx := t.Context()
		var id int64
		if err := db.QueryRowContext(ctx, `INSERT INTO accounts (email, user_handle, created_at) VALUES ('a@b.cd', $1, 0) RETURNING id`,
			randomBytes(t)).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at) VALUES ($1, $2, 0, 0, 1)`,
			randomBytes(t), id); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM accounts WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
			t.Errorf("sessions of a deleted account = %d (%v), want 0", n, err)
		}
		_, err := db.ExecContext(ctx, `INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at) VALUES ($1, 42, 0, 0, 1)`,
			randomBytes(t))
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "foreign key") {
			t.Errorf("a session for no account was accepted: %v", err)
		}
	})
}

func TestUniqueViolationsAreRecognised(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, engine Engine) {
		db := NewForTestOn(t, engine)
		q := `INSERT INTO accounts (email, user_handle, created_at) VALUES ('a@b.cd', $1, 0)`
		if _, err := db.ExecContext(t.Context(), q, randomBytes(t)); err != nil {
			t.Fatal(err)
		}
		_, err := db.ExecContext(t.Context(), q, randomBytes(t))
		if !IsUniqueViolation(err) {
			t.Errorf("IsUniqueViolation(%v) = false", err)
		}
		if IsUniqueViolation(nil) {
			t.Errorf("IsUniqueViolation(nil) = true")
		}
		_, err = db.ExecContext(t.Context(), `INSERT INTO accounts (email, user_handle, created_at) VALUES ('x@b.cd', $1, 0)`, []byte("short"))
		if err == nil || IsUniqueViolation(err) {
			t.Errorf("a CHECK failure (%v) was taken for a unique violation, or accepted", err)
		}
	})
}

// randomBytes is a fresh 32-byte value (a user handle, a token hash).
func randomBytes(t *testing.T) []byte {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAPathWithAQueryIsRefused(t *testing.T) {
	if _, err := Open(t.Context(), filepath.Join(t.TempDir(), "x.db?mode=memory")); err == nil {
		t.Error("a path with ? was opened")
	}
}

func TestTheServerSecretIsGeneratedOnceAndKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), FileName)
	var first []byte
	for i := range 2 {
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Secret(t.Context(), db, "hmac")
		if err != nil {
			t.Fatal(err)
		}
		again, err := Secret(t.Context(), db, "hmac")
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		if len(got) != SecretBytes || string(got) != string(again) {
			t.Fatalf("secret = %x then %x", got, again)
		}
		if i == 0 {
			first = got
		} else if string(first) != string(got) {
			t.Errorf("the secret changed when the database was reopened")
		}
	}
	other, err := Secret(t.Context(), NewForTest(t), "hmac")
	if err != nil {
		t.Fatal(err)
	}
	if string(other) == string(first) {
		t.Errorf("two databases share a secret: it is not random")
	}
}

func TestTheServerSecretIsSharedByEveryConnection(t *testing.T) {
	ForEachEngine(t, func(t *testing.T, engine Engine) {
		db := NewForTestOn(t, engine)
		// Replicas (or the connections of one pool) asking at once all get the first one written.
		got := make([][]byte, 8)
		errs := make(chan error, len(got))
		for i := range got {
			go func() {
				var err error
				got[i], err = Secret(t.Context(), db, "hmac")
				errs <- err
			}()
		}
		for range got {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		for _, g := range got[1:] {
			if string(g) != string(got[0]) || len(g) != SecretBytes {
				t.Fatalf("secrets differ: %x and %x", got[0], g)
			}
		}
	})
}

// Concurrent requests reuse the pool's SQLite connections instead of opening new ones each
// time (opening one parses the whole schema): after a burst of as many requests at once as
// the pool keeps, none of their connections was closed, and a second burst opens none.
func TestConcurrentRequestsKeepTheirConnections(t *testing.T) {
	db := NewForTest(t)
	ctx := t.Context()
	burst := func() {
		t.Helper()
		var held sync.WaitGroup
		held.Add(idleConnections)
		release := make(chan struct{})
		errs := make(chan error, idleConnections)
		for range idleConnections {
			go func() {
				conn, err := db.Conn(ctx)
				held.Done()
				if err != nil {
					errs <- err
					return
				}
				<-release // every request holds its connection at once
				var n int
				err = conn.QueryRowContext(ctx, `SELECT count(*) FROM accounts`).Scan(&n)
				// Back in the pool before the burst is counted as done: a deferred Close
				// ran after the answer, so the next burst could find a connection still out
				// and open a 17th, and one would then be closed for want of room.
				if cerr := conn.Close(); err == nil {
					err = cerr
				}
				errs <- err
			}()
		}
		held.Wait()
		close(release)
		for range idleConnections {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
	burst()
	first := db.Stats()
	burst()
	second := db.Stats()
	if second.MaxIdleClosed != 0 {
		t.Errorf("%d connections were closed for want of room in the pool", second.MaxIdleClosed)
	}
	if second.OpenConnections != first.OpenConnections || first.OpenConnections < idleConnections {
		t.Errorf("open connections: %d after the first burst, %d after the second; want %d kept", first.OpenConnections, second.OpenConnections, idleConnections)
	}
}
