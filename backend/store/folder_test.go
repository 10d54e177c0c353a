package store

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// copyLive copies a database that is open (its -wal and -shm included) to a new folder: what
// the folder looks like after the app was stopped without closing (kill -9, a power cut).
func copyLive(t *testing.T, path string) string {
	t.Helper()
	dir := t.TempDir()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		body, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, FileName+suffix), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, FileName)
}

// The newest commits of a folder left without closing are in its WAL, not yet in the file:
// the check reads through the WAL, so a newer version's migration found only there is
// refused too, and a good database opens with everything it committed.
func TestTheCheckReadsTheWALOfAFolderLeftWithoutClosing(t *testing.T) {
	live := NewForTest(t)
	path := func() string {
		var file string
		if err := live.QueryRowContext(t.Context(), `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
			t.Fatal(err)
		}
		return file
	}()
	// SQLite folds the WAL into the file only after 1000 pages: these commits stay in the WAL.
	if _, err := live.ExecContext(t.Context(), `INSERT INTO accounts (email, user_handle, created_at) VALUES ('pat@example.com', randomblob(32), 0)`); err != nil {
		t.Fatal(err)
	}
	good := copyLive(t, path)
	db, err := Open(t.Context(), good)
	if err != nil {
		t.Fatalf("a good database left without closing: %v", err)
	}
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM accounts`).Scan(&n); err != nil || n != 1 {
		t.Errorf("accounts = %d (%v), want the one committed to the WAL", n, err)
	}
	db.Close()

	if _, err := live.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_from_the_future')`); err != nil {
		t.Fatal(err)
	}
	newer := copyLive(t, path)
	file, wal := mustRead(t, newer), mustRead(t, newer+"-wal")
	_, err = Open(t.Context(), newer)
	var bad *DataError
	if !errors.As(err, &bad) || bad.Code != DataNewerVersion || bad.Path != newer {
		t.Fatalf("a newer migration in the WAL: %v, want %s", err, DataNewerVersion)
	}
	if !bytes.Equal(mustRead(t, newer), file) || !bytes.Equal(mustRead(t, newer+"-wal"), wal) {
		t.Errorf("the refused database or its WAL was changed")
	}
}

// An empty file is what Open leaves when it stops between creating the file and SQLite
// writing to it; it is an empty database, not a stranger's file.
func TestAnEmptyFileBecomesTheDatabase(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := OpenDir(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n == 0 {
		t.Errorf("migrations applied = %d (%v)", n, err)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return body
}
