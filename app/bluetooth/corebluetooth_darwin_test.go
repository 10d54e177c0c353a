//go:build darwin && cgo

package bluetooth_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/bluetooth"
)

// TestCoreBluetoothOnThisMac is the by-hand check of the CoreBluetooth scanner (README.md,
// "The phone's Bluetooth advert"): it needs a Mac's radio and the person's permission, so
// it runs only when asked, with NHS_PASSKEYS_BLUETOOTH_TEST=1. It prints what Available
// says, then waits up to two minutes for any phone's hybrid advert: show a passkey QR code
// on any computer (for example "Use a phone or tablet" in a browser) and scan it with a
// phone near this Mac.
func TestCoreBluetoothOnThisMac(t *testing.T) {
	if os.Getenv("NHS_PASSKEYS_BLUETOOTH_TEST") != "1" {
		t.Skip("by hand only: NHS_PASSKEYS_BLUETOOTH_TEST=1 go test -run TestCoreBluetoothOnThisMac -v ./app/bluetooth/")
	}
	scanner := bluetooth.New()
	if err := scanner.Available(t.Context()); err != nil {
		code, msg, _ := bluetooth.Problem(err)
		t.Fatalf("Available: %v\nthe person is told (%s): %s", err, code, msg)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	adverts, err := scanner.Adverts(ctx)
	if err != nil {
		t.Fatalf("Adverts: %v", err)
	}
	t.Log("scanning: scan a passkey QR code with a phone near this Mac")
	for a := range adverts {
		t.Logf("heard %d bytes under %#04x: %x", len(a.Data), a.Service, a.Data)
		if len(a.Data) >= 20 {
			return
		}
	}
	t.Fatal("no phone's advert was heard in two minutes")
}
