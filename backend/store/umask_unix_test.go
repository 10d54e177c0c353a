//go:build unix

package store

import (
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
