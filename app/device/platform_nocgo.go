//go:build !cgo && !windows

package device

// The device endpoints of a Linux or macOS build made without cgo (CGO_ENABLED=0). Security
// keys on these systems go through libfido2, a C library reached with cgo (app/fido2), and
// the virtual key sits behind libfido2 too; so this build has no authenticator at all, and
// says so when asked for one. It exists so that every package builds, and is vetted, with
// cgo off: `make lint` vets the macOS build that way on a machine without Apple's SDK. The
// desktop app itself needs cgo on Linux and macOS anyway (Wails draws its window through GTK
// and Cocoa), so no build of this kind reaches a person. Windows has its own side
// (platform_windows.go); the real one is platform_fido2.go.

import (
	"context"
	"errors"
	"net/http"

	"github.com/nhs-passkeys/companion/app/device/winhello"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// ErrNeedsCgo is New's answer when this build is asked for security keys or the virtual key.
var ErrNeedsCgo = errors.New("device: security keys and the virtual security key need the cgo build of this app (CGO_ENABLED=1, with libfido2 found by pkg-config); this one was built without cgo")

// SecurityKeys stands for libfido2's security keys, which this build cannot reach: any value
// given in Config.SecurityKeys makes New refuse (ErrNeedsCgo).
type SecurityKeys interface{}

// HIDKeys is the name the program passes on every system (internal/cli/desktop.go).
type HIDKeys struct{}

// platform is empty: nothing to reach the keys with.
type platform struct{}

func newPlatform(cfg Config) (platform, error) {
	if cfg.SecurityKeys != nil || cfg.VirtualKey != nil {
		return platform{}, ErrNeedsCgo
	}
	return platform{}, nil
}

// platformCredentials: Linux and macOS have no platform passkey store this app manages.
func (platform) platformCredentials() winhello.Store { return nil }

// authenticators: none.
func (s *Service) authenticators() []authenticator { return nil }

// find: there is nothing to find.
func (s *Service) find(string) (authenticator, bool) { return authenticator{}, false }

// known: no ID names an authenticator here, so every ceremony is refused as it starts
// (400 invalid_request, as for an ID the app does not have).
func (s *Service) known(string) bool { return false }

func (s *Service) pinSetOf(authenticator) bool { return false }

// run ends a ceremony at once: known refuses every one before it gets here.
func (s *Service) run(_ context.Context, c *ceremony, prev *ceremony) {
	defer s.running.Done()
	defer close(c.finished)
	defer c.dropPIN()
	defer c.cancel()
	if prev != nil {
		<-prev.finished
	}
	f := failureFor(c.kind, errNoKey)
	c.end(s.now(), nil, &f)
}

// failureFor words a ceremony's end as a security key's, in the Linux build's words
// (keyWords, failure_webauthndll.go, are the same): the only ends this build meets are a
// cancel, a time-out and no key.
func failureFor(kind string, err error) failure { return windowsFailure(kind, securityKeyID, err) }

// keyRoutes: no Security keys endpoints; they answer 404 not_found like any unknown path.
func (s *Service) keyRoutes(http.Handler) []httpapi.Route { return nil }

// testerRoutes: no virtual key, so no test tools.
func (s *Service) testerRoutes() []httpapi.Route { return nil }

// yield: no key jobs.
func (s *Service) yield() {}

// readPIN is never reached (no ceremony starts, so POST .../pin finds none); it reads
// nothing, so a PIN never becomes a Go string here.
func readPIN(*http.Request) ([]byte, error) { return nil, nil }

// ConnectedKeys: this build cannot see security keys, so kiosk mode cannot watch them.
func (s *Service) ConnectedKeys() ([]string, error) { return nil, ErrNeedsCgo }
