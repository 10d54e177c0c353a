//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly || windows)

package store

import "os"

// noFollow is 0 here: CheckDir has refused a link already.
const noFollow = 0

// lockFile does nothing where there is no flock or LockFileEx: SQLite's own locking still
// keeps the database consistent.
func lockFile(*os.File) error { return nil }

// restrict does nothing here: there is no mode to tighten where there is no flock either.
func restrict(string, *os.File, []string) error { return nil }
