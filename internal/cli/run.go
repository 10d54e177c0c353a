// Package cli is the program behind nhs-passkeys: it reads the command line and the
// administrator's settings, builds the relying party (backend) and, for the desktop app, the
// shell (app/desktop) with its device endpoints (app/device), and runs the one that was
// asked for until its context ends. main.go only embeds the frontend and calls
// Program.Run: everything the program takes from the world it runs in is an argument or a
// field of Program, so tests run it in-process with their own.
//
// It sits in internal/, not in app/, because it is the composition root: it wires app/ (the
// desktop shell) and backend/ (the relying party) together, and serve mode has no shell at
// all. Nothing imports it but main.go and the end-to-end tests (e2e/harness).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/nhs-passkeys/companion/app/desktop"
	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/store"
)

// Program is the program with what it depends on beyond its arguments and environment.
type Program struct {
	// Frontend is the built frontend (frontend/dist: main.go embeds it), with index.html
	// at its root. Without one, Run refuses to start.
	Frontend fs.FS
	// AdminSettingsPath is where the administrator's settings file is; nil means
	// kiosk.DefaultPath (tests put it in a folder of their own).
	AdminSettingsPath func(getenv func(string) string) string
}

// ExitStatus tells the person who started the program why it stopped (err from Run) and,
// for a refusal that has one (a bad data folder: store.DataError), the stable code scripts
// and support can rely on; it returns the process's exit status: 0 for nil, 1 otherwise.
func ExitStatus(w io.Writer, err error) int {
	if err == nil {
		return 0
	}
	fmt.Fprintln(w, "nhs-passkeys:", err)
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		fmt.Fprintln(w, "nhs-passkeys: error code:", coded.ErrorCode())
	}
	return 1
}

// Run builds the program from its explicit inputs (Mat Ryer's pattern) so tests can call it
// with their own arguments and environment, and runs it until ctx ends: the desktop app, or
// with `serve` the same app for web browsers, or `kiosk-secret`.
func (p Program) Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) > 1 && args[1] == "kiosk-secret" {
		return printKioskSecret(ctx, stdin, stdout, stderr, getenv)
	}
	opts, err := parseArgs(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	adminSettingsPath := p.AdminSettingsPath
	if adminSettingsPath == nil {
		adminSettingsPath = kiosk.DefaultPath
	}
	settings, err := kioskSettings(&opts, adminSettingsPath(getenv))
	if err != nil {
		return err
	}

	databaseURL, err := databaseAddress(opts.database, getenv, opts.serve)
	if err != nil {
		return err
	}

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: logLevel(getenv)}))
	dir, err := resolveDataDir(opts.dataDir)
	if err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(opts.addr)
	if err != nil {
		return fmt.Errorf("--addr %q: %w", opts.addr, err)
	}
	rpOrigin := opts.origin
	if rpOrigin == "" {
		rpOrigin = "http://localhost:" + port
	}
	var visitDir string // a Windows kiosk visit's own folder (kioskVisitWindow)
	if opts.kiosk && !opts.serve {
		var supervised bool
		if visitDir, supervised, err = kioskVisitWindow(ctx, args, getenv, dir, stderr, logger); supervised || err != nil {
			return err
		}
	}
	if p.Frontend == nil {
		return errNoFrontend
	}
	if _, err := fs.Stat(p.Frontend, "index.html"); err != nil {
		return errNoFrontend
	}

	if opts.relyingParty != "" {
		return alreadyOpen(runRemoteDesktop(ctx, p.Frontend, desktopApp{options: opts, settings: settings, dataDir: dir, visitDir: visitDir, logger: logger}), stderr)
	}

	cfg := backend.Config{
		DataDir:    dir,
		DataFiles:  []string{kiosk.TriesFile},
		Origin:     rpOrigin,
		Ceremonies: "browser",
		Frontend:   p.Frontend,
		Logger:     logger,
		Database:   databaseURL,
		// Empty outside serve: parseArgs refuses --trusted-proxy there.
		TrustedProxies: opts.trustedProxies,
	}
	if !opts.serve {
		cfg.Ceremonies = "device"
		cfg.RequestOrigins = desktop.WebviewOrigins()
		cfg.Kiosk = opts.kiosk
		cfg.System = runtime.GOOS
	}
	if opts.serve {
		warnIfEveryoneIsOneClient(logger, rpOrigin, opts)
		srv, err := backend.New(ctx, cfg, backend.WithSessionTimeouts(opts.idleTimeout, 0))
		if err != nil {
			return err
		}
		// Close takes its own 5-second deadline: it runs after ctx has ended (the signal that
		// stops the app), and its last writes must still happen then.
		defer srv.Close() //nolint:contextcheck // runs once ctx has ended; Close bounds itself
		return serveHTTP(ctx, opts.addr, rpOrigin, srv.Handler(), stdout, logger)
	}

	// The desktop app: the backend starts beside GTK's and WebKit's start-up, not before it
	// (issue #21, item 2); the window's first page needs only the frontend's files, and its
	// API requests wait for the backend (backendWait).
	starting, err := backend.Start(ctx, cfg, backend.WithSessionTimeouts(opts.idleTimeout, 0))
	if err != nil {
		return err
	}
	// Close takes its own 5-second deadline (see serve's).
	defer closeWhenStarted(starting) //nolint:contextcheck // runs once ctx has ended; Close bounds itself
	// The data folder's lock is taken within milliseconds, before any window opens: a second
	// copy stops here. An unusable folder or database is refused with its own message, and
	// the window still opens to show it (runDesktop): opened from its icon, the app has no
	// terminal for the message to be read on. Not in kiosk mode: staff close a kiosk from its
	// page only once it knows it is one (GET /api/config), which a backend that could not
	// start cannot say, so a kiosk ends at once, as before.
	var inUse *store.InUseError
	var unusable *store.DataError
	if err := starting.Locked(ctx); errors.As(err, &inUse) {
		// Someone opened the app again, most likely from its icon, where a message on the
		// terminal would never be seen: show them the window they already have.
		showErr := desktop.ShowRunningCopy(ctx, dir)
		if showErr == nil {
			fmt.Fprintln(stderr, desktop.ErrAlreadyOpen.Error()+".")
			return nil
		}
		logger.Debug("could not ask the open copy to show its window", "err", showErr)
		return err
	} else if err != nil && (opts.kiosk || !errors.As(err, &unusable)) {
		return err
	}
	return runDesktop(ctx, desktopApp{
		options:  opts,
		settings: settings,
		rpOrigin: rpOrigin,
		dataDir:  dir,
		visitDir: visitDir,
		handler:  starting.Handler(backendWait),
		started:  starting.Wait,
		logger:   logger,
	})
}

