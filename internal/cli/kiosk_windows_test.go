package cli

// Runs only on Windows (the hosted pipeline): the WebView2 check against the runner's real
// runtime, and a kiosk visit's window refusing any folder that is not one of the kiosk's.

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/wailsapp/go-webview2/webviewloader"

	"github.com/nhs-passkeys/companion/app/kiosk"
)

func TestTheWindowsKioskAcceptsTheRunnersWebView2(t *testing.T) {
	version, err := webviewloader.GetAvailableCoreWebView2BrowserVersionString("")
	t.Logf("WebView2 runtime on this runner: %q (err %v)", version, err)
	if err := kioskWebViewRefusal(); err != nil {
		t.Fatalf("kiosk mode refused on a runner with WebView2 %q: %v", version, err)
	}
}

func TestTheWindowsKioskVisitWindowTakesOnlyItsOwnFolder(t *testing.T) {
	dataDir := t.TempDir()
	base := filepath.Join(dataDir, "kiosk-visits")
	if err := os.MkdirAll(base, 0o700); err != nil {
		t.Fatal(err)
	}
	visit, err := os.MkdirTemp(base, kiosk.VisitFolderPrefix)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.DiscardHandler)
	tests := []struct {
		name string
		dir  string
		ok   bool
	}{
		{"the kiosk's own visit folder", visit, true},
		{"a folder elsewhere", t.TempDir(), false},
		{"the data folder itself", dataDir, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == kioskVisitEnv {
					return tt.dir
				}
				return ""
			}
			got, supervised, err := kioskVisitWindow(t.Context(), []string{"nhs-passkeys", "--kiosk"}, getenv, dataDir, io.Discard, logger)
			if supervised {
				t.Fatal("a visit's window started visits of its own")
			}
			if tt.ok != (err == nil) || (tt.ok && got != tt.dir) {
				t.Fatalf("kioskVisitWindow = %q, %v; want ok %v", got, err, tt.ok)
			}
		})
	}
}
