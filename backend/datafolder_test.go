//go:build unix

package backend_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/store"
)

// badFolder makes something bad in the data folder dir (with room for a link's target in
// elsewhere) and returns the full path the message must name.
type badFolder func(t *testing.T, dir, elsewhere string) (named string)

// goodDatabase writes a migrated database with an account in it to path.
func goodDatabase(t *testing.T, path string) {
	t.Helper()
	tmp := t.TempDir()
	store.PrepareForTest(t, tmp)
	db, err := sql.Open("sqlite", filepath.Join(tmp, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), `INSERT INTO accounts (email, user_handle, created_at) VALUES ('pat@example.com', randomblob(32), 0)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil { // the last connection folds the WAL in and removes it
		t.Fatal(err)
	}
	body, err := os.ReadFile(filepath.Join(tmp, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path string, body []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, body, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// chattr sets or clears a file attribute, or skips the case where the file system or the
// user may not (chattr +i needs root and a file system that keeps attributes).
func chattr(t *testing.T, attr, path string) {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), "chattr", attr, path).CombinedOutput()
	if err != nil {
		t.Skipf("chattr %s is not available here: %s %v", attr, out, err)
	}
}

// A bad data folder gets a clear message and is left exactly as it was (issue 14, rule 6):
// the app refuses to start, its message names the file or folder and says what to do, and
// not a byte, mode or modification time changes, nor is anything created beside it (no
// lock file, no -wal or -shm); a link's target is never touched.
func TestABadDataFolderGetsAClearMessageAndIsLeftAsItWas(t *testing.T) {
	db := func(dir string) string { return filepath.Join(dir, store.FileName) }
	tests := []struct {
		name string
		make badFolder
		code string
		says string // a part of the message that says what happened
	}{
		{"a file that is not a database", func(t *testing.T, dir, _ string) string {
			writeFile(t, db(dir), []byte("Dear Pat,\nyour appointment is on Monday.\n"), 0o600)
			return db(dir)
		}, store.DataNotADatabase, "is not an NHS login passkeys database"},
		{"a file too short to be a database", func(t *testing.T, dir, _ string) string {
			writeFile(t, db(dir), []byte("SQLite"), 0o600)
			return db(dir)
		}, store.DataNotADatabase, "is not an NHS login passkeys database"},
		{"another program's database", func(t *testing.T, dir, _ string) string {
			other, err := sql.Open("sqlite", db(dir))
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			if _, err := other.ExecContext(t.Context(), `CREATE TABLE recipes (name TEXT)`); err != nil {
				t.Fatal(err)
			}
			return db(dir)
		}, store.DataNotADatabase, "is not an NHS login passkeys database"},
		{"a damaged database (a good header, a page of garbage)", func(t *testing.T, dir, _ string) string {
			goodDatabase(t, db(dir))
			body, err := os.ReadFile(db(dir))
			if err != nil {
				t.Fatal(err)
			}
			page := int(body[16])<<8 | int(body[17])
			for i := 2 * page; i < 3*page; i++ { // the third page: a table's root
				body[i] = 0xA5
			}
			writeFile(t, db(dir), body, 0o600)
			return db(dir)
		}, store.DataDamaged, "is damaged"},
		{"a damaged database (cut short)", func(t *testing.T, dir, _ string) string {
			goodDatabase(t, db(dir))
			body, err := os.ReadFile(db(dir))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, db(dir), body[:len(body)/2], 0o600)
			return db(dir)
		}, store.DataDamaged, "is damaged"},
		{"a database the owner made read-only", func(t *testing.T, dir, _ string) string {
			goodDatabase(t, db(dir))
			writeFile(t, db(dir), mustRead(t, db(dir)), 0o400)
			return db(dir)
		}, store.DataReadOnly, "is read-only"},
		{"an immutable database (chattr +i)", func(t *testing.T, dir, _ string) string {
			goodDatabase(t, db(dir))
			chattr(t, "+i", db(dir))
			// A clean-up runs after t.Context() has ended.
			t.Cleanup(func() { _ = exec.CommandContext(context.Background(), "chattr", "-i", db(dir)).Run() })
			return db(dir)
		}, store.DataReadOnly, "is read-only"},
		{"a link to a database somewhere else", func(t *testing.T, dir, elsewhere string) string {
			goodDatabase(t, filepath.Join(elsewhere, "real.db"))
			writeFile(t, filepath.Join(elsewhere, "real.db"), mustRead(t, filepath.Join(elsewhere, "real.db")), 0o644)
			symlink(t, filepath.Join(elsewhere, "real.db"), db(dir))
			return db(dir)
		}, store.DataIsALink, "is a link to another file"},
		{"a link to nothing", func(t *testing.T, dir, elsewhere string) string {
			symlink(t, filepath.Join(elsewhere, "made-by-the-app.db"), db(dir))
			return db(dir)
		}, store.DataIsALink, "is a link to another file"},
		{"a link where the database's WAL goes", func(t *testing.T, dir, elsewhere string) string {
			goodDatabase(t, db(dir))
			writeFile(t, filepath.Join(elsewhere, "victim"), []byte("keep me"), 0o644)
			symlink(t, filepath.Join(elsewhere, "victim"), db(dir)+"-wal")
			return db(dir) + "-wal"
		}, store.DataIsALink, "is a link to another file"},
		{"a link where the database's rollback journal goes", func(t *testing.T, dir, elsewhere string) string {
			goodDatabase(t, db(dir))
			writeFile(t, filepath.Join(elsewhere, "victim"), []byte("keep me"), 0o644)
			symlink(t, filepath.Join(elsewhere, "victim"), db(dir)+"-journal")
			return db(dir) + "-journal"
		}, store.DataIsALink, "is a link to another file"},
		{"a link where the rollback journal of a database not yet begun goes", func(t *testing.T, dir, elsewhere string) string {
			writeFile(t, db(dir), nil, 0o600) // what Open leaves if it stopped before SQLite's first page
			writeFile(t, filepath.Join(elsewhere, "victim"), []byte("keep me"), 0o644)
			symlink(t, filepath.Join(elsewhere, "victim"), db(dir)+"-journal")
			return db(dir) + "-journal"
		}, store.DataIsALink, "is a link to another file"},
		{"a link where the rollback journal of a database not yet made goes", func(t *testing.T, dir, elsewhere string) string {
			writeFile(t, filepath.Join(elsewhere, "victim"), []byte("keep me"), 0o644)
			symlink(t, filepath.Join(elsewhere, "victim"), db(dir)+"-journal")
			return db(dir) + "-journal"
		}, store.DataIsALink, "is a link to another file"},
		{"a link where the lock file goes", func(t *testing.T, dir, elsewhere string) string {
			writeFile(t, filepath.Join(elsewhere, "victim"), []byte("keep me"), 0o644)
			symlink(t, filepath.Join(elsewhere, "victim"), filepath.Join(dir, store.LockFileName))
			return filepath.Join(dir, store.LockFileName)
		}, store.DataIsALink, "is a link to another file"},
		{"a folder where the database goes", func(t *testing.T, dir, _ string) string {
			if err := os.Mkdir(db(dir), 0o700); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(db(dir), "notes.txt"), []byte("mine"), 0o600)
			return db(dir)
		}, store.DataIsAFolder, "is a folder"},
		{"a database from a newer version of the app", func(t *testing.T, dir, _ string) string {
			goodDatabase(t, db(dir))
			store.MarkNewerVersionForTest(t, db(dir))
			return db(dir)
		}, store.DataNewerVersion, "was saved by a newer version"},
		{"a data folder the owner made read-only", func(t *testing.T, dir, _ string) string {
			goodDatabase(t, db(dir))
			if err := os.Chmod(dir, 0o500); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
			return dir
		}, store.DataFolderReadOnly, "cannot be changed"},
		{"a data folder on a read-only file system", func(t *testing.T, dir, _ string) string {
			mountTmpfs(t, dir, "size=1m,mode=0700")
			goodDatabase(t, db(dir))
			remount(t, dir, "ro")
			return dir
		}, store.DataFolderReadOnly, "cannot be changed"},
		{"a data folder that cannot be made (on a read-only file system)", func(t *testing.T, dir, _ string) string {
			mountTmpfs(t, dir, "size=1m,mode=0700")
			remount(t, dir, "ro")
			return filepath.Join(dir, "nhs-passkeys")
		}, store.DataFolderReadOnly, "cannot be changed"},
		{"a data folder that belongs to another user account (which anyone may change)", func(t *testing.T, dir, _ string) string {
			goodDatabase(t, db(dir))
			giveAway(t, dir, 0o777)
			return dir
		}, store.DataFolderNotYours, "belongs to another user account"},
		{"a database put back from a backup beside the WAL of the one it replaced", func(t *testing.T, dir, _ string) string {
			goodDatabase(t, db(dir))
			backup := mustRead(t, db(dir))
			// The app's life after the backup: a checkpoint, then commits only in the WAL
			// when it stopped suddenly (the files copied while it still had them open).
			conn, err := sql.Open("sqlite", db(dir))
			if err != nil {
				t.Fatal(err)
			}
			conn.SetMaxOpenConns(1)
			for i, q := range []string{`PRAGMA journal_mode=WAL`,
				`INSERT INTO accounts (email, user_handle, created_at) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) SELECT 'a' || i || '@example.com', randomblob(32), 0 FROM n`,
				`PRAGMA wal_checkpoint(TRUNCATE)`,
				`INSERT INTO accounts (email, user_handle, created_at) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) SELECT 'b' || i || '@example.com', randomblob(32), 0 FROM n`} {
				if _, err := conn.ExecContext(t.Context(), q); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
			}
			wal, shm := mustRead(t, db(dir)+"-wal"), mustRead(t, db(dir)+"-shm")
			conn.Close()
			writeFile(t, db(dir), backup, 0o600)
			writeFile(t, db(dir)+"-wal", wal, 0o600)
			writeFile(t, db(dir)+"-shm", shm, 0o600)
			return db(dir) + "-wal"
		}, store.DataStaleWAL, "holds changes that do not fit the database"},
		{"a database that belongs to another user account (which anyone may change)", func(t *testing.T, dir, _ string) string {
			goodDatabase(t, db(dir))
			giveAway(t, db(dir), 0o666)
			return db(dir)
		}, store.DataNotYours, "belongs to another user account"},
		{"a WAL that belongs to another user account", func(t *testing.T, dir, _ string) string {
			goodDatabase(t, db(dir))
			writeFile(t, db(dir)+"-wal", nil, 0o600)
			giveAway(t, db(dir)+"-wal", 0o666)
			return db(dir) + "-wal"
		}, store.DataNotYours, "belongs to another user account"},
		{"a lock file that belongs to another user account", func(t *testing.T, dir, _ string) string {
			writeFile(t, filepath.Join(dir, store.LockFileName), nil, 0o600)
			giveAway(t, filepath.Join(dir, store.LockFileName), 0o666)
			return filepath.Join(dir, store.LockFileName)
		}, store.DataNotYours, "belongs to another user account"},
		{"a data folder that is a file", func(t *testing.T, dir, _ string) string {
			writeFile(t, filepath.Join(dir, "nhs-passkeys"), []byte("a file"), 0o600)
			return filepath.Join(dir, "nhs-passkeys")
		}, store.DataFolderNotAFolder, "is a file, not a folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir, elsewhere := filepath.Join(parent, "data"), filepath.Join(parent, "elsewhere")
			for _, d := range []string{dir, elsewhere} {
				if err := os.Mkdir(d, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			named := tt.make(t, dir, elsewhere)
			dataDir := dir
			if named == filepath.Join(dir, "nhs-passkeys") {
				dataDir = named // the case is about a data folder inside dir
			}
			// A WAL is read through SQLite's shared memory (-shm), which SQLite may rebuild from
			// the WAL even when reading only
			// (https://sqlite.org/walformat.html#the_wal_index_or_shm_file). It holds nothing of
			// the person's, so it is left out of the comparison where a WAL is what is wrong.
			describe := func() string {
				d := store.DescribeForTest(t, parent)
				if tt.code != store.DataStaleWAL {
					return d
				}
				lines := strings.Split(d, "\n")
				return strings.Join(slices.DeleteFunc(lines, func(l string) bool { return strings.Contains(l, store.FileName+"-shm:") }), "\n")
			}
			before := describe()

			srv, err := backend.New(t.Context(), backend.Config{DataDir: dataDir, Origin: "http://localhost:8080"})
			if err == nil {
				srv.Close()
				t.Fatalf("the app started on the bad folder")
			}
			var bad *store.DataError
			if !errors.As(err, &bad) || bad.Code != tt.code {
				t.Fatalf("error = %v (%T), want a DataError %s", err, err, tt.code)
			}
			msg := err.Error()
			if !strings.Contains(msg, named) || !filepath.IsAbs(named) {
				t.Errorf("the message does not name %s in full: %q", named, msg)
			}
			saysWhatToDo := strings.Contains(msg, "--data-dir") || strings.Contains(msg, "Install the newest version")
			if !strings.Contains(msg, tt.says) || !strings.Contains(msg, "changed") || !saysWhatToDo {
				t.Errorf("the message does not say what happened (%q), that nothing changed, and what to do: %q", tt.says, msg)
			}
			// The desktop app starts its backend beside the window (backend.Start): the window
			// opens anyway, and every API request is answered with the same message, for the
			// page to show a patient who has no terminal to read it on.
			starting, err := backend.Start(t.Context(), backend.Config{DataDir: dataDir, Origin: "http://localhost:8080", Frontend: startFrontend})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := starting.Wait(t.Context()); !errors.As(err, &bad) || bad.Code != tt.code {
				t.Fatalf("Start: error = %v, want a DataError %s", err, tt.code)
			}
			for _, call := range [][2]string{{http.MethodGet, "/api/session"}, {http.MethodPost, "/api/login/passkey/begin"}} {
				rec := startRequest(t, starting.Handler(time.Second), call[0], call[1], `{}`)
				var body struct {
					Error struct{ Code, Message string }
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatalf("%s %s: %d %q: %v", call[0], call[1], rec.Code, rec.Body.String(), err)
				}
				answer := body.Error
				if rec.Code != http.StatusServiceUnavailable || answer.Code != "data_unusable" || answer.Message != bad.Page {
					t.Errorf("%s %s = %d %s %q, want 503 data_unusable with the refusal's message for the window %q", call[0], call[1], rec.Code, answer.Code, answer.Message, bad.Page)
				}
				// The window's message names the file and says what to do, as the terminal's
				// does, but offers no command-line option to someone who opened the app from
				// its icon.
				if !strings.Contains(answer.Message, named) || !strings.Contains(answer.Message, tt.says) || strings.Contains(answer.Message, "--") ||
					!strings.Contains(answer.Message, "open the app again") && !strings.Contains(answer.Message, "Install the newest version") {
					t.Errorf("the window's message %q should name %s, say %q and what to do, with no command-line option", answer.Message, named, tt.says)
				}
			}
			if rec := startRequest(t, starting.Handler(time.Second), http.MethodGet, "/", ""); rec.Code != http.StatusOK {
				t.Errorf("the page itself: %d, want 200", rec.Code)
			}
			if after := describe(); after != before {
				t.Errorf("the bad folder was changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

// giveAway makes path another user account's (nobody's, 65534) with mode, or skips the case
// where this test may not (chown needs root).
func giveAway(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("only root may give a file to another user account")
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
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
