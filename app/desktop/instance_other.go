//go:build !windows && !(darwin && cgo) && !(linux && (production || dev))

package desktop

import (
	"context"
	"errors"
)

// ShowRunningCopy cannot reach the open copy in this build: Linux without Wails' build tags
// (tests) and macOS without cgo (`make lint`'s vet) have no way to speak to it. The caller
// then says in words that the app is already open.
func ShowRunningCopy(context.Context, string) error {
	return errors.New("bringing the open copy's window to the front is not supported in this build")
}
