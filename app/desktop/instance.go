package desktop

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
)

// instanceID names the copy of the app that uses dataDir, for the desktop's "one copy at a
// time" message. It is per data folder, as the folder's lock is (store.LockDir): the lock
// is what refuses a second copy; this only lets the second copy ask the first to show its
// window, so a person who opens the app twice finds the window they already have.
func instanceID(dataDir string) string {
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs
	}
	sum := sha256.Sum256([]byte(dataDir))
	return "nhs_passkeys_" + hex.EncodeToString(sum[:8])
}
