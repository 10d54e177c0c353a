//go:build !linux

package main

import (
	"context"
	"log/slog"

	"github.com/nhs-passkeys/companion/app/device"
)

// phoneFor is "A different phone or tablet" (device.Config.Phone) elsewhere than on Linux:
// none on Windows, where webauthn.dll shows its own QR code (app/device refuses
// Config.Phone there), and none yet on macOS, which needs a CoreBluetooth scanner.
func phoneFor(ctx context.Context, logger *slog.Logger) *device.Phone {
	return nil
}
