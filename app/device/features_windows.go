//go:build windows

package device

// The features of Windows: none beyond the ceremonies and Windows Hello's passkeys. Managing
// security keys is left to Windows Settings: since Windows 10 1903 only an elevated
// (administrator) process may open FIDO HID devices, other apps go through webauthn.dll,
// which manages keys only in Windows Settings (../shared/PLATFORM-NOTES.md), and this build has no
// libfido2 to open one with even as an administrator.

import (
	"log/slog"
	"net/http"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

type features struct{}

func newFeatures(Config, *authenticator.Set, *authenticator.Lease, *slog.Logger) (features, error) {
	return features{}, nil
}

// yield: no key jobs run on Windows.
func (features) yield() {}

// virtualTakenOut: Windows builds have no virtual key.
func (features) virtualTakenOut() bool { return false }

func (features) close() {}

// keyRoutes: the Security keys page asks GET /api/device/keys and is told to use Windows
// Settings (adminRequired, docs/api.md); the other key endpoints do not exist.
func (features) keyRoutes(http.Handler) []httpapi.Route {
	return []httpapi.Route{{Method: http.MethodGet, Pattern: Prefix + "/keys", Handle: func(w http.ResponseWriter, _ *http.Request) error {
		httpapi.Write(w, http.StatusOK, struct {
			Keys          []struct{} `json:"keys"`
			AdminRequired bool       `json:"adminRequired"`
		}{[]struct{}{}, true})
		return nil
	}}}
}

// testerRoutes: the test tools drive the virtual key, which Windows builds do not have.
func (features) testerRoutes() []httpapi.Route { return nil }
