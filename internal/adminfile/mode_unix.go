//go:build unix

package adminfile

import (
	"io/fs"
	"os"
	"syscall"
)

// openFlags opens without waiting: opening a named pipe for reading waits for a writer, so
// a pipe put at the file's path would hold the app before Read could see it is not a file.
// A regular file ignores O_NONBLOCK.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK

// problem says why the file described by info must not be believed, or "": like ssh with
// its authorized_keys (StrictModes), only its owner may write it, and its owner is root (the
// administrator) or the user the app runs as.
func problem(info fs.FileInfo) string {
	if info.Mode().Perm()&0o022 != 0 {
		return "can be changed by other users of this computer: make it writable by its owner only (chmod go-w)"
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return "belongs to another user of this computer: it must belong to root or to the user the app runs as"
	}
	return ""
}

// folderProblem says why a file in the folder described by info must not be believed, or "":
// a folder anyone may write to lets them put a file of their own in the file's place, unless
// it has the sticky bit (as /tmp has), which keeps each file to its owner.
func folderProblem(info fs.FileInfo) string {
	if mode := info.Mode(); mode.Perm()&0o002 != 0 && mode&fs.ModeSticky == 0 {
		return "is in a folder every user of this computer can change, so it could be swapped for another: keep it in a folder only administrators can change"
	}
	return ""
}
