package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/nhs-passkeys/companion/app/desktop"
	"github.com/nhs-passkeys/companion/app/device"
	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/passkey"
	"github.com/nhs-passkeys/companion/backend/store"
)

// desktopApp is what the desktop app runs with, once the backend is up.
type desktopApp struct {
	options
	settings kioskConfig
	rpOrigin string
	dataDir  string
	visitDir string // a Windows kiosk visit's own folder, or ""
	// handler is the backend's (backend.Starting's, while it starts), or with remote the
	// remote relying party's client (app/remoterp).
	handler http.Handler
	// started waits for the in-process backend to start; an error closes the window and is
	// Run's. Nil with remote: there is no backend here.
	started func(context.Context) (*backend.Server, error)
	remote  bool // handler is app/remoterp's: rpOrigin is a fleet's relying party
	logger  *slog.Logger
}

// runDesktop runs the desktop app (app/desktop: the window, with the device endpoints in
// front of the backend) until ctx ends or, in kiosk mode, staff close it.
func runDesktop(ctx context.Context, app desktopApp) error {
	// The administrator's exit ends the window's context, the only way a kiosk closes
	// besides the system stopping the app. A second's wait lets the page show that the
	// app is closing.
	windowCtx, closeWindow := context.WithCancel(ctx)
	defer closeWindow()
	// A backend that fails to start (a database that cannot be migrated) closes the window,
	// and its error is the app's. A data folder or database the person can put right
	// (store.DataError: the file, and what to do) leaves the window open instead, for its
	// page to show them the message (503 data_unusable); the app still ends with the error.
	// Not in kiosk mode, whose window only staff can close, from a page that knows it is a
	// kiosk's (run.go says why).
	var startErr error
	startWatched := make(chan struct{})
	go func() {
		defer close(startWatched)
		if app.started == nil {
			return
		}
		_, err := app.started(windowCtx)
		var unusable *store.DataError
		switch {
		case errors.As(err, &unusable) && !app.kiosk:
			// The app ends with it once the window is closed (below).
			app.logger.Error("the data folder cannot be used: the window says why", "code", unusable.Code, "path", unusable.Path)
		case err != nil && windowCtx.Err() == nil:
			startErr = err
			closeWindow()
		}
	}()
	defer func() { closeWindow(); <-startWatched }()
	var kioskDevices *device.Kiosk
	if app.kiosk {
		kioskDevices = &device.Kiosk{
			// The wrong tries are kept in the data folder, so the limit outlives each visit's
			// process on Windows and a restart anywhere. A fleet's kiosk on Linux has no data
			// folder: there the record cannot be written and the tries are counted in memory.
			Admin: kiosk.NewAdmin(app.settings.adminSecret, kiosk.AdminOptions{Record: filepath.Join(app.dataDir, kiosk.TriesFile), Logger: app.logger}),
			Quit:  func() { time.AfterFunc(time.Second, closeWindow) },
		}
		app.logger.Info("kiosk mode", "settings", app.settings.path, "idleTimeout", app.idleTimeout)
	}
	devices, err := deviceEndpoints(ctx, app.rpOrigin, app.virtualKeyFile, kioskDevices, app.logger)
	if err != nil {
		return err
	}
	defer devices.Close()
	opts := desktop.Options{
		Handler: app.handler,
		DataDir: app.dataDir,
		Logger:  app.logger,
		Devices: devices,
	}
	if app.remote {
		opts.RelyingParty = app.rpOrigin
	}
	if app.kiosk {
		keys, stopKeys, err := kioskKeyList(devices.ConnectedKeys)
		if err != nil {
			return err
		}
		defer stopKeys()
		opts.Kiosk = &desktop.Kiosk{Keys: keys, SessionEnded: devices.SessionEnded, VisitDir: app.visitDir}
	}
	err = desktop.Run(windowCtx, opts)
	closeWindow()
	<-startWatched
	if startErr == nil && app.started != nil {
		// A refusal of the data folder is what the app ends with, whether the window showed
		// it, could not open at all (no display), or closed before the backend had finished
		// starting (a long check of a big database). The backend is waited for on the way
		// out anyway (closeWhenStarted).
		var unusable *store.DataError
		if _, serr := app.started(context.WithoutCancel(ctx)); errors.As(serr, &unusable) {
			startErr = serr
		}
	}
	if startErr != nil {
		return startErr
	}
	return err
}

// deviceEndpoints builds the desktop app's native WebAuthn client behind /api/device/...: the
// connected security keys, the virtual key when --virtual-key names its state file, and a
// phone or tablet where this computer has the scanner for it (phoneFor, phone_*.go).
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
		Origins:            desktop.WebviewOrigins(),
		RPOrigin:           rpOrigin,
		SecurityKeys:       device.HIDKeys{},
		VirtualKey:         key,
		Logger:             logger,
		AuthenticatorNames: passkey.AuthenticatorName,
	}
}
