//go:build unix

package virtualkey

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lockStateFile takes the exclusive lock on the state file at path (flock(2) on path +
// ".lock", made 0600 beside it: the state file itself is replaced at every save, so it
// cannot carry the lock), waiting for another copy of the app that holds it to finish its
// save. flock locks belong to the open file, so two Keys in one process exclude each other
// too. The returned function releases it.
func lockStateFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path+stateLockSuffix, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW, 0o600) //nolint:gosec // G304: beside the key's own state file, which the program names
	if err != nil {
		return nil, fmt.Errorf("open the state file's lock: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the state file: %w", err)
	}
	return func() { _ = f.Close() }, nil // closing drops the lock
}
