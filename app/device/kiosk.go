package device

// Kiosk mode's endpoints (docs/api.md, "Kiosk endpoints"), under /api/device/kiosk, present
// only when Config.Kiosk is set: whether the shell has ended the session because a security
// key was taken out, and the administrator's way out of kiosk mode.
//
// And the end of a patient's visit: nothing of theirs may go on after it (issue #7), so a
// ceremony still running is cancelled when the visit ends. A visit ends when the shell ends
// the session (a key taken out: SessionEnded) and when the page logs out, which it does for
// "Log out" and for the idle timeout alike (frontend session-timeout.ts): a logout the
// backend accepts, seen on its way through Wrap. For a phone that closes the tunnel, so
// the QR code cannot be used by whoever comes next.

import (
	"context"
	"net/http"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// Kiosk is kiosk mode's part of the device endpoints.
type Kiosk struct {
	// Admin checks the administrator's secret (app/kiosk.Admin). Required.
	Admin AdminSecret
	// Quit closes the app once an administrator has given the secret; it is called after
	// the answer has been written.
	Quit func()
}

// AdminSecret checks the kiosk administrator's secret. Check answers nil for the right one,
// or an error carrying the client-safe code (apperr) for a wrong one or too many tries.
type AdminSecret interface {
	Check(secret string) error
}

// SessionEnded records that the shell has ended the session, and why (app/kiosk's reason,
// "key-removed"), for the page to read once and go back to the start page. Kiosk mode only.
func (s *Service) SessionEnded(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kioskEnded = reason
	s.endVisitLocked()
}

// logoutPath is the backend's "Log out" (docs/api.md), which ends a kiosk visit.
const logoutPath = "/api/logout"

// endsVisit tells whether r, on its way to the backend, is a kiosk visit's logout.
func (s *Service) endsVisit(r *http.Request) bool {
	return s.kiosk != nil && r.Method == http.MethodPost && r.URL.Path == logoutPath
}

// visitEnded is called after the backend has answered a kiosk visit's logout with status.
func (s *Service) visitEnded(status int) {
	if status != http.StatusOK {
		return // a refused logout ends nothing
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endVisitLocked()
}

// endVisitLocked cancels the ceremony still running, if any. Called with s.mu held.
func (s *Service) endVisitLocked() {
	if c := s.current; c != nil {
		c.stop(s.now(), failureFor(c.kind, context.Canceled))
	}
}

func (s *Service) kioskRoutes() []httpapi.Route {
	if s.kiosk == nil {
		return nil
	}
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: Prefix + "/kiosk", Handle: s.kioskState},
		{Method: http.MethodPost, Pattern: Prefix + "/kiosk/exit", Handle: s.kioskExit},
	}
}

// kioskState serves GET /api/device/kiosk: {"sessionEnded": null | "key-removed"}, read once.
// It never asks the backend about the session, so the page's polling keeps no session alive.
func (s *Service) kioskState(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	reason := s.kioskEnded
	s.kioskEnded = ""
	s.mu.Unlock()
	var ended *string
	if reason != "" {
		ended = &reason
	}
	httpapi.Write(w, http.StatusOK, struct {
		SessionEnded *string `json:"sessionEnded"`
	}{ended})
	return nil
}

// kioskExit serves POST /api/device/kiosk/exit {"secret"}: the administrator leaves kiosk
// mode, which closes the app. A patient cannot: the secret is checked (app/kiosk.Admin,
// argon2id, at most 5 wrong tries in 15 minutes) and a wrong one changes nothing.
func (s *Service) kioskExit(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Secret string `json:"secret"`
	}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	if req.Secret == "" {
		return apperr.Invalid(map[string]string{"secret": "Enter the administrator secret"})
	}
	if err := s.kiosk.Admin.Check(req.Secret); err != nil {
		return err
	}
	s.log.Warn("kiosk mode ended by an administrator")
	httpapi.Write(w, http.StatusOK, struct {
		Closing bool `json:"closing"`
	}{true})
	if s.kiosk.Quit != nil {
		s.kiosk.Quit()
	}
	return nil
}
