// Package testserver runs the whole backend handler for tests, in process (no TCP), with a
// fake clock, cheap password hashing, a cookie-keeping client and a second connection to
// the same database file so a test can check what was (or was not) stored.
package testserver

import (
	"bytes"
	"compress/gzip"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/session"
	"github.com/nhs-passkeys/companion/backend/store"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

// Origin is the RP origin tests run with.
const Origin = "http://localhost:8080"

// Host is Origin's host, the Host header a browser sends to it (the only one the server
// answers for: httpapi.OnlyHosts).
const Host = "localhost:8080"

// CheapHashing makes argon2id fast enough for tests. Never use it elsewhere.
func CheapHashing() account.HashParams {
	return account.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// testLog sends the backend's log to the test's log (shown for failed tests and with -v)
// and keeps it, so a test can check why a request was refused (Server.Logs).
type testLog struct {
	t   testing.TB
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.mu.Lock()
	l.buf.Write(p)
	l.mu.Unlock()
	l.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// Server is a running backend.
type Server struct {
	t       testing.TB
	Backend *backend.Server
	Handler http.Handler
	DB      *sql.DB // a separate connection to the same file, for checking what is stored
	Clock   *testkit.Clock
	Config  backend.Config
	log     testLog
}

// Logs is everything the backend has logged so far.
func (s *Server) Logs() string {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return s.log.buf.String()
}

// Option changes how the server is built.
type Option func(*settings)

type settings struct {
	cfg    backend.Config
	opts   []backend.Option
	engine store.Engine
}

// OnEngine runs the server on engine: store.SQLite (the default: a file in a fresh data
// folder) or store.Postgres (a fresh database in the test binary's PostgreSQL cluster; the
// package's TestMain must call store.RunTests).
func OnEngine(engine store.Engine) Option {
	return func(s *settings) { s.engine = engine }
}

// SameStorage gives every server built with it the same storage: one data folder and, on
// PostgreSQL, one database (made now, dropped when the test ends). A second server built
// with it after the first is closed is a restart.
func SameStorage(t testing.TB, engine store.Engine) Option {
	dir := t.TempDir()
	var database string
	if engine == store.Postgres {
		database = store.PostgresForTest(t)
	}
	return func(s *settings) { s.cfg.DataDir, s.cfg.Database, s.engine = dir, database, engine }
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
		// As frontend/scripts/compress-dist.mjs stores the build's styles.
		"assets/app.css.gz": {Data: gzipped("body{color:#212b32}")},
	}
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, _ = zw.Write([]byte(s))
	_ = zw.Close()
	return b.Bytes()
}

// New starts a backend in a fresh t.TempDir() and closes it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	logs := testLog{t: t, mu: &sync.Mutex{}, buf: &bytes.Buffer{}}
	st := settings{
		cfg: backend.Config{
			DataDir:    t.TempDir(),
			Origin:     Origin,
			Ceremonies: "browser",
			Frontend:   Frontend(),
			Logger:     slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
			Now:        clock.Now,
		},
		opts: []backend.Option{backend.WithPasswordHashing(CheapHashing())},
	}
	for _, o := range opts {
		o(&st)
	}
	if st.engine == store.Postgres && st.cfg.Database == "" {
		st.cfg.Database = store.PostgresForTest(t)
	}
	if _, err := os.Stat(filepath.Join(st.cfg.DataDir, store.FileName)); st.cfg.Database == "" && errors.Is(err, os.ErrNotExist) {
		store.PrepareForTest(t, st.cfg.DataDir) // a new data folder: start from the migrated template
	}
	srv, err := backend.New(t.Context(), st.cfg, st.opts...)
	if err != nil {
		t.Fatalf("start backend: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	var db *sql.DB
	if st.cfg.Database != "" {
		db, err = store.OpenPostgres(t.Context(), st.cfg.Database)
	} else {
		db, err = store.Open(t.Context(), filepath.Join(st.cfg.DataDir, store.FileName))
	}
	if err != nil {
		t.Fatalf("open backend database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return &Server{t: t, Backend: srv, Handler: srv.Handler(), DB: db, Clock: clock, Config: st.cfg, log: logs}
}

// Dump returns every row of the tables, in a stable order, as text: compare a dump taken
// before a refused request with one taken after to show that nothing changed.
func (s *Server) Dump(tables ...string) string {
	s.t.Helper()
	var out strings.Builder
	for _, table := range tables {
		out.WriteString(s.dumpTable(table))
	}
	return out.String()
}

// dumpTable is Dump for one table: its column names, then one line per row.
func (s *Server) dumpTable(table string) string {
	s.t.Helper()
	// In storage order on SQLite; PostgreSQL has no rowid, so there the lines are sorted.
	// The table names are the test's own constants (StateTables), never input.
	query := `SELECT * FROM ` + table + ` ORDER BY rowid` //nolint:gosec // G202: table is a test's constant, not input
	postgres := store.EngineOf(s.DB) == store.Postgres
	if postgres {
		query = `SELECT * FROM ` + table
	}
	rows, err := s.DB.QueryContext(s.t.Context(), query)
	if err != nil {
		s.t.Fatalf("dump %s: %v", table, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		s.t.Fatalf("dump %s: %v", table, err)
	}
	var lines []string
	for rows.Next() {
		values := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range values {
			ptrs[i] = &values[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			s.t.Fatalf("dump %s: %v", table, err)
		}
		var line strings.Builder
		line.WriteString(" ")
		for _, v := range values {
			if b, ok := v.([]byte); ok {
				fmt.Fprintf(&line, " x'%x'", b)
			} else {
				fmt.Fprintf(&line, " %v", v)
			}
		}
		lines = append(lines, line.String()+"\n")
	}
	// An unchecked Err would read a truncated table as a complete one, and a refused
	// request's dump would match for the wrong reason.
	if err := rows.Err(); err != nil {
		s.t.Fatalf("dump %s: %v", table, err)
	}
	if postgres {
		slices.Sort(lines)
	}
	return fmt.Sprintf("%s %v\n", table, cols) + strings.Join(lines, "")
}

// StateTables are the tables a refused request must leave exactly as they were. (Consumed
// ceremonies, audit events and failure counts are meant to change.)
var StateTables = []string{"accounts", "passkeys", "sessions", "reauth_proofs"}

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
	s          *Server
	Origin     string       // sent as the Origin header ("" sends none)
	Host       string       // sent as the Host header (Request.Host; "" sends none)
	Cookie     *http.Cookie // the session cookie, nil when signed out
	RemoteAddr string       // the client's address ("" keeps httptest's 192.0.2.1:1234)
}

// Client returns a new signed-out client.
func (s *Server) Client() *Client {
	host := Host
	if u, err := url.Parse(s.Config.Origin); err == nil && u.Host != "" {
		host = u.Host // a test that runs the server on another origin
	}
	return &Client{s: s, Origin: Origin, Host: host}
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
	req.Host = c.Host
	if reader != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Origin != "" {
		req.Header.Set("Origin", c.Origin)
	}
	if c.Cookie != nil {
		// A request cookie carries only its name and value; Secure, HttpOnly and SameSite
		// are attributes of the Set-Cookie that sent it.
		req.AddCookie(&http.Cookie{Name: c.Cookie.Name, Value: c.Cookie.Value}) //nolint:gosec // G124: a request's Cookie header, not a Set-Cookie
	}
	if c.RemoteAddr != "" {
		req.RemoteAddr = c.RemoteAddr
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

// DecodeJSON unmarshals raw into v or fails the test.
func DecodeJSON(t testing.TB, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}
