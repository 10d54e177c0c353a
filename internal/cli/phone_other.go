//go:build !linux && !(darwin && cgo)

package cli

import (
	"context"
	"log/slog"

	"github.com/nhs-passkeys/companion/app/device"
)

// phoneFor is "Use a different phone or tablet" (device.Config.Phone) where this build has no
// scanner for it: none on Windows, where webauthn.dll shows its own QR code (app/device
// refuses Config.Phone there, and the page offers Windows' "hybrid" instead), and none on
// macOS built without cgo, as CoreBluetooth needs it (phone_darwin.go).
func phoneFor(_ context.Context, _ *slog.Logger) *device.Phone {
	return nil
}
