//go:build !unix

package store

import "io/fs"

// canWrite has nothing to ask where there is no access(2): on Windows the read-only
// attribute shows as a mode without write permission, which checkWritable refuses.
func canWrite(string) error { return nil }

// othersFile has no owner to compare where the system keeps none in a file's mode: on
// Windows, who may open a file is its ACL's business (the user's profile folder is theirs).
func othersFile(fs.FileInfo) error { return nil }
