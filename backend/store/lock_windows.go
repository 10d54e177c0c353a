package store

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// noFollow is 0 here: Windows has no O_NOFOLLOW, and CheckDir has refused a link already.
const noFollow = 0

// lockFile takes LockFileEx's exclusive lock on the first byte without waiting; Windows
// drops it when the handle closes or the process ends.
func lockFile(f *os.File) error {
	ol := new(windows.Overlapped)
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLocked
	}
	return err
}

// restrict does nothing here: Windows keeps who may open a file in its ACL, which the user's profile folder already limits to them; Go's Chmod there only sets or clears the read-only attribute.
func restrict(string, *os.File, []string) error { return nil }
