package remoterp

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nhs-passkeys/companion/backend/session"
)

// The session rules the shell keeps itself, on top of the relying party's. The relying party
// ends a session after its own idle timeout (`serve --idle-timeout`, for every client), but
// a kiosk promises its patients a shorter one (kiosk mode's idleTimeout, 5 minutes unless the
// administrator says otherwise) and must never leave a session behind for the next patient,
// even when the server cannot be told. So:
//   - idleLimit: a session not used for the shell's idle timeout is ended by the shell: it
//     logs out at the relying party (best effort) and clears the cookie from its jar, and the
//     request that found it idle is sent on signed out. The page learns the shorter time from
//     Session-Idle-Ends-In, which the shell lowers to what it allows, so its warning and
//     countdown (docs/api.md, "Sessions") come on time;
//   - a logout that cannot reach the relying party, or that it fails (5xx), still clears
//     the cookie from the jar (fail closed): nobody at this computer can use that session
//     any more, and the server ends it at its own idle timeout.

// clearSession are the Set-Cookie lines that make the shell's jar forget the session
// (app/sessionjar: Max-Age <= 0 clears, RFC 6265 §5.2.2), one for each name the session
// cookie has (plain over http://localhost, __Host- over https).
func clearSession(h http.Header) {
	for _, name := range []string{session.CookieName, session.SecureCookieName} {
		h.Add("Set-Cookie", name+"=; Max-Age=0")
	}
}

// idleLimit is the shell's own idle timeout. The zero limit keeps only the relying party's.
type idleLimit struct {
	limit time.Duration
	now   func() time.Time

	mu   sync.Mutex
	last time.Time // the last request that counted as activity; zero before the first
}

// activity says whether r counts as using the session, as the relying party counts it
// (backend/session: every request but a GET that only peeks).
func activity(r *http.Request) bool {
	return r.Method != http.MethodGet || r.Header.Get(session.PeekHeader) != "1"
}

// check records r and says whether the session r carries had already gone idle. A request
// that counts as activity starts the idle time again.
func (l *idleLimit) check(r *http.Request) (idle bool) {
	if l.limit <= 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	idle = r.Header.Get("Cookie") != "" && !l.last.IsZero() && now.Sub(l.last) >= l.limit
	if idle || activity(r) || l.last.IsZero() {
		l.last = now
	}
	return idle
}

// lower caps the relying party's Session-Idle-Ends-In at what the shell allows.
func (l *idleLimit) lower(h http.Header) {
	if l.limit <= 0 {
		return
	}
	server, err := strconv.ParseInt(h.Get(session.IdleEndsInHeader), 10, 64)
	if err != nil {
		return // signed out, or nothing to lower
	}
	l.mu.Lock()
	left := l.limit - l.now().Sub(l.last)
	l.mu.Unlock()
	if mine := max(int64(left/time.Second), 0); mine < server {
		h.Set(session.IdleEndsInHeader, strconv.FormatInt(mine, 10))
	}
}

// endIdleSession logs the session that cookie carries out at the relying party, at most
// logoutTimeout long. Whether or not that worked, the jar is told to forget it: the request
// goes on marked idleEnded, and its answer carries clearSession.
func (c *Client) endIdleSession(ctx context.Context, cookie string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logoutTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.origin+"/api/logout", strings.NewReader("{}"))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Origin", c.origin)
		req.Header.Set("Cookie", cookie)
		req.Header.Set("User-Agent", userAgent)
		var res *http.Response
		if res, err = c.transport.RoundTrip(req); err == nil {
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				err = errStatus(res.StatusCode)
			}
		}
	}
	if err != nil {
		c.log.Warn("the session went idle, but the relying party could not be told; it is forgotten here and ends there at the server's own idle timeout",
			"relyingParty", c.origin, "err", sanitise(err))
	} else {
		c.log.Info("the session went idle: logged out", "relyingParty", c.origin, "idleTimeout", c.idle.limit)
	}
}

// logoutTimeout bounds the shell's own logout of an idle session, which a page request waits for.
const logoutTimeout = 5 * time.Second

type errStatus int

func (e errStatus) Error() string { return "logout answered " + strconv.Itoa(int(e)) }
