package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/nhs-passkeys/companion/app/desktop"
	"github.com/nhs-passkeys/companion/app/device"
	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/httpapi"
	"github.com/nhs-passkeys/companion/backend/passkey"
	"github.com/nhs-passkeys/companion/backend/session"
	"github.com/nhs-passkeys/companion/backend/store"
	"golang.org/x/term"
)

const usage = `NHS passkeys companion: set up, use and remove passkeys for your NHS login.

Usage:
  nhs-passkeys [flags]          open the desktop app
  nhs-passkeys serve [flags]    serve the same app to web browsers on this computer
  nhs-passkeys kiosk-secret     read an administrator secret from standard input and print
                                the line for the settings file (kiosk mode)

Flags:
`

// minIdleTimeout is the shortest idle timeout that leaves room for a 20-second warning.
const minIdleTimeout = 40 * time.Second

// adminSettingsPath is where the administrator's settings file is (kiosk.DefaultPath); a
// variable only so that tests can put it in a folder of their own.
var adminSettingsPath = kiosk.DefaultPath

// builtFrontend is the frontend built into this binary; a variable only so that tests of
// run can give it one where frontend/dist has not been built.
var builtFrontend = func() (fs.FS, error) { return fs.Sub(frontendDist, "frontend/dist") }

// report tells the person who started the program why it stopped and, for a refusal that
// has one (a bad data folder: store.DataError), the stable code scripts and support can
// rely on.
func report(w io.Writer, err error) {
	fmt.Fprintln(w, "nhs-passkeys:", err)
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		fmt.Fprintln(w, "nhs-passkeys: error code:", coded.ErrorCode())
	}
}

// kioskRefusal says why kiosk mode cannot run on the system goos, or nil where it can:
// Linux only, for now. A kiosk has to keep each patient's visit from the next, so only staff
// may close it and nothing typed may stay behind.
//   - Windows: WebView2 keeps form suggestions (general autofill, which Wails v2 cannot turn
//     off), and the app cannot see security keys come and go (only webauthn.dll can).
//   - macOS: a patient could leave the app or quit it (Command-Tab, Force Quit, the Dock):
//     locking those needs the app's own presentation options (NSApplication's
//     DisableProcessSwitching, DisableForceQuit, HideDock), which Wails v2 does not set
//     and nothing of this app sets yet.
func kioskRefusal(goos string) error {
	switch goos {
	case "linux":
		return nil
	case "windows":
		return errors.New("kiosk mode is not available on Windows yet: the app cannot yet stop Windows from remembering what one patient typed for the next, or see a security key being taken out")
	case "darwin":
		return errors.New("kiosk mode is not available on macOS yet: the app cannot yet stop a patient from switching to another app or quitting it (Command-Tab, Force Quit, the Dock), so it cannot keep one patient's visit from the next; use a Linux computer for a kiosk")
	}
	return fmt.Errorf("kiosk mode is not available on %s: it runs on Linux", goos)
}

