//go:build linux

package backend_test

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/store"
)

// A data folder on a disk that is full when the app starts (a tmpfs filled to the last
// block): the app stops with a message that names the folder, says the disk is full, that
// nothing saved has been lost and what to do, with a stable code (data_disk_full) for the
// desktop window to show (data_unusable), not SQLite's "database or disk is full (13)" or
// "disk I/O error (4874)". The person's database is not changed, and once there is space
// the app starts with everything in it.
func TestAFullDiskAtStartGivesAClearMessageAndLosesNothing(t *testing.T) {
	for _, tt := range []struct {
		name     string
		existing bool
	}{
		{"a new data folder", false},
		{"a data folder with the person's database", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			mountTmpfs(t, dir, "size=2m,mode=0700")
			db := filepath.Join(dir, store.FileName)
			if tt.existing {
				goodDatabase(t, db)
			}
			filler := filepath.Join(dir, "filler")
			fillDisk(t, filler)
			var before []byte
			if tt.existing {
				before = mustRead(t, db)
			}

			srv, err := backend.New(t.Context(), backend.Config{DataDir: dir, Origin: "http://localhost:8080"})
			if err == nil {
				srv.Close()
				t.Fatal("the app started on a full disk")
			}
			var refused *store.DataError
			if !errors.As(err, &refused) || refused.Code != store.DataDiskFull {
				t.Fatalf("error = %v (%T), want a DataError %s", err, err, store.DataDiskFull)
			}
			for _, msg := range []string{refused.Msg, refused.Page} {
				for _, want := range []string{dir, "disk", "full", "Nothing you saved has been lost", "Free up some space"} {
					if !strings.Contains(msg, want) {
						t.Errorf("the message %q does not say %q", msg, want)
					}
				}
			}
			if strings.Contains(refused.Page, "--data-dir") {
				t.Errorf("the window's message offers a command-line option: %q", refused.Page)
			}
			if tt.existing {
				if after := mustRead(t, db); string(after) != string(before) {
					t.Fatal("the person's database changed")
				}
			}

			// Space again: the app starts, with the person's account.
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
			srv, err = backend.New(t.Context(), backend.Config{DataDir: dir, Origin: "http://localhost:8080"})
			if err != nil {
				t.Fatalf("with space again: %v", err)
			}
			srv.Close()
			conn, err := sql.Open("sqlite", db)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var n int
			if err := conn.QueryRowContext(t.Context(), `SELECT count(*) FROM accounts WHERE email = 'pat@example.com'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{false: 0, true: 1}[tt.existing]; n != want {
				t.Errorf("the database holds %d of the person's accounts, want %d", n, want)
			}
		})
	}
}

// fillDisk writes path until its file system has no block left.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			return // ENOSPC: full
		}
	}
}
