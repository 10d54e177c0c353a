package store

import (
	"os"
	"path/filepath"
	"strings"
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
	db := NewForTest(t)
	ctx := t.Context()
	for _, q := range []string{
		`INSERT INTO accounts (id, email, user_handle, created_at) VALUES (1, 'a@b.cd', randomblob(32), 0)`,
		`INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at) VALUES (randomblob(32), 1, 0, 0, 1)`,
		`DELETE FROM accounts WHERE id = 1`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("sessions of a deleted account = %d (%v), want 0", n, err)
	}
	_, err := db.ExecContext(ctx, `INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at) VALUES (randomblob(32), 42, 0, 0, 1)`)
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
		t.Errorf("a session for no account was accepted: %v", err)
	}
}

func TestUniqueViolationsAreRecognised(t *testing.T) {
	db := NewForTest(t)
	q := `INSERT INTO accounts (email, user_handle, created_at) VALUES ('a@b.cd', randomblob(32), 0)`
	if _, err := db.ExecContext(t.Context(), q); err != nil {
		t.Fatal(err)
	}
	_, err := db.ExecContext(t.Context(), q)
	if !IsUniqueViolation(err) {
		t.Errorf("IsUniqueViolation(%v) = false", err)
	}
	if IsUniqueViolation(nil) {
		t.Errorf("IsUniqueViolation(nil) = true")
	}
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
