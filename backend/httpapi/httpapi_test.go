package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

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

func decode(body []byte) (request, error) {
	var v request
	err := Decode(httptest.NewRequest(http.MethodPost, "/api/x", bytes.NewReader(body)), &v)
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode([]byte(tt.body))
			e, _ := apperr.As(err)
			if (err == nil) != (tt.code == "") || (e != nil && e.Code != tt.code) {
				t.Errorf("Decode(%.40q) = %v, want code %q", tt.body, err, tt.code)
			}
		})
	}
}

func TestClientAddressIsTheRemoteIP(t *testing.T) {
	for remote, want := range map[string]string{
		"192.0.2.1:1234":      "192.0.2.1",
		"[2001:db8::1]:443":   "2001:db8::1",
		"2001:db8::1":         "2001:db8::1",
		"":                    "",
		"@":                   "",
		"not an address:1234": "",
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
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
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := decode(body)
		if err != nil {
			var e *apperr.E
			if !errors.As(err, &e) || (e.Code != "invalid_request" && e.Code != "request_too_large" && e.Code != "invalid_input") {
				t.Fatalf("Decode error %v is not a client-safe refusal", err)
			}
			return
		}
		if len(body) > MaxBody || !json.Valid(body) || bytes.TrimLeft(body, " \t\r\n")[0] != '{' {
			t.Fatalf("Decode accepted %q", body)
		}
		var again request
		if err := json.Unmarshal(body, &again); err != nil || !reflect.DeepEqual(got, again) {
			t.Fatalf("Decode read %+v, encoding/json reads %+v (%v)", got, again, err)
		}
	})
}
