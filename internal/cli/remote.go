package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"runtime"

	"github.com/nhs-passkeys/companion/app/desktop"
	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/app/remoterp"
)

// checkRelyingPartyFlags refuses --relying-party and --relying-party-ca where they mean
// nothing: in `serve` (which is a relying party), and next to --origin (the app's own relying
// party's origin; a remote one's is its address).
func checkRelyingPartyFlags(opts options) error {
	switch {
	case opts.serve && (opts.relyingParty != "" || opts.relyingPartyCA != ""):
		return errors.New("--relying-party works only in the desktop app: `serve` is itself the relying party that desktops and kiosks use")
	case opts.relyingParty != "" && opts.origin != "":
		return errors.New("--origin cannot be used with --relying-party: the relying party's address is its origin")
	}
	return nil
}

// relyingPartySettings decides which relying party the desktop app uses, the way the other
// settings are decided (kioskSettings): at home, --relying-party wins over the settings
// file's relyingParty; when the administrator's own file makes this computer a kiosk, that
// file decides and the command line may not change it (a patient could otherwise be sent to
// another server), even where the file names none. The address is checked here, so a
// mistake stops the app at once with what to write instead.
func relyingPartySettings(opts *options, adminKiosk bool, adminPath string, settings kiosk.Settings, settingsPath string) error {
	if opts.serve {
		return nil // `serve` is the relying party; a settings file's relyingParty is for the desktops
	}
	from := "--relying-party"
	switch {
	case adminKiosk && opts.rpFlagSet:
		return fmt.Errorf("this computer is set up as a kiosk in %s, so its relying party is set there (relyingParty, relyingPartyCA), not with --relying-party or --relying-party-ca", adminPath)
	case opts.rpFlagSet && opts.relyingPartyCA != "" && opts.relyingParty == "":
		return errors.New("--relying-party-ca needs --relying-party: it names the authority of that server's certificate")
	case opts.rpFlagSet:
		// The command line's, CA file and all.
	case settings.RelyingParty != "":
		opts.relyingParty, opts.relyingPartyCA = settings.RelyingParty, settings.RelyingPartyCA
		from = "relyingParty in " + settingsPath
	case settings.RelyingPartyCA != "":
		return fmt.Errorf("relyingPartyCA in %s needs relyingParty: it names the authority of that server's certificate", settingsPath)
	}
	if opts.relyingParty == "" {
		return nil
	}
	if _, err := remoterp.ParseAddress(opts.relyingParty); err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	return nil
}

// runRemoteDesktop runs the desktop app as the client of a remote relying party
// (app/remoterp): no backend.New, so no database and nothing of a patient on this computer;
// the session stays in the shell's jar, in a keyring entry of its own at home and in memory
// in kiosk mode, and the device endpoints write the relying party's origin into
// clientDataJSON.
func runRemoteDesktop(ctx context.Context, frontend fs.FS, app desktopApp) error {
	client, err := remoterp.New(remoterp.Config{
		Address:     app.relyingParty,
		CAFile:      app.relyingPartyCA,
		PageOrigins: desktop.WebviewOrigins(),
		Frontend:    frontend,
		Kiosk:       app.kiosk,
		System:      runtime.GOOS,
		Logger:      app.logger,
		// Kiosk mode's idle timeout (or --idle-timeout) is kept by the shell too: the relying
		// party's own is the fleet's, for every client, and may be longer.
		IdleTimeout: app.idleTimeout,
	})
	if err != nil {
		return err
	}
	defer client.Close()
	app.logger.Info("using a remote relying party: nothing about a patient is stored on this computer",
		slog.String("relyingParty", client.Origin()))
	app.rpOrigin = client.Origin()
	app.handler = client.Handler()
	app.remote = true
	return runDesktop(ctx, app)
}

// alreadyOpen reports a second copy that found a window already open on its data folder
// (desktop.ErrAlreadyOpen) as the app with its own relying party does: a sentence, and no
// error.
func alreadyOpen(err error, stderr io.Writer) error {
	if errors.Is(err, desktop.ErrAlreadyOpen) {
		fmt.Fprintln(stderr, desktop.ErrAlreadyOpen.Error()+".")
		return nil
	}
	return err
}
