//go:build unix

package store

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// canWrite asks the OS whether this process may write to path: access(2) answers EROFS on
// a read-only file system and EPERM for an immutable file even to root, and EACCES for
// another user's file.
func canWrite(path string) error {
	return unix.Access(path, unix.W_OK)
}

// othersFile says whether info is of a file or folder that another user account owns (an
// error naming both user IDs), or nil when it is this process's. Write permission is not
// enough: another account that owns the data folder may swap or delete the files in it (a
// link planted where the WAL goes, between CheckDir and SQLite's open), and root, to whom
// permissions do not apply, would otherwise fill a person's folder with files that person
// then cannot open, and make their folder 0700 (restrict).
func othersFile(info fs.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if owner, us := int(st.Uid), os.Geteuid(); owner != us {
		return fmt.Errorf("owned by user ID %d, and this process runs as %d", owner, us)
	}
	return nil
}
