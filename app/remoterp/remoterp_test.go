package remoterp_test

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/nhs-passkeys/companion/app/remoterp"
	"github.com/nhs-passkeys/companion/app/sessionjar"
	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/session"
	"github.com/nhs-passkeys/companion/internal/testkit"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

// The webview's origins, as app/desktop has them (the page's first).
var pageOrigins = []string{"wails://wails", "http://wails.localhost"}

// localPage is the frontend built into the app, unlike the relying party's (testserver's).
var localPage = fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>the app's own page</title>")}}

// remote is a real relying party as `serve` runs it (backend.New, on https://localhost with
// a certificate from the test's own CA), recording the headers of each request it gets.
type remote struct {
	origin string
	srv    *testserver.Server
	ca     *testkit.CA

	stop func() // the server stops answering: nothing listens any more

	mu   sync.Mutex
	seen []http.Header
}

func startRemote(t *testing.T) *remote {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("a TCP listener has the address %T", ln.Addr())
	}
	rp := &remote{origin: fmt.Sprintf("https://localhost:%d", addr.Port), ca: testkit.NewCA(t)}
	rp.srv = testserver.New(t, testserver.WithConfig(func(c *backend.Config) { c.Origin = rp.origin }))
	// The refused handshakes of the TLS tests are expected: not logged.
	hs := &http.Server{ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0), Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rp.mu.Lock()
		rp.seen = append(rp.seen, r.Header.Clone())
		rp.mu.Unlock()
		rp.srv.Handler.ServeHTTP(w, r)
	})}
	go func() { _ = hs.Serve(tls.NewListener(ln, rp.ca.ServerConfig(t, "localhost"))) }()
	rp.stop = func() { hs.Close() }
	t.Cleanup(rp.stop)
	return rp
}

func (rp *remote) requests() []http.Header {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	return append([]http.Header(nil), rp.seen...)
}

// app is the desktop app's handler as app/desktop builds it around the client: the session
// jar (memory only, as in kiosk mode) outside, then the client.
type app struct {
	handler http.Handler
	jar     *sessionjar.Jar
	store   *sessionjar.MemoryStore
	logs    *testkit.Buffer
}

func newApp(t *testing.T, cfg remoterp.Config) *app {
	t.Helper()
	logs := &testkit.Buffer{}
	cfg.PageOrigins = pageOrigins
	cfg.Frontend = localPage
	cfg.Logger = slog.New(slog.NewTextHandler(logs, nil))
	client, err := remoterp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	store := sessionjar.NewMemoryStore()
	jar := sessionjar.New(store, nil, session.CookieName, session.SecureCookieName)
	return &app{handler: jar.Wrap(client.Handler()), jar: jar, store: store, logs: logs}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) code(t *testing.T) string {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal([]byte(a.body), &e); err != nil {
		t.Fatalf("the answer %q is not the API's error shape: %v", a.body, err)
	}
	return e.Error.Code
}

