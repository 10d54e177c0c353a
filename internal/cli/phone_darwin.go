//go:build darwin && cgo

package cli

import (
	"context"
	"log/slog"

	"github.com/nhs-passkeys/companion/app/bluetooth"
	"github.com/nhs-passkeys/companion/app/device"
)

// phoneFor is "Use a different phone or tablet" on macOS (device.Config.Phone): the FIDO hybrid
// transport (app/hybrid) with CoreBluetooth as the scanner. Bluetooth off, or this app not
// allowed to use it (System Settings, Privacy & Security, Bluetooth), does not fail the app:
// the page lists the phone as unavailable with the reason (bluetooth.Problem).
func phoneFor(_ context.Context, _ *slog.Logger) *device.Phone {
	return &device.Phone{Bluetooth: bluetooth.New()}
}
