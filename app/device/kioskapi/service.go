// Package kioskapi is kiosk mode's part of the device endpoints (docs/api.md, "Kiosk
// endpoints", under /api/device/kiosk, present only in kiosk mode): whether the shell has
// ended the session because a security key was taken out, and the administrator's way out
// of kiosk mode.
//
// And the end of a patient's visit: nothing of theirs may go on after it (issue #7), so a
// ceremony still running is cancelled when the visit ends. A visit ends when the shell ends
// the session (a key taken out: SessionEnded) and when the page logs out, which it does for
// "Log out" and for the idle timeout alike (frontend/src/shell/session-timeout.ts): a logout the
// backend accepts, seen on its way through app/device's Wrap. For a phone that closes the
// tunnel, so the QR code cannot be used by whoever comes next.
package kioskapi

import (
	"log/slog"
	"net/http"
	"sync"

	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// Kiosk is what the program passes in for kiosk mode (app/device.Config.Kiosk).
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

// Service holds kiosk mode's state: why the shell ended the session, until the page reads it.
type Service struct {
	kiosk Kiosk
	log   *slog.Logger
	// endVisit cancels the device ceremony still running, if any (app/device/ceremony).
	// It is called with no lock of this package held.
	endVisit func()

	mu    sync.Mutex
	ended string // why the shell ended the session ("key-removed"), "" once read
}

// New returns kiosk mode's service; endVisit ends whatever of the patient's still runs.
func New(k Kiosk, log *slog.Logger, endVisit func()) *Service {
	return &Service{kiosk: k, log: log, endVisit: endVisit}
}

// SessionEnded records that the shell has ended the session, and why (app/kiosk's reason,
// "key-removed"), for the page to read once and go back to the start page; the visit ends.
func (s *Service) SessionEnded(reason string) {
	s.mu.Lock()
	s.ended = reason
	s.mu.Unlock()
	s.endVisit()
}

// LogoutPath is the backend's "Log out" (docs/api.md), which ends a kiosk visit.
const LogoutPath = "/api/logout"

// OnVisitEnd is h, which answers the backend's requests, calling ended once h has answered
// a kiosk visit's logout that was not refused (kiosk.LogoutEndsVisit: accepted, or failed
// with a 5xx): the page's "Log out" and its idle timeout's, and the shell's own after a key
// was taken out, which comes through here too. A refused logout, and any other request,
// ends nothing. The device endpoints end
// the visit in kiosk mode (Service.VisitEnded), and the desktop shell closes a visit's own
// window, both through this one watch.
func OnVisitEnd(h http.Handler, ended func()) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != LogoutPath {
			h.ServeHTTP(w, r)
			return
		}
		rec := &httpapi.StatusWriter{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if kiosk.LogoutEndsVisit(rec.Status) {
			ended()
		}
	})
}

// VisitEnded ends the visit: the backend has accepted its logout (OnVisitEnd).
func (s *Service) VisitEnded() { s.endVisit() }

// takeEnded returns why the shell ended the session, once.
func (s *Service) takeEnded() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	reason := s.ended
	s.ended = ""
	return reason
}

// exit checks the administrator's secret and, when it is right, says so in the log; the
// handler then answers and Quit closes the app.
func (s *Service) exit(secret string) error {
	if err := s.kiosk.Admin.Check(secret); err != nil {
		return err
	}
	s.log.Warn("kiosk mode ended by an administrator")
	return nil
}

// quit closes the app (Kiosk.Quit), if the program gave a way to.
func (s *Service) quit() {
	if s.kiosk.Quit != nil {
		s.kiosk.Quit()
	}
}
