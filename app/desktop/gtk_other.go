//go:build !linux || !(production || dev)

package desktop

import (
	"context"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// quitWindow asks Wails to quit. On Windows and macOS Wails itself hands the quit to the UI
// thread; a Linux build without the production tag never opens a window (wails.Run refuses).
func quitWindow(ctx context.Context) { runtime.Quit(ctx) }

// quitHandledByShell is false: Wails' own quit is safe here, so OnBeforeClose lets it go on
// (returning true would also stop runtime.Quit, which goes through OnBeforeClose).
const quitHandledByShell = false

// openDisplay has nothing to check: Windows and macOS have no display to connect to.
func openDisplay() error { return nil }
