//go:build cgo && !windows

package fido2

import (
	"errors"
	"testing"
)

func TestDeviceListWithNoKeysIsEmpty(t *testing.T) {
	devs, err := DeviceList(16)
	if err != nil {
		t.Fatalf("DeviceList: %v", err)
	}
	for _, d := range devs { // a developer machine may have a key plugged in
		if d.Path == "" {
			t.Errorf("a listed device has no path: %+v", d)
		}
	}
	t.Logf("%d device(s) attached", len(devs))
}

func TestDeviceListNeedsRoom(t *testing.T) {
	if _, err := DeviceList(0); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("got %v, want ErrInvalidRequest", err)
	}
}

func TestOpeningAMissingPathSaysTheDeviceIsGone(t *testing.T) {
	_, err := Open("/dev/hidraw-that-does-not-exist")
	if !errors.Is(err, ErrDeviceGone) {
		t.Fatalf("got %v, want ErrDeviceGone", err)
	}
	if _, err := Open(""); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("empty path: got %v, want ErrInvalidRequest", err)
	}
}

func TestOpeningANilTransportIsRefused(t *testing.T) {
	if _, err := OpenTransport(nil); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("got %v", err)
	}
}