// run builds the program from its explicit inputs (Mat Ryer's pattern) so tests can call it
// with their own arguments and environment.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 1 && args[1] == "kiosk-secret" {
		return printKioskSecret(ctx, stdin, stdout, stderr, getenv)
	}
	serve := len(args) > 1 && args[1] == "serve"
	name := "nhs-passkeys"
	rest := args[1:]
	if serve {
		name += " serve"
		rest = args[2:]
	}

	fset := flag.NewFlagSet(name, flag.ContinueOnError)
	fset.SetOutput(stderr)
	dataDir := fset.String("data-dir", "", "folder for the account database (default: the OS config folder, e.g. ~/.config/nhs-passkeys)")
	origin := fset.String("origin", "", "origin of the relying party, e.g. https://passkeys.example.org; its host name is the RP ID (default: http://localhost and the --addr port)")
	addr := fset.String("addr", "127.0.0.1:8080", "serve only: address to listen on")
	database := fset.String("database", "", "serve only: the PostgreSQL database that the replicas of a fleet share, e.g. postgres://passkeys@db.example/passkeys (default: the SQLite file in --data-dir). No password here (anyone can see it with `ps`): put the whole address in "+databaseEnv+" instead, or the password in ~/.pgpass")
	virtualKeyFile := fset.String("virtual-key", "", "desktop app only: turn on the virtual security key for testing, keeping its state in `FILE`")
	var trustedProxies httpapi.TrustedProxies
	fset.Func("trusted-proxy", "serve only: a reverse proxy (an address, or a network such as 10.0.0.0/8; repeat the flag or separate them with commas) whose X-Forwarded-For client address is believed for lockouts and the activity list; without it, forwarded addresses are ignored", func(v string) error {
		for _, part := range strings.Split(v, ",") {
			p, err := httpapi.ParseTrustedProxy(part)
			if err != nil {
				return fmt.Errorf("%q is not an address or a network such as 10.0.0.0/8", strings.TrimSpace(part))
			}
			trustedProxies = append(trustedProxies, p)
		}
		return nil
	})
	idleTimeout := fset.Duration("idle-timeout", session.DefaultIdleTimeout, "sign a person out after this long with nothing done (they are warned first), e.g. 10m (kiosk mode: 5m)")
	kioskFlag := fset.Bool("kiosk", false, "desktop app only, on Linux: kiosk mode for a computer patients share (full screen, nothing kept after each person, only security keys or phones); needs an administrator secret in the settings file")
	settingsFile := fset.String("settings", "", "the administrator's settings `FILE` (default: "+kiosk.DefaultPath(getenv)+")")
	fset.Usage = func() {
		fmt.Fprint(stderr, usage)
		fset.PrintDefaults()
	}
	if err := fset.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fset.NArg() > 0 {
		fset.Usage()
		return fmt.Errorf("unknown argument %q", fset.Arg(0))
	}

	// The warning comes 2 minutes before the end, a shorter timeout's halfway, and never less
	// than 20 seconds before it (WCAG 2.2.1 gives a person at least 20 seconds to ask for more
	// time): under 40 seconds there is no room for that.
	if *idleTimeout < minIdleTimeout {
		return fmt.Errorf("--idle-timeout %v is too short: give at least %v", *idleTimeout, minIdleTimeout)
	}
	if serve && *virtualKeyFile != "" {
		return errors.New("--virtual-key works only in the desktop app: in a web browser, use the browser's own passkeys")
	}
	// The administrator's own file, in a folder only administrators can change, decides: when
	// it turns kiosk mode on, whoever starts the app can neither point to another file nor
	// lengthen the timeout from the command line.
	adminPath := adminSettingsPath(getenv)
	adminSettings, err := kiosk.Load(adminPath, false)
	if err != nil {
		return err
	}
	settingsPath, settings := adminPath, adminSettings
	if *settingsFile != "" {
		if adminSettings.Kiosk {
			return fmt.Errorf("this computer is set up as a kiosk in %s, so --settings cannot be used", adminPath)
		}
		settingsPath = *settingsFile
		if settings, err = kiosk.Load(settingsPath, true); err != nil {
			return err
		}
	}
	kioskMode := *kioskFlag || settings.Kiosk
	if kioskMode {
		if serve {
			return errors.New("kiosk mode works only in the desktop app, not in `serve`")
		}
		if err := kioskRefusal(runtime.GOOS); err != nil {
			return err
		}
		if settings.AdminSecret == "" {
			return fmt.Errorf("kiosk mode needs an administrator secret, so that only staff can close it: run `nhs-passkeys kiosk-secret`, then put the line it prints in %s", settingsPath)
		}
		idleSet := false
		fset.Visit(func(f *flag.Flag) { idleSet = idleSet || f.Name == "idle-timeout" })
		switch {
		case idleSet && adminSettings.Kiosk:
			return fmt.Errorf("this computer is set up as a kiosk in %s, so its idle timeout is set there, not with --idle-timeout", adminPath)
		case idleSet:
		case settings.IdleTimeout != 0:
			*idleTimeout = settings.IdleTimeout
		default:
			*idleTimeout = kiosk.DefaultIdleTimeout
		}
		if *idleTimeout < minIdleTimeout {
			return fmt.Errorf("idleTimeout %v in %s is too short: give at least %v", *idleTimeout, settingsPath, minIdleTimeout)
		}
	}

	databaseURL, err := databaseAddress(*database, getenv, serve)
	if err != nil {
		return err
	}

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel(getenv)}))

	dir, err := resolveDataDir(*dataDir)
	if err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(*addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", *addr, err)
	}
	rpOrigin := *origin
	if rpOrigin == "" {
		rpOrigin = "http://localhost:" + port
	}

	frontend, err := builtFrontend()
	if err != nil {
		return fmt.Errorf("frontend: %w", err)
	}
	if _, err := fs.Stat(frontend, "index.html"); err != nil {
		return errors.New("the frontend is not built into this binary: run `make build`")
	}

	cfg := backend.Config{
		DataDir:    dir,
		Origin:     rpOrigin,
		Ceremonies: "browser",
		Frontend:   frontend,
		Logger:     logger,
		Database:   databaseURL,
	}
	if len(trustedProxies) > 0 {
		if !serve {
			return errors.New("--trusted-proxy works only with `serve`: the desktop app has no proxy in front of it")
		}
		cfg.TrustedProxies = trustedProxies
	}
	if !serve {
		cfg.Ceremonies = "device"
		cfg.RequestOrigins = desktop.WebviewOrigins
		cfg.Kiosk = kioskMode
		cfg.System = runtime.GOOS
	}
	srv, err := backend.New(ctx, cfg, backend.WithSessionTimeouts(*idleTimeout, 0))
	var inUse *store.InUseError
	if !serve && errors.As(err, &inUse) {
		// Someone opened the app again, most likely from its icon, where a message on the
		// terminal would never be seen: show them the window they already have.
		showErr := desktop.ShowRunningCopy(dir)
		if showErr == nil {
			fmt.Fprintln(stderr, "NHS login passkeys is already open, so its window has been brought to the front.")
			return nil
		}
		logger.Debug("could not ask the open copy to show its window", "err", showErr)
	}
	if err != nil {
		return err
	}
	defer srv.Close()

	if !serve {
		// The administrator's exit ends the window's context, the only way a kiosk closes
		// besides the system stopping the app. A second's wait lets the page show that the
		// app is closing.
		windowCtx, closeWindow := context.WithCancel(ctx)
		defer closeWindow()
		var kioskDevices *device.Kiosk
		if kioskMode {
			kioskDevices = &device.Kiosk{
				Admin: kiosk.NewAdmin(settings.AdminSecret, nil),
				Quit:  func() { time.AfterFunc(time.Second, closeWindow) },
			}
			logger.Info("kiosk mode", "settings", settingsPath, "idleTimeout", *idleTimeout)
		}
		devices, err := deviceEndpoints(ctx, rpOrigin, *virtualKeyFile, kioskDevices, logger)
		if err != nil {
			return err
		}
		defer devices.Close()
		opts := desktop.Options{
			Handler: srv.Handler(),
			DataDir: dir,
			Logger:  logger,
			Devices: devices,
		}
		if kioskMode {
			opts.Kiosk = &desktop.Kiosk{Keys: devices.ConnectedKeys, SessionEnded: devices.SessionEnded}
		}
		return desktop.Run(windowCtx, opts)
	}
	return serveHTTP(ctx, *addr, rpOrigin, srv.Handler(), stdout, logger)
}

