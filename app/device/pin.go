//go:build cgo && !windows

package device

import (
	"errors"
	"net/http"
	"unicode/utf16"
	"unicode/utf8"
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
	body, err := readKeyBody(r, "pin")
	if err != nil {
		body.wipe()
		return nil, err
	}
	if len(body.PIN) == 0 {
		return nil, pinMissing("pin")
	}
	return body.PIN, nil
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
