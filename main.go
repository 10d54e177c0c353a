// Command nhs-passkeys is the NHS passkeys companion: a desktop app (Wails) with the WebAuthn
// relying party running in-process, or, with the `serve` sub-command, the same frontend and
// API served to browsers on loopback.
package main

import (
	"context"
	"embed"
	"os"
	"os/signal"
	"syscall"
)

// The built frontend (npm run build in frontend/). frontend/dist/.gitkeep is committed so
// that `go vet` and `go test` work on a clean checkout before the first build.
//
//go:embed all:frontend/dist
var frontendDist embed.FS

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		report(os.Stderr, err)
		os.Exit(1)
	}
}
