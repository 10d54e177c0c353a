//go:build !linux || !(production || dev)

package desktop

import "errors"

// presentWindow is Linux-only for now (see ShowRunningCopy).
func presentWindow() {}

// ShowRunningCopy is Linux-only for now: on Windows and macOS a second copy says in words
// that the app is already open.
func ShowRunningCopy(string) error {
	return errors.New("bringing the open copy's window to the front is not supported on this system")
}
