//go:build cgo && !windows

package device_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The desktop webview's origins (app/desktop.WebviewOrigins): wails://wails on Linux and
// macOS, http://wails.localhost on Windows (WebView2). Wails' AssetServer makes each request
// for the page's URL, so Request.Host is "wails" or "wails.localhost".
var webviewOrigins = []string{"wails://wails", "http://wails.localhost"}

// hostRequest is a request from the app's page with Host host and Content-Type contentType
// ("" sends none); body is sent as it is.
func hostRequest(t *testing.T, method, path, host, contentType, body string) *http.Request {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, path, strings.NewReader(body))
	req.Host = host
	req.Header.Set("Origin", pageOrigin)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// Rule: the server answers only for its own host name, in the desktop app as in `serve`:
// the device endpoints and the backend behind them answer the webview's host names (and the
// RP origin's, as the backend does), and 421 misdirected_request to any other, with nothing
// changed and no authenticator touched.
func TestServerAnswersOnlyForItsOwnHostNameInTheDesktopApp(t *testing.T) {
	e := newEnv(t, setup{webviews: webviewOrigins})
	setPIN(t, e.key)
	e.signUp()
	reg := e.registerBegin()
	start, err := json.Marshal(map[string]any{"kind": "create", "authenticator": "virtual", "publicKey": reg.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	requests := []struct{ method, path, body string }{
		{"GET", "/api/device/authenticators", ""},
		{"GET", "/api/device/keys", ""},
		{"GET", "/api/device/tester", ""},
		{"POST", "/api/device/ceremonies", string(start)},
		{"POST", "/api/device/tester/next", `{"choice": "cancel"}`},
		{"POST", "/api/device/tester/reset", `{}`},
		{"POST", "/api/device/keys/virtual/replug", `{}`},
		{"GET", "/api/device/nothing-here", ""},
		{"GET", "/api/session", ""},
		{"GET", "/", ""},
		{"POST", "/api/accounts", `{"email": "sam@example.com", "password": "correct horse battery"}`},
		{"POST", "/api/logout", `{}`},
	}
	for _, host := range []string{
		"", "attacker.example", "attacker.example:8080", "wails:80", "wails:443", "wails.", "evil.wails", "wails.attacker.example",
		"wails.localhost:8080", "wails.localhost.", "x@wails", "wails@attacker.example", "127.0.0.1:8080", "127.0.0.1",
		"[::1]:8080", "localhost", "localhost.:8080", "wail\u017f", " wails",
	} {
		for _, rq := range requests {
			ct := ""
			if rq.body != "" {
				ct = "application/json"
			}
			r := e.send(e.h, hostRequest(t, rq.method, rq.path, host, ct, rq.body))
			if r.status != http.StatusMisdirectedRequest || r.code() != "misdirected_request" {
				t.Errorf("Host %q: %s %s = %d %s, want 421 misdirected_request", host, rq.method, rq.path, r.status, r.body)
			}
		}
	}
	// Nothing happened: no ceremony ran on the key, nothing was armed or reset, nobody was
	// signed up, and the person is still signed in.
	if n := len(e.key.Credentials()); n != 0 {
		t.Errorf("the key holds %d credentials", n)
	}
	if !e.signedIn() {
		t.Errorf("a refused logout signed the person out")
	}
	var tester struct {
		Tester struct {
			Next string `json:"next"`
		} `json:"tester"`
	}
	if err := json.Unmarshal(e.do("GET", "/api/device/tester", nil).body, &tester); err != nil || tester.Tester.Next != "ask-for-pin" {
		t.Errorf("the refused requests armed the virtual key: %+v %v", tester, err)
	}

	// The webview's own host names, in any case, and the RP origin's, are answered.
	for _, host := range []string{"wails", "WAILS", "wails.localhost", "Wails.Localhost:80", "localhost:8080"} {
		if r := e.send(e.h, hostRequest(t, "GET", "/api/device/authenticators", host, "", "")); r.status != http.StatusOK {
			t.Errorf("Host %q: GET /api/device/authenticators = %d %s", host, r.status, r.body)
		}
		if r := e.send(e.h, hostRequest(t, "GET", "/api/session", host, "", "")); r.status != http.StatusOK {
			t.Errorf("Host %q: GET /api/session = %d %s", host, r.status, r.body)
		}
	}
	if r := e.send(e.h, hostRequest(t, "POST", "/api/accounts", "wails", "application/json", `{"email": "sam@example.com", "password": "correct horse battery"}`)); r.status != http.StatusCreated {
		t.Errorf("sign up from the page after the refusals = %d %s (an account made by a refused request?)", r.status, r.body)
	}
}

// Rule: requests are exactly what the API says, in the desktop app's own endpoints too:
// bodies typed application/json, one name once, valid Unicode (a PIN included, read by the
// PIN-wiping decoder), and a second finish of a ceremony that worked answers ceremony_used.
func TestRequestsAreExactlyWhatTheAPISaysInTheDesktopApp(t *testing.T) {
	e := newEnv(t, setup{webviews: webviewOrigins})
	setPIN(t, e.key)
	e.signUp()
	reg := e.registerBegin()
	c := e.start("create", "virtual", reg.PublicKey)
	c = e.await(c.ID, "pin-needed")
	retries := *c.RetriesLeft
	stillWaiting := func(what string) {
		t.Helper()
		r := e.do("GET", "/api/device/ceremonies/"+c.ID, nil)
		now := ceremonyOf(t, r)
		if now.State != "pin-needed" || now.RetriesLeft == nil || *now.RetriesLeft != retries {
			t.Fatalf("%s: the ceremony is now %s", what, now)
		}
	}
	start, _ := json.Marshal(map[string]any{"kind": "get", "authenticator": "virtual", "publicKey": reg.PublicKey})
	pinPath := "/api/device/ceremonies/" + c.ID + "/pin"

	for _, rq := range []struct{ method, path, body string }{
		{"POST", "/api/device/ceremonies", string(start)},
		{"POST", pinPath, `{"pin": "` + pin + `"}`},
		{"POST", "/api/device/ceremonies/" + c.ID + "/cancel", `{}`},
		{"POST", "/api/device/tester/next", `{"choice": "cancel"}`},
		{"POST", "/api/device/keys/virtual/pin", `{"pin": "` + pin + `", "newPin": "135792"}`},
		{"POST", "/api/device/keys/virtual/passkeys/list", `{"pin": "` + pin + `"}`},
		{"POST", "/api/accounts", `{"email": "sam@example.com", "password": "correct horse battery"}`},
	} {
		for _, ct := range []string{"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
			"multipart/form-data; boundary=x", "application/jsonp", "application/json-seq", "application/json; charset=latin1"} {
			r := e.send(e.h, hostRequest(t, rq.method, rq.path, "wails", ct, rq.body))
			if r.status != http.StatusUnsupportedMediaType || r.code() != "unsupported_media_type" {
				t.Errorf("%s %s with Content-Type %q = %d %s, want 415 unsupported_media_type", rq.method, rq.path, ct, r.status, r.body)
			}
		}
	}
	stillWaiting("bodies of another type")

	// The PIN-wiping decoder keeps the rules too: which PIN was meant is never guessed.
	for _, body := range []string{
		`{"pin": "000000", "pin": "` + pin + `"}`,
		`{"pin": "` + pin + `", "pin": "` + pin + `"}`,
		`{"pin": "` + pin + `", "PIN": "000000"}`,
		`{"PIN": "` + pin + `"}`,
		`{"pin": "48291\ud800"}`,
		`{"pin": "\udc00` + pin + `"}`,
		"{\"pin\": \"48291\xff\"}",
		`{"pin": "` + pin + `", "\ud800": 1}`,
	} {
		r := e.send(e.h, hostRequest(t, "POST", pinPath, "wails", "application/json", body))
		if r.status != http.StatusBadRequest || r.code() != "invalid_request" {
			t.Errorf("PIN body %q = %d %s, want 400 invalid_request", body, r.status, r.body)
		}
	}
	stillWaiting("PIN bodies that could be read two ways")

	// Options with a name twice deep inside start nothing.
	twice := bytes.Replace(reg.PublicKey, []byte(`"rp":{`), []byte(`"rp":{"id":"example.org",`), 1)
	if bytes.Equal(twice, reg.PublicKey) {
		t.Fatalf("no rp in %s", reg.PublicKey)
	}
	body := `{"kind": "create", "authenticator": "virtual", "publicKey": ` + string(twice) + `}`
	if r := e.send(e.h, hostRequest(t, "POST", "/api/device/ceremonies", "wails", "application/json", body)); r.status != http.StatusBadRequest || r.code() != "invalid_request" {
		t.Errorf("options with the RP ID twice = %d %s", r.status, r.body)
	}
	stillWaiting("options with a name twice")

	// The set-up goes on, finishes, and a second finish (a double click) is told it worked.
	e.sendPIN(c.ID, pin)
	c = e.await(c.ID, "done")
	finish := map[string]any{"ceremony": reg.Ceremony, "credential": c.Credential}
	if r := e.do("POST", "/api/passkeys/register/finish", finish); r.status != http.StatusCreated {
		t.Fatalf("register finish: %d %s", r.status, r.body)
	}
	r := e.do("POST", "/api/passkeys/register/finish", finish)
	if r.status != http.StatusConflict || r.code() != "ceremony_used" ||
		!strings.Contains(string(r.body), "Your passkey is already set up") {
		t.Errorf("the second finish = %d %s, want 409 ceremony_used", r.status, r.body)
	}
	if n := e.passkeys(); n != 1 {
		t.Errorf("the account has %d passkeys, want 1", n)
	}

	// A login, finished twice: one session.
	e.logout()
	b := e.loginBegin(email)
	lc := e.start("get", "virtual", b.PublicKey)
	lc = e.withPIN(lc)
	login := map[string]any{"ceremony": b.Ceremony, "credential": lc.Credential}
	if r := e.do("POST", "/api/login/passkey/finish", login); r.status != http.StatusOK {
		t.Fatalf("login finish: %d %s", r.status, r.body)
	}
	cookie := e.cookie
	if r := e.do("POST", "/api/login/passkey/finish", login); r.status != http.StatusConflict || r.code() != "ceremony_used" {
		t.Errorf("the second login finish = %d %s, want 409 ceremony_used", r.status, r.body)
	}
	if e.cookie != cookie || !e.signedIn() {
		t.Errorf("the second login finish changed the session")
	}
}
