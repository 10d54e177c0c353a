package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// LockFileName is the lock file in the data folder. One process at a time may use a data
// folder: SQLite itself copes with two writers, but two apps would each keep their own
// lockout counters, ceremonies and session cache in step with a database the other one
// changes, and a person who opened the app twice would not know which window is current.
const LockFileName = "passkeys.lock"

// InUseError says another process holds the data folder's lock.
type InUseError struct{ Dir string }

func (e *InUseError) Error() string {
	return fmt.Sprintf("Another copy of NHS login passkeys is already using %s. Close it and try again.", e.Dir)
}

// errLocked is what lockFile returns when another open file holds the lock.
var errLocked = errors.New("locked by another process")

// DirLock is an exclusive lock on a data folder, held until Release or until the process
// ends (the OS drops it when the process dies, even by kill -9, so it never goes stale).
type DirLock struct{ f *os.File }

// LockDir creates dir (mode 0700) if needed and takes the exclusive lock on its
// LockFileName without waiting: an *InUseError when another process (or another DirLock in
// this process) holds it. Holding the lock, it makes the folder 0700 and the lock file 0600
// again if they are looser (restrict); Open does the same for the database's files. appFiles
// names the other files the app keeps in the folder: one that holds only those and the
// database's files is the app's own to make private.
//
// The lock file is opened without following a link (CheckDir has refused one already; this
// closes the moment between the check and the open), so its mode is never taken from, nor
// set on, a file somewhere else.
func LockDir(dir string, appFiles ...string) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, LockFileName), os.O_RDWR|os.O_CREATE|noFollow, 0o600) //nolint:gosec // G304: the lock file in the data folder the program was given
	if err != nil {
		return nil, fmt.Errorf("open the data folder's lock file: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, &InUseError{Dir: dir}
		}
		return nil, fmt.Errorf("lock the data folder: %w", err)
	}
	// Only once the lock is ours, so a second copy that is refused changes nothing.
	if err := restrict(dir, f, appFiles); err != nil {
		f.Close()
		return nil, fmt.Errorf("make the data folder private: %w", err)
	}
	return &DirLock{f: f}, nil
}

// Release drops the lock. A nil *DirLock (a server on PostgreSQL, which has no data folder)
// holds nothing.
func (l *DirLock) Release() error {
	if l == nil {
		return nil
	}
	return l.f.Close()
}
