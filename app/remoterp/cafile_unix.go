//go:build unix

package remoterp

import (
	"io/fs"
	"os"
	"syscall"
)

// caFileProblem says why the CA file described by info cannot be trusted, or "". The CA file
// decides which servers the app believes to be the relying party: anyone who could write to
// it could add an authority of their own and then read and change, on the way to the
// server, every patient's session, password and ceremonies. So, like ssh with its
// authorized_keys (StrictModes), only its owner may write it, and its owner is root (the
// administrator who set the kiosk up) or the user the app runs as.
func caFileProblem(info fs.FileInfo) string {
	if info.Mode().Perm()&0o022 != 0 {
		return "can be changed by other users of this computer: make it writable by its owner only (chmod go-w)"
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return "belongs to another user of this computer: it must belong to root or to the user the app runs as"
	}
	return ""
}
