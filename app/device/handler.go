package device

import (
	"net/http"
	"slices"
	"strings"

	"github.com/nhs-passkeys/companion/app/device/account"
	"github.com/nhs-passkeys/companion/app/device/kioskapi"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// Prefix is where the device endpoints live.
const Prefix = "/api/device"

// routes is the device endpoints' route table (docs/api.md): the ceremonies', then each
// feature's (security keys and test tools where libfido2 is, kiosk mode, Windows Hello's
// passkeys), each present only where its feature is. Sign-in is marked on the route.
func (s *Service) routes(backend http.Handler) []httpapi.Route {
	return slices.Concat(s.ceremonies.Routes(Prefix), s.keyRoutes(backend), s.testerRoutes(), s.kioskRoutes(), s.platformPasskeyRoutes())
}

// platformPasskeyRoutes are Windows Hello's passkeys (app/device/winhello): only where there
// is a Windows Hello store to manage, and never in kiosk mode.
func (s *Service) platformPasskeyRoutes() []httpapi.Route {
	if s.hello == nil {
		return nil
	}
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: Prefix + "/platform-passkeys", Handle: s.hello.List, SignedIn: true},
		{Method: http.MethodDelete, Pattern: Prefix + "/platform-passkeys/{credentialId}", Handle: s.hello.Delete, SignedIn: true},
	}
}

// kioskRoutes are kiosk mode's endpoints (app/device/kioskapi): only in kiosk mode.
func (s *Service) kioskRoutes() []httpapi.Route {
	if s.kiosk == nil {
		return nil
	}
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: Prefix + "/kiosk", Handle: s.kiosk.State},
		{Method: http.MethodPost, Pattern: Prefix + "/kiosk/exit", Handle: s.kiosk.Exit},
	}
}

// Wrap returns next with the device endpoints in front of it: requests under /api/device
// are answered here, through the same edge as the backend's (httpapi.Edge: another host
// name 421, another origin 403, reads included here, a body not typed JSON 415, a body too
// large 413, the one recover); everything else goes to next unchanged.
func (s *Service) Wrap(next http.Handler) http.Handler {
	device := s.responder.Edge(httpapi.Edge{Hosts: s.hosts, Origins: s.origins, OriginOnReads: true, Headers: deviceHeaders},
		s.responder.Mount(Prefix, s.routes(next), account.SignIn(next), nil))
	backend := next
	if s.kiosk != nil {
		backend = kioskapi.OnVisitEnd(next, s.kiosk.VisitEnded)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == Prefix || strings.HasPrefix(p, Prefix+"/") {
			device.ServeHTTP(w, r)
			return
		}
		backend.ServeHTTP(w, r)
	})
}

// deviceHeaders are on every answer of the device endpoints (which do not pass through the
// backend's edge): never cached, never sniffed, never framed, no content of their own.
func deviceHeaders(h http.Header, _ *http.Request) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
}
