package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/nhs-passkeys/companion/backend/apperr"
)

// Secret is a JSON string read into bytes that the caller owns and wipes (a security key's
// PIN): never a Go string, which cannot be wiped. A repeated member wipes the earlier value.
type Secret []byte

// Wipe zeroes the secret.
func (p Secret) Wipe() { clear(p) }

// UnmarshalJSON decodes a JSON string literal (RFC 8259 §7) into a new slice: encoding/json
// hands an Unmarshaler a slice of its input, not a copy. Lone surrogates and invalid UTF-8
// are refused rather than replaced, so the PIN sent is the PIN used; null is refused too.
func (p *Secret) UnmarshalJSON(data []byte) error {
	clear(*p)
	*p = nil
	out, err := unquoteSecret(data)
	if err != nil {
		return err
	}
	*p = out
	return nil
}

func unquoteSecret(data []byte) ([]byte, error) {
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return nil, errors.New("not a string")
	}
	s := data[1 : len(data)-1]
	out := make([]byte, 0, len(s))
	fail := func(why string) ([]byte, error) {
		clear(out)
		return nil, errors.New(why)
	}
	for i := 0; i < len(s); {
		switch {
		case s[i] != '\\':
			out = append(out, s[i])
			i++
		case i+1 >= len(s):
			return fail("bad escape")
		case s[i+1] != 'u':
			if !validEscape(s[i+1]) {
				return fail("bad escape")
			}
			out = append(out, unescape(s[i+1]))
			i += 2
		default:
			if i+6 > len(s) || !isHex4(s[i+2:i+6]) {
				return fail("bad \\u escape")
			}
			r := hex4(s[i+2 : i+6])
			i += 6
			if utf16.IsSurrogate(r) {
				// RFC 8259 §7: a character outside the BMP is a surrogate pair, high then low.
				if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' || !isHex4(s[i+2:i+6]) {
					return fail("lone surrogate")
				}
				if r = utf16.DecodeRune(r, hex4(s[i+2:i+6])); r == utf8.RuneError {
					return fail("lone surrogate")
				}
				i += 6
			}
			out = utf8.AppendRune(out, r)
		}
	}
	if !utf8.Valid(out) {
		return fail("not UTF-8")
	}
	return out, nil
}

func validEscape(e byte) bool {
	switch e {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return true
	}
	return false
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !isHexDigit(c) {
			return false
		}
	}
	return len(b) == 4
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// DecodeSecrets is Decode for a body that holds a secret (v's Secret fields): the same rules
// (one JSON object, its members exactly v's, no name twice, valid Unicode, at most MaxBody;
// the same refusals), but the body is read into a buffer of our own, parsed in place and
// wiped before returning, and no error text can quote a value. The caller must wipe v's
// secrets, also after an error. Copies made before the request reached the handler (the
// HTTP server's or the webview's) are out of reach. v is a pointer to a struct.
func DecodeSecrets(r *http.Request, v any) error {
	if r.Body == nil {
		return apperr.InvalidRequest(errors.New("no body"))
	}
	body := make([]byte, 0, 512)
	defer func() { clear(body[:cap(body)]) }()
	for {
		if len(body) == cap(body) {
			if len(body) > MaxBody {
				return apperr.TooLarge(fmt.Errorf("body over %d bytes", MaxBody))
			}
			grown := make([]byte, len(body), 2*cap(body))
			copy(grown, body)
			clear(body[:cap(body)])
			body = grown
		}
		n, err := r.Body.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return readError(err)
		}
	}
	if len(body) > MaxBody {
		return apperr.TooLarge(fmt.Errorf("body over %d bytes", MaxBody))
	}
	// Decode's rules (one object; no member twice, which would leave two PINs to choose
	// from; valid UTF-8 and no lone surrogates), checked without copying a value out.
	if err := CheckJSON(body, v); err != nil {
		return err
	}
	// json.Unmarshal reads body in place; a json.Decoder (which could refuse unknown
	// fields) would copy it into a buffer of its own that nobody wipes. So unknown members
	// are refused here, by name, before anything is decoded.
	var members map[string]skipValue
	if err := json.Unmarshal(body, &members); err != nil {
		return apperr.InvalidRequest(errors.New("decode body: not one JSON object"))
	}
	known := jsonFields(reflect.TypeOf(v).Elem())
	for name := range members {
		if _, ok := known[name]; !ok {
			return apperr.InvalidRequest(fmt.Errorf("unknown member %q", truncate(name)))
		}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return apperr.InvalidRequest(errors.New("decode body: a member has the wrong type"))
	}
	return nil
}

// skipValue accepts any JSON value and keeps nothing of it.
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }
