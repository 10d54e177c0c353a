//go:build !linux || !(production || dev)

package desktop

import (
	"context"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// quitWindow asks Wails to quit. On Windows and macOS Wails itself hands the quit to the UI
// thread; a Linux build without the production tag never opens a window (wails.Run refuses).
func quitWindow(ctx context.Context) { runtime.Quit(ctx) }

// clearClipboard empties the system clipboard through Wails, which hands it to the UI
// thread. Before the window has started there is nothing a patient could have copied.
func clearClipboard(window *context.Context) error {
	if window == nil {
		return nil
	}
	return runtime.ClipboardSetText(*window, "")
}

// quitHandledByShell is false: Wails' own quit is safe here, so OnBeforeClose lets it go on
// (returning true would also stop runtime.Quit, which goes through OnBeforeClose).
const quitHandledByShell = false

// openDisplay has nothing to check: Windows and macOS have no display to connect to.
func openDisplay() error { return nil }
