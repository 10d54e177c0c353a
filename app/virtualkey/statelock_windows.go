package virtualkey

import (
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// lockStateFile takes the exclusive lock on the state file at path (LockFileEx on path +
// ".lock": the state file itself is replaced at every save), waiting for another copy of
// the app that holds it to finish its save. The returned function releases it.
func lockStateFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path+stateLockSuffix, os.O_RDWR|os.O_CREATE, 0o600) //nolint:gosec // G304: beside the key's own state file, which the program names
	if err != nil {
		return nil, fmt.Errorf("open the state file's lock: %w", err)
	}
	if err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, new(windows.Overlapped)); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the state file: %w", err)
	}
	return func() { _ = f.Close() }, nil // closing the handle drops the lock
}
