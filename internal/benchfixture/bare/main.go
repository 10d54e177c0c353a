// Command bare is the floor that `make bench-desktop` (scripts/bench-desktop.sh) measures the
// desktop app against (issue #21, item 1): a Wails page with nothing of the app in it, built
// with the same Wails version (go.mod), the same build tags (desktop,production,webkit2_41)
// and the same window options as app/desktop.Run, whose DOM ready is logged with the same
// line the script waits for in the app ("page loaded in the window"). What the app takes
// beyond this page is the app's own cost; what this page takes is Wails', GTK's and
// WebKit's, which the app cannot go below without changing the webview's own settings.
//
// It is a benchmark fixture, not part of the program: main.go never imports it, `make test`
// does not run it, and `make lint` vets it like any other package.
package main

import (
	"context"
	"embed"
	"fmt"
	"log/slog"
	"os"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
)

//go:embed index.html
var page embed.FS

func main() {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The app's window (app/desktop.Run) with its options, and a page of one heading.
	err := wails.Run(&options.App{
		Title:            "NHS login passkeys",
		Width:            1024,
		Height:           768,
		MinWidth:         400,
		MinHeight:        480,
		WindowStartState: options.Normal,
		BackgroundColour: options.NewRGB(255, 255, 255),
		AssetServer:      &assetserver.Options{Assets: page},
		SingleInstanceLock: &options.SingleInstanceLock{
			UniqueId:               "nhs_passkeys_bench_bare",
			OnSecondInstanceLaunch: func(options.SecondInstanceData) {},
		},
		OnDomReady:               func(context.Context) { logger.Debug("page loaded in the window") },
		DragAndDrop:              &options.DragAndDrop{DisableWebViewDrop: true},
		EnableDefaultContextMenu: false,
		Linux: &linux.Options{
			WebviewGpuPolicy: linux.WebviewGpuPolicyNever,
			ProgramName:      "nhs-passkeys",
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
}
