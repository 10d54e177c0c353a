package store

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// NewForTest opens a fresh database file in t.TempDir() with every migration applied and
// closes it when the test ends.
func NewForTest(t testing.TB) *sql.DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), FileName))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
