package desktop

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/sessionjar"
	"github.com/nhs-passkeys/companion/backend/session"
)

func TestOriginFromWebview(t *testing.T) {
	tests := []struct {
		name            string
		method          string
		origin, referer string
		wantOrigin      string
	}{
		{name: "a WebKitGTK POST with neither Origin nor Referer gets the webview's origin", method: "POST", wantOrigin: "wails://wails"},
		{name: "a WebKitGTK POST from the app's page gets the webview's origin", method: "POST", referer: "wails://wails/account/security", wantOrigin: "wails://wails"},
		{name: "a DELETE from the app's page gets the webview's origin", method: "DELETE", referer: "wails://wails/", wantOrigin: "wails://wails"},
		{name: "an Origin sent by WebView2 is kept", method: "POST", origin: "http://wails.localhost", wantOrigin: "http://wails.localhost"},
		{name: "a foreign Origin is kept so the backend refuses it", method: "POST", origin: "https://evil.example", referer: "wails://wails/", wantOrigin: "https://evil.example"},
		{name: "a POST from a foreign page takes that page's origin so the backend refuses it", method: "POST", referer: "https://evil.example/attack", wantOrigin: "https://evil.example"},
		{name: "an unreadable Referer is not taken for the app's page", method: "POST", referer: "::not a url", wantOrigin: "null"},
		{name: "a GET is left as it is", method: "GET", referer: "wails://wails/", wantOrigin: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := originFromWebview(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("Origin") }), changesState)
			req := httptest.NewRequestWithContext(t.Context(), tt.method, "wails://wails/api/logout", nil)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.referer != "" {
				req.Header.Set("Referer", tt.referer)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got != tt.wantOrigin {
				t.Errorf("Origin = %q, want %q", got, tt.wantOrigin)
			}
		})
	}
}

// The device endpoints check the Origin of reads too (docs/api.md): their GETs get the
// webview's, by the same rules; other reads are left as they are.
func TestOriginFromWebviewOnDeviceReads(t *testing.T) {
	tests := []struct {
		name, method, path, referer, wantOrigin string
	}{
		{"a GET of the device endpoints from the app's page gets the webview's origin", "GET", "/api/device/keys", "wails://wails/keys", "wails://wails"},
		{"a HEAD of the device endpoints gets the webview's origin", "HEAD", "/api/device/keys", "", "wails://wails"},
		{"a GET of the device endpoints from a foreign page takes that page's origin", "GET", "/api/device/keys", "https://evil.example/", "https://evil.example"},
		{"a GET of the backend is left as it is", "GET", "/api/session", "wails://wails/", ""},
		{"a POST is not a read (changesState gives it its Origin)", "POST", "/api/device/keys", "wails://wails/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := originFromWebview(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("Origin") }), readsDevice)
			req := httptest.NewRequestWithContext(t.Context(), tt.method, "wails://wails"+tt.path, nil)
			if tt.referer != "" {
				req.Header.Set("Referer", tt.referer)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got != tt.wantOrigin {
				t.Errorf("Origin = %q, want %q", got, tt.wantOrigin)
			}
		})
	}
}

// Rule: the webview's origins are one list that no caller can change.
func TestWebviewOriginsCannotBeChangedByACaller(t *testing.T) {
	got := WebviewOrigins()
	if len(got) != 2 || got[0] != "wails://wails" || got[1] != "http://wails.localhost" {
		t.Fatalf("WebviewOrigins() = %q", got)
	}
	got[0] = "https://evil.example"
	_ = append(got[:1], "https://evil.example")
	if again := WebviewOrigins(); again[0] != "wails://wails" || again[1] != "http://wails.localhost" {
		t.Errorf("a caller changed the webview's origins: %q", again)
	}
}

// blockedStore is a session store whose read does not return until released: a keyring
// that is slow to answer.
type blockedStore struct {
	sessionjar.MemoryStore
	release chan struct{}
}

func (b *blockedStore) Get() (string, error) {
	<-b.release
	return b.MemoryStore.Get()
}

