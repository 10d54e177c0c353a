package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nhs-passkeys/companion/backend/apperr"
)

// request is a body of the kind the API decodes: strings, a number, a nested object, an
// array and raw JSON (as a credential is).
type request struct {
	Email      string                `json:"email"`
	Proof      string                `json:"proof"`
	Count      int                   `json:"count"`
	Nested     *struct{ A []string } `json:"nested"`
	Credential json.RawMessage       `json:"credential"`
}

func decode(t *testing.T, body []byte) (request, error) {
	t.Helper()
	var v request
	err := Decode(httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/api/x", bytes.NewReader(body)), &v)
	return v, err
}

func TestDecodeIsStrict(t *testing.T) {
	tests := []struct {
		name, body, code string
	}{
		{"one object with known fields is read", `{"email": "a@b.cd", "count": 2, "credential": {"id": "x"}}`, ""},
		{"whitespace around the object is fine", " \n{\"email\": \"a@b.cd\"}\t ", ""},
		{"an unknown field is refused", `{"email": "a@b.cd", "admin": true}`, "invalid_request"},
		{"an unknown nested field is refused", `{"nested": {"A": [], "B": 1}}`, "invalid_request"},
		{"a second value is refused", `{} {}`, "invalid_request"},
		{"trailing garbage is refused", `{}x`, "invalid_request"},
		{"an array is refused", `[]`, "invalid_request"},
		{"null is refused", `null`, "invalid_request"},
		{"an empty body is refused", ``, "invalid_request"},
		{"the wrong type is refused", `{"count": "2"}`, "invalid_request"},
		{"a body over 64 KiB is refused", `{"email": "` + strings.Repeat("a", MaxBody) + `"}`, "request_too_large"},

		// Names: once each, exactly as the API spells them.
		{"a name twice is refused", `{"email": "a@b.cd", "email": "e@f.gh"}`, "invalid_request"},
		{"a name twice with the same value is refused", `{"count": 1, "count": 1}`, "invalid_request"},
		{"a name twice, once escaped, is refused", `{"email": "a@b.cd", "\u0065mail": "e@f.gh"}`, "invalid_request"},
		{"a name twice in another case is refused", `{"email": "a@b.cd", "Email": "e@f.gh"}`, "invalid_request"},
		{"a name in another case is refused", `{"EMAIL": "a@b.cd"}`, "invalid_request"},
		{"a name with a letter that folds to ASCII is refused", `{"email": "a@b.cd", "count": 1, "\u212aount": 2}`, "invalid_request"},
		{"a nested name twice is refused", `{"nested": {"A": [], "A": ["x"]}}`, "invalid_request"},
		{"a nested name in another case is refused", `{"nested": {"a": []}}`, "invalid_request"},
		{"a name twice in raw JSON is refused", `{"credential": {"id": "x", "id": "y"}}`, "invalid_request"},
		{"a name twice deep in raw JSON is refused", `{"credential": {"response": {"a": [{"b": 1, "c": {"d": 1, "d": 2}}]}}}`, "invalid_request"},
		{"a name twice in another case in raw JSON is refused", `{"credential": {"type": "public-key", "TYPE": "x"}}`, "invalid_request"},
		{"the same name in two objects is fine", `{"credential": {"a": {"id": 1}, "b": {"id": 2}, "id": 3}}`, ""},
		{"names that differ are fine in raw JSON", `{"credential": {"id": "x", "rawId": "x"}}`, ""},

		// Strings: valid UTF-8, no lone surrogates; a text field is named (422).
		{"invalid UTF-8 in a text field is refused with the field", "{\"email\": \"a\xff@b.cd\"}", "invalid_input"},
		{"a truncated UTF-8 sequence is refused", "{\"email\": \"a\xe2\x82\"}", "invalid_input"},
		{"an overlong UTF-8 encoding is refused", "{\"email\": \"\xc0\xaf\"}", "invalid_input"},
		{"a surrogate encoded in UTF-8 is refused", "{\"proof\": \"\xed\xb0\x80\"}", "invalid_input"},
		{"a lone high surrogate is refused with the field", `{"email": "a\ud800@b.cd"}`, "invalid_input"},
		{"a lone low surrogate is refused with the field", `{"email": "\udc00"}`, "invalid_input"},
		{"a high surrogate before a non-surrogate escape is refused", `{"proof": "\ud800\u0041"}`, "invalid_input"},
		{"a high surrogate at the end is refused", `{"proof": "abc\uD83D"}`, "invalid_input"},
		{"a high surrogate before an escaped backslash-u is refused", `{"proof": "\ud800\\udc00"}`, "invalid_input"},
		{"invalid UTF-8 in a name is refused", "{\"\xff\": 1}", "invalid_request"},
		{"a lone surrogate in a name is refused", `{"\ud800": 1}`, "invalid_request"},
		{"invalid UTF-8 in raw JSON is refused", "{\"credential\": {\"id\": \"\xff\"}}", "invalid_request"},
		{"a lone surrogate in raw JSON is refused", `{"credential": ["\udfff"]}`, "invalid_request"},
		{"a lone surrogate in a nested array is refused", `{"nested": {"A": ["\ud800"]}}`, "invalid_request"},
		{"a surrogate pair is fine", `{"email": "\ud83d\ude00@b.cd", "credential": "\uD83D\uDE00"}`, ""},
		{"UTF-8 beyond ASCII is fine", `{"email": "zoë@exämple.com", "proof": "😀"}`, ""},
		{"U+FFFD itself is fine", `{"proof": "\ufffd�"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(t, []byte(tt.body))
			e, _ := apperr.As(err)
			if (err == nil) != (tt.code == "") || (e != nil && e.Code != tt.code) {
				t.Errorf("Decode(%.40q) = %v, want code %q", tt.body, err, tt.code)
			}
			if e != nil && e.Code == "invalid_input" && len(e.Fields) != 1 {
				t.Errorf("Decode(%.40q) fields = %v, want the one field", tt.body, e.Fields)
			}
		})
	}
}

func TestTheOnlyHostNamesAnsweredAreTheOrigins(t *testing.T) {
	tests := []struct {
		origins  []string
		accepted []string
		refused  []string
	}{
		{[]string{"http://localhost:8080"}, []string{"localhost:8080", "LOCALHOST:8080"},
			[]string{"", "localhost", "localhost:80", "localhost.:8080", "127.0.0.1:8080", "x@localhost:8080", "localhost:8080:8080", "localhoſt:8080"}},
		{[]string{"https://passkeys.example.org"}, []string{"passkeys.example.org", "passkeys.example.org:443"},
			[]string{"passkeys.example.org:80", "passkeys.example.org.", "passkeys.example.org:"}},
		{[]string{"http://localhost"}, []string{"localhost", "localhost:80"}, []string{"localhost:8080", "localhost:443"}},
		{[]string{"http://localhost:80"}, []string{"localhost", "localhost:80"}, []string{"localhost:8080"}},
		{[]string{"http://[::1]:8080"}, []string{"[::1]:8080"}, []string{"::1:8080", "[::1]", "localhost:8080"}},
		{[]string{"wails://wails", "http://wails.localhost"}, []string{"wails", "wails.localhost", "wails.localhost:80"},
			[]string{"wails:80", "wails.", "localhost"}},
	}
	for _, tt := range tests {
		hosts, err := HostsOf(tt.origins...)
		if err != nil {
			t.Fatalf("HostsOf(%v): %v", tt.origins, err)
		}
		for _, h := range tt.accepted {
			if !hosts.Allows(h) {
				t.Errorf("%v: %q refused", tt.origins, h)
			}
		}
		for _, h := range tt.refused {
			if hosts.Allows(h) {
				t.Errorf("%v: %q answered", tt.origins, h)
			}
		}
	}
	for _, bad := range [][]string{nil, {"null"}, {""}, {"localhost:8080"}, {"http://x@localhost"}} {
		if _, err := HostsOf(bad...); err == nil {
			t.Errorf("HostsOf(%q) accepted", bad)
		}
	}
}

func TestOnlyBodiesTypedJSONAreRead(t *testing.T) {
	rs := NewResponder(slog.New(slog.DiscardHandler))
	reached := false
	h := rs.RequireJSON(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }))
	for _, tt := range []struct {
		method, contentType, body string
		want                      bool
	}{
		{"POST", "application/json", "{}", true},
		{"POST", "application/json; charset=UTF-8", "{}", true},
		{"DELETE", "Application/JSON", "{}", true},
		{"POST", "", "", true}, // no body, no type: the endpoint answers
		{"GET", "text/plain", "x", true},
		{"POST", "text/plain", "{}", false},
		{"POST", "text/plain", "", false},
		{"PATCH", "application/x-www-form-urlencoded", "a=b", false},
		{"PUT", "multipart/form-data; boundary=x", "{}", false},
		{"POST", "application/json; charset=latin1", "{}", false},
		{"POST", "application/jsonx", "{}", false},
		{"POST", "", "{}", false},
	} {
		reached = false
		r := httptest.NewRequestWithContext(t.Context(), tt.method, "/api/x", strings.NewReader(tt.body))
		if tt.contentType != "" {
			r.Header.Set("Content-Type", tt.contentType)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if reached != tt.want || (!tt.want && (rec.Code != http.StatusUnsupportedMediaType || !strings.Contains(rec.Body.String(), `"unsupported_media_type"`))) {
			t.Errorf("%s %q %q: reached %v, %d %s", tt.method, tt.contentType, tt.body, reached, rec.Code, rec.Body)
		}
	}
}

func TestClientAddressIsTheRemoteIP(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.1:1234":    "192.0.2.1",
		"[2001:db8::1]:443": "2001:db8::1",
		"2001:db8::1":       "2001:db8::1",
		// A link-local peer's zone names our interface, not the client: without it the
		// client is still its address, never "" (the desktop app's own client).
		"[fe80::1%eth0]:443":     "fe80::1",
		"[::ffff:192.0.2.1]:443": "192.0.2.1",
		"":                       "",
		"@":                      "",
		"not an address:1234":    "",
	} {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", "203.0.113.1") // never trusted
		if got := ClientAddress(r); got != want {
			t.Errorf("ClientAddress(%q) = %q, want %q", remote, got, want)
		}
	}
}

// FuzzDecode: whatever the body, Decode does not panic, refuses with one of its two codes,
// and accepts only one JSON object of at most MaxBody bytes with known fields, read the
// same way encoding/json reads it.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"email": "pat@example.com", "proof": "abc"}`,
		`{"count": 1, "nested": {"A": ["x"]}, "credential": {"id": "AAAA", "response": {}}}`,
		`{"email": "\u0000\ud800"}`, `{} {}`, `{"credential": [1, {"a": null}]}`, `{"count": 1e400}`, ` [`, ``,
		`{"credential": {"response": {"id": 1, "ID": 2}}}`, `{"Email": "a"}`, `{"proof": "\ud83d\ude00"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := decode(t, body)
		if err != nil {
			var e *apperr.E
			if !errors.As(err, &e) || (e.Code != "invalid_request" && e.Code != "request_too_large" && e.Code != "invalid_input") {
				t.Fatalf("Decode error %v is not a client-safe refusal", err)
			}
			return
		}
		if len(body) > MaxBody || !json.Valid(body) || !utf8.Valid(body) || bytes.TrimLeft(body, " \t\r\n")[0] != '{' {
			t.Fatalf("Decode accepted %q", body)
		}
		var again request
		if err := json.Unmarshal(body, &again); err != nil || !reflect.DeepEqual(got, again) {
			t.Fatalf("Decode read %+v, encoding/json reads %+v (%v)", got, again, err)
		}
	})
}
