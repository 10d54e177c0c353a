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
//
// The first copy listens with Wails' own single-instance lock (options.SingleInstanceLock,
// desktop.go), which is the same on every system: only how the second copy reaches it
// differs (Wails v2.11 internal/frontend/desktop/*/single_instance.go), so ShowRunningCopy
// speaks each system's way: a D-Bus method on Linux (instance_linux.go), a WM_COPYDATA
// message to a hidden window on Windows (instance_windows.go), and a distributed
// notification on macOS (instance_darwin.go). Wails itself would send it only from inside
// wails.Run, which a second copy never reaches: the data folder's lock stops it first.
func instanceID(dataDir string) string {
	if abs, err := filepath.Abs(dataDir); err == nil {
		dataDir = abs
	}
	sum := sha256.Sum256([]byte(dataDir))
	return "nhs_passkeys_" + hex.EncodeToString(sum[:8])
}
