package device

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// readPIN reads the body {"pin": "..."} of POST .../pin into a byte slice the caller owns
// and must zero. It follows httpapi.Decode's rules (one JSON object, unknown members and
// trailing data refused, at most httpapi.MaxBody) but not its code, because the PIN must
// never become a Go string (which cannot be wiped) and every buffer that held it must be
// zeroed: the body is read into a buffer of our own, parsed in place (encoding/json hands an
// Unmarshaler a slice of the input, not a copy), and wiped before returning. Copies made
// before the request reached this handler (the HTTP server's or the webview's) are out of
// this package's reach.
func readPIN(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, apperr.InvalidRequest(errors.New("no body"))
	}
	body := make([]byte, 0, 512)
	defer func() { clear(body[:cap(body)]) }()
	for {
		if len(body) == cap(body) {
			if len(body) > httpapi.MaxBody {
				return nil, apperr.TooLarge(fmt.Errorf("body over %d bytes", httpapi.MaxBody))
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
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return nil, apperr.TooLarge(err)
			}
			return nil, apperr.InvalidRequest(fmt.Errorf("read body: %w", err))
		}
	}
	if len(body) > httpapi.MaxBody {
		return nil, apperr.TooLarge(fmt.Errorf("body over %d bytes", httpapi.MaxBody))
	}
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, apperr.InvalidRequest(errors.New("body is not a JSON object"))
	}
	// Unknown members are refused: the names are read with values skipped unparsed.
	// encoding/json's syntax errors quote the offending character, which may be part of
	// the PIN: the log gets a fixed text instead.
	var members map[string]skipValue
	if err := json.Unmarshal(body, &members); err != nil {
		return nil, apperr.InvalidRequest(errors.New("decode body: not one JSON object"))
	}
	for name := range members {
		if name != "pin" {
			return nil, apperr.InvalidRequest(fmt.Errorf("unknown member %q", name))
		}
	}
	var req struct {
		PIN pinValue `json:"pin"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		clear(req.PIN)
		return nil, apperr.InvalidRequest(errors.New("decode body: the pin is not a JSON string"))
	}
	if len(req.PIN) == 0 {
		return nil, apperr.Invalid(map[string]string{"pin": "Enter your security key's PIN"})
	}
	return req.PIN, nil
}

// skipValue accepts any JSON value and keeps nothing of it.
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }

// pinValue is a JSON string decoded into bytes without a Go string in between.
type pinValue []byte

func (p *pinValue) UnmarshalJSON(data []byte) error {
	clear(*p) // a repeated member: wipe the earlier value
	*p = nil
	out, err := unquote(data)
	if err != nil {
		return err
	}
	*p = out
	return nil
}

// unquote decodes a JSON string literal (RFC 8259 §7) into a new slice. encoding/json has
// already checked that data is valid JSON; lone surrogates and invalid UTF-8 are refused
// rather than replaced, so the PIN sent is the PIN used.
func unquote(data []byte) ([]byte, error) {
	if len(data) < 2 || data[0] != '"' || data[len(data)-1] != '"' {
		return nil, errors.New("not a string")
	}
	s := data[1 : len(data)-1]
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(s) {
			clear(out)
			return nil, errors.New("bad escape")
		}
		switch e := s[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(s[i+2:])
			if !ok {
				clear(out)
				return nil, errors.New("bad \\u escape")
			}
			i += 6
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					r2, ok = hex4(s[i+2:])
				}
				if !ok {
					clear(out)
					return nil, errors.New("lone surrogate")
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					clear(out)
					return nil, errors.New("lone surrogate")
				}
				i += 6
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			clear(out)
			return nil, errors.New("bad escape")
		}
		i += 2
	}
	if !utf8.Valid(out) {
		clear(out)
		return nil, errors.New("not UTF-8")
	}
	return out, nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
