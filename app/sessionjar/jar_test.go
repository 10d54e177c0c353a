package sessionjar

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// The backend's cookie names (backend/session); the jar is given them by the desktop shell.
const (
	testName       = "nhsp_session"
	testSecureName = "__Host-nhsp_session"
)

// fakeBackend answers like the backend: /login sets a session cookie, /logout clears it, and
// every response reports the Cookie header it received.
type fakeBackend struct {
	mu      sync.Mutex
	cookies []string // Cookie header of each request, in order
}

func (b *fakeBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	b.cookies = append(b.cookies, strings.Join(r.Header.Values("Cookie"), "; "))
	b.mu.Unlock()
	switch r.URL.Path {
	case "/login":
		http.SetCookie(w, &http.Cookie{Name: testName, Value: r.URL.Query().Get("token"), Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	case "/login-secure":
		http.SetCookie(w, &http.Cookie{Name: testSecureName, Value: "securetoken", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	case "/logout":
		http.SetCookie(w, &http.Cookie{Name: testName, Value: "", Path: "/", MaxAge: -1})
	case "/logout-expires":
		w.Header().Add("Set-Cookie", testName+"=gone; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
	case "/logout-empty":
		w.Header().Add("Set-Cookie", testName+"=; Path=/")
	case "/other-cookie":
		http.SetCookie(w, &http.Cookie{Name: "tracking", Value: "abc", Path: "/"})
	case "/header-only":
		// No WriteHeader, no Write: net/http sends the header when the handler returns.
		http.SetCookie(w, &http.Cookie{Name: testName, Value: "quiet", Path: "/"})
		return
	case "/stream":
		http.SetCookie(w, &http.Cookie{Name: testName, Value: "streamed", Path: "/"})
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, "part one;")
		if err := http.NewResponseController(w).Flush(); err != nil {
			http.Error(w, "flush: "+err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "part two")
		return
	}
	fmt.Fprintf(w, "cookie=%s", r.Header.Get("Cookie"))
}

func (b *fakeBackend) lastCookie() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cookies[len(b.cookies)-1]
}

type step struct {
	path        string
	pageCookie  string // a Cookie header the page tries to send
	wantBackend string // the Cookie header the backend must see
	wantStored  string // the store's secret afterwards ("" = nothing stored)
}

func TestJarKeepsTheSessionAwayFromThePage(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{
			name: "a login cookie is stored and sent with the next request",
			steps: []step{
				{path: "/login?token=t1", wantBackend: "", wantStored: testName + "=t1"},
				{path: "/api/session", wantBackend: testName + "=t1", wantStored: testName + "=t1"},
			},
		},
		{
			name: "a cookie made up by the page never reaches the backend",
			steps: []step{
				{path: "/api/session", pageCookie: testName + "=forged", wantBackend: ""},
				{path: "/login?token=t1", pageCookie: "x=1", wantBackend: "", wantStored: testName + "=t1"},
				{path: "/api/session", pageCookie: testName + "=forged", wantBackend: testName + "=t1", wantStored: testName + "=t1"},
			},
		},
		{
			name: "a new login replaces the old session (rotation)",
			steps: []step{
				{path: "/login?token=t1", wantStored: testName + "=t1"},
				{path: "/login?token=t2", wantBackend: testName + "=t1", wantStored: testName + "=t2"},
				{path: "/api/session", wantBackend: testName + "=t2", wantStored: testName + "=t2"},
			},
		},
		{
			name: "logout with Max-Age=0 deletes the session",
			steps: []step{
				{path: "/login?token=t1", wantStored: testName + "=t1"},
				{path: "/logout", wantBackend: testName + "=t1", wantStored: ""},
				{path: "/api/session", wantBackend: ""},
			},
		},
		{
			name: "a cookie that expired in the past deletes the session",
			steps: []step{
				{path: "/login?token=t1", wantStored: testName + "=t1"},
				{path: "/logout-expires", wantBackend: testName + "=t1", wantStored: ""},
			},
		},
		{
			name: "a cookie with an empty value deletes the session",
			steps: []step{
				{path: "/login?token=t1", wantStored: testName + "=t1"},
				{path: "/logout-empty", wantBackend: testName + "=t1", wantStored: ""},
			},
		},
		{
			name: "the __Host- cookie used over HTTPS is kept under its own name",
			steps: []step{
				{path: "/login-secure", wantStored: testSecureName + "=securetoken"},
				{path: "/api/session", wantBackend: testSecureName + "=securetoken", wantStored: testSecureName + "=securetoken"},
			},
		},
		{
			name: "a cookie the jar does not keep is dropped, not stored",
			steps: []step{
				{path: "/other-cookie", wantStored: ""},
				{path: "/api/session", wantBackend: ""},
			},
		},
		{
			name: "a response with neither status nor body still has its cookie captured",
			steps: []step{
				{path: "/header-only", wantStored: testName + "=quiet"},
			},
		},
		{
			name: "a streamed response is flushed through the jar and its cookie captured",
			steps: []step{
				{path: "/stream", wantStored: testName + "=streamed"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend := &fakeBackend{}
			store := NewMemoryStore()
			srv := httptest.NewServer(New(store, nil, testName, testSecureName).Wrap(backend))
			t.Cleanup(srv.Close)

			for _, s := range tt.steps {
				resp := get(t, srv.URL+s.path, s.pageCookie)
				if got := resp.Header.Values("Set-Cookie"); len(got) != 0 {
					t.Fatalf("%s: the page saw Set-Cookie %q", s.path, got)
				}
				if got := backend.lastCookie(); got != s.wantBackend {
					t.Errorf("%s: backend got Cookie %q, want %q", s.path, got, s.wantBackend)
				}
				if got := storedSecret(t, store); got != s.wantStored {
					t.Errorf("%s: store holds %q, want %q", s.path, got, s.wantStored)
				}
			}
		})
	}
}

func TestJarStreamsTheBodyUnchanged(t *testing.T) {
	srv := httptest.NewServer(New(NewMemoryStore(), nil, testName).Wrap(&fakeBackend{}))
	t.Cleanup(srv.Close)
	resp := get(t, srv.URL+"/stream", "")
	if string(resp.body) != "part one;part two" {
		t.Fatalf("body = %q", resp.body)
	}
}

func TestJarSessionSurvivesARestart(t *testing.T) {
	store := NewMemoryStore() // stands in for the keyring, which outlives the process
	backend := &fakeBackend{}

	first := httptest.NewServer(New(store, nil, testName).Wrap(backend))
	get(t, first.URL+"/login?token=t1", "")
	first.Close()

	second := httptest.NewServer(New(store, nil, testName).Wrap(backend))
	t.Cleanup(second.Close)
	get(t, second.URL+"/api/session", "")
	if got := backend.lastCookie(); got != testName+"=t1" {
		t.Fatalf("after a restart the backend got Cookie %q, want the saved session", got)
	}
}

func TestJarForgetsAStoredValueItDidNotWrite(t *testing.T) {
	tests := []struct {
		name   string
		stored string
	}{
		{"a value without a name is not sent", "justatoken"},
		{"a cookie of another name is not sent", "other=abc"},
		{"a value that would inject a second cookie is not sent", testName + "=a; admin=1"},
		{"an empty token is not sent", testName + "="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := NewMemoryStore()
			if err := store.Set(tt.stored); err != nil {
				t.Fatal(err)
			}
			backend := &fakeBackend{}
			srv := httptest.NewServer(New(store, nil, testName).Wrap(backend))
			t.Cleanup(srv.Close)
			get(t, srv.URL+"/api/session", "")
			if got := backend.lastCookie(); got != "" {
				t.Errorf("backend got Cookie %q, want none", got)
			}
			if got := storedSecret(t, store); got != "" {
				t.Errorf("store still holds %q", got)
			}
		})
	}
}

// A request that started before a login and is answered "signed out" afterwards must not
// sign the person out of the session they just made.
func TestJarASlowSignedOutAnswerDoesNotUndoANewerLogin(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{})
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow-logout":
			close(arrived)
			<-release
			http.SetCookie(w, &http.Cookie{Name: testName, MaxAge: -1})
		case "/login":
			http.SetCookie(w, &http.Cookie{Name: testName, Value: r.URL.Query().Get("token")})
		}
	})
	store := NewMemoryStore()
	srv := httptest.NewServer(New(store, nil, testName).Wrap(backend))
	t.Cleanup(srv.Close)

	get(t, srv.URL+"/login?token=old", "")
	slowDone := make(chan struct{})
	go func() {
		defer close(slowDone)
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/slow-logout", nil)
		if err != nil {
			t.Error(err)
			return
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-arrived
	get(t, srv.URL+"/login?token=new", "")
	close(release)
	<-slowDone

	if got := storedSecret(t, store); got != testName+"=new" {
		t.Fatalf("store holds %q, want the newer login", got)
	}
}

func TestJarIsSafeForConcurrentRequests(t *testing.T) {
	store := NewMemoryStore()
	srv := httptest.NewServer(New(store, nil, testName).Wrap(&fakeBackend{}))
	t.Cleanup(srv.Close)

	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			path := "/api/session"
			switch i % 4 {
			case 0:
				path = fmt.Sprintf("/login?token=t%d", i)
			case 1:
				path = "/logout"
			}
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
			if err != nil {
				t.Error(err)
				return
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
				t.Errorf("the page saw Set-Cookie %q", sc)
			}
		})
	}
	wg.Wait()
	if got := storedSecret(t, store); got != "" && !strings.HasPrefix(got, testName+"=t") {
		t.Fatalf("store holds %q", got)
	}
}