// Issue #21, item 2: the window's first page needs only the frontend's files, so they are
// answered while the keyring is still being read; every API request carries the session and
// so waits for the read.
func TestTheFrontendsFilesDoNotWaitForTheKeyring(t *testing.T) {
	store := &blockedStore{release: make(chan struct{})}
	defer close(store.release)
	jar := sessionjar.New(store, nil, "nhsp_session")
	var cookies atomic.Value
	backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cookies.Store(r.Header.Get("Cookie"))
		w.WriteHeader(http.StatusOK)
	})
	app := filesWithoutSession(jar.Wrap(backend), backend)
	serve := func(method, path string) <-chan int {
		done := make(chan int, 1)
		go func() {
			req := httptest.NewRequestWithContext(t.Context(), method, "wails://wails"+path, nil)
			req.Header.Set("Cookie", "nhsp_session=made-up-by-the-page")
			rec := httptest.NewRecorder()
			app.ServeHTTP(rec, req)
			done <- rec.Code
		}()
		return done
	}

	tests := []struct {
		name, method, path string
		waits              bool
	}{
		{name: "the page itself is answered at once", method: "GET", path: "/", waits: false},
		{name: "a script of the page is answered at once", method: "GET", path: "/assets/index.js", waits: false},
		{name: "a HEAD of a file is answered at once", method: "HEAD", path: "/index.html", waits: false},
		{name: "an API read waits for the session", method: "GET", path: "/api/session", waits: true},
		{name: "the bare API path waits for the session", method: "GET", path: "/api", waits: true},
		{name: "a POST outside the API goes through the jar", method: "POST", path: "/", waits: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			select {
			case <-serve(tt.method, tt.path):
				if tt.waits {
					t.Fatal("answered before the keyring was read")
				}
				if got := cookies.Load(); got != "" {
					t.Errorf("the page's own Cookie header %q reached the backend", got)
				}
			case <-time.After(300 * time.Millisecond):
				if !tt.waits {
					t.Fatal("a file of the frontend waited for the keyring")
				}
			}
		})
	}
}

func TestDecideNavigation(t *testing.T) {
	const (
		allow  = navigationAllow
		ignore = navigationIgnore
		open   = navigationOpenInBrowser
	)
	tests := []struct {
		name         string
		uri          string
		newWindow    bool
		usual, kiosk navigationDecision
	}{
		{name: "the app's start page, which Wails loads itself, loads", uri: "wails://wails/", usual: allow, kiosk: allow},
		{name: "another page of the app loads", uri: "wails://wails/help?x=1#top", usual: allow, kiosk: allow},
		{name: "the app's page on a development server's host loads", uri: "wails://wails.localhost:34115/", usual: allow, kiosk: allow},
		{name: "the empty page a web view starts with loads", uri: "about:blank", usual: allow, kiosk: allow},
		{name: "a website goes to the system browser, or nowhere in kiosk mode", uri: "https://help.login.nhs.uk/", usual: open, kiosk: ignore},
		{name: "a plain http website goes to the system browser, or nowhere in kiosk mode", uri: "http://example.com/a", usual: open, kiosk: ignore},
		{name: "a website's scheme in capitals is still a website", uri: "HTTPS://example.com/", usual: open, kiosk: ignore},
		{name: "a website in a new window goes to the system browser, or nowhere in kiosk mode", uri: "https://www.nhs.uk/", newWindow: true, usual: open, kiosk: ignore},
		{name: "a page of the app in a new window opens nothing (the window has no way back)", uri: "wails://wails/help", newWindow: true, usual: ignore, kiosk: ignore},
		{name: "an empty page in a new window opens nothing", uri: "about:blank", newWindow: true, usual: ignore, kiosk: ignore},
		{name: "a file is neither loaded nor opened", uri: "file:///etc/passwd", usual: ignore, kiosk: ignore},
		{name: "an email address is neither loaded nor opened", uri: "mailto:someone@example.com", usual: ignore, kiosk: ignore},
		{name: "a script address is neither loaded nor opened", uri: "javascript:alert(1)", usual: ignore, kiosk: ignore},
		{name: "a data address is neither loaded nor opened", uri: "data:text/html,<h1>NHS login</h1>", usual: ignore, kiosk: ignore},
		{name: "an http address without a host is not a website", uri: "https:///path", usual: ignore, kiosk: ignore},
		{name: "another about: page is not the app's", uri: "about:srcdoc", usual: ignore, kiosk: ignore},
		{name: "an address that cannot be read is refused", uri: "https://exa mple.com/%zz", usual: ignore, kiosk: ignore},
		{name: "no address at all is refused", uri: "", usual: ignore, kiosk: ignore},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decideNavigation(tt.uri, tt.newWindow, false); got != tt.usual {
				t.Errorf("outside kiosk mode: %d, want %d", got, tt.usual)
			}
			if got := decideNavigation(tt.uri, tt.newWindow, true); got != tt.kiosk {
				t.Errorf("in kiosk mode: %d, want %d", got, tt.kiosk)
			}
		})
	}
}

