//go:build linux

package cli

import (
	"context"
	"log/slog"

	"github.com/nhs-passkeys/companion/app/bluetooth"
	"github.com/nhs-passkeys/companion/app/device"
)

// phoneFor is "Use a different phone or tablet" on Linux (device.Config.Phone): the FIDO hybrid
// transport (app/hybrid) with this computer's Bluetooth LE scanner, BlueZ over D-Bus. The
// scanner holds nothing open between scans (each Available and Adverts opens its own D-Bus
// connection), so it needs no context to close it. A computer without Bluetooth (no adapter, BlueZ
// not running, the radio off or blocked) does not fail the app: the page lists the phone as
// unavailable with the scanner's reason (bluetooth.Problem) and how to fix it.
func phoneFor(_ context.Context, _ *slog.Logger) *device.Phone {
	return &device.Phone{Bluetooth: bluetooth.New()}
}
