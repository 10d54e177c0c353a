package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"github.com/nhs-passkeys/companion/app/kiosk"
	"golang.org/x/term"
)

// kioskRefusal says why kiosk mode cannot run on the system goos, or nil where it can:
// Linux and Windows. A kiosk has to keep each patient's visit from the next, so only staff
// may close it and nothing typed may stay behind.
//   - Windows runs it with a WebView2 recent enough to turn autofill off
//     (kioskWebViewRefusal), each visit in a window and WebView2 folder of its own
//     (kioskVisitWindow), and security keys watched through device notifications
//     (docs/windows-kiosk.md).
//   - macOS: a patient could leave the app or quit it (Command-Tab, Force Quit, the Dock):
//     locking those needs the app's own presentation options (NSApplication's
//     DisableProcessSwitching, DisableForceQuit, HideDock), which Wails v2 does not set
//     and nothing of this app sets yet.
func kioskRefusal(goos string) error {
	switch goos {
	case "linux", "windows":
		return nil
	case "darwin":
		return errors.New("kiosk mode is not available on macOS yet: the app cannot yet stop a patient from switching to another app or quitting it (Command-Tab, Force Quit, the Dock), so it cannot keep one patient's visit from the next; use a Linux computer for a kiosk")
	}
	return fmt.Errorf("kiosk mode is not available on %s: it runs on Linux and Windows", goos)
}

// kioskSettings reads the settings file (the administrator's at adminPath, or --settings)
// and decides whether this is kiosk mode (setting opts.kiosk) and, in kiosk mode, its idle
// timeout (opts.idleTimeout). The administrator's own file, in a folder only administrators
// can change, decides: when it turns kiosk mode on, whoever starts the app can neither point
// to another file nor lengthen the timeout from the command line.
func kioskSettings(opts *options, adminPath string) (kioskConfig, error) {
	adminSettings, err := kiosk.Load(adminPath, false)
	if err != nil {
		return kioskConfig{}, err
	}
	settingsPath, settings := adminPath, adminSettings
	if opts.settingsFile != "" {
		if adminSettings.Kiosk {
			return kioskConfig{}, fmt.Errorf("this computer is set up as a kiosk in %s, so --settings cannot be used", adminPath)
		}
		settingsPath = opts.settingsFile
		if settings, err = kiosk.Load(settingsPath, true); err != nil {
			return kioskConfig{}, err
		}
	}
	if adminSettings.Kiosk && opts.virtualKeyFile != "" {
		// The virtual key keeps its passkeys in a file on this computer: on a kiosk that is
		// "this device", which a patient's passkey must never be saved on (issue #7, 3). A
		// tester who walks kiosk journeys starts the app with --kiosk and --virtual-key on a
		// computer of their own (README, "The test tools").
		return kioskConfig{}, fmt.Errorf("this computer is set up as a kiosk in %s, so --virtual-key cannot be used: the virtual security key keeps passkeys in a file on this computer, and a kiosk saves them only on something the patient takes away", adminPath)
	}
	opts.kiosk = opts.kiosk || settings.Kiosk
	if err := relyingPartySettings(opts, adminSettings.Kiosk, adminPath, settings, settingsPath); err != nil {
		return kioskConfig{}, err
	}
	if !opts.kiosk {
		return kioskConfig{}, nil
	}
	if opts.serve {
		return kioskConfig{}, errors.New("kiosk mode works only in the desktop app, not in `serve`")
	}
	if err := kioskRefusal(runtime.GOOS); err != nil {
		return kioskConfig{}, err
	}
	if err := kioskWebViewRefusal(); err != nil {
		return kioskConfig{}, err
	}
	if settings.AdminSecret == "" {
		return kioskConfig{}, fmt.Errorf("kiosk mode needs an administrator secret, so that only staff can close it: run `nhs-passkeys kiosk-secret`, then put the line it prints in %s", settingsPath)
	}
	switch {
	case opts.idleSet && adminSettings.Kiosk:
		return kioskConfig{}, fmt.Errorf("this computer is set up as a kiosk in %s, so its idle timeout is set there, not with --idle-timeout", adminPath)
	case opts.idleSet:
	case settings.IdleTimeout != 0:
		opts.idleTimeout = settings.IdleTimeout
	default:
		opts.idleTimeout = kiosk.DefaultIdleTimeout
	}
	if opts.idleTimeout < minIdleTimeout {
		return kioskConfig{}, fmt.Errorf("idleTimeout %v in %s is too short: give at least %v", opts.idleTimeout, settingsPath, minIdleTimeout)
	}
	return kioskConfig{path: settingsPath, adminSecret: settings.AdminSecret}, nil
}

// kioskConfig is what kiosk mode runs with: the settings file it came from and the
// administrator secret's hash. Empty outside kiosk mode.
type kioskConfig struct {
	path        string
	adminSecret string
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
