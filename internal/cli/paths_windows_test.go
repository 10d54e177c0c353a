package cli

// Where the Windows app keeps things is where the README says: the data folder, the
// administrator's settings file and the installed program. Runs only on Windows (the hosted
// pipeline, .github/workflows/platforms.yml); the pipeline also sets NHS_PASSKEYS_INSTALLER,
// so that the installer it has just built is installed and uninstalled for real.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows/registry"

	"github.com/nhs-passkeys/companion/app/kiosk"
)

// repoRoot is the repository's top folder, seen from this package's (go test runs a test in
// its package's folder).
var repoRoot = filepath.Join("..", "..")

// readmeSays fails the test unless the README names path in these words.
func readmeSays(t *testing.T, path string) {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), path) {
		t.Errorf("the README does not name %s", path)
	}
}

// installDir is the folder the installer puts the app in: installer.nsi's InstallDir, with
// NSIS's $LOCALAPPDATA as Windows names it in the README.
func installDir(t *testing.T) (readme, here string) {
	t.Helper()
	nsi, err := os.ReadFile(filepath.Join(repoRoot, "build", "windows", "installer.nsi"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^InstallDir "\$LOCALAPPDATA\\([^"]+)"`).FindSubmatch(nsi)
	if m == nil {
		t.Fatal(`installer.nsi has no InstallDir "$LOCALAPPDATA\..."`)
	}
	return `%LocalAppData%\` + string(m[1]), filepath.Join(os.Getenv("LOCALAPPDATA"), string(m[1]))
}

func TestTheWindowsAppKeepsItsFilesWhereTheREADMESays(t *testing.T) {
	dataDir, err := resolveDataDir("")
	if err != nil {
		t.Fatal(err)
	}
	readmeInstall, install := installDir(t)
	tests := []struct {
		name, readme, got, want string
	}{
		{"the account database's folder", `%AppData%\nhs-passkeys`, dataDir,
			filepath.Join(os.Getenv("APPDATA"), "nhs-passkeys")},
		{"the administrator's settings file", `%ProgramData%\NHS passkeys\settings.json`, kiosk.DefaultPath(os.Getenv),
			filepath.Join(os.Getenv("ProgramData"), "NHS passkeys", "settings.json")},
		{"the installed program's folder", readmeInstall, install,
			filepath.Join(os.Getenv("LOCALAPPDATA"), "Programs", "NHS login passkeys")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.EqualFold(tt.got, tt.want) {
				t.Errorf("%s, want %s (%s)", tt.got, tt.want, tt.readme)
			}
			readmeSays(t, tt.readme)
			t.Logf("%s: %s", tt.readme, tt.got)
		})
	}
}

const uninstallKey = `Software\Microsoft\Windows\CurrentVersion\Uninstall\nhs-passkeys`

func TestTheWindowsInstallerInstallsAndUninstallsWhereTheREADMESays(t *testing.T) {
	installer := os.Getenv("NHS_PASSKEYS_INSTALLER")
	if installer == "" {
		t.Skip("NHS_PASSKEYS_INSTALLER names no installer to run (the pipeline sets it)")
	}
	_, dir := installDir(t)
	if _, err := os.Stat(dir); err == nil {
		t.Fatalf("%s exists: the app is installed on this computer, and this test would remove it", dir)
	}
	exe := filepath.Join(dir, "nhs-passkeys.exe")
	uninstaller := filepath.Join(dir, "uninstall.exe")
	shortcut := filepath.Join(os.Getenv("APPDATA"), `Microsoft\Windows\Start Menu\Programs`, "NHS login passkeys.lnk")

	// The account database must outlive the program (README: uninstalling keeps it).
	dataDir, err := resolveDataDir("")
	if err != nil {
		t.Fatal(err)
	}
	_, statErr := os.Stat(dataDir)
	madeDataDir := errors.Is(statErr, os.ErrNotExist)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	kept := filepath.Join(dataDir, "uninstall-keeps-this.test")
	if err := os.WriteFile(kept, []byte("the person's data"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = os.Remove(kept)
		if madeDataDir {
			_ = os.Remove(dataDir)
		}
	})

	// NSIS's /S: no pages; the installer returns once it has finished.
	if out, err := exec.CommandContext(t.Context(), installer, "/S").CombinedOutput(); err != nil {
		t.Fatalf("%s /S: %v %s", installer, err, out)
	}
	for _, f := range []string{exe, uninstaller, shortcut} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("after installing: %v", err)
		}
	}
	k, err := registry.OpenKey(registry.CURRENT_USER, uninstallKey, registry.QUERY_VALUE)
	if err != nil {
		t.Fatalf("Settings > Apps lists nothing (HKCU\\%s): %v", uninstallKey, err)
	}
	name, _, err := k.GetStringValue("DisplayName")
	version, _, _ := k.GetStringValue("DisplayVersion")
	k.Close()
	if err != nil || name != "NHS login passkeys" {
		t.Errorf("Settings > Apps names it %q (%v), want NHS login passkeys", name, err)
	}
	t.Logf("installed %s, version %q", exe, version)

	// The uninstaller copies itself to the temporary folder and returns at once; the copy
	// does the work, so wait for it.
	if out, err := exec.CommandContext(t.Context(), uninstaller, "/S").CombinedOutput(); err != nil {
		t.Fatalf("%s /S: %v %s", uninstaller, err, out)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		left := []string{}
		for _, f := range []string{exe, uninstaller, shortcut, dir} {
			if _, err := os.Stat(f); err == nil {
				left = append(left, f)
			}
		}
		if k, err := registry.OpenKey(registry.CURRENT_USER, uninstallKey, registry.QUERY_VALUE); err == nil {
			k.Close()
			left = append(left, `HKCU\`+uninstallKey)
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a minute after uninstalling, still there: %s", strings.Join(left, ", "))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("uninstalling removed the account database's folder: %v", err)
	}
}
