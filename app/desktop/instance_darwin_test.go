//go:build darwin && cgo

package desktop

// Runs only on macOS (the hosted pipeline, .github/workflows/platforms.yml). The first copy
// here is Wails v2.11's lock as internal/frontend/desktop/darwin/single_instance.go takes it
// (an exclusive flock on <NSTemporaryDirectory>/<id>.lock); whether the notification then
// reaches a window is on the README's macOS checklist, since a test cannot own an app's
// run loop.

import (
	"os"
	"syscall"
	"testing"
)

func TestASecondCopyOnMacOSPostsOnlyWhenAWindowHoldsTheLock(t *testing.T) {
	tests := []struct {
		name          string
		file, locked  bool
		wantReachable bool
	}{
		{"no copy has run: no lock file", false, false, false},
		{"a copy ran and ended: the file is there, nobody holds it", true, false, false},
		{"a copy's window is open and holds the lock", true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			path, err := wailsLockPath(instanceID(dataDir))
			if err != nil {
				t.Fatal(err)
			}
			if tt.file {
				f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { f.Close(); os.Remove(path) })
				if tt.locked {
					if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
						t.Fatal(err)
					}
				}
			}
			err = ShowRunningCopy(t.Context(), dataDir)
			if reached := err == nil; reached != tt.wantReachable {
				t.Fatalf("ShowRunningCopy: %v, want reachable %v", err, tt.wantReachable)
			}
		})
	}
}
