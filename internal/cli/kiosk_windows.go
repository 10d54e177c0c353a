//go:build windows

package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/wailsapp/go-webview2/webviewloader"

	"github.com/nhs-passkeys/companion/app/kiosk"
)

// kioskVisitEnv names, for a kiosk visit's window (a child of the kiosk's own process), its
// visit folder. It only ever narrows what the child does (its WebView2 folder, and closing
// at the end of the visit); kiosk mode itself is still decided by the settings file.
const kioskVisitEnv = "NHS_PASSKEYS_KIOSK_VISIT"

// kioskWebViewRefusal refuses kiosk mode when this computer's WebView2 is too old to turn
// off autofill and password saving (kiosk.CheckWebView2), before any window opens.
func kioskWebViewRefusal() error {
	return kiosk.CheckWebView2(webviewloader.GetAvailableCoreWebView2BrowserVersionString(""))
}

// kioskVisitWindow runs the Windows kiosk one visit at a time (kiosk.Visits): the process
// Assigned Access starts opens no window and no database itself; it starts this program
// again for each visit, with that visit's folder in kioskVisitEnv, and deletes the folder
// once the visit's window has closed. In that child it returns the visit's folder, checked
// to be one of the kiosk's (supervised false: go on and open the window).
func kioskVisitWindow(ctx context.Context, args []string, getenv func(string) string, dataDir string, stderr io.Writer, logger *slog.Logger) (visitDir string, supervised bool, err error) {
	base := filepath.Join(dataDir, "kiosk-visits")
	if dir := getenv(kioskVisitEnv); dir != "" {
		if err := kiosk.VisitDir(base, dir); err != nil {
			return "", false, fmt.Errorf("%s: %w", kioskVisitEnv, err)
		}
		return dir, false, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", true, fmt.Errorf("kiosk mode: find this program to open each visit's window: %w", err)
	}
	visits := kiosk.Visits{
		Base:   base,
		Logger: logger,
		Run: func(ctx context.Context, dir string) error {
			// This same program (os.Executable) with its own command line: no shell, no input
			// of anyone else's.
			cmd := exec.CommandContext(ctx, exe, args[1:]...) //nolint:gosec // G204: this program again, with its own arguments
			cmd.Env = append(os.Environ(), kioskVisitEnv+"="+dir)
			cmd.Stdout, cmd.Stderr = stderr, stderr
			cmd.WaitDelay = 5 * time.Second
			return cmd.Run()
		},
	}
	return "", true, visits.Loop(ctx)
}

// kioskKeyList lists the security keys plugged in for the kiosk's watch: on Windows from
// device notifications (kiosk.KeyWatch), since only administrators may open a FIDO key to
// list it the way other systems do.
func kioskKeyList(func() ([]string, error)) (keys func() ([]string, error), stop func(), err error) {
	w, err := kiosk.NewKeyWatch(kiosk.WindowsHID{}, 0, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("kiosk mode: %w", err)
	}
	return w.Keys, w.Close, nil
}
