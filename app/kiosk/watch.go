package kiosk

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// Watch ends a patient's session when a security key that was plugged in while they were
// logged in is taken out: on a shared computer, taking your key and walking away must not
// leave your account open for the next person (issue #7).
type Watch struct {
	// Keys lists the ids of the security keys plugged in now (device.Service.ConnectedKeys).
	// When it fails, that look is skipped: "could not list" is not "taken out".
	Keys func() ([]string, error)
	// SignedIn reports whether someone is logged in (sessionjar.Jar.SignedIn).
	SignedIn func() bool
	// End ends the session on the server and forgets it (Logout).
	End func(ctx context.Context) error
	// Ended tells the page why, so it goes back to the start (device.Service.SessionEnded).
	Ended func(reason string)
	// Every is how often keys are listed; 0 means every second.
	Every  time.Duration
	Logger *slog.Logger
}

// ReasonKeyRemoved is Ended's reason when a key was taken out.
const ReasonKeyRemoved = "key-removed"

// Run watches until ctx ends.
func (w Watch) Run(ctx context.Context) {
	every := w.Every
	if every <= 0 {
		every = time.Second
	}
	log := w.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	// seen: the keys plugged in at some point of this session. While nobody is logged in it
	// is the keys plugged in now, so a key used to log in counts from the very first moment:
	// taken out a moment after logging in, it still ends the session.
	var seen []string
	failing := false // logged once per run of failures, not every second
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now, err := w.Keys()
		if err != nil {
			if !failing {
				log.Warn("list security keys for the kiosk watch", "err", err)
			}
			failing = true
			continue
		}
		failing = false
		if !w.SignedIn() {
			seen = now
			continue
		}
		var gone []string
		for _, id := range seen {
			if !slices.Contains(now, id) {
				gone = append(gone, id)
			}
		}
		for _, id := range now {
			if !slices.Contains(seen, id) {
				seen = append(seen, id)
			}
		}
		if len(gone) == 0 {
			continue
		}
		if err := w.End(ctx); err != nil {
			log.Error("end the kiosk session after a security key was taken out", "err", err)
			continue // try again next time: the session must not outlive the key
		}
		log.Info("kiosk session ended: a security key was taken out", "keys", len(gone))
		seen = nil
		w.Ended(ReasonKeyRemoved)
	}
}

// Logout returns an End that logs out through h, the app's whole handler with the session
// jar in front (the jar adds the session cookie and forgets it when the answer clears it),
// as the page's own "Log out" would. origin is the page's Origin, which POSTs need; the
// request is for its host too, the only host names the handler answers for (Wails'
// AssetServer sets Request.Host from the page's URL in the same way).
func Logout(h http.Handler, origin string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(origin, "/")+"/api/logout", strings.NewReader("{}"))
		if err != nil {
			return err
		}
		// A handler sees a path-only URL, as a server's request has (RFC 9112 §3.2.1).
		req.URL = &url.URL{Path: "/api/logout"}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", origin)
		var rec httpapi.Recorder
		h.ServeHTTP(&rec, req)
		if !LogoutEndsVisit(rec.Status) {
			return fmt.Errorf("log out: status %d", rec.Status)
		}
		return nil
	}
}

// LogoutEndsVisit says whether a logout answered with status (0: a body with no status,
// which is 200) ends the visit: every answer but a refusal (4xx: another origin, a malformed
// request). A logout the backend failed (5xx: its database away, a fleet's server failing)
// ends it too, as the shell's session jar forgets the session whatever the backend says
// (app/desktop, logoutFailsClosed): the patient asked to leave, or walked away, or took their
// key out, and nothing of their visit may stay for the next person. The session left at the
// backend ends there at its idle timeout; nobody holds its token any more.
func LogoutEndsVisit(status int) bool {
	return status < http.StatusBadRequest || status >= http.StatusInternalServerError
}
