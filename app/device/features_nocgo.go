//go:build !cgo && !windows

package device

// The features of a Linux or macOS build made without cgo: none, as it has no authenticator
// (app/device/authenticator, set_nocgo.go).

import (
	"log/slog"
	"net/http"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// ErrNeedsCgo is New's answer when this build is asked for security keys or the virtual key.
var ErrNeedsCgo = authenticator.ErrNeedsCgo

type features struct{}

func newFeatures(Config, *authenticator.Set, *authenticator.Lease, *slog.Logger) (features, error) {
	return features{}, nil
}

// yield: no key jobs.
func (features) yield() {}

// virtualTakenOut: no virtual key.
func (features) virtualTakenOut() bool { return false }

func (features) close() {}

// keyRoutes: no Security keys endpoints; they answer 404 not_found like any unknown path.
func (features) keyRoutes(http.Handler) []httpapi.Route { return nil }

// testerRoutes: no virtual key, so no test tools.
func (features) testerRoutes() []httpapi.Route { return nil }
