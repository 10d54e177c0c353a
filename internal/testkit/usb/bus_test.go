//go:build cgo && !windows

package usb_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/internal/testkit/usb"
)

func TestAKeyPluggedInIsListedAndOpensThroughLibfido2UntilItIsTakenOut(t *testing.T) {
	aaguid := [16]byte{0xcb, 0x69, 0x48, 0x1e, 0x8f, 0xf7, 0x40, 0x39, 0x93, 0xec, 0x0a, 0x27, 0x29, 0xa1, 0x54, 0xa8}
	key, err := virtualkey.New(virtualkey.Options{AAGUID: aaguid})
	if err != nil {
		t.Fatal(err)
	}
	var bus usb.Bus
	if list, err := bus.List(); err != nil || len(list) != 0 {
		t.Fatalf("an empty bus lists %v (%v)", list, err)
	}
	bus.Plug("/dev/hidraw4", key)
	bus.Plug("/dev/hidraw2", key)
	list, err := bus.List()
	if err != nil || len(list) != 2 || list[0].Path != "/dev/hidraw2" || list[1].Product != "Test Key /dev/hidraw4" {
		t.Fatalf("the bus lists %+v (%v), want /dev/hidraw2 then /dev/hidraw4, named by path", list, err)
	}

	dev, err := bus.Open("/dev/hidraw4")
	if err != nil {
		t.Fatalf("open a plugged-in key: %v", err)
	}
	info, err := dev.Info(t.Context())
	dev.Close()
	if err != nil || !bytes.Equal(info.AAGUID, aaguid[:]) {
		t.Fatalf("the opened key answers %+v (%v), want the virtual key's AAGUID", info, err)
	}

	bus.Unplug("/dev/hidraw4")
	if list, _ := bus.List(); len(list) != 1 || list[0].Path != "/dev/hidraw2" {
		t.Fatalf("after taking /dev/hidraw4 out the bus lists %+v", list)
	}
	if _, err := bus.Open("/dev/hidraw4"); !errors.Is(err, fido2.ErrDeviceGone) {
		t.Fatalf("opening a key taken out: %v, want fido2.ErrDeviceGone", err)
	}
}