// databaseEnv names the environment variable that may hold `serve`'s PostgreSQL address,
// password and all: unlike a flag, the environment of a process is not shown to other users
// by `ps`.
const databaseEnv = "NHS_PASSKEYS_DATABASE_URL"

// databaseAddress is the PostgreSQL address `serve` uses: --database, else databaseEnv, else
// "" (the SQLite file in the data folder). A password in --database is refused, and the
// refusal never repeats the address.
func databaseAddress(flagValue string, getenv func(string) string, serve bool) (string, error) {
	value, from := flagValue, "--database"
	if value == "" {
		value, from = getenv(databaseEnv), databaseEnv
	}
	if value == "" {
		return "", nil
	}
	if !serve {
		return "", fmt.Errorf("%s works only with `serve`: the desktop app keeps its own database", from)
	}
	if !store.IsPostgresURL(value) {
		return "", fmt.Errorf("%s must be a PostgreSQL address beginning postgres:// (for example postgres://passkeys@db.example/passkeys)", from)
	}
	if from == "--database" {
		u, err := url.Parse(value)
		if err != nil {
			return "", errors.New("--database could not be read: write it as postgres://user@host:port/database")
		}
		if hasPassword(u) || u.Query().Has("password") {
			return "", fmt.Errorf("--database must not hold a password, which anyone on this computer could read with `ps`: put the whole address in %s instead, or the password in ~/.pgpass", databaseEnv)
		}
	}
	return value, nil
}

func hasPassword(u *url.URL) bool {
	if u == nil || u.User == nil {
		return false
	}
	_, set := u.User.Password()
	return set
}

// deviceEndpoints builds the desktop app's native WebAuthn client behind /api/device/...: the
// connected security keys, the virtual key when --virtual-key names its state file, and a
// phone or tablet where this computer has the scanner for it (phoneFor, run_phone_*.go).
// Its clientDataJSON carries the RP origin (the backend's), not the webview's.
func deviceEndpoints(ctx context.Context, rpOrigin, virtualKeyFile string, kioskMode *device.Kiosk, logger *slog.Logger) (*device.Service, error) {
	var key *virtualkey.Key
	if virtualKeyFile != "" {
		path, err := filepath.Abs(virtualKeyFile)
		if err != nil {
			return nil, fmt.Errorf("--virtual-key %q: %w", virtualKeyFile, err)
		}
		if key, err = virtualkey.Open(path, virtualkey.Options{}); err != nil {
			return nil, fmt.Errorf("--virtual-key: %w", err)
		}
		logger.Warn("the virtual security key is on: it is for testing only and must never hold a real person's passkeys",
			"state", path)
	}
	cfg := deviceConfig(rpOrigin, key, logger)
	cfg.Kiosk = kioskMode
	cfg.Phone = phoneFor(ctx, logger)
	devices, err := device.New(cfg)
	if err != nil {
		return nil, err
	}
	return devices, nil
}

