//go:build cgo && !windows

package device

// The features of Linux and macOS: security keys managed through libfido2
// (app/device/keys), and the test tools when there is a virtual key (app/device/tester).

import (
	"log/slog"
	"net/http"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/device/keys"
	"github.com/nhs-passkeys/companion/app/device/tester"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// TestPIN is the PIN the test tools give the virtual key (app/device/tester).
const TestPIN = tester.TestPIN

type features struct {
	keys   *keys.Service
	tester *tester.Service // nil without a virtual key
}

func newFeatures(cfg Config, set *authenticator.Set, lease *authenticator.Lease, log *slog.Logger) (features, error) {
	var f features
	if cfg.VirtualKey != nil {
		f.tester = tester.New(cfg.VirtualKey, log)
	}
	k, err := keys.New(keys.Config{Authenticators: set, Lease: lease, RPOrigin: cfg.RPOrigin,
		Names: cfg.AuthenticatorNames, Kiosk: cfg.Kiosk != nil, Log: log, Now: cfg.Now,
		VirtualTakenOut: f.virtualTakenOut})
	if err != nil {
		return features{}, err
	}
	f.keys = k
	return f, nil
}

// yield: a ceremony is starting, so a running key job stops and key operations let go.
func (f features) yield() { f.keys.Yield() }

// virtualTakenOut tells whether a tester has taken the virtual key out.
func (f features) virtualTakenOut() bool { return f.tester != nil && f.tester.TakenOut() }

func (f features) close() { f.keys.Close() }

// keyRoutes are the security key endpoints (app/device/keys).
func (f features) keyRoutes(backend http.Handler) []httpapi.Route {
	return f.keys.Routes(Prefix, backend)
}

// testerRoutes are the test tools' endpoints (app/device/tester), with a virtual key only.
func (f features) testerRoutes() []httpapi.Route {
	if f.tester == nil {
		return nil
	}
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: Prefix + "/tester", Handle: f.tester.Get},
		{Method: http.MethodPost, Pattern: Prefix + "/tester/next", Handle: f.tester.ChooseNext},
		{Method: http.MethodPost, Pattern: Prefix + "/tester/reset", Handle: f.tester.Reset},
		{Method: http.MethodPost, Pattern: Prefix + "/tester/plug", Handle: f.tester.Plug},
	}
}
