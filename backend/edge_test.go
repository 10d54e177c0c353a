package backend_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/passkey"
	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

// everyTable is every table a request could change: a refused request leaves them all as
// they were (used ceremonies, audit events, failure counts and lockouts included).
var everyTable = []string{"accounts", "passkeys", "sessions", "reauth_proofs", "ceremonies",
	"audit_events", "auth_failures", "lockouts"}

// Rule: the server answers only for its own host name. A page on another site whose name
// resolves to 127.0.0.1 (DNS rebinding) sends its requests with its own name in Host; they
// get 421 misdirected_request and change nothing, on every path.
func TestServerAnswersOnlyForItsOwnHostName(t *testing.T) {
	// The same hostile names, spelled for each server below.
	tests := []struct {
		name     string
		origin   string   // the RP origin the server runs on
		webview  bool     // the desktop app: the webview's origins are accepted too
		accepted []string // Host values answered
		refused  []string // Host values answered 421
	}{
		{
			name: "serve on http://localhost:8080", origin: "http://localhost:8080",
			accepted: []string{"localhost:8080", "LOCALHOST:8080", "LocalHost:8080"},
			refused: []string{
				"", // no Host at all (an HTTP/1.0 request, or an in-process one)
				"attacker.example", "attacker.example:8080", "localhost.attacker.example:8080", "sub.localhost:8080",
				"127.0.0.1:8080", "127.0.0.1", "[::1]:8080", "0.0.0.0:8080", "2130706433:8080", "127.1:8080",
				"localhost", "localhost:80", "localhost:8081", "localhost:08080", "localhost:", "localhost:8080:8080",
				"localhost.:8080", "localhost.", "localhost:8080.",
				"user@localhost:8080", "localhost:8080@attacker.example", "localhost%3A8080", "localhost:8080/", " localhost:8080",
				"localhost:8080 ", "localhost\t:8080",
				"localhoſt:8080",           // U+017F, which Unicode case folding takes for "s"
				"wails", "wails.localhost", // the desktop webview's: not in serve
			},
		},
		{
			name: "serve on an origin without a port (https://passkeys.example.org)", origin: "https://passkeys.example.org",
			accepted: []string{"passkeys.example.org", "passkeys.example.org:443", "PASSKEYS.Example.ORG"},
			refused: []string{
				"", "attacker.example", "passkeys.example.org:80", "passkeys.example.org:8443", "passkeys.example.org.",
				"passkeys.example.org.:443", "www.passkeys.example.org", "example.org", "passkeys.example.org:0443",
				"passkeys.example.org:443:443", "localhost", "127.0.0.1:443",
				"passkeys.example.org\u212a", // the Kelvin sign K, which folds to "k"
			},
		},
		{
			name: "the desktop app (the webview's host names)", origin: "http://localhost:8080", webview: true,
			accepted: []string{"wails", "WAILS", "wails.localhost", "wails.localhost:80", "localhost:8080"},
			refused: []string{
				"", "wails:80", "wails:443", "wails.", "wails.localhost:8080", "wails.localhost.", "evil.wails",
				"wails.attacker.example", "attacker.example", "127.0.0.1:8080", "localhost",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testserver.New(t, testserver.WithConfig(func(c *backend.Config) {
				c.Origin = tt.origin
				if tt.webview {
					c.RequestOrigins = []string{"wails://wails", "http://wails.localhost"}
				}
			}))
			pat := s.Client()
			pat.Origin = tt.origin
			pat.SignUp("pat@example.com", password)

			// The requests a rebinding page would make: read the app's pages and API, and
			// change things (sign up, log in, log out).
			requests := []struct {
				method, path string
				body         any
			}{
				{"GET", "/api/session", nil},
				{"GET", "/api/passkeys", nil},
				{"GET", "/api/nothing", nil},
				{"GET", "/", nil},
				{"GET", "/account/security", nil},
				{"GET", "/assets/app.js", nil},
				{"HEAD", "/", nil},
				{"POST", "/api/accounts", map[string]string{"email": "sam@example.com", "password": password}},
				{"POST", "/api/login/password", map[string]string{"email": "pat@example.com", "password": password}},
				{"POST", "/api/logout", map[string]string{}},
				{"DELETE", "/api/passkeys/AAAA", map[string]string{}},
				{"POST", "/", map[string]string{}},
			}
			for _, host := range tt.refused {
				for _, rq := range requests {
					before := s.Dump(everyTable...)
					c := *pat // Pat's own browser, led to another host name
					c.Host = host
					res := c.Do(rq.method, rq.path, rq.body)
					if res.Status != http.StatusMisdirectedRequest || (rq.method != "HEAD" && res.Code() != "misdirected_request") {
						t.Errorf("Host %q: %s %s = %d %s, want 421 misdirected_request", host, rq.method, rq.path, res.Status, res.Body)
					}
					if got := res.Header.Values("Set-Cookie"); len(got) != 0 {
						t.Errorf("Host %q: %s %s set a cookie: %q", host, rq.method, rq.path, got)
					}
					if after := s.Dump(everyTable...); after != before {
						t.Errorf("Host %q: %s %s changed the database:\n%s\n%s", host, rq.method, rq.path, before, after)
					}
				}
			}
			if s.Count(`SELECT count(*) FROM accounts WHERE email = 'sam@example.com'`) != 0 || !signedIn(t, pat) {
				t.Fatalf("a refused host name created an account or ended Pat's session")
			}
			for i, host := range tt.accepted {
				c := s.Client()
				c.Origin, c.Host = tt.origin, host
				if res := c.Get("/"); res.Status != http.StatusOK {
					t.Errorf("Host %q: GET / = %d %s", host, res.Status, res.Body)
				}
				if res := c.Get("/api/session"); res.Status != http.StatusOK {
					t.Errorf("Host %q: GET /api/session = %d %s", host, res.Status, res.Body)
				}
				email := fmt.Sprintf("person%d@example.com", i)
				if res := c.Post("/api/accounts", map[string]string{"email": email, "password": password}); res.Status != http.StatusCreated {
					t.Errorf("Host %q: sign up = %d %s", host, res.Status, res.Body)
				}
			}
		})
	}

	t.Run("over TCP, the Host header and an absolute request target are both checked", func(t *testing.T) {
		s := testserver.New(t)
		ts := httptest.NewServer(s.Handler)
		t.Cleanup(ts.Close)
		signUp := `{"email":"sam@example.com","password":"correct horse battery"}`
		for _, tc := range []struct {
			name, request string
			want          int
		}{
			{"the app's own name", "GET /api/session HTTP/1.1\r\nHost: localhost:8080\r\n", 200},
			{"a rebinding page's name", "GET /api/session HTTP/1.1\r\nHost: attacker.example:8080\r\n", 421},
			{"the loopback address", "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n", 421},
			{"an absolute target for another name", "GET http://attacker.example:8080/api/session HTTP/1.1\r\nHost: localhost:8080\r\n", 421},
			{"HTTP/1.0 without a Host", "GET /api/session HTTP/1.0\r\n", 421},
			{"a sign-up for another name", fmt.Sprintf("POST /api/accounts HTTP/1.1\r\nHost: attacker.example:8080\r\n"+
				"Origin: http://attacker.example:8080\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"+
				"Connection: close\r\n\r\n%s", len(signUp), signUp), 421},
		} {
			conn, err := (&net.Dialer{}).DialContext(t.Context(), "tcp", ts.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			req := tc.request
			if !strings.Contains(req, "\r\n\r\n") {
				req += "Connection: close\r\n\r\n"
			}
			if _, err := conn.Write([]byte(req)); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			res.Body.Close()
			conn.Close()
			if res.StatusCode != tc.want {
				t.Errorf("%s: %d, want %d", tc.name, res.StatusCode, tc.want)
			}
		}
		if s.Count(`SELECT count(*) FROM accounts`) != 0 {
			t.Errorf("a request for another host name created an account")
		}
	})
}

// Rule: a state-changing request carries exactly one Origin header, and it is the app's
// own. Anything else (none, "null", another scheme, port or spelling, or two headers even
// when one of them is the app's) is 403 origin_not_allowed before anything is read, and
// nothing changes: not even a login with the right password.
func TestAStateChangingRequestNeedsExactlyOneOriginOfTheApp(t *testing.T) {
	tests := []struct {
		name    string
		origins []string // the Origin headers sent, in order
		ok      bool
	}{
		{"no Origin is refused", nil, false},
		{"an opaque origin (null) is refused", []string{"null"}, false},
		{"another scheme is refused", []string{"https://localhost:8080"}, false},
		{"another port is refused", []string{"http://localhost:8081"}, false},
		{"no port is refused", []string{"http://localhost"}, false},
		{"a trailing slash is refused", []string{"http://localhost:8080/"}, false},
		{"another site is refused", []string{"http://attacker.example"}, false},
		{"an empty Origin is refused", []string{""}, false},
		{"the app's origin then another is refused", []string{testserver.Origin, "http://attacker.example"}, false},
		{"another origin then the app's is refused", []string{"http://attacker.example", testserver.Origin}, false},
		{"the app's origin twice is refused", []string{testserver.Origin, testserver.Origin}, false},
		{"the app's origin once is accepted", []string{testserver.Origin}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testserver.New(t)
			c := s.Client()
			c.SignUp("pat@example.com", password)
			c.Post("/api/logout", map[string]string{})
			before := s.Dump(everyTable...)
			c.Origin = ""
			res := c.Do(http.MethodPost, "/api/login/password", map[string]string{"email": "pat@example.com", "password": password},
				func(r *http.Request) { r.Header["Origin"] = tt.origins })
			if tt.ok {
				if res.Status != http.StatusOK || !signedIn(t, c) {
					t.Fatalf("login = %d %s", res.Status, res.Body)
				}
				return
			}
			if res.Status != http.StatusForbidden || res.Code() != "origin_not_allowed" {
				t.Fatalf("login = %d %s, want 403 origin_not_allowed", res.Status, res.Body)
			}
			if got := res.Header.Values("Set-Cookie"); len(got) != 0 {
				t.Errorf("a refused login set a cookie: %q", got)
			}
			if after := s.Dump(everyTable...); after != before {
				t.Errorf("a refused login changed the database:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// Rule: requests are exactly what the API says. A body is JSON, typed so; one name once;
// valid Unicode; and a second finish of a ceremony that worked says so (ceremony_used)
// and changes nothing.
func TestRequestsAreExactlyWhatTheAPISays(t *testing.T) {
	t.Run("every endpoint that takes a body refuses one not typed application/json, and nothing changes", func(t *testing.T) {
		w := newWorld(t)
		// Pat may make one change without a proof (the login grace), so a refusal that
		// let a request through would show.
		if res := w.pat.Post("/api/login/password", map[string]string{"email": patEmail, "password": password}); res.Status != http.StatusOK {
			t.Fatalf("login: %d %s", res.Status, res.Body)
		}
		login := w.pat.Begin("/api/login/passkey/begin", map[string]any{"email": patEmail})
		assertion, err := w.patAuth.Get(login.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		endpoints := []struct {
			method, path string
			body         any
		}{
			{"POST", "/api/accounts", map[string]string{"email": "sam@example.com", "password": password}},
			{"POST", "/api/login/password", map[string]string{"email": patEmail, "password": password}},
			{"POST", "/api/login/passkey/begin", map[string]string{"email": patEmail}},
			{"POST", "/api/login/passkey/finish", map[string]any{"ceremony": login.Ceremony, "credential": json.RawMessage(assertion)}},
			{"POST", "/api/logout", map[string]string{}},
			{"POST", "/api/sessions/others/logout", map[string]string{}},
			{"POST", "/api/account/password", map[string]string{"newPassword": "another good password"}},
			{"POST", "/api/reauth/password", map[string]string{"action": "add-passkey", "password": password}},
			{"POST", "/api/reauth/passkey/begin", map[string]string{"action": "add-passkey"}},
			{"POST", "/api/reauth/passkey/finish", map[string]any{"ceremony": "x", "credential": map[string]any{}}},
			{"POST", "/api/passkeys/register/begin", map[string]string{}},
			{"POST", "/api/passkeys/register/finish", map[string]any{"ceremony": "x", "credential": map[string]any{}}},
			{"PATCH", "/api/passkeys/" + w.patKey.ID, map[string]string{"name": "Renamed"}},
			{"DELETE", "/api/passkeys/" + w.patKey.ID, map[string]string{}},
			{"PUT", "/api/passkeys/" + w.patKey.ID, map[string]string{}},
		}
		types := [][]string{
			nil, // no Content-Type at all
			{""},
			{"text/plain"}, // a "simple request": a page on any site may send it without asking
			{"text/plain; charset=utf-8"},
			{"application/x-www-form-urlencoded"},
			{"multipart/form-data; boundary=x"},
			{"application/jsonp"},
			{"application/json-seq"},
			{"application/x-json"},
			{"application/ld+json"},
			{"application/json-patch+json"},
			{"text/json"},
			{"application/*"},
			{"*/*"},
			{"application/json; charset=iso-8859-1"},
			{"application/json; charset=utf-16"},
			{"application/json, text/plain"},
			{"application/json text"},
			{"application/json", "text/plain"}, // two Content-Type headers
		}
		for _, ep := range endpoints {
			for _, ct := range types {
				before := w.s.Dump(everyTable...)
				cookie := w.pat.Cookie
				res := w.pat.Do(ep.method, ep.path, ep.body, func(r *http.Request) {
					r.Header.Del("Content-Type")
					for _, v := range ct {
						r.Header.Add("Content-Type", v)
					}
				})
				if res.Status != http.StatusUnsupportedMediaType || res.Code() != "unsupported_media_type" {
					t.Errorf("%s %s with Content-Type %q = %d %s, want 415 unsupported_media_type", ep.method, ep.path, ct, res.Status, res.Body)
				}
				if after := w.s.Dump(everyTable...); after != before || w.pat.Cookie != cookie {
					t.Errorf("%s %s with Content-Type %q changed something", ep.method, ep.path, ct)
				}
			}
		}
		// Everything still works with the right type: the refusals used nothing up.
		if res := w.pat.Finish("/api/login/passkey/finish", login.Ceremony, assertion); res.Status != http.StatusOK {
			t.Errorf("the login after the refusals = %d %s", res.Status, res.Body)
		}
	})

	t.Run("application/json is accepted however it is written", func(t *testing.T) {
		s := testserver.New(t)
		for i, ct := range []string{"application/json", "application/json; charset=utf-8", "APPLICATION/JSON",
			"Application/Json; Charset=UTF-8", `application/json;charset="utf-8"`, "application/json ; charset=utf-8"} {
			res := s.Client().Do(http.MethodPost, "/api/accounts", map[string]string{"email": fmt.Sprintf("p%d@example.com", i), "password": password},
				func(r *http.Request) { r.Header.Set("Content-Type", ct) })
			if res.Status != http.StatusCreated {
				t.Errorf("Content-Type %q: %d %s", ct, res.Status, res.Body)
			}
		}
	})

	t.Run("a request with no body and no type gets the endpoint's own answer", func(t *testing.T) {
		s := testserver.New(t)
		c := s.Client()
		if res := c.Do(http.MethodPost, "/api/accounts", nil); res.Status != http.StatusBadRequest || res.Code() != "invalid_request" {
			t.Errorf("POST /api/accounts with no body = %d %s, want 400 invalid_request", res.Status, res.Body)
		}
		if res := c.Do(http.MethodDelete, "/api/session", nil); res.Status != http.StatusMethodNotAllowed {
			t.Errorf("DELETE /api/session with no body = %d %s, want 405", res.Status, res.Body)
		}
		if res := c.Do(http.MethodPost, "/api/accounts", nil, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }); res.Status != http.StatusUnsupportedMediaType {
			t.Errorf("an empty text/plain POST = %d %s, want 415", res.Status, res.Body)
		}
	})

	t.Run("a body that could be read two ways is refused, and nothing changes", func(t *testing.T) {
		w := newWorld(t)
		const pw = `"password": "correct horse battery"`
		type body struct {
			name, json string
			status     int
			code       string
			field      string // 422: the field named
		}
		signUps := []body{
			{"a name twice", `{"email": "sam@example.com", "email": "pat@example.com", ` + pw + `}`, 400, "invalid_request", ""},
			{"a name twice, the same value", `{"email": "sam@example.com", "email": "sam@example.com", ` + pw + `}`, 400, "invalid_request", ""},
			{"a name twice, once escaped", `{"email": "sam@example.com", "\u0065mail": "pat@example.com", ` + pw + `}`, 400, "invalid_request", ""},
			{"a name twice in another case", `{"email": "sam@example.com", "EMAIL": "pat@example.com", ` + pw + `}`, 400, "invalid_request", ""},
			{"a name in another case", `{"Email": "sam@example.com", ` + pw + `}`, 400, "invalid_request", ""},
			{"a name with the Kelvin sign", `{"email": "sam@example.com", "password": "x", "passwor\u212a": "y"}`, 400, "invalid_request", ""},
			{"invalid UTF-8 in the email", "{\"email\": \"sam\xff@example.com\", " + pw + "}", 422, "invalid_input", "email"},
			{"an overlong UTF-8 encoding in the email", "{\"email\": \"sam\xc0\xae@example.com\", " + pw + "}", 422, "invalid_input", "email"},
			{"a UTF-16 surrogate encoded as UTF-8", "{\"email\": \"sam\xed\xa0\x80@example.com\", " + pw + "}", 422, "invalid_input", "email"},
			{"invalid UTF-8 in the password", "{\"email\": \"sam@example.com\", \"password\": \"correct horse\xfe battery\"}", 422, "invalid_input", "password"},
			{"a lone high surrogate in the email", `{"email": "sam\ud800@example.com", ` + pw + `}`, 422, "invalid_input", "email"},
			{"a lone low surrogate in the email", `{"email": "sam\udc00@example.com", ` + pw + `}`, 422, "invalid_input", "email"},
			{"a high surrogate at the end of the email", `{"email": "sam@example.com\ud83d", ` + pw + `}`, 422, "invalid_input", "email"},
			{"two high surrogates in the password", `{"email": "sam@example.com", "password": "correct horse \ud83d\ud83d battery"}`, 422, "invalid_input", "password"},
			{"a surrogate pair the wrong way round", `{"email": "sam@example.com", "password": "correct horse \ude00\ud83d battery"}`, 422, "invalid_input", "password"},
			{"invalid UTF-8 in a name", "{\"email\": \"sam@example.com\", " + pw + ", \"\xff\": 1}", 400, "invalid_request", ""},
			{"a lone surrogate in a name", `{"email": "sam@example.com", ` + pw + `, "\ud800": 1}`, 400, "invalid_request", ""},
		}
		for _, b := range signUps {
			before := w.s.Dump(everyTable...)
			c := w.s.Client()
			res := c.Post("/api/accounts", b.json)
			if res.Status != b.status || res.Code() != b.code {
				t.Errorf("%s: %d %s, want %d %s", b.name, res.Status, res.Body, b.status, b.code)
			}
			if b.field != "" && res.Err().Error.Fields[b.field] == "" {
				t.Errorf("%s: no message for %s: %s", b.name, b.field, res.Body)
			}
			if after := w.s.Dump(everyTable...); after != before || c.Cookie != nil {
				t.Errorf("%s: the refused sign-up changed something", b.name)
			}
		}
		// A surrogate pair is one character, and is read as one.
		c := w.s.Client()
		if res := c.Post("/api/accounts", `{"email": "sam@example.com", "password": "correct horse \ud83d\ude00 battery"}`); res.Status != http.StatusCreated {
			t.Fatalf("a password with an emoji: %d %s", res.Status, res.Body)
		}
		if res := w.s.Client().Post("/api/login/password", "{\"email\": \"sam@example.com\", \"password\": \"correct horse \U0001F600 battery\"}"); res.Status != http.StatusOK {
			t.Errorf("the escaped pair and the UTF-8 emoji are not the same password: %d %s", res.Status, res.Body)
		}

		// Inside the credential of a finish, at any depth: the ceremony is not used up.
		b := w.stranger.Begin("/api/login/passkey/begin", map[string]any{"email": patEmail})
		cred, err := w.patAuth.Get(b.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, credential string }{
			{"a name twice in the credential", strings.Replace(string(cred), "{", `{"type":"public-key",`, 1)},
			{"a name twice in the credential's response", strings.Replace(string(cred), `"response":{`, `"response":{"signature":"AAAA",`, 1)},
			{"a name twice in another case in the response", strings.Replace(string(cred), `"response":{`, `"response":{"SIGNATURE":"AAAA",`, 1)},
			{"a name twice in the extension results", strings.Replace(string(cred), `{`, `{"clientExtensionResults":{"appid":true,"appid":false},`, 1)},
			{"invalid UTF-8 in the credential", strings.Replace(string(cred), `"type":"public-key"`, "\"type\":\"public-key\xff\"", 1)},
			{"a lone surrogate in the credential", strings.Replace(string(cred), `"type":"public-key"`, `"type":"public-key\udfff"`, 1)},
		} {
			if tc.credential == string(cred) {
				t.Fatalf("%s: the credential %s was not changed", tc.name, cred)
			}
			before := w.s.Dump(everyTable...)
			res := w.stranger.Post("/api/login/passkey/finish", `{"ceremony": "`+b.Ceremony+`", "credential": `+tc.credential+`}`)
			if res.Status != http.StatusBadRequest || res.Code() != "invalid_request" {
				t.Errorf("%s: %d %s, want 400 invalid_request", tc.name, res.Status, res.Body)
			}
			if after := w.s.Dump(everyTable...); after != before || w.stranger.Cookie != nil {
				t.Errorf("%s: the refused finish changed something", tc.name)
			}
		}
		if res := w.stranger.Post("/api/login/passkey/finish", `{"ceremony": "`+b.Ceremony+`", "ceremony": "`+b.Ceremony+`", "credential": `+string(cred)+`}`); res.Status != http.StatusBadRequest {
			t.Errorf("the ceremony twice: %d %s", res.Status, res.Body)
		}
		if res := w.stranger.Finish("/api/login/passkey/finish", b.Ceremony, cred); res.Status != http.StatusOK {
			t.Errorf("the genuine finish after the refusals = %d %s", res.Status, res.Body)
		}
	})

	t.Run("a second finish of a ceremony that worked answers ceremony_used and changes nothing", func(t *testing.T) {
		kinds := []struct {
			name    string
			first   func(t *testing.T, w *world) request // begins, finishes once (it must work), returns the second finish
			message string
		}{
			{"setting up a passkey", func(t *testing.T, w *world) request {
				return twice(t, w.register(t, softauthn.New(testserver.Origin), nil))
			}, "Your passkey is already set up. You do not need to set it up again."},
			{"a login with an email", func(t *testing.T, w *world) request {
				return twice(t, w.login(t, w.stranger, w.patAuth, nil, patEmail))
			}, "You have already logged in with your passkey."},
			{"a login without an email (discoverable)", func(t *testing.T, w *world) request {
				return twice(t, w.login(t, w.stranger, w.patAuth, nil, ""))
			}, "You have already logged in with your passkey."},
			{"a re-authentication", func(t *testing.T, w *world) request {
				return twice(t, w.reauth(t, w.patAuth, nil))
			}, "You have already confirmed it's you."},
		}
		for _, k := range kinds {
			t.Run(k.name, func(t *testing.T) {
				w := newWorld(t)
				second := k.first(t, w)
				for _, when := range []struct {
					name  string
					later time.Duration
				}{
					{"at once (a double click)", 0},
					{"after the ceremony itself would have expired", passkey.CeremonyTimeout - time.Second},
				} {
					w.s.Clock.Advance(when.later)
					// Requests record activity (last_seen_at): record it now, so that the
					// second finish's own request writes the same value.
					for _, c := range []*testserver.Client{w.pat, w.stranger} {
						c.Get("/api/session")
					}
					before := w.s.Dump(everyTable...)
					cookies := []*http.Cookie{w.pat.Cookie, w.stranger.Cookie}
					res := second()
					if res.Status != http.StatusConflict || res.Code() != "ceremony_used" || res.Err().Error.Message != k.message {
						t.Errorf("%s: %d %s, want 409 ceremony_used %q", when.name, res.Status, res.Body, k.message)
					}
					if after := w.s.Dump(everyTable...); after != before {
						t.Errorf("%s: the second finish changed the database:\n%s\n%s", when.name, before, after)
					}
					if w.pat.Cookie != cookies[0] || w.stranger.Cookie != cookies[1] {
						t.Errorf("%s: the second finish set a cookie", when.name)
					}
				}
				// Forgotten at last: an unknown ceremony, and the next begin clears the memory.
				w.s.Clock.Advance(passkey.CeremonyTimeout)
				if res := second(); res.Code() != "ceremony_expired" {
					t.Errorf("long after: %d %s", res.Status, res.Body)
				}
				w.stranger.Begin("/api/login/passkey/begin", map[string]any{"email": ""})
				if n := w.s.Count(`SELECT count(*) FROM ceremonies WHERE used_at IS NOT NULL`); n != 0 {
					t.Errorf("%d used ceremonies are still remembered after they were forgotten", n)
				}
			})
		}
	})

	t.Run("a double click sends two finishes at once: one works, the other is told it already has", func(t *testing.T) {
		w := newWorld(t)
		b := w.stranger.Begin("/api/login/passkey/begin", map[string]any{"email": patEmail})
		cred, err := w.patAuth.Get(b.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		sessions := w.s.Count(`SELECT count(*) FROM sessions`)
		logins := w.s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'signed_in'`)
		clicks := []*testserver.Client{w.s.Client(), w.s.Client()}
		answers := make([]*testserver.Response, len(clicks))
		var wg sync.WaitGroup
		for i, c := range clicks {
			wg.Go(func() { answers[i] = c.Finish("/api/login/passkey/finish", b.Ceremony, cred) })
		}
		wg.Wait()
		codes := map[int]int{}
		for _, res := range answers {
			codes[res.Status]++
			if res.Status == http.StatusConflict && res.Code() != "ceremony_used" {
				t.Errorf("the second finish = %s", res.Body)
			}
		}
		if codes[http.StatusOK] != 1 || codes[http.StatusConflict] != 1 {
			t.Errorf("answers %v, want one 200 and one 409", codes)
		}
		if got := w.s.Count(`SELECT count(*) FROM sessions`); got != sessions+1 {
			t.Errorf("%d sessions were started, want 1", got-sessions)
		}
		if got := w.s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'signed_in'`); got != logins+1 {
			t.Errorf("%d logins audited, want 1", got-logins)
		}
	})

	t.Run("a second finish of a ceremony that was refused says to start again, not that it took too long", func(t *testing.T) {
		w := newWorld(t)
		b := w.stranger.Begin("/api/login/passkey/begin", map[string]any{"email": patEmail})
		good, err := w.patAuth.Get(b.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Replace(good, []byte(`"signature":"`), []byte(`"signature":"AA`), 1)
		if res := w.stranger.Finish("/api/login/passkey/finish", b.Ceremony, bad); res.Code() != "passkey_not_accepted" {
			t.Fatalf("the bad finish = %d %s", res.Status, res.Body)
		}
		before := w.s.Dump(everyTable...)
		res := w.stranger.Finish("/api/login/passkey/finish", b.Ceremony, good)
		if res.Status != http.StatusBadRequest || res.Code() != "ceremony_expired" ||
			res.Err().Error.Message != "This has already been tried and it did not work. Go back and try again." {
			t.Errorf("the second finish = %d %s", res.Status, res.Body)
		}
		if after := w.s.Dump(everyTable...); after != before || w.stranger.Cookie != nil {
			t.Errorf("the second finish changed something (a login, or a failure counted)")
		}
	})

	t.Run("another session replaying a used set-up learns nothing", func(t *testing.T) {
		w := newWorld(t).withSam(t)
		proof := w.pat.ReauthWithPasskey(w.patAuth, "add-passkey")
		b := w.pat.Begin("/api/passkeys/register/begin", map[string]any{"proof": proof})
		cred, err := softauthn.New(testserver.Origin).Create(b.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if res := w.pat.Finish("/api/passkeys/register/finish", b.Ceremony, cred); res.Status != http.StatusCreated {
			t.Fatalf("finish = %d %s", res.Status, res.Body)
		}
		before := w.s.Dump(everyTable...)
		if res := w.sam.Finish("/api/passkeys/register/finish", b.Ceremony, cred); res.Status != http.StatusBadRequest || res.Code() != "ceremony_expired" {
			t.Errorf("Sam's replay = %d %s, want 400 ceremony_expired", res.Status, res.Body)
		}
		if after := w.s.Dump(everyTable...); after != before {
			t.Errorf("Sam's replay changed the database")
		}
	})
}
