// Command nhs-passkeys is the NHS passkeys companion: a desktop app (Wails) with the WebAuthn
// relying party running in-process, or, with the `serve` sub-command, the same frontend and
// API served to browsers on loopback. The program itself is internal/cli; this file only
// embeds the frontend (embedding must happen here, beside frontend/) and runs it.
package main

import (
	"context"
	"embed"
	"io/fs"
	"os"
	"os/signal"
	"syscall"

	"github.com/nhs-passkeys/companion/internal/cli"
)

// The built frontend (npm run build in frontend/). frontend/dist/.gitkeep is committed so
// that `go vet` and `go test` work on a clean checkout before the first build.
//
//go:embed all:frontend/dist
var frontendDist embed.FS

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	frontend, err := fs.Sub(frontendDist, "frontend/dist")
	if err == nil {
		program := cli.Program{Frontend: frontend}
		err = program.Run(ctx, os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	}
	stop()
	os.Exit(cli.ExitStatus(os.Stderr, err))
}