// backendWait bounds how long the desktop window's first API requests wait for the backend
// to start (about 0.1 s on a quiet machine; migrating a large database on a slow disk takes
// longer); after it they are answered 503 not_started, which the page shows as an error.
const backendWait = 15 * time.Second

// closeWhenStarted closes the backend once it has started; one that failed has nothing to
// close.
func closeWhenStarted(starting *backend.Starting) {
	if srv, err := starting.Wait(context.Background()); err == nil {
		_ = srv.Close()
	}
}

// errNoFrontend stops a program built without `npm run build` first.
var errNoFrontend = errors.New("the frontend is not built into this binary: run `make build`")

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

// warnIfEveryoneIsOneClient warns when serve is reached through a TLS proxy that it does not
// trust to say who the client is. serve speaks only plain HTTP, so an https origin means a
// TLS proxy in front of it, and every request then comes from the proxy's address. Without
// --trusted-proxy, forwarded addresses are (rightly) ignored, so the proxy is every patient's
// one client: 20 failed attempts by anyone pause every patient's logins, and the activity
// list shows the proxy's address for everyone. Not a refusal: a proxy that forwards TCP
// (no X-Forwarded-For) is a set-up that works, only without lockouts per client.
func warnIfEveryoneIsOneClient(logger *slog.Logger, rpOrigin string, opts options) {
	if len(opts.trustedProxies) > 0 || !strings.HasPrefix(rpOrigin, "https://") {
		return
	}
	logger.Warn("serve speaks plain HTTP, so with an https origin it is behind a TLS proxy, and without --trusted-proxy every request counts as coming from that proxy: " +
		"20 failed attempts by anyone would pause every patient's logins. Name the proxy's own address with --trusted-proxy (README, Fleets)")
}