// do sends a request as the webview does: to wails://wails, with the page's origin on a
// change, and whatever headers set adds.
func (a *app) do(t *testing.T, method, path, body string, set ...func(http.Header)) answer {
	t.Helper()
	var r *http.Request
	if body == "" {
		r = httptest.NewRequestWithContext(t.Context(), method, "http://wails"+path, nil)
	} else {
		r = httptest.NewRequestWithContext(t.Context(), method, "http://wails"+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	r.Host = "wails"
	if method != http.MethodGet {
		r.Header.Set("Origin", pageOrigins[0])
	}
	for _, s := range set {
		s(r.Header)
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, r)
	return answer{rec.Code, rec.Header(), rec.Body.String()}
}

const signUp = `{"email":"pat@example.com","password":"correct horse battery staple"}`

// The shell is the relying party's client: the page's calls reach it with its own origin,
// its session cookie stays in the shell's jar and never reaches the page, and what the page
// itself sends as a cookie is never sent on.
func TestThePagesCallsReachTheRelyingPartyAndItsCookieStaysInTheShell(t *testing.T) {
	rp := startRemote(t)
	a := newApp(t, remoterp.Config{Address: rp.origin, CAFile: rp.ca.File, Kiosk: true, System: "linux"})

	res := a.do(t, http.MethodPost, "/api/accounts", signUp, func(h http.Header) {
		h.Set("Cookie", session.SecureCookieName+"=made-up-by-the-page")
		h.Set("Referer", "wails://wails/create-account")
		h.Set("Sec-Fetch-Site", "same-origin")
	})
	if res.status != http.StatusCreated {
		t.Fatalf("create an account through the shell: %d %s", res.status, res.body)
	}
	if got := rp.srv.Count(`SELECT count(*) FROM accounts WHERE email = 'pat@example.com'`); got != 1 {
		t.Fatalf("the relying party has %d accounts for the email, want 1", got)
	}
	if c := res.header.Values("Set-Cookie"); len(c) != 0 {
		t.Errorf("the page was given Set-Cookie %q", c)
	}
	pair, err := a.store.Get()
	if err != nil || !strings.HasPrefix(pair, session.SecureCookieName+"=") || strings.Contains(res.body, strings.TrimPrefix(pair, session.SecureCookieName+"=")) {
		t.Fatalf("the jar should hold the relying party's %s cookie and the page never see it: %q, %v", session.SecureCookieName, pair, err)
	}

	seen := rp.requests()[0]
	if got := seen.Get("Origin"); got != rp.origin {
		t.Errorf("the relying party got Origin %q, want its own %q", got, rp.origin)
	}
	if got := seen.Values("Cookie"); len(got) != 0 {
		t.Errorf("the page's own cookie was sent on (before any session): %q", got)
	}
	for _, name := range []string{"Referer", "Sec-Fetch-Site", "X-Forwarded-For", "X-Forwarded-Host"} {
		if v := seen.Get(name); v != "" {
			t.Errorf("the relying party got %s: %q; the shell, not the webview, is its client", name, v)
		}
	}

	// The next call carries the jar's cookie, not the page's, and the session is the one made.
	res = a.do(t, http.MethodGet, "/api/session", "", func(h http.Header) {
		h.Set("Cookie", session.SecureCookieName+"=made-up-by-the-page")
		h.Set(session.PeekHeader, "1")
	})
	if res.status != http.StatusOK || !strings.Contains(res.body, `"signedIn":true`) || !strings.Contains(res.body, "pat@example.com") {
		t.Fatalf("the session through the shell: %d %s", res.status, res.body)
	}
	seen = rp.requests()[1]
	if got := seen.Get("Cookie"); got != pair {
		t.Errorf("the relying party got Cookie %q, want the jar's", got)
	}
	if seen.Get(session.PeekHeader) != "1" {
		t.Errorf("Session-Peek was not sent on")
	}

	// Logging out at the relying party empties the jar.
	if res = a.do(t, http.MethodPost, "/api/logout", "{}"); res.status != http.StatusOK || len(res.header.Values("Set-Cookie")) != 0 {
		t.Fatalf("log out: %d %s %q", res.status, res.body, res.header.Values("Set-Cookie"))
	}
	if a.jar.SignedIn() {
		t.Error("the jar still holds the session after the relying party ended it")
	}
	if got := rp.srv.Count(`SELECT count(*) FROM sessions`); got != 0 {
		t.Errorf("the relying party still has %d sessions after logging out", got)
	}
}

// What the shell answers itself: the page, its config (device ceremonies for the relying
// party's RP ID), and nothing of another origin.
func TestTheShellAnswersThePageAndItsConfigAndRefusesOtherOrigins(t *testing.T) {
	rp := startRemote(t)
	a := newApp(t, remoterp.Config{Address: rp.origin, CAFile: rp.ca.File, Kiosk: true, System: "linux"})

	tests := []struct {
		name         string
		method, path string
		body         string
		set          func(http.Header)
		status       int
		contains     string
	}{
		{"the page is the app's own, not the relying party's", http.MethodGet, "/", "", nil, http.StatusOK, "the app's own page"},
		{"a page's address is the app's own page too", http.MethodGet, "/login", "", nil, http.StatusOK, "the app's own page"},
		{"the config says device ceremonies, kiosk, the system and the relying party's RP ID", http.MethodGet, "/api/config", "", nil, http.StatusOK,
			`{"ceremonies":"device","rpId":"localhost","kiosk":true,"system":"linux"}`},
		{"a device path the shell does not have is not sent on", http.MethodGet, "/api/device/nothing", "", nil, http.StatusNotFound, `"not_found"`},
		{"another origin is refused", http.MethodPost, "/api/accounts", signUp, func(h http.Header) { h.Set("Origin", "https://evil.example") },
			http.StatusForbidden, `"origin_not_allowed"`},
		{"the relying party's origin from the page is refused too", http.MethodPost, "/api/accounts", signUp, func(h http.Header) { h.Set("Origin", rp.origin) },
			http.StatusForbidden, `"origin_not_allowed"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var set []func(http.Header)
			if tt.set != nil {
				set = append(set, tt.set)
			}
			res := a.do(t, tt.method, tt.path, tt.body, set...)
			if res.status != tt.status || !strings.Contains(res.body, tt.contains) {
				t.Errorf("%s %s: %d %s, want %d with %s", tt.method, tt.path, res.status, res.body, tt.status, tt.contains)
			}
		})
	}
	if n := len(rp.requests()); n != 0 {
		t.Errorf("the relying party got %d requests; none of these is its", n)
	}
	if got := rp.srv.Count(`SELECT count(*) FROM accounts`); got != 0 {
		t.Errorf("a refused request made %d accounts", got)
	}
}

// An address the app would reach without knowing it is the relying party (no TLS, the
// wrong certificate) or not at all gives the page relying_party_unreachable, in the API's
// error shape, while the page itself still loads; the cause goes to the log.
func TestARelyingPartyThatCannotBeReachedGivesThePageACode(t *testing.T) {
	rp := startRemote(t)
	closed := func() string {
		ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}()
	// A server that takes the connection and never answers.
	silent, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	var held []net.Conn
	var heldMu sync.Mutex
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			heldMu.Lock()
			held = append(held, c)
			heldMu.Unlock()
		}
	}()
	t.Cleanup(func() {
		heldMu.Lock()
		defer heldMu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	// A server whose certificate, from the trusted CA, names another host.
	other := httptest.NewUnstartedServer(rp.srv.Handler)
	other.TLS = rp.ca.ServerConfig(t, "passkeys.example.org")
	other.Config.ErrorLog = log.New(io.Discard, "", 0)
	other.StartTLS()
	t.Cleanup(other.Close)
	_, otherPort, _ := net.SplitHostPort(other.Listener.Addr().String())
	elsewhere := "https://localhost:" + otherPort
	// A server that sends its headers and the start of an API answer, then nothing more
	// (a stalled proxy, an overloaded server), and one that sends more than any API answer.
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	halfAnswer := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"signedIn":`)
		_ = http.NewResponseController(w).Flush()
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	}))
	huge := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"padding":"`+strings.Repeat("x", 2<<20)+`"}`)
	}))
	var stalledAt, hugeAt string
	for _, srv := range []struct {
		s    *httptest.Server
		port *string
	}{{halfAnswer, &stalledAt}, {huge, &hugeAt}} {
		srv.s.TLS = rp.ca.ServerConfig(t, "localhost")
		srv.s.EnableHTTP2 = true // as a fleet's proxy most likely speaks, and the client asks for
		srv.s.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.s.StartTLS()
		t.Cleanup(srv.s.Close)
		_, port, _ := net.SplitHostPort(srv.s.Listener.Addr().String())
		*srv.port = "https://localhost:" + port
	}
	_, silentPort, _ := net.SplitHostPort(silent.Addr().String())
	_, closedPort, _ := net.SplitHostPort(closed)

	tests := []struct {
		name   string
		cfg    remoterp.Config
		inLog  string
		status int
	}{
		{"a certificate from a CA the system does not trust, with no CA file", remoterp.Config{Address: rp.origin}, "certificate", http.StatusBadGateway},
		{"a certificate for another name (it names passkeys.example.org, not localhost)", remoterp.Config{Address: elsewhere, CAFile: rp.ca.File},
			"certificate", http.StatusBadGateway},
		{"nothing listening", remoterp.Config{Address: "https://localhost:" + closedPort, CAFile: rp.ca.File}, "connection refused", http.StatusBadGateway},
		{"a server that never answers", remoterp.Config{Address: "https://localhost:" + silentPort, CAFile: rp.ca.File, Timeout: 300 * time.Millisecond},
			"timeout", http.StatusBadGateway},
		{"a server that sends half an answer and stops", remoterp.Config{Address: stalledAt, CAFile: rp.ca.File, Timeout: 300 * time.Millisecond},
			"did not arrive whole", http.StatusBadGateway},
		{"an answer larger than any of the API's", remoterp.Config{Address: hugeAt, CAFile: rp.ca.File},
			"not the relying party's API", http.StatusBadGateway},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(t, tt.cfg)
			start := time.Now()
			res := a.do(t, http.MethodPost, "/api/login/password", signUp, func(h http.Header) {
				h.Set("Cookie", "ignored=1")
			})
			if res.status != tt.status {
				t.Fatalf("got %d %s, want %d", res.status, res.body, tt.status)
			}
			if time.Since(start) > 5*time.Second {
				t.Errorf("the answer took %v", time.Since(start))
			}
			if code := res.code(t); code != "relying_party_unreachable" {
				t.Errorf("code %q, want relying_party_unreachable", code)
			}
			if !strings.Contains(res.body, "cannot connect to the NHS login passkeys service") {
				t.Errorf("the message does not say what happened: %s", res.body)
			}
			if cc := res.header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("the refusal's Cache-Control is %q, want no-store", cc)
			}
			if logs := a.logs.String(); !strings.Contains(logs, "relying_party_unreachable") || !strings.Contains(logs, tt.inLog) ||
				strings.Contains(logs, "correct horse") || strings.Contains(logs, "ignored=1") {
				t.Errorf("the log should give the cause (%q) and nothing sent:\n%s", tt.inLog, logs)
			}
			if page := a.do(t, http.MethodGet, "/", ""); page.status != http.StatusOK || !strings.Contains(page.body, "the app's own page") {
				t.Errorf("the page should still load: %d %s", page.status, page.body)
			}
		})
	}
}

// The relying party's answers keep their own headers, once: the shell's edge adds none.
func TestTheRelyingPartysHeadersAreSentOnce(t *testing.T) {
	rp := startRemote(t)
	a := newApp(t, remoterp.Config{Address: rp.origin, CAFile: rp.ca.File})
	res := a.do(t, http.MethodGet, "/api/session", "")
	if res.status != http.StatusOK {
		t.Fatalf("%d %s", res.status, res.body)
	}
	for _, name := range []string{"Content-Security-Policy", "Cache-Control", "X-Frame-Options"} {
		if v := res.header.Values(name); len(v) != 1 {
			t.Errorf("%s is sent %d times: %q", name, len(v), v)
		}
	}
}

// The address must be the relying party's origin and nothing else, over https (http only to
// this computer); the CA file must hold a certificate. Each refusal says what to write and
// has a stable code.
func TestBadRelyingPartySettingsAreRefusedWithACode(t *testing.T) {
	dir := t.TempDir()
	notPEM := dir + "/not.pem"
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := testkit.NewCA(t)
	tests := []struct {
		name, address, caFile string
		code                  string // "" accepted
		origin                string // when accepted
	}{
		{"an https origin is accepted", "https://passkeys.example.org", "", "", "https://passkeys.example.org"},
		{"a port is kept and the host lower-cased", "https://Passkeys.Example.org:8443", "", "", "https://passkeys.example.org:8443"},
		{"a lone slash is the origin", "https://passkeys.example.org/", "", "", "https://passkeys.example.org"},
		{"http to localhost is accepted", "http://localhost:8080", "", "", "http://localhost:8080"},
		{"http to a name under .localhost is accepted", "http://kiosk.localhost:8080", "", "", "http://kiosk.localhost:8080"},
		{"a name in another script is written in its ASCII form, as browsers send it", "https://bücher.example", "", "", "https://xn--bcher-kva.example"},
		{"http to 127.0.0.1 is refused: passkeys cannot belong to an IP address", "http://127.0.0.1:8080", "", remoterp.AddressInvalid, ""},
		{"http to ::1 is refused too", "http://[::1]:8080", "", remoterp.AddressInvalid, ""},
		{"an https IP address is refused", "https://192.0.2.10", "", remoterp.AddressInvalid, ""},
		{"an IPv6 address with a zone is refused", "https://[fe80::1%25eth0]", "", remoterp.AddressInvalid, ""},
		{"a host name ending in a dot is refused", "https://passkeys.example.org.", "", remoterp.AddressInvalid, ""},
		{"a host name that is not a domain name is refused", "https://passkeys_.example..org", "", remoterp.AddressInvalid, ""},
		{"https's own port is left out, as browsers send the origin", "https://passkeys.example.org:443", "", "", "https://passkeys.example.org"},
		{"http's own port is left out too", "http://localhost:80", "", "", "http://localhost"},
		{"a port's leading zeros are dropped", "https://passkeys.example.org:08443", "", "", "https://passkeys.example.org:8443"},
		{"the scheme in capitals is read", "HTTPS://passkeys.example.org", "", "", "https://passkeys.example.org"},
		{"http to another loopback address is refused (only the three names)", "http://127.0.0.2:8080", "", remoterp.AddressInvalid, ""},
		{"a CA file is read", "https://passkeys.example.org", ca.File, "", "https://passkeys.example.org"},
		{"http to another host is refused", "http://passkeys.example.org", "", remoterp.AddressInvalid, ""},
		{"http to a name that only begins localhost is refused", "http://localhost.example.org", "", remoterp.AddressInvalid, ""},
		{"http to a private address is refused", "http://10.0.0.5:8080", "", remoterp.AddressInvalid, ""},
		{"a path is refused", "https://passkeys.example.org/api", "", remoterp.AddressInvalid, ""},
		{"a query is refused", "https://passkeys.example.org?x=1", "", remoterp.AddressInvalid, ""},
		{"an empty query is refused", "https://passkeys.example.org?", "", remoterp.AddressInvalid, ""},
		{"a fragment is refused", "https://passkeys.example.org#top", "", remoterp.AddressInvalid, ""},
		{"an empty fragment is refused", "https://passkeys.example.org#", "", remoterp.AddressInvalid, ""},
		{"a user name is refused", "https://admin@passkeys.example.org", "", remoterp.AddressInvalid, ""},
		{"a password is refused", "https://admin:hunter2@passkeys.example.org", "", remoterp.AddressInvalid, ""},
		{"another scheme is refused", "ftp://passkeys.example.org", "", remoterp.AddressInvalid, ""},
		{"no scheme is refused", "passkeys.example.org", "", remoterp.AddressInvalid, ""},
		{"no host is refused", "https://", "", remoterp.AddressInvalid, ""},
		{"an empty address is refused", "", "", remoterp.AddressInvalid, ""},
		{"spaces around it are refused", " https://passkeys.example.org", "", remoterp.AddressInvalid, ""},
		{"a port out of range is refused", "https://passkeys.example.org:70000", "", remoterp.AddressInvalid, ""},
		{"an empty port is refused", "https://passkeys.example.org:", "", remoterp.AddressInvalid, ""},
		{"a CA file that is not there is refused", "https://passkeys.example.org", dir + "/missing.pem", remoterp.CAInvalid, ""},
		{"a CA file with no certificate is refused", "https://passkeys.example.org", notPEM, remoterp.CAInvalid, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, err := remoterp.New(remoterp.Config{Address: tt.address, CAFile: tt.caFile, PageOrigins: pageOrigins, Frontend: localPage})
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				defer client.Close()
				if client.Origin() != tt.origin {
					t.Errorf("origin %q, want %q", client.Origin(), tt.origin)
				}
				return
			}
			var setup *remoterp.SetupError
			if !errors.As(err, &setup) || setup.ErrorCode() != tt.code {
				t.Fatalf("got %v, want a refusal with code %s", err, tt.code)
			}
			if tt.code == remoterp.AddressInvalid && !strings.Contains(err.Error(), "https://passkeys.example.org") {
				t.Errorf("the refusal %q does not say what to write", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the refusal repeats the password: %v", err)
			}
		})
	}
}

// A kiosk's idle timeout is the shell's to keep: a session unused for longer ends, at the
// relying party and in the jar, though the relying party's own timeout is longer; the page
// is told the shorter time in Session-Idle-Ends-In, and a peek does not count as use.
func TestTheShellsIdleTimeoutEndsASessionTheRelyingPartyWouldKeep(t *testing.T) {
	rp := startRemote(t)
	clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	a := newApp(t, remoterp.Config{Address: rp.origin, CAFile: rp.ca.File, Kiosk: true, IdleTimeout: 5 * time.Minute,
		Now: clock.Now})
	peek := func(h http.Header) { h.Set(session.PeekHeader, "1") }

	res := a.do(t, http.MethodPost, "/api/accounts", signUp)
	if res.status != http.StatusCreated {
		t.Fatalf("sign up: %d %s", res.status, res.body)
	}
	res = a.do(t, http.MethodGet, "/api/session", "")
	if got := res.header.Get(session.IdleEndsInHeader); got != "300" {
		t.Errorf("after a use the page should be told 300 seconds (the shell's 5 minutes, not the server's longer time), is told %q", got)
	}
	clock.Advance(4 * time.Minute)
	res = a.do(t, http.MethodGet, "/api/session", "", peek)
	if !strings.Contains(res.body, `"signedIn":true`) || res.header.Get(session.IdleEndsInHeader) != "60" {
		t.Fatalf("a peek 4 minutes later: %s with %s=%q, want signed in with 60 seconds left", res.body, session.IdleEndsInHeader, res.header.Get(session.IdleEndsInHeader))
	}
	clock.Advance(61 * time.Second) // a peek is not use: 5 minutes and 1 second since the sign-up
	res = a.do(t, http.MethodGet, "/api/session", "", peek)
	if res.status != http.StatusOK || !strings.Contains(res.body, `"signedIn":false`) {
		t.Fatalf("the session should have ended after 5 idle minutes: %d %s", res.status, res.body)
	}
	if a.jar.SignedIn() {
		t.Error("the jar still holds the idle session")
	}
	if c := res.header.Values("Set-Cookie"); len(c) != 0 {
		t.Errorf("the page was given Set-Cookie %q", c)
	}
	if got := rp.srv.Count(`SELECT count(*) FROM sessions`); got != 0 {
		t.Errorf("the relying party still has %d sessions: the shell should have logged out there", got)
	}
}

// A logout, or an idle session's end, that cannot reach the relying party still forgets the
// session here: nobody at this computer can use it afterwards (fail closed).
func TestASessionIsForgottenHereWhenTheRelyingPartyCannotBeTold(t *testing.T) {
	for _, how := range []string{"the page logs out", "the session goes idle"} {
		t.Run(how, func(t *testing.T) {
			rp := startRemote(t)
			clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
			a := newApp(t, remoterp.Config{Address: rp.origin, CAFile: rp.ca.File, Kiosk: true, IdleTimeout: 5 * time.Minute,
				Now: clock.Now, Timeout: time.Second})
			if res := a.do(t, http.MethodPost, "/api/accounts", signUp); res.status != http.StatusCreated {
				t.Fatalf("sign up: %d %s", res.status, res.body)
			}
			rp.stop()
			var res answer
			if how == "the page logs out" {
				res = a.do(t, http.MethodPost, "/api/logout", "{}")
			} else {
				clock.Advance(6 * time.Minute)
				res = a.do(t, http.MethodGet, "/api/session", "")
			}
			if res.status != http.StatusBadGateway || res.code(t) != "relying_party_unreachable" {
				t.Fatalf("got %d %s, want 502 relying_party_unreachable", res.status, res.body)
			}
			if a.jar.SignedIn() {
				t.Error("the jar still holds the session")
			}
			if c := res.header.Values("Set-Cookie"); len(c) != 0 {
				t.Errorf("the page was given Set-Cookie %q", c)
			}
		})
	}
}

// The fleet's TLS proxy is up but no replica behind it is: the proxy answers with a page of
// its own (nginx's 502 Bad Gateway in HTML, a 503 maintenance page, a captive portal's 200).
// None of that is the relying party's API, whose every answer is JSON, so the page gets
// relying_party_unreachable, as if nothing had answered, and none of the front's headers
// (a cookie of its own, say) reach the shell's jar or the page.
func TestAProxysOwnPageWithNoServerBehindItCountsAsUnreachable(t *testing.T) {
	ca := testkit.NewCA(t)
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
	}{
		{"nginx's 502 Bad Gateway page", http.StatusBadGateway, "text/html", "<html><body><center><h1>502 Bad Gateway</h1></center></body></html>"},
		{"a 503 maintenance page in plain text", http.StatusServiceUnavailable, "text/plain; charset=utf-8", "Service Unavailable"},
		{"a 504 from a load balancer with no Content-Type", http.StatusGatewayTimeout, "", ""},
		{"a captive portal's sign-in page, answered 200", http.StatusOK, "text/html; charset=utf-8", "<html>Sign in to the Wi-Fi</html>"},
		{"a proxy's own 404 for a host it does not serve", http.StatusNotFound, "text/html", "<h1>Not Found</h1>"},
		{"JSON in the wrong media type", http.StatusOK, "text/plain", `{"signedIn":true}`},
		// The API never redirects (docs/api.md), so a 3xx in JSON is someone else's too.
		{"a redirect in JSON to a sign-in elsewhere", http.StatusFound, "application/json", `{"signedIn":true}`},
		{"a permanent redirect in JSON", http.StatusPermanentRedirect, "application/json", `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			address := startFront(t, ca, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				http.SetCookie(w, &http.Cookie{Name: session.CookieName, Value: "from-the-proxy", Path: "/"})
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			a := newApp(t, remoterp.Config{Address: address, CAFile: ca.File})

			res := a.do(t, http.MethodPost, "/api/login/password", signUp)
			if res.status != http.StatusBadGateway {
				t.Fatalf("got %d %s, want 502", res.status, res.body)
			}
			if code := res.code(t); code != "relying_party_unreachable" {
				t.Errorf("code %q, want relying_party_unreachable", code)
			}
			if got := res.header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
				t.Errorf("the page got Content-Type %q, not the API's JSON", got)
			}
			if a.jar.SignedIn() {
				t.Error("the proxy's own cookie was kept as the session")
			}
			if got := res.header.Values("Set-Cookie"); len(got) != 0 {
				t.Errorf("a cookie reached the page: %q", got)
			}
			if logs := a.logs.String(); !strings.Contains(logs, "not the relying party's API") || strings.Contains(logs, "correct horse") {
				t.Errorf("the log should say the answer was not the API's, and nothing sent:\n%s", logs)
			}
			if got := a.do(t, http.MethodGet, "/api/session", ""); got.status != http.StatusBadGateway {
				t.Errorf("GET /api/session got %d %s, want 502", got.status, got.body)
			}
		})
	}
}

