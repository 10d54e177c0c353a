package kiosk

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// FIDOUsagePage is the HID usage page of FIDO security keys (CTAP 2.1 §11.2.8.1, "HID
// Report Descriptor and Device Discovery": usage page 0xF1D0, usage 0x01).
const FIDOUsagePage = 0xF1D0

// DefaultSettle is how long a key must stay gone before the watch believes it has left.
const DefaultSettle = time.Second

// HIDInterface is what Windows says about a HID device interface without the device being
// opened (only administrators may open a FIDO key since Windows 10 1903).
type HIDInterface struct {
	// Path is the device interface path, unique while the device is plugged in.
	Path string
	// UsagePage is the top-level collection's usage page, when Windows published it
	// (DEVPKEY_DeviceInterface_HID_UsagePage); PageKnown says whether it did.
	UsagePage uint16
	PageKnown bool
}

// CountsAsKey tells whether the interface is treated as a security key. A FIDO usage page
// is one; so is an interface whose usage page Windows did not give: a visit then ends for a
// HID device that might not have been a key, never stays open after one that was
// (docs/windows-kiosk.md).
func (h HIDInterface) CountsAsKey() bool {
	return !h.PageKnown || h.UsagePage == FIDOUsagePage
}

// HIDEvent is an interface arriving (Arrived) or leaving. When one leaves, Windows can no
// longer say what it was: only its Path is meaningful.
type HIDEvent struct {
	Interface HIDInterface
	Arrived   bool
}

// HIDSource is the operating system's side of the watch (hidwatch_windows.go on Windows; a
// stand-in in tests).
type HIDSource interface {
	// Subscribe delivers every arrival and removal to events, from any goroutine, until the
	// returned stop is called.
	Subscribe(events func(HIDEvent)) (stop func(), err error)
	// Present lists the HID interfaces plugged in now.
	Present() ([]HIDInterface, error)
}

// KeyWatch keeps the set of security keys plugged in from device notifications, without
// opening any device, and answers Keys for Watch (which decides when a visit ends, as on
// Linux). Removals are debounced: a key is listed until it has been gone for Settle, so a
// key that drops off the bus and comes back at once (re-enumeration) never "left".
type KeyWatch struct {
	src    HIDSource
	settle time.Duration
	now    func() time.Time

	mu      sync.Mutex
	listed  bool                 // Present has succeeded once: until then Keys fails
	keys    map[string]bool      // paths classified as keys, plugged in
	leaving map[string]time.Time // keys seen leaving, and when; listed until settled
	stop    func()
}

// NewKeyWatch subscribes to src's notifications; Close stops them. settle 0 means
// DefaultSettle; now nil means time.Now.
func NewKeyWatch(src HIDSource, settle time.Duration, now func() time.Time) (*KeyWatch, error) {
	if settle <= 0 {
		settle = DefaultSettle
	}
	if now == nil {
		now = time.Now
	}
	w := &KeyWatch{src: src, settle: settle, now: now, keys: map[string]bool{}, leaving: map[string]time.Time{}}
	// Subscribe before the first listing: a key arriving in between is then in one or the
	// other (or both, which is the same), never in neither.
	stop, err := src.Subscribe(w.apply)
	if err != nil {
		return nil, fmt.Errorf("watch security keys arriving and leaving: %w", err)
	}
	w.stop = stop
	return w, nil
}

// Close stops the notifications.
func (w *KeyWatch) Close() {
	if w.stop != nil {
		w.stop()
	}
}

// apply records one notification.
func (w *KeyWatch) apply(e HIDEvent) {
	w.mu.Lock()
	defer w.mu.Unlock()
	path := e.Interface.Path
	if e.Arrived {
		if e.Interface.CountsAsKey() {
			w.keys[path] = true
			delete(w.leaving, path) // back within Settle: it never left
		}
		return
	}
	// A removal names only a path: it is a key's only if that path was classified as one.
	if w.keys[path] {
		delete(w.keys, path)
		if _, already := w.leaving[path]; !already {
			w.leaving[path] = w.now()
		}
	}
}

// errNotListed is Keys' answer until the keys plugged in have been listed once: "could not
// list" is not "no keys" (Watch skips that look).
var errNotListed = errors.New("the security keys plugged in have not been listed yet")

// Keys lists the security keys plugged in now, by interface path, in a stable order: the
// keys present, and the keys gone for less than Settle.
func (w *KeyWatch) Keys() ([]string, error) {
	w.mu.Lock()
	listed := w.listed
	w.mu.Unlock()
	if !listed {
		present, err := w.src.Present()
		if err != nil {
			return nil, errors.Join(errNotListed, err)
		}
		w.mu.Lock()
		for _, h := range present {
			if h.CountsAsKey() {
				w.keys[h.Path] = true
			}
		}
		w.listed = true
		w.mu.Unlock()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	out := make([]string, 0, len(w.keys)+len(w.leaving))
	for path := range w.keys {
		out = append(out, path)
	}
	for path, since := range w.leaving {
		if now.Sub(since) < w.settle {
			out = append(out, path)
			continue
		}
		delete(w.leaving, path)
	}
	slices.Sort(out)
	return out, nil
}
