//go:build desktopsmoke && linux

// The desktop smoke test: the real binary in a real window under Xvfb, with a real
// gnome-keyring on a private D-Bus session, driven with the keyboard and mouse (xdotool) and
// read back from the screen (tesseract OCR and pixel samples). It checks what a person sees:
// the start page in the NHS design, creating an account, staying signed in across a restart
// (the session in the keyring), logging out (the keyring entry gone) and logging in again.
// Then, with the app's virtual security key on (--virtual-key), one real ceremony of each kind
// through the window (webview -> shell -> libfido2 -> virtual key -> the backend as relying
// party): setting up a passkey, creating the key's PIN on the way, and logging in with it,
// each checked against the account database (read-only) and the key's state file. Then
// "Use a different phone or tablet" (smoke_phone_test.go): a passkey set up on a simulated phone
// by scanning the QR code in the window, and a login with it, through BlueZ on a private
// system bus and a proxy to the tunnel servers' names. Then a link to a website: clicked on the
// Help page, it goes to the system browser (a fake xdg-open) and the window stays on the app;
// in kiosk mode it goes nowhere and the window says so.
//
// Run from the repository root once the frontend is built (cd frontend && npm ci && npm run build):
//
//	go test -tags desktopsmoke -count=1 -timeout 5m -run '^TestDesktopSmoke$' -v ./app/desktop/
//
// It needs xvfb xdotool imagemagick tesseract-ocr dbus gnome-keyring libsecret-tools zbar-tools xclip and the
// Wails build set (libgtk-3-dev libwebkit2gtk-4.1-dev). Screenshots and the app's logs are
// left in $TMPDIR/nhs-passkeys-smoke/ for a person to look at.
package desktop_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/desktop"
	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/backend/store"
	_ "modernc.org/sqlite"
)

// Set in the test process that runs inside the private D-Bus session: the binary to run
// and where to leave screenshots.
const (
	smokeBinaryEnv    = "NHSP_SMOKE_BINARY"
	smokeArtifactsEnv = "NHSP_SMOKE_ARTIFACTS"
)

// What the pages say (frontend/src/pages).
const (
	startHeading    = "Manage passkeys for your NHS login"
	securityHeading = "Login and security settings"
	loggedOutBanner = "You have logged out"
)

const (
	email    = "smoke.test@example.com"
	password = "correct horse battery"
	// The PIN the smoke test gives the virtual key: distinctive, to look for in the logs.
	keyPIN = "smoke-pin-4821"
)

// The virtual key's name among the authenticators (app/device).
const virtualKeyName = "Virtual security key"