// deviceConfig is the device endpoints' configuration in the desktop app: the connected
// security keys, named by model from the backend's AAGUID table (issue #6: "name from
// AAGUID"; app may import backend, never the other way round), and the virtual key if any.
func deviceConfig(rpOrigin string, key *virtualkey.Key, logger *slog.Logger) device.Config {
	return device.Config{
		Origins:            desktop.WebviewOrigins,
		RPOrigin:           rpOrigin,
		SecurityKeys:       device.HIDKeys{},
		VirtualKey:         key,
		Logger:             logger,
		AuthenticatorNames: passkey.AuthenticatorName,
	}
}

// serveHTTP serves the app on addr until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, addr, origin string, h http.Handler, stdout io.Writer, logger *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "NHS passkeys is running. Open %s in your web browser.\n", origin)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = hs.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		// Stopping is what was asked: a connection still open after the grace period (a
		// browser's preconnected socket that never sent a request, which net/http counts as
		// active for its first 5 s, or a request that would not end) is closed, not an error.
		logger.Warn("closed connections still open after the 5-second grace period")
		return hs.Close()
	}
	return err
}

func resolveDataDir(flagValue string) (string, error) {
	if flagValue != "" {
		return filepath.Abs(flagValue)
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the config folder (use --data-dir): %w", err)
	}
	return filepath.Join(base, "nhs-passkeys"), nil
}

func logLevel(getenv func(string) string) slog.Level {
	if getenv("NHS_PASSKEYS_DEBUG") != "" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// printKioskSecret serves `nhs-passkeys kiosk-secret`: the administrator types the secret
// (or pipes it in), and gets the settings file's line with its argon2id hash, so the file
// never holds the secret itself.
func printKioskSecret(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	secret, err := readKioskSecret(ctx, stdin, stderr)
	if err != nil {
		return err
	}
	hash, err := kiosk.HashSecret(secret)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\"adminSecret\": %q\n", hash)
	fmt.Fprintf(stderr, "Put that line in %s, for example:\n{\"kiosk\": true, \"idleTimeout\": \"5m\", \"adminSecret\": \"...\"}\n", kiosk.DefaultPath(getenv))
	return nil
}

// readKioskSecret reads the administrator secret. At a terminal it is not shown as it is
// typed (someone may be looking over the administrator's shoulder in a surgery) and is asked
// for twice, since a typing mistake nobody can see would lock staff out. Piped in, it is the
// first line. Ctrl+C (or SIGTERM) while it waits ends ctx: the terminal is put back as it
// was, showing what is typed again, before the command stops.
func readKioskSecret(ctx context.Context, stdin io.Reader, stderr io.Writer) (string, error) {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		fmt.Fprintln(stderr, "Type the administrator secret for kiosk mode (at least 12 characters), then press Enter:")
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the secret: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fd := int(f.Fd())
	before, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("read the secret: %w", err)
	}
	ask := func(prompt string) ([]byte, error) {
		fmt.Fprint(stderr, prompt)
		type answer struct {
			typed []byte
			err   error
		}
		answered := make(chan answer, 1)
		go func() {
			typed, err := term.ReadPassword(fd)
			answered <- answer{typed, err}
		}()
		select {
		case a := <-answered:
			fmt.Fprintln(stderr) // the Enter key was not shown either
			if a.err != nil {
				return nil, fmt.Errorf("read the secret: %w", a.err)
			}
			return a.typed, nil
		case <-ctx.Done():
			// ReadPassword is still waiting and would put echo back only once a line came.
			_ = term.Restore(fd, before)
			fmt.Fprintln(stderr)
			return nil, fmt.Errorf("read the secret: %w", ctx.Err())
		}
	}
	first, err := ask("Type the administrator secret for kiosk mode (at least 12 characters; it will not be shown), then press Enter: ")
	if err != nil {
		return "", err
	}
	defer clear(first)
	second, err := ask("Type it again to check it: ")
	if err != nil {
		return "", err
	}
	defer clear(second)
	if !bytes.Equal(first, second) {
		return "", errors.New("the two secrets you typed are different: run nhs-passkeys kiosk-secret again")
	}
	return string(first), nil
}
