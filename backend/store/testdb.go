package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// template is an empty database with every migration applied, made once per test binary:
// copying it is much faster than migrating afresh (several times so under -race), and tests
// make hundreds of databases.
var template = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "store-template-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, FileName)
	db, err := Open(context.Background(), path)
	if err != nil {
		return nil, err
	}
	// Fold the WAL into the main file so the file alone is the whole database.
	if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	return os.ReadFile(path) //nolint:gosec // G304: the template database just written in its own temporary folder
})

// PrepareForTest writes a freshly migrated, empty database (no server secret yet) to
// dir/FileName, as Open would make it; Open then only checks the migrations.
func PrepareForTest(t testing.TB, dir string) {
	t.Helper()
	body, err := template()
	if err != nil {
		t.Fatalf("make the template database: %v", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), body, 0o600); err != nil {
		t.Fatal(fmt.Errorf("write test database: %w", err))
	}
}

// MarkNewerVersionForTest records in the database file at path a migration this build does
// not have, as a newer version of the app leaves it (Open then refuses it with
// DataNewerVersion). The file is written through SQLite and closed, its WAL folded in.
func MarkNewerVersionForTest(t testing.TB, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_from_the_future')`); err != nil {
		db.Close()
		t.Fatalf("mark %s as a newer version's: %v", path, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// NewForTest opens a fresh database file in t.TempDir() with every migration applied and
// closes it when the test ends.
func NewForTest(t testing.TB) *sql.DB {
	t.Helper()
	dir := t.TempDir()
	PrepareForTest(t, dir)
	db, err := Open(t.Context(), filepath.Join(dir, FileName))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DescribeForTest describes each path and, for a folder, everything in it, without
// following links: type, mode, size, modification time, a hash of the bytes of each file and
// the target of each link. Two equal descriptions taken before and after something show that
// it changed nothing (and created nothing: no -wal, -shm or lock file).
func DescribeForTest(t testing.TB, paths ...string) string {
	t.Helper()
	var out strings.Builder
	for _, root := range paths {
		err := filepath.WalkDir(root, func(path string, _ fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && path == root {
					fmt.Fprintf(&out, "%s: absent\n", path)
					return nil
				}
				return err
			}
			info, err := os.Lstat(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(&out, "%s: %v size %d modified %s", path, info.Mode(), info.Size(), info.ModTime().Format(time.RFC3339Nano))
			switch {
			case info.Mode()&fs.ModeSymlink != 0:
				target, err := os.Readlink(path)
				if err != nil {
					return err
				}
				fmt.Fprintf(&out, " -> %s", target)
			case info.Mode().IsRegular():
				body, err := os.ReadFile(path) //nolint:gosec // G304: a test's own files, under the paths it names
				if err != nil {
					return err
				}
				fmt.Fprintf(&out, " sha256 %x", sha256.Sum256(body))
			}
			out.WriteString("\n")
			return nil
		})
		if err != nil {
			t.Fatalf("describe %s: %v", root, err)
		}
	}
	return out.String()
}