// A fleet's kiosk page learns the kiosk's own idle timeout from the config the shell answers
// (it ends a visit nobody has logged in to after that long too); an app that is not a kiosk
// says nothing of it.
func TestTheConfigGivesAKiosksIdleTimeout(t *testing.T) {
	rp := startRemote(t)
	for _, tt := range []struct {
		name string
		cfg  remoterp.Config
		want string
	}{
		{"a kiosk", remoterp.Config{Kiosk: true, IdleTimeout: 5 * time.Minute, System: "linux"},
			`{"ceremonies":"device","rpId":"localhost","kiosk":true,"system":"linux","idleTimeout":300}`},
		{"a staff desktop", remoterp.Config{IdleTimeout: 5 * time.Minute, System: "linux"},
			`{"ceremonies":"device","rpId":"localhost","kiosk":false,"system":"linux"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Address, tt.cfg.CAFile = rp.origin, rp.ca.File
			got := newApp(t, tt.cfg).do(t, http.MethodGet, "/api/config", "")
			if got.status != http.StatusOK || strings.TrimSpace(got.body) != tt.want {
				t.Fatalf("GET /api/config = %d %s, want %s", got.status, got.body, tt.want)
			}
		})
	}
}

// An interim answer (103 Early Hints, which CDNs and proxies in front of a fleet send, or a
// 100 Continue) is not the relying party's answer: the webview's writers (Wails) can send no
// interim response, so a 1xx passed on would become the page's final status, with its
// headers (a cookie among them) and the real answer's body. The page gets the final answer,
// and the session kept is the final answer's.
func TestAnInterimAnswerFromTheRelyingPartyIsNotThePagesAnswer(t *testing.T) {
	ca := testkit.NewCA(t)
	for _, code := range []int{http.StatusEarlyHints, http.StatusProcessing} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			address := startFront(t, ca, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Link", "</app.css>; rel=preload; as=style")
				w.Header().Set("Set-Cookie", session.CookieName+"=from-the-hint; Path=/")
				w.WriteHeader(code)
				w.Header().Del("Link")
				w.Header().Set("Set-Cookie", session.CookieName+"=the-session; Path=/; HttpOnly")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(w, `{"signedIn":true}`)
			}))
			a := newApp(t, remoterp.Config{Address: address, CAFile: ca.File})

			r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "http://wails/api/login/password", strings.NewReader(signUp))
			r.Host = "wails"
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("Origin", pageOrigins[0])
			rec := httptest.NewRecorder()
			a.handler.ServeHTTP(rec, r)
			res := rec.Result() // the status and headers as first written
			defer res.Body.Close()

			if res.StatusCode != http.StatusOK || rec.Body.String() != `{"signedIn":true}` {
				t.Fatalf("the page got %d %q, want the final 200 answer", res.StatusCode, rec.Body.String())
			}
			if got := res.Header.Values("Set-Cookie"); len(got) != 0 {
				t.Errorf("a cookie reached the page: %q", got)
			}
			if got, _ := a.store.Get(); got != session.CookieName+"=the-session" {
				t.Errorf("the jar keeps %q, want the final answer's session", got)
			}
		})
	}
}

// A session the shell ends because it went idle is forgotten by the jar even when a proxy in
// front of the fleet sends an interim answer (103 Early Hints) first: ReverseProxy empties
// the answer's headers after one, and the jar must still be told on the final answer.
func TestAnIdleSessionIsForgottenThoughAnInterimAnswerCameFirst(t *testing.T) {
	ca := testkit.NewCA(t)
	address := startFront(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</app.css>; rel=preload; as=style")
		w.WriteHeader(http.StatusEarlyHints) // on every answer, as some CDNs do
		w.Header().Del("Link")
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/accounts":
			w.Header().Set("Set-Cookie", session.CookieName+"=the-session; Path=/; HttpOnly")
			w.WriteHeader(http.StatusCreated)
			_, _ = io.WriteString(w, `{"account":{"email":"pat@example.com"}}`)
		case "/api/logout":
			_, _ = io.WriteString(w, `{"signedIn":false}`) // no clearing cookie: the shell must not need it
		default:
			_, _ = io.WriteString(w, `{"signedIn":false}`)
		}
	}))
	clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	a := newApp(t, remoterp.Config{Address: address, CAFile: ca.File, Kiosk: true, IdleTimeout: 5 * time.Minute, Now: clock.Now})

	if res := a.do(t, http.MethodPost, "/api/accounts", signUp); res.status != http.StatusCreated || !a.jar.SignedIn() {
		t.Fatalf("sign up: %d %s (jar signed in: %v)", res.status, res.body, a.jar.SignedIn())
	}
	clock.Advance(6 * time.Minute)
	res := a.do(t, http.MethodGet, "/api/session", "")
	if res.status != http.StatusOK || !strings.Contains(res.body, `"signedIn":false`) {
		t.Fatalf("after 6 idle minutes: %d %s", res.status, res.body)
	}
	if a.jar.SignedIn() {
		t.Error("the jar still holds the session the shell ended as idle")
	}
	if c := res.header.Values("Set-Cookie"); len(c) != 0 {
		t.Errorf("the page was given Set-Cookie %q", c)
	}
}

// startFront serves h over TLS with a certificate from ca for localhost, as a fleet's front
// (its relying party, or a proxy in front of it) would, and returns its address.
func startFront(t *testing.T, ca *testkit.CA, h http.Handler) string {
	t.Helper()
	front := httptest.NewUnstartedServer(h)
	front.TLS = ca.ServerConfig(t, "localhost")
	front.Config.ErrorLog = log.New(io.Discard, "", 0)
	front.StartTLS()
	t.Cleanup(front.Close)
	_, port, _ := net.SplitHostPort(front.Listener.Addr().String())
	return "https://localhost:" + port
}

// A logout the relying party answers with a failure of its own (500 internal_error, a 503
// while its database is away) has not ended the session there either: as when it cannot be
// reached, the session is forgotten here (fail closed), so nobody at this computer (the
// next patient at a kiosk) can go on with it. A refusal (4xx) is not a failure: a logout
// from another origin, refused, must not sign the person out.
func TestASessionIsForgottenHereWhenTheRelyingPartyFailsTheLogout(t *testing.T) {
	ca := testkit.NewCA(t)
	tests := []struct {
		name       string
		status     int
		code       string
		wantForgot bool
	}{
		{"an internal error", http.StatusInternalServerError, "internal_error", true},
		{"a relying party that is not ready", http.StatusServiceUnavailable, "not_started", true},
		{"a refusal of the request's origin", http.StatusForbidden, "origin_not_allowed", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			address := startFront(t, ca, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if r.URL.Path == "/api/logout" {
					w.WriteHeader(tt.status)
					fmt.Fprintf(w, `{"error":{"code":%q,"message":"Sorry"}}`, tt.code)
					return
				}
				http.SetCookie(w, &http.Cookie{Name: session.CookieName, Value: "the-session", Path: "/", HttpOnly: true})
				w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(w, `{"signedIn":true}`)
			}))
			a := newApp(t, remoterp.Config{Address: address, CAFile: ca.File})

			a.do(t, http.MethodPost, "/api/login/password", signUp)
			if !a.jar.SignedIn() {
				t.Fatal("the login's session was not kept")
			}
			res := a.do(t, http.MethodPost, "/api/logout", "{}")
			if res.status != tt.status || res.code(t) != tt.code {
				t.Errorf("the page got %d %s, want the relying party's %d %s", res.status, res.body, tt.status, tt.code)
			}
			if forgot := !a.jar.SignedIn(); forgot != tt.wantForgot {
				t.Errorf("session forgotten here: %v, want %v", forgot, tt.wantForgot)
			}
			if c := res.header.Values("Set-Cookie"); len(c) != 0 {
				t.Errorf("the page was given Set-Cookie %q", c)
			}
		})
	}
}
