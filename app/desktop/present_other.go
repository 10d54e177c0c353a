//go:build !linux || !(production || dev)

package desktop

import (
	"context"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// presentWindow brings the window back from minimised and to the front, through Wails'
// runtime with the context Wails gave OnStartup (wctx; nil before the window opened). Only a
// minimised window is restored: on Windows a restore would also take a maximised window back
// to its normal size. On Windows, WindowShow raises the window and makes it the foreground
// window (SetWindowPos and SetForegroundWindow; the second copy allowed that first,
// instance_windows.go); on macOS it makes the window key and activates the app
// (makeKeyAndOrderFront and activateIgnoringOtherApps).
func presentWindow(wctx context.Context) {
	if wctx == nil {
		return
	}
	if runtime.WindowIsMinimised(wctx) {
		runtime.WindowUnminimise(wctx)
	}
	runtime.WindowShow(wctx)
}
