//go:build unix

package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestFilesArePrivateWhateverTheUmask(t *testing.T) {
	old := syscall.Umask(0) // the loosest umask: files would be 0644/0666 by default
	t.Cleanup(func() { syscall.Umask(old) })

	dir := filepath.Join(t.TempDir(), "data")
	db, err := OpenDir(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Write something so the WAL and shared-memory files exist.
	if _, err := db.ExecContext(t.Context(), `INSERT INTO accounts (email, user_handle, created_at) VALUES ('a@b.cd', randomblob(32), 0)`); err != nil {
		t.Fatal(err)
	}
	check := func(path string, want fs.FileMode) {
		t.Helper()
		info, err := os.Stat(path)
		if err != nil {
			t.Errorf("stat %s: %v", path, err)
			return
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s has mode %v, want %v", filepath.Base(path), got, want)
		}
	}
	check(dir, 0o700)
	check(filepath.Join(dir, FileName), 0o600)
	check(filepath.Join(dir, FileName+"-wal"), 0o600)
	check(filepath.Join(dir, FileName+"-shm"), 0o600)
}

// A data folder and lock file left looser than the app makes them (made by hand, by an
// older version, restored from a backup, or under a looser umask) are made private again
// when the app next takes the folder: the folder 0700, every file in it 0600. A folder
// readable by others lets any local account list it and read a lock file, and one they may
// enter is one step from the database when its own mode slips.
func TestALooseDataFolderAndLockFileAreMadePrivateAtTheNextStart(t *testing.T) {
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
	for _, loose := range []struct {
		name             string
		folder, lockFile fs.FileMode
	}{
		{"a folder and lock file anyone may read", 0o755, 0o644},
		{"a folder and lock file anyone may change", 0o777, 0o666},
		{"a folder only the group may enter", 0o750, 0o600},
		{"a lock file only the group may read", 0o700, 0o640},
	} {
		t.Run(loose.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			db, err := OpenDir(t.Context(), dir) // a database of the person's, to be kept
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(t.Context(), `INSERT INTO accounts (email, user_handle, created_at) VALUES ('a@b.cd', randomblob(32), 0)`); err != nil {
				t.Fatal(err)
			}
			db.Close()
			lockPath := filepath.Join(dir, LockFileName)
			if err := os.WriteFile(lockPath, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			for path, mode := range map[string]fs.FileMode{dir: loose.folder, lockPath: loose.lockFile} {
				if err := os.Chmod(path, mode); err != nil {
					t.Fatal(err)
				}
			}

			if err := CheckDir(t.Context(), dir); err != nil {
				t.Fatal(err)
			}
			lock, err := LockDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = lock.Release() }()
			db, err = Open(t.Context(), filepath.Join(dir, FileName))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for path, want := range map[string]fs.FileMode{dir: 0o700, lockPath: 0o600, filepath.Join(dir, FileName): 0o600} {
				if info, err := os.Stat(path); err != nil || info.Mode().Perm() != want {
					t.Errorf("%s: mode %v (%v), want %v", path, info.Mode().Perm(), err, want)
				}
			}
			var n int
			if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM accounts`).Scan(&n); err != nil || n != 1 {
				t.Errorf("the person's account: %d rows (%v), want 1", n, err)
			}
		})
	}
}

// A data folder that holds more than the app's files is not the app's to close: someone
// pointed --data-dir at their home or a shared folder, whose other contents may need the
// modes it has. It is left as it is; the app's own files in it are private all the same.
func TestAFolderThatHoldsOtherThingsKeepsItsMode(t *testing.T) {
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, LockFileName), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	lock, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Release() }()
	for path, want := range map[string]fs.FileMode{dir: 0o755, filepath.Join(dir, "notes.txt"): 0o644, filepath.Join(dir, LockFileName): 0o600} {
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v), want %v", path, info.Mode().Perm(), err, want)
		}
	}
}

// The other files the app keeps in its data folder (a kiosk's record of wrong administrator
// secrets) leave the folder the app's own: a kiosk's loosened folder that holds one is made
// private again like any other. A name the app was not told of still keeps the folder as it
// is (TestAFolderThatHoldsOtherThingsKeepsItsMode).
func TestAFolderHoldingTheAppsOtherFilesIsStillMadePrivate(t *testing.T) {
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })
	for _, tt := range []struct {
		name     string
		appFiles []string
		want     fs.FileMode
	}{
		{"a folder with the kiosk's record the app named is made private", []string{"kiosk-admin-tries.json"}, 0o700},
		{"a folder with a file the app did not name keeps its mode", nil, 0o755},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "kiosk-admin-tries.json"), []byte(`{"tries":[]}`), 0o600); err != nil {
				t.Fatal(err)
			}
			lock, err := LockDir(dir, tt.appFiles...)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = lock.Release() }()
			if info, err := os.Stat(dir); err != nil || info.Mode().Perm() != tt.want {
				t.Errorf("folder mode %v (%v), want %v", info.Mode().Perm(), err, tt.want)
			}
		})
	}
}

// A link at the lock file's name, put there after CheckDir looked, is not followed: LockDir
// fails, and the file it points to is neither locked nor made 0600.
func TestLockDirNeverFollowsALinkAtTheLockFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	elsewhere := filepath.Join(t.TempDir(), "shared.txt")
	if err := os.WriteFile(elsewhere, []byte("someone's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(elsewhere, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(dir, LockFileName)); err != nil {
		t.Fatal(err)
	}
	lock, err := LockDir(dir)
	if err == nil {
		_ = lock.Release()
		t.Fatal("LockDir took a lock through a link")
	}
	if !errors.Is(err, syscall.ELOOP) {
		t.Errorf("err = %v, want ELOOP", err)
	}
	if info, err := os.Stat(elsewhere); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("the linked file's mode is %v (%v), want 0644 as it was", info.Mode().Perm(), err)
	}
}
