//go:build desktopsmoke && linux

// The desktop smoke test: the real binary in a real window under Xvfb, with a real
// gnome-keyring on a private D-Bus session, driven with the keyboard and mouse (xdotool) and
// read back from the screen (tesseract OCR and pixel samples). It checks what a person sees:
// the start page in the NHS design, creating an account, staying signed in across a restart
// (the session in the keyring), logging out (the keyring entry gone) and logging in again.
//
// Run from the repository root once the frontend is built (cd frontend && npm ci && npm run build):
//
//	go test -tags desktopsmoke -count=1 -timeout 5m -run '^TestDesktopSmoke$' -v ./app/desktop/
//
// It needs xvfb xdotool imagemagick tesseract-ocr dbus gnome-keyring libsecret-tools and the
// Wails build set (libgtk-3-dev libwebkit2gtk-4.1-dev). Screenshots and the app's logs are
// left in $TMPDIR/nhs-passkeys-smoke/ for a person to look at.
package desktop_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
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
)

func TestDesktopSmoke(t *testing.T) {
	if bin := os.Getenv(smokeBinaryEnv); bin != "" {
		smokeInsideSession(t, bin, os.Getenv(smokeArtifactsEnv))
		return
	}
	for _, tool := range []string{"Xvfb", "xdotool", "import", "convert", "tesseract", "dbus-run-session", "gnome-keyring-daemon", "secret-tool"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (apt-get install -y xvfb xdotool imagemagick tesseract-ocr dbus gnome-keyring libsecret-tools): %v", tool, err)
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
	build := exec.CommandContext(t.Context(), "go", "build", "-tags", "desktop,production,webkit2_41", "-ldflags", "-s -w", "-o", bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built %s in %v", bin, time.Since(started).Round(time.Millisecond))

	artifacts := filepath.Join(os.TempDir(), "nhs-passkeys-smoke")
	if err := os.RemoveAll(artifacts); err != nil {
		t.Fatal(err)
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
		os.Args[0], "-test.run=^TestDesktopSmoke$", "-test.count=1", "-test.v")
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
	if !strings.Contains(out.String(), "--- PASS: TestDesktopSmoke") {
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
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Second)
	defer cancel()
	tmp := t.TempDir()
	dataDir := filepath.Join(tmp, "data")
	keyringUser := "session:" + dataDir
	s := &screen{t: t, ctx: ctx, display: startXvfb(t, ctx), artifacts: artifacts}

	// 1. First start: the start page, in the NHS design.
	app := startApp(t, bin, dataDir, s.display, filepath.Join(artifacts, "app-first-run.log"))
	s.waitForWindow(app)
	s.waitFor("start page", startHeading)
	s.checkNHSBlueHeader()
	s.save("1-start-page.png")
	if ports := listeningTCP(t, app.cmd.Process.Pid); len(ports) > 0 {
		t.Fatalf("the desktop app must not listen on TCP, but it (or a WebKit child) listens on %v", ports)
	}

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

	// The token never reaches a log.
	for _, log := range []string{"app-first-run.log", "app-second-run.log"} {
		b, err := os.ReadFile(filepath.Join(artifacts, log))
		if err != nil {
			t.Fatal(err)
		}
		for _, cookie := range []string{first, second} {
			if _, token, _ := strings.Cut(cookie, "="); bytes.Contains(b, []byte(token)) {
				t.Errorf("%s contains a session token", log)
			}
		}
	}
}

// startXvfb starts a virtual X server on a free display and returns its name (":N").
func startXvfb(t *testing.T, ctx context.Context) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// -displayfd: Xvfb picks a free display itself and writes its number once it is ready.
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	// If the test process dies, so does its X server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
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
		return ":" + n
	case <-time.After(10 * time.Second):
		t.Fatal("Xvfb did not start within 10 s")
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	return ""
}

type app struct {
	t       *testing.T
	cmd     *exec.Cmd
	started time.Time
	log     string
	exited  chan error
}

func startApp(t *testing.T, bin, dataDir, display, logPath string) *app {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--data-dir", dataDir)
	// NHS_PASSKEYS_DEBUG: the shell logs "page loaded in the window", which times DOM ready.
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "NHS_PASSKEYS_DEBUG=1")
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
		cmd := exec.CommandContext(s.ctx, "xdotool", "search", "--onlyvisible", "--name", "^"+desktop.Title+"$")
		cmd.Env = append(os.Environ(), "DISPLAY="+s.display)
		out, _ := cmd.Output()
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			s.window = ids[0]
			break
		}
		select {
		case err := <-a.exited:
			s.fail("the app exited (%v) before showing its window; log:\n%s", err, readFile(a.log))
		case <-s.ctx.Done():
			s.fail("no window titled %q: %v; log:\n%s", desktop.Title, s.ctx.Err(), readFile(a.log))
		case <-time.After(20 * time.Millisecond):
		}
	}
	visible := time.Since(a.started)
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
	if s.w < 400 || s.h < 400 {
		s.fail("the window is only %dx%d", s.w, s.h)
	}
	s.run("xdotool", "windowfocus", "--sync", s.window)
	waitUntil(s.t, s.ctx, "the page to load", func() bool { _, ok := a.domReady(); return ok })
	dom, _ := a.domReady()
	s.t.Logf("window visible %v after launch, DOM ready %v after launch (%dx%d at %d,%d)",
		visible.Round(time.Millisecond), dom.Round(time.Millisecond), s.w, s.h, s.x, s.y)
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

// click clicks the first place on screen where phrase is written (a label, a link). Buttons
// cannot be found this way (tesseract skips text inside a bordered box): tabTo reaches them.
func (s *screen) click(phrase string) {
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
			return
		}
	}
	s.fail("%q is not on screen; it reads:\n%s", phrase, text(words))
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
// press Return on the wrong control.
func (s *screen) settledFocus() string {
	s.t.Helper()
	last := s.focused()
	for range 10 {
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
		var child, parent int
		fmt.Sscan(filepath.Base(filepath.Dir(path)), &child)
		if len(fields) > 1 {
			fmt.Sscan(fields[1], &parent)
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
