//go:build linux

package main

import (
	"context"
	"log/slog"

	"github.com/nhs-passkeys/companion/app/device"
)

// phoneFor is "A different phone or tablet" on Linux (device.Config.Phone): the FIDO hybrid
// transport (app/hybrid) needs this computer's Bluetooth LE scanner, BlueZ over D-Bus, which
// this build does not have yet, so the page does not offer the phone (nil). A scanner opened
// here lives until ctx ends (the app closing); it must not fail the app when there is no
// Bluetooth: its Available answers why, and the page says so.
func phoneFor(ctx context.Context, logger *slog.Logger) *device.Phone {
	return nil
}
