package sessionjar

import (
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Jar holds the session cookie for the webview. Create it with New; the zero value is not
// usable.
type Jar struct {
	store  Store
	names  []string
	logger *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	loaded bool
	pair   string // "name=token" as sent in the Cookie header, or "" when signed out
}

// New returns a jar that keeps the cookies called one of names (the backend's session
// cookie names, e.g. "nhsp_session" and "__Host-nhsp_session") in store.
// The store is read once, on the first request, and written through on every change, so
// the keyring is not asked on every request.
func New(store Store, logger *slog.Logger, names ...string) *Jar {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Jar{store: store, names: names, logger: logger, now: time.Now}
}

// Wrap returns a handler that serves h with the jar's session: it replaces any Cookie header
// of the request with the stored session cookie, and takes every Set-Cookie out of the
// response, storing or forgetting the session cookie as the backend says.
func (j *Jar) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sent := j.current()
		r = r.Clone(r.Context())
		// The webview keeps no cookies, so a Cookie header can only have been made up by the
		// page: the jar is the only source of the session.
		r.Header.Del("Cookie")
		if sent != "" {
			r.Header.Set("Cookie", sent)
		}
		cw := &captureWriter{ResponseWriter: w, capture: func(hdr http.Header) { j.capture(hdr, sent) }}
		h.ServeHTTP(cw, r)
		cw.finish()
	})
}

// Load reads the store now, if it has not been read. The desktop app calls it on a goroutine
// of its own as it starts, so the keyring read runs beside GTK's and WebKit's start-up rather
// than in front of the page's first API request (issue #21, item 2).
func (j *Jar) Load() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.loadLocked()
}

// SignedIn reports whether the jar holds a session cookie. The session may have ended on
// the server since (a timeout leaves the cookie until the next login or logout).
func (j *Jar) SignedIn() bool { return j.current() != "" }

// current returns the cookie pair to send, reading the store on first use.
func (j *Jar) current() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.loadLocked()
	return j.pair
}

func (j *Jar) loadLocked() {
	if j.loaded {
		return
	}
	j.loaded = true
	secret, err := j.store.Get()
	switch {
	case errors.Is(err, ErrNoSession):
		return
	case err != nil:
		j.logger.Error("read the saved session; you will need to log in again", "err", err)
		return
	}
	if !j.validPair(secret) {
		// Not something this jar wrote: drop it rather than send it to the backend.
		j.logger.Warn("the saved session is not in the expected form; forgetting it")
		j.deleteLocked()
		return
	}
	j.pair = secret
}

// validPair says whether s is "name=value" with one of the jar's names and a cookie-safe value.
func (j *Jar) validPair(s string) bool {
	name, value, ok := strings.Cut(s, "=")
	if !ok || !slices.Contains(j.names, name) || value == "" {
		return false
	}
	// Only parsed, never sent: the attributes G124 asks for belong to the backend's Set-Cookie.
	c := &http.Cookie{Name: name, Value: value} //nolint:gosec // G124: a parse check, not a cookie that is set
	return c.Valid() == nil && c.String() == s
}

// capture takes every Set-Cookie out of hdr before the page can see it, and applies the
// session cookie's to the store. sent is the pair the request carried.
func (j *Jar) capture(hdr http.Header, sent string) {
	lines := hdr.Values("Set-Cookie")
	if len(lines) == 0 {
		return
	}
	// The webview would not keep any cookie, and the session token must never reach the
	// page, so no Set-Cookie passes through, whatever its name.
	hdr.Del("Set-Cookie")
	for _, line := range lines {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			j.logger.Warn("ignored a malformed Set-Cookie from the backend")
			continue
		}
		if !slices.Contains(j.names, c.Name) {
			j.logger.Debug("dropped a Set-Cookie the jar does not keep", "cookie", c.Name)
			continue
		}
		if j.cleared(c) {
			j.forget(sent)
		} else {
			j.keep(c.Name + "=" + c.Value)
		}
	}
}

// cleared says whether the backend is removing the cookie rather than setting it (RFC 6265
// §5.2.2: Max-Age <= 0 expires it at once; §5.2.1: an Expires in the past likewise).
func (j *Jar) cleared(c *http.Cookie) bool {
	return c.Value == "" || c.MaxAge < 0 || (c.MaxAge == 0 && !c.Expires.IsZero() && !c.Expires.After(j.now()))
}

func (j *Jar) keep(pair string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.loadLocked()
	if pair == j.pair {
		return
	}
	j.pair = pair
	if err := j.store.Set(pair); err != nil {
		// The session still works for this run from memory.
		j.logger.Error("save the session; you will need to log in again next time", "err", err)
	}
}

// forget deletes the session, but only if it is still the one the request was sent with: a
// slow request answered "signed out" must not undo a login that finished meanwhile.
func (j *Jar) forget(sent string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.loadLocked()
	if j.pair != sent || j.pair == "" {
		return
	}
	j.deleteLocked()
}

func (j *Jar) deleteLocked() {
	j.pair = ""
	if err := j.store.Delete(); err != nil {
		j.logger.Error("delete the saved session", "err", err)
	}
}

// captureWriter runs capture on the response headers once, just before they are written.
type captureWriter struct {
	http.ResponseWriter
	capture func(http.Header)
	done    bool
}

func (w *captureWriter) finish() {
	if !w.done {
		w.done = true
		w.capture(w.Header())
	}
}

func (w *captureWriter) WriteHeader(code int) {
	if code >= 200 {
		w.finish()
		w.ResponseWriter.WriteHeader(code)
		return
	}
	// 1xx responses are informational; the final header is still to come, and the jar acts
	// on it alone. An interim answer goes out with the header map as it is, so its cookies
	// are held back from it, and put back for the final answer, where net/http would leave
	// them (a 1xx does not clear the map).
	hdr := w.Header()
	cookies, held := hdr["Set-Cookie"]
	delete(hdr, "Set-Cookie")
	w.ResponseWriter.WriteHeader(code)
	if held {
		hdr["Set-Cookie"] = cookies
	}
}

func (w *captureWriter) Write(b []byte) (int, error) {
	w.finish()
	return w.ResponseWriter.Write(b)
}

// Flush keeps streaming responses working through the jar.
func (w *captureWriter) Flush() {
	w.finish()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
