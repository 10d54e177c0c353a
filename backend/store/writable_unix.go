//go:build unix

package store

import "golang.org/x/sys/unix"

// canWrite asks the OS whether this process may write to path: access(2) answers EROFS on
// a read-only file system and EPERM for an immutable file even to root, and EACCES for
// another user's file.
func canWrite(path string) error {
	return unix.Access(path, unix.W_OK)
}
