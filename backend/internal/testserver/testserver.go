// Package testserver runs the whole backend handler for tests, in process (no TCP), with a
// fake clock, cheap password hashing, a cookie-keeping client and a second connection to
// the same database file so a test can check what was (or was not) stored.
package testserver

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/session"
	"github.com/nhs-passkeys/companion/backend/store"
)

// Origin is the RP origin tests run with.
const Origin = "http://localhost:8080"

// CheapHashing makes argon2id fast enough for tests. Never use it elsewhere.
func CheapHashing() account.HashParams {
	return account.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Clock is a settable clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testLog sends the backend's log to the test's log (shown for failed tests and with -v).
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// Server is a running backend.
type Server struct {
	t       testing.TB
	Backend *backend.Server
	Handler http.Handler
	DB      *sql.DB // a separate connection to the same file, for checking what is stored
	Clock   *Clock
	Config  backend.Config
}

// Option changes how the server is built.
type Option func(*settings)

type settings struct {
	cfg  backend.Config
	opts []backend.Option
}

// WithConfig edits the backend configuration before the server starts.
func WithConfig(edit func(*backend.Config)) Option {
	return func(s *settings) { edit(&s.cfg) }
}

// WithOptions adds backend options.
func WithOptions(opts ...backend.Option) Option {
	return func(s *settings) { s.opts = append(s.opts, opts...) }
}

// Frontend is the stand-in built frontend the server serves.
func Frontend() fstest.MapFS {
	return fstest.MapFS{
		"index.html":    {Data: []byte("<!doctype html><title>NHS passkeys</title>")},
		"assets/app.js": {Data: []byte("console.log('app')")},
	}
}

// New starts a backend in a fresh t.TempDir() and closes it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	clock := &Clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	st := settings{
		cfg: backend.Config{
			DataDir:    t.TempDir(),
			Origin:     Origin,
			Ceremonies: "browser",
			Frontend:   Frontend(),
			Logger:     slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
			Now:        clock.Now,
		},
		opts: []backend.Option{backend.WithPasswordHashing(CheapHashing())},
	}
	for _, o := range opts {
		o(&st)
	}
	srv, err := backend.New(t.Context(), st.cfg, st.opts...)
	if err != nil {
		t.Fatalf("start backend: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	db, err := store.Open(t.Context(), filepath.Join(st.cfg.DataDir, store.FileName))
	if err != nil {
		t.Fatalf("open backend database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return &Server{t: t, Backend: srv, Handler: srv.Handler(), DB: db, Clock: clock, Config: st.cfg}
}

// Count runs a SELECT count(*) ... query on the database.
func (s *Server) Count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.DB.QueryRowContext(s.t.Context(), query, args...).Scan(&n); err != nil {
		s.t.Fatalf("count %q: %v", query, err)
	}
	return n
}

// Client is a browser stand-in: it sends the RP origin on every request and keeps the
// session cookie the server sets.
type Client struct {
	s      *Server
	Origin string       // sent as the Origin header ("" sends none)
	Cookie *http.Cookie // the session cookie, nil when signed out
}

// Client returns a new signed-out client.
func (s *Server) Client() *Client {
	return &Client{s: s, Origin: Origin}
}

// Response is what came back.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request. body is JSON-encoded unless it is a string or []byte (sent as is);
// nil sends no body.
func (c *Client) Do(method, path string, body any, edit ...func(*http.Request)) *Response {
	c.s.t.Helper()
	var reader io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		reader = bytes.NewReader([]byte(b))
	case []byte:
		reader = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.s.t.Fatalf("encode body: %v", err)
		}
		reader = bytes.NewReader(raw)
	}
	req := httptest.NewRequestWithContext(c.s.t.Context(), method, path, reader)
	if reader != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Origin != "" {
		req.Header.Set("Origin", c.Origin)
	}
	if c.Cookie != nil {
		req.AddCookie(&http.Cookie{Name: c.Cookie.Name, Value: c.Cookie.Value})
	}
	for _, e := range edit {
		e(req)
	}
	rec := httptest.NewRecorder()
	c.s.Handler.ServeHTTP(rec, req)
	res := rec.Result()
	for _, ck := range res.Cookies() {
		if ck.Name != session.CookieName && ck.Name != session.SecureCookieName {
			continue
		}
		if ck.MaxAge < 0 || ck.Value == "" {
			c.Cookie = nil
		} else {
			c.Cookie = ck
		}
	}
	return &Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// Get sends a GET.
func (c *Client) Get(path string) *Response {
	c.s.t.Helper()
	return c.Do(http.MethodGet, path, nil)
}

// Post sends a POST with a JSON body.
func (c *Client) Post(path string, body any) *Response {
	c.s.t.Helper()
	return c.Do(http.MethodPost, path, body)
}

// Decode reads the JSON body into v.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode response %s: %v", r.Body, err)
	}
}

// ErrorBody is the API's error answer.
type ErrorBody struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// Err decodes an error answer ({} when the body is not one).
func (r *Response) Err() ErrorBody {
	var e ErrorBody
	_ = json.Unmarshal(r.Body, &e)
	return e
}

// Code is the error code of an error answer, or "".
func (r *Response) Code() string { return r.Err().Error.Code }

// SignUp creates an account through the API and leaves the client signed in.
func (c *Client) SignUp(email, password string) {
	c.s.t.Helper()
	res := c.Post("/api/accounts", map[string]string{"email": email, "password": password})
	if res.Status != http.StatusCreated {
		c.s.t.Fatalf("sign up %s: %d %s", email, res.Status, res.Body)
	}
}
