//go:build cgo && !windows

// Package usb is the one test USB bus (see internal/testkit): virtual security keys
// (app/virtualkey) plugged in at a path are listed and opened as hardware keys are, through
// the real libfido2 (app/fido2.OpenTransport). The build machines have no /dev/uhid, so no
// test can plug in a key the kernel would see. Only on cgo builds other than Windows, as
// app/fido2 itself.
package usb

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
)

// Bus is what app/device.Config.SecurityKeys wants (List and Open). Its zero value is an
// empty bus, ready to use; safe for use by the code under test and the test at once.
type Bus struct {
	mu   sync.Mutex
	keys map[string]*virtualkey.Key
}

// Plug plugs key in at path (e.g. "/dev/hidraw3"), taking the place of any key there.
func (b *Bus) Plug(path string, key *virtualkey.Key) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.keys == nil {
		b.keys = map[string]*virtualkey.Key{}
	}
	b.keys[path] = key
}

// Unplug takes the key at path out: it is no longer listed, and opening it fails as for a
// key taken out (fido2.ErrDeviceGone).
func (b *Bus) Unplug(path string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.keys, path)
}

// List lists the plugged-in keys by path, each with the USB product name "Test Key "+path.
func (b *Bus) List() ([]fido2.DeviceInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]fido2.DeviceInfo, 0, len(b.keys))
	for path := range b.keys {
		out = append(out, fido2.DeviceInfo{Path: path, Product: "Test Key " + path, Manufacturer: "Test"})
	}
	slices.SortFunc(out, func(a, b fido2.DeviceInfo) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}

// Open opens the key at path through libfido2.
func (b *Bus) Open(path string) (*fido2.Device, error) {
	b.mu.Lock()
	key := b.keys[path]
	b.mu.Unlock()
	if key == nil {
		return nil, fmt.Errorf("open %s: %w", path, fido2.ErrDeviceGone)
	}
	return fido2.OpenTransport(key)
}
