//go:build !cgo && !windows

package authenticator

// The authenticators of a Linux or macOS build made without cgo (CGO_ENABLED=0). Security
// keys on these systems go through libfido2, a C library reached with cgo (app/fido2), and
// the virtual key sits behind libfido2 too; so this build has no authenticator at all, and
// says so when asked for one. It exists so that every package builds, and is vetted, with
// cgo off: `make lint` vets the macOS build that way on a machine without Apple's SDK. The
// desktop app itself needs cgo on Linux and macOS anyway (Wails draws its window through GTK
// and Cocoa), so no build of this kind reaches a person. Windows has its own side
// (set_windows.go); the real one is set_fido2.go.

import (
	"context"
	"errors"
	"log/slog"

	"github.com/nhs-passkeys/companion/app/device/winhello"
	"github.com/nhs-passkeys/companion/app/virtualkey"
)

// ErrNeedsCgo is New's answer when this build is asked for security keys or the virtual key.
var ErrNeedsCgo = errors.New("device: security keys and the virtual security key need the cgo build of this app (CGO_ENABLED=1, with libfido2 found by pkg-config); this one was built without cgo")

// SecurityKeys stands for libfido2's security keys, which this build cannot reach: any value
// given in Config.Keys makes New refuse (ErrNeedsCgo).
type SecurityKeys interface{}

// HIDKeys is the name the program passes on every system (internal/cli/desktop.go).
type HIDKeys struct{}

// Config is what a Set is made of (app/device.Config's parts of the same names).
type Config struct {
	Keys    SecurityKeys
	Virtual *virtualkey.Key
	Kiosk   bool
	Phone   bool
	Log     *slog.Logger
}

// Set is empty: nothing to reach the keys with.
type Set struct{}

// New refuses security keys and the virtual key (ErrNeedsCgo).
func New(cfg Config) (*Set, error) {
	if cfg.Keys != nil || cfg.Virtual != nil {
		return nil, ErrNeedsCgo
	}
	return &Set{}, nil
}

// Virtual is nil: there is none.
func (s *Set) Virtual() *virtualkey.Key { return nil }

// Credentials is nil: Linux and macOS have no platform passkey store this app manages.
func (s *Set) Credentials() winhello.Store { return nil }

// List is empty: there is nothing to list.
func (s *Set) List() []Authenticator { return nil }

// Find finds nothing: there is nothing to find.
func (s *Set) Find(string) (Authenticator, bool) { return Authenticator{}, false }

// Known is false: no ID names an authenticator here, so every ceremony is refused as it starts
// (400 invalid_request, as for an ID the app does not have).
func (s *Set) Known(string) bool { return false }

// PINSet is false: no authenticator has one.
func (s *Set) PINSet(context.Context, Authenticator, bool) bool { return false }

// ConnectedKeys fails: this build cannot see security keys, so kiosk mode cannot watch them.
func (s *Set) ConnectedKeys() ([]string, error) { return nil, ErrNeedsCgo }
