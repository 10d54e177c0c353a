//go:build !unix

package adminfile

import (
	"io/fs"
	"os"
)

// openFlags: Windows' named pipes live outside the file system's folders (\\.\pipe\).
const openFlags = os.O_RDONLY

// problem is the Unix check of who may change the file (mode_unix.go). Windows keeps that in
// the file's access control list, which the administrator's folder (%ProgramData%) already
// limits; it is not read here.
func problem(fs.FileInfo) string { return "" }

// folderProblem is the Unix check of who may change the file's folder (mode_unix.go).
func folderProblem(fs.FileInfo) string { return "" }