func TestDesktopSmoke(t *testing.T) {
	if bin := os.Getenv(smokeBinaryEnv); bin != "" {
		smokeInsideSession(t, bin, os.Getenv(smokeArtifactsEnv))
		return
	}
	for _, tool := range []string{"Xvfb", "xdotool", "import", "convert", "tesseract", "dbus-run-session", "dbus-daemon", "gnome-keyring-daemon", "secret-tool", "openbox", "zbarimg", "xclip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (apt-get install -y xvfb xdotool imagemagick tesseract-ocr dbus gnome-keyring libsecret-tools openbox zbar-tools xclip): %v", tool, err)
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "frontend", "dist", "index.html")); err != nil {
		t.Fatalf("the frontend is not built (cd frontend && npm ci && npm run build): %v", err)
	}

	bin := filepath.Join(root, "build", "bin", "nhs-passkeys")
	started := time.Now()
	build := exec.CommandContext(t.Context(), "go", "build", "-tags", "desktop,production,webkit2_41,nopostgres", "-ldflags", "-s -w", "-o", bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built %s in %v", bin, time.Since(started).Round(time.Millisecond))

	// SMOKE_SCREENSHOT_DIR keeps the screenshots and logs (1-start-page.png, ...) in a folder
	// of one's own: runs on one machine otherwise share, and empty, the same folder. A folder
	// given is added to, never emptied.
	artifacts, err := filepath.Abs(os.Getenv("SMOKE_SCREENSHOT_DIR"))
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("SMOKE_SCREENSHOT_DIR") == "" {
		artifacts = filepath.Join(os.TempDir(), "nhs-passkeys-smoke")
		if err := os.RemoveAll(artifacts); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}

	// A private session bus with its own gnome-keyring whose keyrings live in a temporary
	// XDG_DATA_HOME: the test never touches the keyring of the person running it, and the
	// bus, the keyring daemon and the accessibility bus the app starts all end with
	// dbus-run-session. gnome-keyring-daemon --unlock creates the login keyring unlocked with
	// the password on stdin, so no prompt ever shows.
	tmp := t.TempDir()
	for _, d := range []string{"xdg-data", "xdg-run", "home"} {
		if err := os.Mkdir(filepath.Join(tmp, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	const script = `echo -n smoke-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec "$0" "$@"`
	cmd := exec.CommandContext(t.Context(), "dbus-run-session", "--", "sh", "-c", script,
		os.Args[0], "-test.run="+flag.Lookup("test.run").Value.String(), "-test.count=1", "-test.v")
	cmd.Env = append(envWithout("DBUS_SESSION_BUS_ADDRESS", "DISPLAY", smokeBinaryEnv, smokeArtifactsEnv),
		smokeBinaryEnv+"="+bin,
		smokeArtifactsEnv+"="+artifacts,
		"XDG_DATA_HOME="+filepath.Join(tmp, "xdg-data"),
		"XDG_RUNTIME_DIR="+filepath.Join(tmp, "xdg-run"),
		"HOME="+filepath.Join(tmp, "home"),
		"TMPDIR="+tmp,
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	t.Logf("inside a private D-Bus session with gnome-keyring:\n%s", dropBusNoise(out.String()))
	t.Logf("screenshots and logs: %s", artifacts)
	if err != nil {
		t.Fatalf("the smoke test failed inside its D-Bus session: %v", err)
	}
	// The top-level line, not a subtest's ("    --- PASS: TestDesktopSmoke/password").
	if !regexp.MustCompile(`(?m)^\s*--- PASS: TestDesktopSmoke \(`).MatchString(out.String()) {
		t.Fatal("the smoke test did not run inside its D-Bus session")
	}
}

func envWithout(names ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !slices.Contains(names, name) {
			env = append(env, kv)
		}
	}
	return env
}

// dropBusNoise leaves out dbus-daemon's activation chatter.
func dropBusNoise(s string) string {
	var kept []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(line, "dbus-daemon[") {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n")
}

func smokeInsideSession(t *testing.T, bin, artifacts string) {
	// 300 s is three times what the whole test takes on a quiet 2-core machine;
	// SMOKE_TIMEOUT (a Go duration) gives a busy one longer.
	limit := 300 * time.Second
	if d, err := time.ParseDuration(os.Getenv("SMOKE_TIMEOUT")); err == nil {
		limit = d
	}
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	tmp := t.TempDir()
	dataDir := filepath.Join(tmp, "data")
	keyringUser := "session:" + dataDir
	s := &screen{ctx: ctx, artifacts: artifacts}
	s.display, s.xvfbExited = startXvfb(t, ctx, filepath.Join(artifacts, "xvfb.log"))
	// Every session cookie the keyring held, none of which may reach a log.
	var sessions []string

	// The account, signed in with its password, is where the passkey subtest starts.
	if !t.Run("password", func(t *testing.T) {
		s.t = t
		sessions = smokePassword(t, s, bin, dataDir, keyringUser)
	}) {
		return
	}
	t.Run("passkey on the virtual key", func(t *testing.T) {
		s.t = t
		sessions = append(sessions, smokePasskey(t, s, bin, dataDir, keyringUser, filepath.Join(tmp, "key.json"))...)
	})
	t.Run("passkey on a phone", func(t *testing.T) {
		s.t = t
		sessions = append(sessions, smokePhone(t, s, bin, dataDir, keyringUser)...)
	})
	t.Run("a link to a website opens in the system browser", func(t *testing.T) {
		s.t = t
		smokeLinkOut(t, s, bin, filepath.Join(tmp, "links"))
	})
	t.Run("kiosk", func(t *testing.T) {
		s.t = t
		smokeKiosk(t, s, bin, filepath.Join(tmp, "kiosk"))
	})
	t.Run("a second copy shows the first one's window", func(t *testing.T) {
		s.t = t
		smokeSecondCopy(t, s, bin, filepath.Join(tmp, "second-copy"))
	})
	t.Run("saved information it cannot open is explained in the window", func(t *testing.T) {
		s.t = t
		smokeUnusableData(t, s, bin, filepath.Join(tmp, "newer-version"))
	})

	// The session tokens never reach a log.
	logs, _ := filepath.Glob(filepath.Join(artifacts, "app-*.log"))
	if len(logs) == 0 {
		t.Fatal("no app logs to check")
	}
	for _, log := range logs {
		b, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		for _, cookie := range sessions {
			if _, token, _ := strings.Cut(cookie, "="); token != "" && bytes.Contains(b, []byte(token)) {
				t.Errorf("%s contains a session token", filepath.Base(log))
			}
		}
	}
}

// smokePassword creates an account through the window, restarts, logs out and logs in with
// the password, leaving the account signed in. It returns the session cookies the keyring held.
func smokePassword(t *testing.T, s *screen, bin, dataDir, keyringUser string) []string {
	ctx := s.ctx
	artifacts := s.artifacts

	// 1. First start: the start page, in the NHS design.
	app := startApp(t, bin, dataDir, s.display, filepath.Join(artifacts, "app-first-run.log"))
	s.waitForWindow(app)
	s.waitFor("start page", startHeading)
	s.checkNHSBlueHeader()
	s.save("1-start-page.png")
	if ports := listeningTCP(t, app.cmd.Process.Pid); len(ports) > 0 {
		t.Fatalf("the desktop app must not listen on TCP, but it (or a WebKit child) listens on %v", ports)
	}

	// 1b. Zoom, as in a browser (WCAG 1.4.4): Ctrl and plus five times is 200% (110, 125,
	// 150, 175, 200); Ctrl and 0 is 100% again. Text sizes change with the width at zoom (the
	// design system's type is responsive), so the measure is the NHS logo, 40 CSS px tall.
	normal := s.logoHeight()
	for range 5 {
		s.key("ctrl+plus")
	}
	s.waitForLogoHeight("at 200%", func(h int) bool { return h*100 >= normal*195 && h*100 <= normal*205 })
	s.save("1b-zoomed-to-200-percent.png")
	s.key("ctrl+0")
	s.waitForLogoHeight("back at 100%", func(h int) bool { return h == normal })

	// 2. Create an account through the window; the app signs in and shows the settings.
	s.tabTo("Create an account")
	s.key("Return")
	s.waitFor("create account page", "Create a password")
	s.fillIn(email, password)
	s.waitFor("settings after creating the account", securityHeading)
	s.save("2-settings.png")
	first := keyringSession(t, ctx, keyringUser)
	if !strings.HasPrefix(first, "nhsp_session=") {
		t.Fatalf("after creating the account the keyring holds %d bytes, not an nhsp_session cookie", len(first))
	}

	// 3. A restart with the same keyring: still signed in.
	app.stop()
	app = startApp(t, bin, dataDir, s.display, filepath.Join(artifacts, "app-second-run.log"))
	s.waitForWindow(app)
	s.waitFor("settings after a restart", securityHeading)
	s.save("3-settings-after-restart.png")

	// 4. Log out through the window: the keyring entry goes.
	s.tabTo("Log out")
	s.key("Return")
	s.waitFor("start page after logging out", loggedOutBanner)
	s.save("4-logged-out.png")
	waitUntil(t, ctx, "the keyring entry to go", func() bool { return keyringSession(t, ctx, keyringUser) == "" })

	// 5. Log in with the password through the window: a new session in the keyring.
	s.tabTo("Log in")
	s.key("Return")
	s.waitFor("login page", "Log in with your password instead")
	s.tabTo("Log in with your password instead")
	s.key("Return")
	s.waitForWithout("password login page", "Log in with your password", "instead")
	s.fillIn(email, password)
	s.waitFor("settings after logging in with the password", securityHeading)
	s.save("5-settings-after-login.png")
	second := keyringSession(t, ctx, keyringUser)
	if !strings.HasPrefix(second, "nhsp_session=") || second == first {
		t.Fatal("after logging in the keyring does not hold a new session")
	}
	app.stop()
	return []string{first, second}
}

// helpCentre is the Help page's link to a website (frontend/src/pages/help/topics.ts).
const helpCentre = "https://help.login.nhs.uk/"

// smokeLinkOut opens the Help page and clicks its link to the NHS login help centre. The
// website must go to the system's default browser, and the window must stay on the app's
// Help page (a website in the window would look like the app, with no way back). Wails'
// BrowserOpenURL runs the first of xdg-open, x-www-browser and www-browser it finds on PATH
// (github.com/pkg/browser), so a FAKE xdg-open put first on PATH stands in for the browser:
// no real browser can run here, and it only writes down the addresses it is given.
func smokeLinkOut(t *testing.T, s *screen, bin, dataDir string) {
	env, opened := fakeBrowser(t, filepath.Join(dataDir, "fake-browser"))
	app := startAppWith(t, bin, dataDir, s.display, filepath.Join(s.artifacts, "app-link-out.log"), env)
	s.waitForWindow(app)
	s.waitFor("start page", startHeading)
	s.click("Help")
	s.waitFor("Help page", "Find out what a passkey is")
	// The link is below the guide's contents list: to the end of the page, as a person scrolls.
	s.key("End")
	// The link's text runs over two lines: "NHS login help centre (opens in" and "your web
	// browser)". Tesseract drops the first of them at this size (seen every time), so the
	// second, still the link, is what is read and clicked.
	s.waitFor("link to the help centre, saying where it opens", "your web browser).")
	s.save("l1-help-link-out.png")
	s.click("your web")

	waitUntil(t, s.ctx, "the system browser to be asked for the help centre", func() bool { return readFile(opened) != "" })
	time.Sleep(500 * time.Millisecond) // time for a second request, which must not come
	if got := readFile(opened); got != helpCentre+"\n" {
		t.Errorf("the system browser was asked for %q, want exactly %q once", got, helpCentre)
	}
	s.key("Home")
	s.waitFor("Help page, still in the window", "Help with passkeys")
	s.save("l2-help-page-still-in-the-window.png")
	// The page sent it (Wails' runtime in the page, as on Windows and macOS), not the Linux
	// navigation guard behind it: the webview was never asked to load the website.
	if log := readFile(app.log); strings.Contains(log, "opened in the system browser instead") || strings.Contains(log, "kept on the app's pages") {
		t.Errorf("the webview was asked to load the website itself; log:\n%s", log)
	}
	app.stop()
}

// fakeBrowser makes a FAKE xdg-open in dir, for the app's PATH (env): it opens nothing and
// writes each address it is given, a line each, to the file it returns.
func fakeBrowser(t *testing.T, dir string) (env []string, opened string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	opened = filepath.Join(dir, "opened.txt")
	script := "#!/bin/sh\n# A FAKE xdg-open for the smoke test: no browser runs; the addresses are written down.\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done >> '" + opened + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH")}, opened
}

// smokeKiosk starts the app in kiosk mode under a window manager (openbox), as a GP surgery
// would: the window must fill the screen with no frame, refuse Alt+F4, keep the session
// out of the keyring (checked in the real gnome-keyring), still stop cleanly when the
// system stops it, and start again with nobody logged in.
func smokeKiosk(t *testing.T, s *screen, bin, dataDir string) {
	ctx := s.ctx
	startWindowManager(t, s)

	hash, err := kiosk.HashSecret("the surgery's secret")
	if err != nil {
		t.Fatal(err)
	}
	settings := filepath.Join(dataDir, "settings.json")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(settings, []byte(`{"kiosk": true, "adminSecret": "`+hash+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	keyringUser := "session:" + dataDir

	app := startApp(t, bin, dataDir, s.display, filepath.Join(s.artifacts, "app-kiosk.log"), "--settings", settings)
	s.waitForWindow(app)
	// Full screen arrives from the window manager a moment after the window maps.
	waitUntil(t, ctx, "the kiosk window to fill the 1280x800 screen with no frame", func() bool {
		s.measureWindow()
		return s.x == 0 && s.y == 0 && s.w == 1280 && s.h == 800
	})
	s.waitFor("kiosk start page", startHeading)
	s.save("k1-kiosk-start-page.png")
	if ports := listeningTCP(t, app.cmd.Process.Pid); len(ports) > 0 {
		t.Fatalf("the desktop app in kiosk mode must not listen on TCP, but it (or a WebKit child) listens on %v", ports)
	}

	s.tabTo("Create an account")
	s.key("Return")
	s.waitFor("create account page in kiosk mode", "Create a password")
	s.fillIn(email, password)
	s.waitFor("settings in kiosk mode", securityHeading)
	s.save("k2-kiosk-settings.png")
	if got := keyringSession(t, ctx, keyringUser); got != "" {
		t.Fatalf("kiosk mode wrote the session to the keyring (%d bytes)", len(got))
	}

	// A patient cannot close the kiosk.
	s.key("alt+F4")
	// openbox asks the window to close; the app must be asked, and say no.
	waitUntil(t, ctx, "openbox's close request to reach the app", func() bool {
		return strings.Contains(readFile(app.log), "closing the window refused in kiosk mode")
	})
	time.Sleep(time.Second)
	select {
	case err := <-app.exited:
		app.exited <- err
		t.Fatalf("Alt+F4 closed the kiosk (%v)", err)
	default:
	}
	s.waitFor("settings still on screen after Alt+F4", securityHeading)

	// What a patient copied or selected goes when they log out: the next patient cannot
	// paste it. (xclip stands for the copy: it owns the selection until the app takes it.)
	for _, sel := range []string{"clipboard", "primary"} {
		s.setSelection(sel, email)
		waitUntil(t, ctx, "the "+sel+" selection to hold the patient's email", func() bool { return s.selection(sel) == email })
	}
	s.tabTo("Log out")
	s.key("Return")
	s.waitFor("start page after logging out in kiosk mode", loggedOutBanner)
	for _, sel := range []string{"clipboard", "primary"} {
		waitUntil(t, ctx, "the "+sel+" selection to be emptied at the visit's end", func() bool { return s.selection(sel) == "" })
	}

	// The system can: SIGTERM still closes it cleanly. The next start has nobody logged in.
	app.stop()
	env, opened := fakeBrowser(t, filepath.Join(dataDir, "fake-browser"))
	app = startAppWith(t, bin, dataDir, s.display, filepath.Join(s.artifacts, "app-kiosk-again.log"), env, "--settings", settings)
	s.waitForWindow(app)
	s.waitFor("the start page after a restart, with nobody logged in", startHeading)
	if got := keyringSession(t, ctx, keyringUser); got != "" {
		t.Fatalf("kiosk mode wrote the session to the keyring (%d bytes)", len(got))
	}

	// A link to a website opens nowhere on a shared computer, not even in a browser: the
	// window says so instead.
	s.click("Help")
	s.waitFor("Help page in kiosk mode", "Find out what a passkey is")
	s.key("End")
	s.waitForWithout("link to the help centre, not said to open a browser", "NHS login help centre", "opens in your web browser")
	s.click("NHS login help") // "centre." comes with its full stop
	s.waitFor("page saying the link cannot be opened", "This link cannot be opened on this computer")
	s.save("k3-kiosk-link-out.png")
	if got := readFile(opened); got != "" {
		t.Errorf("kiosk mode asked the system browser for %q", got)
	}
	app.stop()
}

// setSelection puts text in an X11 selection ("clipboard" or "primary") as a copy from another
// program would: xclip forks and owns it until some other program takes it.
func (s *screen) setSelection(selection, text string) {
	s.t.Helper()
	cmd := exec.CommandContext(s.ctx, "xclip", "-selection", selection, "-i")
	cmd.Env = append(os.Environ(), "DISPLAY="+s.display)
	cmd.Stdin = strings.NewReader(text)
	// No pipe for its output: the child that keeps the selection would hold it open, and Run
	// would wait for the child. The parent returns once the child owns the selection.
	if err := cmd.Run(); err != nil {
		s.fail("xclip -selection %s -i: %v", selection, err)
	}
}

// selection reads an X11 selection's text: "" when it is empty or has no owner.
func (s *screen) selection(selection string) string {
	cmd := exec.CommandContext(s.ctx, "xclip", "-selection", selection, "-o")
	cmd.Env = append(os.Environ(), "DISPLAY="+s.display)
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return string(out)
}

// smokeSecondCopy opens the app, minimises its window, then opens the app again on the same
// data folder, as someone would who cannot see the window and clicks the icon again. The
// second copy must stop at once, without an error, and the first window must be back on
// screen.
func smokeSecondCopy(t *testing.T, s *screen, bin, dataDir string) {
	startWindowManager(t, s) // minimising needs a window manager
	first := startApp(t, bin, dataDir, s.display, filepath.Join(s.artifacts, "app-first-copy.log"))
	s.waitForWindow(first)
	s.waitFor("start page of the first copy", startHeading)
	// The request to minimise is sent again each second until the window is off screen: a
	// window manager that has only just mapped the window may not act on the first one.
	lastAsked := time.Time{}
	waitUntil(t, s.ctx, "the window to be minimised", func() bool {
		if len(s.visibleWindows()) == 0 {
			return true
		}
		if time.Since(lastAsked) >= time.Second {
			s.run("xdotool", "windowminimize", s.window)
			lastAsked = time.Now()
		}
		return false
	})

	second := startApp(t, bin, dataDir, s.display, filepath.Join(s.artifacts, "app-second-copy.log"))
	select {
	case err := <-second.exited:
		second.exited <- err
		if err != nil {
			t.Fatalf("the second copy failed (%v); log:\n%s", err, readFile(second.log))
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the second copy did not stop within 15 s; log:\n%s", readFile(second.log))
	}
	if log := readFile(second.log); !strings.Contains(log, "already open, so its window has been brought to the front") {
		t.Errorf("the second copy said %q", log)
	}
	waitUntil(t, s.ctx, "the first copy's window to be on screen again", func() bool {
		return slices.Contains(s.visibleWindows(), s.window)
	})
	if !strings.Contains(readFile(first.log), "another copy of the app was started") {
		t.Errorf("the first copy did not log the second start; log:\n%s", readFile(first.log))
	}
	s.waitFor("the first copy's start page, back on screen", startHeading)
	first.stop()
}

// smokeUnusableData starts the app on a data folder whose database a newer version of the
// app saved (a patient who went back to an older version). Opened from its icon, the app
// has no terminal to print on: the window opens and its page says what happened and what to
// do (503 data_unusable, the store's own message), the file is left exactly as it was, and
// when the app is closed (SIGTERM, as at logout or shutdown) it ends with the refusal's code
// and exit status 1.
func smokeUnusableData(t *testing.T, s *screen, bin, dataDir string) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		t.Fatal(err)
	}
	store.PrepareForTest(t, dataDir)
	store.MarkNewerVersionForTest(t, filepath.Join(dataDir, store.FileName))
	before := store.DescribeForTest(t, dataDir)

	a := startApp(t, bin, dataDir, s.display, filepath.Join(s.artifacts, "app-unusable-data.log"))
	s.waitForWindow(a)
	s.waitFor("message that the saved information cannot be opened", "cannot open the information it has saved")
	s.waitFor("advice to install the newest version", "Install the newest version of the app")
	s.save("u1-unusable-data.png")
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("signal the app: %v", err)
	}
	select {
	case err := <-a.exited:
		a.exited <- err
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Errorf("the app ended with %v, want exit status 1", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the app did not quit within 10 s of SIGTERM")
	}
	if log := readFile(a.log); !strings.Contains(log, "nhs-passkeys: error code: data_newer_version") {
		t.Errorf("the app did not end with the refusal's code; log:\n%s", log)
	}
	if after := store.DescribeForTest(t, dataDir); after != before {
		t.Errorf("the data folder was changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// visibleWindows lists the app's windows that are on screen (mapped).
func (s *screen) visibleWindows() []string {
	cmd := exec.CommandContext(s.ctx, "xdotool", "search", "--onlyvisible", "--name", "^"+desktop.Title+"$")
	cmd.Env = append(os.Environ(), "DISPLAY="+s.display)
	out, _ := cmd.Output()
	return strings.Fields(string(out))
}

// startWindowManager starts openbox on the test's display and waits until it manages the
// screen (it has set _NET_NUMBER_OF_DESKTOPS on the root window). Like the app, openbox can
// fail to reach a busy X server at the first try ("Failed to open the display"), so it is
// started again until it is up.
func startWindowManager(t *testing.T, s *screen) {
	t.Helper()
	if s.managed {
		return
	}
	logPath := filepath.Join(s.artifacts, "openbox.log")
	deadline := time.Now().Add(20 * time.Second)
	// The previous subtest's openbox (killed in its clean-up) must be gone from the screen
	// first, or its property would be taken for this one's.
	for s.wmOnScreen() && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	for try := 1; ; try++ {
		log, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		wm := exec.CommandContext(s.ctx, "openbox", "--sm-disable")
		wm.Env = append(os.Environ(), "DISPLAY="+s.display)
		wm.Stdout, wm.Stderr = log, log
		if err := wm.Start(); err != nil {
			t.Fatalf("start openbox: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = wm.Wait(); log.Close(); close(exited) }()
		t.Cleanup(func() { _ = wm.Process.Kill(); <-exited; s.managed = false })
		if managing(s, exited, deadline) {
			t.Logf("openbox manages the screen (try %d)", try)
			s.managed = true
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("openbox did not start within 20 s: %s", readFile(logPath))
		}
	}
}

// wmOnScreen says whether a window manager has set _NET_NUMBER_OF_DESKTOPS on the root
// window.
func (s *screen) wmOnScreen() bool {
	cmd := exec.CommandContext(s.ctx, "xdotool", "get_num_desktops")
	cmd.Env = append(os.Environ(), "DISPLAY="+s.display)
	out, err := cmd.Output()
	n := strings.TrimSpace(string(out))
	return err == nil && n != "" && n != "0"
}

// managing waits until the window manager has set _NET_NUMBER_OF_DESKTOPS (true), or has
// exited (false); past the deadline the test fails. The property can still be the previous
// openbox's for a moment after that one was killed (the X server clears it once it has seen
// the client go), while a new one that could not open the display exits at once: seen in
// CI, where the second copy's subtest then found no window manager to minimise its window.
// So the property counts only once this openbox has also stayed up for half a second.
func managing(s *screen, exited <-chan struct{}, deadline time.Time) bool {
	for {
		if s.wmOnScreen() {
			select {
			case <-exited:
				return false
			case <-time.After(500 * time.Millisecond):
				return true
			}
		}
		select {
		case <-exited:
			return false
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.fail("openbox did not start managing the screen within 20 s")
		}
	}
}

// smokePasskey does one real ceremony of each kind through the window, with the app's
// virtual security key: webview -> shell (/api/device) -> libfido2 -> virtual key -> the
// backend as relying party. It sets up a passkey on the key (creating the key's PIN on the
// way), logs out and logs in with it, then checks what the window said against the account
// database and the key's own state file. It returns the session cookies the keyring held.
func smokePasskey(t *testing.T, s *screen, bin, dataDir, keyringUser, keyFile string) []string {
	ctx := s.ctx
	db := filepath.Join(dataDir, "passkeys.db")

	// 6. Restart with the virtual key on: still signed in (step 5), with no passkey yet.
	app := startApp(t, bin, dataDir, s.display, filepath.Join(s.artifacts, "app-virtual-key.log"), "--virtual-key", keyFile)
	s.waitForWindow(app)
	s.waitFor("settings with the virtual key on", "You have not set up a passkey yet")
	if ports := listeningTCP(t, app.cmd.Process.Pid); len(ports) > 0 {
		t.Fatalf("the desktop app with the virtual key must not listen on TCP, but it (or a WebKit child) listens on %v", ports)
	}

	// 7. Set up a passkey on the virtual key, as the help article says: select Passkeys, then
	// Set up a passkey. The key has no PIN yet, so the app asks for a new one (twice); the key
	// then confirms presence by itself (its default behaviour).
	s.tabTo("Passkeys")
	s.key("Return")
	s.waitFor("Passkeys page", "You can have more than one passkey")
	s.tabTo("Set up a passkey")
	s.key("Return")
	s.waitFor("passkey set-up page", "you save your passkey on a security key")
	s.save("6-set-up-a-passkey.png")
	s.tabTo("Continue")
	s.key("Return")
	s.waitFor("choice of where to save the passkey", "Where do you want to save your passkey?")
	s.chooseVirtualKey()
	s.save("7-where-to-save.png")
	s.tabTo("Continue")
	s.key("Return")
	s.waitFor("page to create the key's PIN", "Create a PIN for your security key")
	s.click("New PIN")
	s.typeText(keyPIN)
	s.click("Enter the new PIN again")
	s.typeText(keyPIN)
	s.snap("8-create-a-pin.png")
	s.key("Return")
	s.waitFor("Passkeys after setting up the passkey", "Passkey set up")
	s.save("9-passkey-set-up.png")
	s.click("Back to Login and security settings")
	s.waitFor("new passkey in the settings' list", "You can log in with any of these passkeys")

	// The database, read-only while the app runs: one passkey, counter 0 (the key's first).
	registered := storedPasskeys(t, ctx, db)
	if len(registered) != 1 {
		t.Fatalf("after setting up a passkey the account has %d passkeys in the database, not 1", len(registered))
	}
	if registered[0].lastUsed.Valid || !registered[0].userVerified {
		t.Fatalf("the new passkey: last used %v, user verified %v; want never used, verified with the PIN",
			registered[0].lastUsed, registered[0].userVerified)
	}

	// 8. Log out, then log in with the passkey: the email, the key, its PIN.
	s.tabTo("Log out")
	s.key("Return")
	s.waitFor("start page after logging out", loggedOutBanner)
	waitUntil(t, ctx, "the keyring entry to go", func() bool { return keyringSession(t, ctx, keyringUser) == "" })
	s.tabTo("Log in")
	s.key("Return")
	s.waitFor("login page", "Log in with your password instead")
	// The page may carry over an email typed earlier: replace whatever the field holds.
	s.click("Email address")
	s.key("ctrl+a")
	s.typeText(email)
	s.snap("10-log-in.png")
	s.key("Return")
	// On Linux the app lists "Use a different phone or tablet" too (unavailable without Bluetooth),
	// so the question is where the passkey is, not which key.
	s.waitFor("choice of where the passkey is", "Where is your passkey saved?")
	s.chooseVirtualKey()
	s.tabTo("Continue")
	s.key("Return")
	s.waitFor("page for the key's PIN", "This is the PIN you chose for your security key")
	s.click("Enter your security key PIN")
	s.typeText(keyPIN)
	s.snap("11-enter-the-pin.png")
	s.key("Return")
	s.waitFor("settings after logging in with the passkey", securityHeading)
	s.waitFor("passkey used to log in", "Last used")
	s.save("12-settings-after-passkey-login.png")
	session := keyringSession(t, ctx, keyringUser)
	if !strings.HasPrefix(session, "nhsp_session=") {
		t.Fatal("after logging in with the passkey the keyring does not hold a session")
	}
	app.stop()

	// The same passkey, now used once, in the database and on the key.
	used := storedPasskeys(t, ctx, db)
	if len(used) != 1 || !bytes.Equal(used[0].credentialID, registered[0].credentialID) {
		t.Fatalf("after logging in the account has %d passkeys in the database; want the one set up", len(used))
	}
	if used[0].signCount <= registered[0].signCount || !used[0].lastUsed.Valid || !used[0].userVerified {
		t.Fatalf("after logging in with the passkey: sign count %d (was %d), last used %v, user verified %v",
			used[0].signCount, registered[0].signCount, used[0].lastUsed, used[0].userVerified)
	}
	key, err := virtualkey.Open(keyFile, virtualkey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	creds := key.Credentials()
	if len(creds) != 1 {
		t.Fatalf("the virtual key holds %d credentials, not 1", len(creds))
	}
	if c := creds[0]; !bytes.Equal(c.ID, used[0].credentialID) || c.RPID != "localhost" || int64(c.SignCount) != used[0].signCount {
		t.Fatalf("the virtual key holds credential %x for %q with sign count %d; the database has %x with %d",
			c.ID, c.RPID, c.SignCount, used[0].credentialID, used[0].signCount)
	}
	if retries, pinSet := key.PINRetries(); !pinSet || retries != 8 {
		t.Fatalf("the virtual key: PIN set %v, %d retries left; want a PIN with all 8 tries", pinSet, retries)
	}
	t.Logf("one passkey, credential %x…, sign count %d after registration and %d after logging in",
		used[0].credentialID[:8], registered[0].signCount, used[0].signCount)

	// The PIN is passed on once and never kept: not in the log, not in the key's file.
	for _, path := range []string{app.log, keyFile} {
		if strings.Contains(readFile(path), keyPIN) {
			t.Errorf("%s contains the key's PIN", filepath.Base(path))
		}
	}
	return []string{session}
}

// chooseVirtualKey selects the virtual key among the authenticators.
func (s *screen) chooseVirtualKey() {
	s.t.Helper()
	s.chooseRadio(virtualKeyName)
}

// chooseRadio selects the radio labelled name by clicking its label (a radio's focus style
// rings the radio alone, so tabTo cannot read its label), and waits until the radio is drawn
// selected: the NHS radio (40 px, left of its label) then has a dark dot in its middle, where
// an unselected one is white.
func (s *screen) chooseRadio(name string) {
	s.t.Helper()
	label := s.click(name)
	cx, cy := label.x-34, label.y+label.h/2
	started := time.Now()
	for {
		img := s.shot()
		dark := 0
		for y := cy - 6; y <= cy+6; y++ {
			for x := cx - 6; x <= cx+6; x++ {
				if isColour(img, x, y, 0x21, 0x2b, 0x32) {
					dark++
				}
			}
		}
		if dark > 13*13*3/4 {
			return
		}
		if time.Since(started) > 5*time.Second {
			s.fail("the radio for %q is not drawn selected 5 s after clicking its label", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// snap keeps a screenshot taken now under name (save keeps the last one taken, which may
// predate the last key presses), once the webview has caught up with the typing: two
// screenshots in a row the same, or 2 s.
func (s *screen) snap(name string) {
	s.t.Helper()
	last := pixels(s.shot())
	for started := time.Now(); time.Since(started) < 2*time.Second; {
		time.Sleep(50 * time.Millisecond)
		now := pixels(s.shot())
		if now != nil && bytes.Equal(now, last) {
			break
		}
		last = now
	}
	s.save(name)
}

// pixels returns the pixels of a decoded screenshot, nil if it is of an unexpected kind.
func pixels(img image.Image) []byte {
	switch m := img.(type) {
	case *image.RGBA:
		return m.Pix
	case *image.NRGBA:
		return m.Pix
	}
	return nil
}

type storedPasskey struct {
	credentialID []byte
	signCount    int64
	userVerified bool
	lastUsed     sql.NullInt64
}

// storedPasskeys reads the smoke test account's (email's) passkeys straight from the database
// file, read-only.
func storedPasskeys(t *testing.T, ctx context.Context, path string) []storedPasskey {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT p.credential_id, p.sign_count, p.user_verified, p.last_used_at
		FROM passkeys p JOIN accounts a ON a.id = p.account_id WHERE a.email = ? ORDER BY p.id`, email)
	if err != nil {
		t.Fatalf("read the passkeys from %s: %v", path, err)
	}
	defer rows.Close()
	var passkeys []storedPasskey
	for rows.Next() {
		var p storedPasskey
		if err := rows.Scan(&p.credentialID, &p.signCount, &p.userVerified, &p.lastUsed); err != nil {
			t.Fatal(err)
		}
		passkeys = append(passkeys, p)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return passkeys
}

// startXvfb starts a virtual X server on a free display, its output going to logPath, and
// returns the display's name (":N") and a channel closed when the server exits.
func startXvfb(t *testing.T, ctx context.Context, logPath string) (string, <-chan struct{}) {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// -displayfd: Xvfb picks a free display itself and writes its number once it is ready.
	// Its life is the test's, not a context's: killed in Cleanup, and by Pdeathsig below.
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp") //nolint:noctx // see above
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// If the test process dies, so does its X server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	exited := make(chan struct{})
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(logFile, "[smoke test] Xvfb exited: %v\n", err)
		logFile.Close()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
		r.Close()
	}()
	select {
	case n := <-line:
		if _, err := strconv.Atoi(n); err != nil {
			t.Fatalf("Xvfb did not report a display: %q", n)
		}
		return ":" + n, exited
	case <-time.After(10 * time.Second):
		t.Fatal("Xvfb did not start within 10 s")
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	return "", nil
}

type app struct {
	t       *testing.T
	cmd     *exec.Cmd
	started time.Time
	log     string
	exited  chan error
}

func startApp(t *testing.T, bin, dataDir, display, logPath string, args ...string) *app {
	t.Helper()
	return startAppWith(t, bin, dataDir, display, logPath, nil, args...)
}

// startAppWith starts the app with env added to the test's environment.
func startAppWith(t *testing.T, bin, dataDir, display, logPath string, env []string, args ...string) *app {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// The app is stopped by the test (a signal, then a check that it shut down cleanly), so a
	// context must not kill it first.
	cmd := exec.Command(bin, append([]string{"--data-dir", dataDir}, args...)...) //nolint:noctx // see above
	// NHS_PASSKEYS_DEBUG: the shell logs "page loaded in the window", which times DOM ready.
	cmd.Env = append(append(os.Environ(), "DISPLAY="+display, "NHS_PASSKEYS_DEBUG=1"), env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	a := &app{t: t, cmd: cmd, log: logPath, exited: make(chan error, 1)}
	a.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the app: %v", err)
	}
	go func() {
		err := cmd.Wait()
		logFile.Close()
		a.exited <- err
	}()
	t.Cleanup(func() {
		select {
		case err := <-a.exited:
			a.exited <- err
		default:
			_ = cmd.Process.Kill()
		}
	})
	return a
}

// stop quits the app the way a session logout or `kill` does (SIGTERM to the app's own
// PID) and checks that it closed cleanly.
func (a *app) stop() {
	a.t.Helper()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		a.t.Fatalf("signal the app: %v", err)
	}
	select {
	case err := <-a.exited:
		a.exited <- err
		if err != nil {
			a.t.Fatalf("the app exited with %v; log:\n%s", err, readFile(a.log))
		}
	case <-time.After(10 * time.Second):
		a.t.Fatal("the app did not quit within 10 s of SIGTERM")
	}
}

var domReadyLine = regexp.MustCompile(`time=(\S+) level=DEBUG msg="page loaded in the window"`)

// domReady returns how long after launch the app logged that the page had loaded.
func (a *app) domReady() (time.Duration, bool) {
	m := domReadyLine.FindStringSubmatch(readFile(a.log))
	if m == nil {
		return 0, false
	}
	at, err := time.Parse(time.RFC3339Nano, m[1])
	if err != nil {
		return 0, false
	}
	return at.Sub(a.started), true
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// screen drives the X display and reads it back.
type screen struct {
	t         *testing.T
	ctx       context.Context
	display   string
	artifacts string

	xvfbExited <-chan struct{} // closed if the X server has gone
	managed    bool            // openbox manages the screen (until the subtest that started it ends)

	window     string
	x, y, w, h int // the window on the screen
	last       []byte
}

func (s *screen) run(name string, args ...string) []byte {
	s.t.Helper()
	cmd := exec.CommandContext(s.ctx, name, args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+s.display)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		s.fail("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// fail stops the test, leaving the last screenshot for a person to look at.
func (s *screen) fail(format string, args ...any) {
	s.t.Helper()
	if s.last != nil {
		_ = os.WriteFile(filepath.Join(s.artifacts, "failure.png"), s.last, 0o644)
		format += "\n(last screenshot: " + filepath.Join(s.artifacts, "failure.png") + ")"
	}
	s.t.Fatalf(format, args...)
}

// waitForWindow waits for the app's window to be mapped and for its page to load, and
// gives the window the keyboard focus.
func (s *screen) waitForWindow(a *app) {
	s.t.Helper()
	for {
		if ids := s.visibleWindows(); len(ids) > 0 {
			s.window = ids[0]
			break
		}
		select {
		case err := <-a.exited:
			s.fail("the app exited (%v) before showing its window%s; log:\n%s", err, s.xvfbState(), readFile(a.log))
		case <-s.ctx.Done():
			s.fail("no window titled %q: %v; log:\n%s", desktop.Title, s.ctx.Err(), readFile(a.log))
		case <-time.After(20 * time.Millisecond):
		}
	}
	visible := time.Since(a.started)
	s.measureWindow()
	if s.w < 400 || s.h < 400 {
		s.fail("the window is only %dx%d", s.w, s.h)
	}
	s.run("xdotool", "windowfocus", "--sync", s.window)
	waitUntil(s.t, s.ctx, "the page to load", func() bool { _, ok := a.domReady(); return ok })
	dom, _ := a.domReady()
	s.t.Logf("window visible %v after launch, DOM ready %v after launch (%dx%d at %d,%d)",
		visible.Round(time.Millisecond), dom.Round(time.Millisecond), s.w, s.h, s.x, s.y)
}

// measureWindow reads the window's place and size on the screen.
func (s *screen) measureWindow() {
	s.t.Helper()
	for _, line := range strings.Fields(string(s.run("xdotool", "getwindowgeometry", "--shell", s.window))) {
		name, value, _ := strings.Cut(line, "=")
		n, _ := strconv.Atoi(value)
		switch name {
		case "X":
			s.x = n
		case "Y":
			s.y = n
		case "WIDTH":
			s.w = n
		case "HEIGHT":
			s.h = n
		}
	}
}

// xvfbState says whether the X server has gone, for failure messages: an app that cannot
// open its display panics with "failed to init GTK".
func (s *screen) xvfbState() string {
	select {
	case <-s.xvfbExited:
		return " (the X server has exited: " + filepath.Join(s.artifacts, "xvfb.log") + ")"
	default:
		return " (the X server is still running)"
	}
}

// shot takes a screenshot of the whole screen.
func (s *screen) shot() image.Image {
	s.t.Helper()
	s.last = s.run("import", "-window", "root", "png:-")
	img, err := png.Decode(bytes.NewReader(s.last))
	if err != nil {
		s.fail("decode the screenshot: %v", err)
	}
	return img
}

// save keeps the last screenshot under name, for a person to look at.
func (s *screen) save(name string) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.artifacts, name), s.last, 0o644); err != nil {
		s.t.Fatal(err)
	}
}

// ocr crops the last screenshot to x,y,w,h and reads it with tesseract.
func (s *screen) ocr(x, y, w, h int, scale string, tesseractArgs ...string) string {
	s.t.Helper()
	cmd := exec.CommandContext(s.ctx, "sh", "-c",
		`crop=$1 scale=$2; shift 2
		convert png:- -crop "$crop" +repage -colorspace Gray -resize "$scale" -bordercolor white -border 16 png:- | tesseract stdin stdout "$@" 2>/dev/null`,
		"sh", fmt.Sprintf("%dx%d+%d+%d", w, h, x, y), scale)
	cmd.Args = append(cmd.Args, tesseractArgs...)
	// One thread: with OpenMP's default (one per core) a busy 2-core machine takes 20 s or
	// more per page instead of 0.3 s.
	cmd.Env = append(os.Environ(), "OMP_THREAD_LIMIT=1")
	cmd.Stdin = bytes.NewReader(s.last)
	out, err := cmd.Output()
	if err != nil {
		s.fail("OCR: %v", err)
	}
	return string(out)
}

type word struct {
	text       string
	line       string
	x, y, w, h int // on the screen
}

// read takes a screenshot and returns the window's words in reading order.
func (s *screen) read() []word {
	s.t.Helper()
	s.shot()
	const border = 16 // added around the crop by ocr
	var words []word
	for _, row := range strings.Split(s.ocr(s.x, s.y, s.w, s.h, "100%", "tsv"), "\n") {
		f := strings.Split(row, "\t")
		if len(f) != 12 || f[0] != "5" {
			continue
		}
		var n [4]int
		for i := range n {
			n[i], _ = strconv.Atoi(f[6+i])
		}
		// A link's underline often joins its words: "Log_in".
		for _, t := range strings.Fields(strings.ReplaceAll(f[11], "_", " ")) {
			words = append(words, word{text: t, line: f[2] + "." + f[3] + "." + f[4],
				x: s.x + n[0] - border, y: s.y + n[1] - border, w: n[2], h: n[3]})
		}
	}
	return words
}

func text(words []word) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = w.text
	}
	return strings.Join(parts, " ")
}

// waitFor reads the screen until its text contains want.
func (s *screen) waitFor(what, want string) {
	s.t.Helper()
	s.waitForWithout(what, want, "")
}

// waitForWithout reads the screen until its text contains want and, unless absent is "",
// does not contain absent.
func (s *screen) waitForWithout(what, want, absent string) {
	s.t.Helper()
	started := time.Now()
	for {
		got := text(s.read())
		if strings.Contains(got, want) && (absent == "" || !strings.Contains(got, absent)) {
			s.t.Logf("saw the %s after %v", what, time.Since(started).Round(time.Millisecond))
			return
		}
		if time.Since(started) > 20*time.Second {
			s.fail("the %s did not appear: %q is not on screen after 20 s; it reads:\n%s", what, want, got)
		}
		select {
		case <-s.ctx.Done():
			s.fail("waiting for the %s: %v", what, s.ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// click clicks the first place on screen where phrase is written (a label, a link) and
// returns its first word. Buttons cannot be found this way (tesseract skips text inside a
// bordered box): tabTo reaches them.
func (s *screen) click(phrase string) word {
	s.t.Helper()
	want := strings.Fields(phrase)
	words := s.read()
	for i := 0; i+len(want) <= len(words); i++ {
		match := true
		for j, w := range want {
			if words[i+j].text != w || words[i+j].line != words[i].line {
				match = false
				break
			}
		}
		if match {
			first, end := words[i], words[i+len(want)-1]
			x, y := first.x+(end.x+end.w-first.x)/2, first.y+first.h/2
			s.run("xdotool", "mousemove", "--sync", strconv.Itoa(x), strconv.Itoa(y), "click", "1")
			return first
		}
	}
	s.fail("%q is not on screen; it reads:\n%s", phrase, text(words))
	return word{}
}

// fillIn fills in the email address and password form on screen and submits it with
// Return, as a keyboard user would; the email field is focused by clicking its label.
func (s *screen) fillIn(email, password string) {
	s.t.Helper()
	s.click("Email address")
	s.typeText(email)
	s.key("Tab")
	s.typeText(password)
	s.key("Return")
}

// tabTo presses Tab until the focused control is the one labelled label. The NHS design
// system draws keyboard focus as dark text on yellow (#FFEB3B), so the focused control is
// the yellow box on screen, and its label is read from that box alone.
func (s *screen) tabTo(label string) {
	s.t.Helper()
	var seen []string
	for range 20 {
		s.key("Tab")
		got := s.settledFocus()
		if got == label {
			return
		}
		seen = append(seen, got)
	}
	s.fail("Tab never reached %q; focus went through %q", label, seen)
}

// settledFocus returns what focused reads once two reads in a row agree: the webview
// paints the new focus a moment after the key press, and acting on a stale picture would
// press Return on the wrong control. It waits up to 1.5 s: on a busy machine a page that has
// just appeared can take longer than half a second to paint (a clean-clone run once read
// the focus still changing after 0.5 s on the login page).
func (s *screen) settledFocus() string {
	s.t.Helper()
	last := s.focused()
	for range 30 {
		time.Sleep(50 * time.Millisecond)
		got := s.focused()
		if got == last {
			return got
		}
		last = got
	}
	s.fail("the focus did not settle; last read %q", last)
	return ""
}

// focused returns the label of the control drawn with the focus style, or "" if none is.
func (s *screen) focused() string {
	s.t.Helper()
	img := s.shot()
	minX, minY, maxX, maxY := s.x+s.w, s.y+s.h, -1, -1
	for y := s.y; y < s.y+s.h; y++ {
		for x := s.x; x < s.x+s.w; x++ {
			if isColour(img, x, y, 0xff, 0xeb, 0x3b) {
				minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
			}
		}
	}
	if maxX-minX < 8 || maxY-minY < 8 {
		return ""
	}
	var words []string
	for _, w := range strings.Fields(s.ocr(minX, minY, maxX-minX+1, maxY-minY+1, "200%", "--psm", "7")) {
		// The box's edges come out as stray "|" or "[".
		if w = strings.Trim(w, "|[]{}_—-"); w != "" {
			words = append(words, w)
		}
	}
	return strings.Join(words, " ")
}

// logoHeight is the height on screen of the NHS logo: the white box in the blue header
// (pure white appears nowhere else near the top; the page behind it is grey).
func (s *screen) logoHeight() int {
	s.t.Helper()
	img := s.shot()
	top, bottom := -1, -1
	for y := s.y; y < s.y+300 && y < s.y+s.h; y++ {
		for x := s.x; x < s.x+s.w/2; x++ {
			if isColour(img, x, y, 0xff, 0xff, 0xff) {
				if top < 0 {
					top = y
				}
				bottom = y
				break
			}
		}
	}
	if top < 0 {
		s.fail("the NHS logo is not on the screen")
	}
	return bottom - top + 1
}

// waitForLogoHeight reads the screen until ok accepts the logo's height.
func (s *screen) waitForLogoHeight(what string, ok func(int) bool) {
	s.t.Helper()
	var heights []int
	for range 50 {
		h := s.logoHeight()
		if ok(h) {
			s.t.Logf("the NHS logo is %d px tall %s", h, what)
			return
		}
		heights = append(heights, h)
		time.Sleep(100 * time.Millisecond)
	}
	s.fail("the NHS logo never had the height expected %s; it measured %v px", what, heights)
}

func (s *screen) typeText(text string) {
	s.t.Helper()
	s.run("xdotool", "type", "--delay", "15", text)
}

func (s *screen) key(name string) {
	s.t.Helper()
	s.run("xdotool", "key", name)
}

// checkNHSBlueHeader samples the right half of the top of the window (clear of the logo):
// the NHS header is NHS blue (#005EB8).
func (s *screen) checkNHSBlueHeader() {
	s.t.Helper()
	img := s.shot()
	blue, total := 0, 0
	for y := s.y + 4; y < s.y+40; y += 4 {
		for x := s.x + s.w/2; x < s.x+s.w-4; x += 8 {
			total++
			if isColour(img, x, y, 0x00, 0x5e, 0xb8) {
				blue++
			}
		}
	}
	if blue*10 < total*9 {
		s.fail("only %d of %d pixels at the top of the window are NHS blue", blue, total)
	}
	s.t.Logf("NHS blue header: %d of %d sampled pixels", blue, total)
}

func isColour(img image.Image, x, y int, r, g, b uint32) bool {
	near := func(v, want uint32) bool { return v+12 >= want && v <= want+12 }
	pr, pg, pb, _ := img.At(x, y).RGBA()
	return near(pr>>8, r) && near(pg>>8, g) && near(pb>>8, b)
}

// keyringSession reads the session entry with libsecret's own tool ("" when there is none).
func keyringSession(t *testing.T, ctx context.Context, user string) string {
	t.Helper()
	out, err := exec.CommandContext(ctx, "secret-tool", "lookup", "service", "nhs-passkeys", "username", user).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 {
		return ""
	}
	if err != nil {
		t.Fatalf("secret-tool lookup: %v", err)
	}
	return string(out)
}

// waitUntil polls ok for up to 10 s.
func waitUntil(t *testing.T, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// listeningTCP returns the local addresses of TCP sockets in LISTEN state held by pid or any
// of its descendants (the WebKit processes), read from /proc.
func listeningTCP(t *testing.T, pid int) []string {
	t.Helper()
	// Every process's parent, to find the descendants of pid.
	children := map[int][]int{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended meanwhile
		}
		// The command name in parentheses may hold spaces; the parent PID follows it.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		child, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if err != nil || len(fields) < 2 {
			continue // not a process's folder, or a stat line cut short
		}
		parent, err := strconv.Atoi(fields[1])
		if err != nil {
			continue
		}
		children[parent] = append(children[parent], child)
	}
	inodes := map[string]bool{}
	for queue := []int{pid}; len(queue) > 0; queue = queue[1:] {
		p := queue[0]
		queue = append(queue, children[p]...)
		fds, _ := filepath.Glob(fmt.Sprintf("/proc/%d/fd/*", p))
		for _, fd := range fds {
			if target, err := os.Readlink(fd); err == nil && strings.HasPrefix(target, "socket:[") {
				inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")] = true
			}
		}
	}
	if len(inodes) == 0 {
		t.Fatalf("found no sockets at all for PID %d: the check cannot see the app", pid)
	}
	var listening []string
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			// sl local_address rem_address st ... inode (field 9); st 0A is LISTEN.
			if len(f) > 9 && f[3] == "0A" && inodes[f[9]] {
				listening = append(listening, f[1])
			}
		}
	}
	return listening
}