func TestNavigationGuardOpensAWebsiteInTheSystemBrowserOnlyOutsideKioskMode(t *testing.T) {
	for _, kiosk := range []bool{false, true} {
		opened := make(chan string, 4)
		g := &navigationGuard{kiosk: kiosk, logger: slog.New(slog.DiscardHandler), openInBrowser: func(url string) { opened <- url }}
		if !g.allow("wails://wails/help", false) {
			t.Errorf("kiosk %v: the app's own page was refused", kiosk)
		}
		if g.allow("https://help.login.nhs.uk/", false) || g.allow("https://www.nhs.uk/", true) || g.allow("mailto:a@example.com", false) {
			t.Errorf("kiosk %v: the window was let leave the app", kiosk)
		}
		var got []string
		if !kiosk {
			for range 2 {
				select {
				case url := <-opened:
					got = append(got, url)
				case <-time.After(5 * time.Second):
					t.Fatalf("the system browser was asked for %q only", got)
				}
			}
			slices.Sort(got)
			if want := []string{"https://help.login.nhs.uk/", "https://www.nhs.uk/"}; !slices.Equal(got, want) {
				t.Errorf("the system browser was asked for %q, want %q", got, want)
			}
		}
		select {
		case url := <-opened:
			t.Errorf("kiosk %v: the system browser was also asked for %q", kiosk, url)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// A logout that fails (the backend answers 500 because its database is away, or 503 while
// it is still starting), or that is accepted without the cookie being cleared, must not
// leave the person signed in: they asked to leave, so the
// shell forgets the session all the same (fail closed, as the fleet's app does when its
// server fails or cannot be reached: app/remoterp). A refused logout (4xx: another origin)
// ends nothing. The backend here is a stand-in that only answers with a status.
func TestALogoutForgetsTheSessionHereUnlessItIsRefused(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		status     int
		wantForgot bool
	}{
		{"a logout the backend fails", http.MethodPost, "/api/logout", http.StatusInternalServerError, true},
		// A fleet's server (or a proxy in front of it that strips cookies) that accepts the
		// logout without clearing its cookie: the session ended there, and ends here too.
		{"a logout accepted without a cookie that clears the session", http.MethodPost, "/api/logout", http.StatusOK, true},
		{"a logout while the backend is still starting", http.MethodPost, "/api/logout", http.StatusServiceUnavailable, true},
		{"a logout from another origin, refused", http.MethodPost, "/api/logout", http.StatusForbidden, false},
		{"another request that fails", http.MethodPost, "/api/passkeys/rename", http.StatusInternalServerError, false},
		{"a read that fails", http.MethodGet, "/api/session", http.StatusInternalServerError, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := sessionjar.NewMemoryStore()
			if err := store.Set(session.CookieName + "=the-session"); err != nil {
				t.Fatal(err)
			}
			jar := sessionjar.New(store, nil, session.CookieName, session.SecureCookieName)
			failing := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(`{"error":{"code":"internal_error","message":"Sorry"}}`))
			})
			rec := httptest.NewRecorder()
			webviewHandler(jar, failing).ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), tt.method, "wails://wails"+tt.path, nil))
			res := rec.Result()
			defer res.Body.Close()
			if res.StatusCode != tt.status {
				t.Errorf("the page got %d, want the backend's %d", res.StatusCode, tt.status)
			}
			if forgot := !jar.SignedIn(); forgot != tt.wantForgot {
				t.Errorf("session forgotten: %v, want %v", forgot, tt.wantForgot)
			}
			if c := res.Header.Values("Set-Cookie"); len(c) != 0 {
				t.Errorf("the page was given Set-Cookie %q", c)
			}
		})
	}
}
