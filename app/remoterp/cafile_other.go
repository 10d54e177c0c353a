//go:build !unix

package remoterp

import "io/fs"

// caFileProblem is the Unix check of who may change the CA file (cafile_unix.go). Windows
// keeps that in the file's access control list, which the administrator's folder
// (%ProgramData%) already limits; it is not read here.
func caFileProblem(fs.FileInfo) string { return "" }