func TestJarNeverLogsTheToken(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	store := NewFallbackStore(failingStore{}, logger)
	srv := httptest.NewServer(New(store, logger, testName).Wrap(&fakeBackend{}))
	t.Cleanup(srv.Close)

	get(t, srv.URL+"/login?token=SECRETTOKEN", "")
	get(t, srv.URL+"/other-cookie", "")
	get(t, srv.URL+"/logout", "")
	if strings.Contains(logs.String(), "SECRETTOKEN") {
		t.Fatalf("the token was logged:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "keyring is not available") {
		t.Fatalf("no warning about the keyring was logged:\n%s", logs.String())
	}
}

type response struct {
	*http.Response
	body []byte
}

func get(t *testing.T, url, cookie string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp, body}
}

func storedSecret(t *testing.T, s Store) string {
	t.Helper()
	secret, err := s.Get()
	if errors.Is(err, ErrNoSession) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// failingStore is a keyring that is never there.
type failingStore struct{}

//nolint:staticcheck // ST1005: the D-Bus error's own words, as go-keyring passes them on
var errNoKeyring = errors.New("The name org.freedesktop.secrets was not provided by any .service files")

func (failingStore) Get() (string, error) { return "", errNoKeyring }
func (failingStore) Set(string) error     { return errNoKeyring }
func (failingStore) Delete() error        { return errNoKeyring }

// An interim answer's headers (a 1xx written before the final answer) never carry a cookie
// to the page: the jar acts on the final answer only, and takes every Set-Cookie out of an
// interim one, whose header map the handler may have filled already.
func TestAnInterimAnswerCarriesNoCookieToThePage(t *testing.T) {
	store := NewMemoryStore()
	h := New(store, nil, testName).Wrap(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Link", "</app.css>; rel=preload; as=style")
		http.SetCookie(w, &http.Cookie{Name: testName, Value: "early", Path: "/"})
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Set-Cookie")
		http.SetCookie(w, &http.Cookie{Name: testName, Value: "final", Path: "/"})
		w.WriteHeader(http.StatusOK)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/api/login", nil))
	res := rec.Result() // the headers as the first (interim) answer carried them
	defer res.Body.Close()
	if got := res.Header.Values("Set-Cookie"); len(got) != 0 {
		t.Errorf("the interim answer carried %q to the page", got)
	}
	if got := storedSecret(t, store); got != testName+"=final" {
		t.Errorf("the jar keeps %q, want the final answer's session", got)
	}
}
