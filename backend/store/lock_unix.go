//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package store

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
)

// noFollow makes LockDir's open fail (ELOOP) on a link at the lock file's name.
const noFollow = syscall.O_NOFOLLOW

// lockFile takes flock(2) LOCK_EX without blocking. flock locks belong to the open file, so
// a second open in the same process conflicts too, and the kernel drops the lock when the
// last descriptor closes or the process dies.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errLocked
		default:
			return err
		}
	}
}

// restrict takes the group's and everyone else's permissions away from the data folder dir
// and its lock file, which the app creates 0700 and 0600 but may find looser: made by hand,
// by an older version, restored from a backup or under a looser umask (MkdirAll and
// OpenFile apply their mode only to what they create). A folder others may read or enter
// shows them what it holds and leaves the database one slipped mode away from them. The
// owner's own bits are kept: CheckDir has already refused a folder its owner made
// read-only. The folder may be a link to a folder (CheckDir allows that): its mode is read
// through the link, as Chmod follows it. A folder that holds anything but the app's files
// is not the app's to close (--data-dir pointed at a home or shared folder): it is left as
// it is, and the files in it are 0600 all the same.
func restrict(dir string, lock *os.File, appFiles []string) error {
	info, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("folder: %w", err)
	}
	ours, err := onlyOurFiles(dir, appFiles)
	if err != nil {
		return fmt.Errorf("folder: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 && ours {
		if err := os.Chmod(dir, perm&^0o077); err != nil {
			return fmt.Errorf("folder: %w", err)
		}
	}
	info, err = lock.Stat()
	if err != nil {
		return fmt.Errorf("lock file: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		if err := lock.Chmod(perm &^ 0o077); err != nil {
			return fmt.Errorf("lock file: %w", err)
		}
	}
	return nil
}

// onlyOurFiles says whether the folder dir holds nothing but the app's own files: the
// database with its companions and journal, the lock file, and appFiles.
func onlyOurFiles(dir string, appFiles []string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	ours := []string{FileName, FileName + "-wal", FileName + "-shm", FileName + journal, LockFileName}
	for _, e := range entries {
		if !slices.Contains(ours, e.Name()) && !slices.Contains(appFiles, e.Name()) {
			return false, nil
		}
	}
	return true, nil
}
