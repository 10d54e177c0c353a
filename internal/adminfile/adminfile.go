// Package adminfile reads the files an administrator writes for the app: the settings file
// (kiosk mode, a fleet's relying party) and the relying party's CA file. What they say
// decides who may close a kiosk and which server the app believes to be the relying party,
// so a file that another user of the computer could change is refused rather than read:
// anyone who could write it could turn kiosk mode off, or point the app at a server of their
// own with an authority of their own, and read and change every patient's session,
// password and ceremonies on the way.
package adminfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// UnsafeError is a file that Read refused without reading it. Problem says what is wrong and
// what to do; the caller names the file's role in its own message.
type UnsafeError struct {
	Problem string
}

func (e *UnsafeError) Error() string { return e.Problem }

// ErrTooLarge is a file over Read's limit.
var ErrTooLarge = errors.New("is larger than any such file")

// Read returns the contents of the file at path, at most limit bytes. It refuses (an
// *UnsafeError) a file that someone other than its owner can write, whose owner is neither
// root nor the user the app runs as, or that sits in a folder anyone may write to without
// the sticky bit (on Linux and macOS), or that is not a regular file (a pipe or a device,
// which could keep the app waiting). The checks are made on the file that was opened, not
// on its name, so the name cannot be pointed elsewhere between the check and the read. A
// file that cannot be opened gives the *fs.PathError (errors.Is(err, fs.ErrNotExist)
// works); one over limit, ErrTooLarge.
func Read(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, openFlags, 0) //nolint:gosec // G304: the administrator's file, named by the settings or the command line; never input from the page
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, &UnsafeError{Problem: "is not a file"}
	}
	if p := problem(info); p != "" {
		return nil, &UnsafeError{Problem: p}
	}
	folder, err := os.Stat(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if p := folderProblem(folder); p != "" {
		return nil, &UnsafeError{Problem: p}
	}
	raw, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(raw)) > limit {
		return nil, ErrTooLarge
	}
	return raw, nil
}
