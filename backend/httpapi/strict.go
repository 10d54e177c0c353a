package httpapi

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/nhs-passkeys/companion/backend/apperr"
)

// Checks encoding/json does not make, so that a request means exactly one thing:
//
//   - A name given twice in one object (at any depth) is refused. encoding/json keeps the
//     last value silently, while another reader (a proxy, a log, go-webauthn's own parsing of
//     the nested credential) may keep the first: RFC 8259 §4 leaves duplicate names'
//     meaning undefined, and RFC 7493 (I-JSON) §2.3 forbids them. Names are compared as
//     encoding/json matches them to struct fields (case-insensitively, by Unicode simple
//     folding), so {"email": .., "EMAIL": ..} is a duplicate too.
//   - A name that matches a field of the request only when case is ignored ("EMAIL" for
//     "email") is refused: the API's names are exact.
//   - Invalid UTF-8, and \u escapes of lone surrogates (\ud800 without its pair), anywhere
//     in a string are refused. encoding/json replaces both with U+FFFD without a word
//     (RFC 8259 §8.1 and §8.2; I-JSON §2.1), so "pat\ud800@example.com" would be read as
//     another address than the one sent.
//
// checkStrict expects valid JSON (the caller checks with json.Valid first) and returns a
// client-safe refusal: 422 invalid_input naming the field when the unreadable string is the
// value of one of the request's own text fields (something a person typed), else 400
// invalid_request. Causes name members (truncated) but never quote a value, which may be a
// password or a PIN.
func checkStrict(body []byte, into any) error {
	w := walker{data: body}
	var t reflect.Type
	if into != nil {
		t = reflect.TypeOf(into)
	}
	w.space()
	err := w.value(t, "")
	var u *unreadable
	switch {
	case err == nil:
		return nil
	case errors.As(err, &u) && u.field != "":
		return apperr.Invalid(map[string]string{u.field: msgUnreadable}).Wrap(err)
	default:
		return apperr.InvalidRequest(err)
	}
}

// msgUnreadable is the inline message for a field whose text could not be read as sent
// (a lone surrogate a paste brought in, or bytes that are not UTF-8).
const msgUnreadable = "Your answer includes a character we cannot read. Delete your answer and type it again"

// unreadable is a string that is not valid Unicode. field is the request's text field it
// is the value of, or "" when it is anywhere else (a name, a nested object, the credential).
type unreadable struct {
	field  string
	reason string
}

func (u *unreadable) Error() string {
	if u.field == "" {
		return "a string " + u.reason
	}
	return fmt.Sprintf("member %q %s", u.field, u.reason)
}

// walker reads one JSON value from data[i:], which is known to be valid JSON (so nesting
// is at most encoding/json's 10000 levels).
type walker struct {
	data  []byte
	i     int
	depth int // objects and arrays the walker is inside
}

func (w *walker) space() {
	for w.i < len(w.data) {
		switch w.data[w.i] {
		case ' ', '\t', '\r', '\n':
			w.i++
		default:
			return
		}
	}
}

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// opaque: a type that reads its JSON itself (or takes any JSON): below it, names are not
// checked against a struct, only for duplicates.
func opaque(t reflect.Type) bool {
	if t == nil || t == rawMessageType || t.Kind() == reflect.Interface {
		return true
	}
	return t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) ||
		t.Implements(textType) || reflect.PointerTo(t).Implements(textType)
}

// value reads the value at w.i. t is the Go type it will be decoded into (nil: unknown);
// field is the top-level member it is the value of, when t is a text field of the request.
func (w *walker) value(t reflect.Type, field string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && opaque(t) && t.Kind() != reflect.String {
		t = nil
	}
	switch w.data[w.i] {
	case '{':
		return w.object(t)
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		w.i++
		w.depth++
		w.space()
		if w.data[w.i] == ']' {
			w.i++
			w.depth--
			return nil
		}
		for {
			if err := w.value(elem, ""); err != nil {
				return err
			}
			w.space()
			if w.data[w.i] == ']' {
				w.i++
				w.depth--
				return nil
			}
			w.i++ // ','
			w.space()
		}
	case '"':
		if t == nil || t.Kind() != reflect.String {
			field = ""
		}
		_, err := w.str(field, false)
		return err
	default: // a number, true, false or null
		for w.i < len(w.data) && !strings.ContainsRune(",]} \t\r\n", rune(w.data[w.i])) {
			w.i++
		}
		return nil
	}
}

// object reads an object into struct type t (nil: any object, a map or opaque).
func (w *walker) object(t reflect.Type) error {
	var (
		fields map[string]reflect.Type // exact names, when t is a struct
		elem   reflect.Type            // the values' type, when t is a map
	)
	switch {
	case t != nil && t.Kind() == reflect.Struct:
		fields = jsonFields(t)
	case t != nil && t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	top := w.depth == 0
	seen := map[string]bool{}
	w.i++ // '{'
	w.depth++
	w.space()
	if w.data[w.i] == '}' {
		w.i++
		w.depth--
		return nil
	}
	for {
		name, err := w.str("", true)
		if err != nil {
			return err
		}
		folded := foldName(name)
		if seen[folded] {
			return fmt.Errorf("member %q appears twice in one object", truncate(name))
		}
		seen[folded] = true
		valueType := elem
		if fields != nil {
			ft, ok := fields[name]
			if !ok {
				// Unknown, or known only when case is ignored: encoding/json would take
				// "EMAIL" for "email"; the API does not.
				return fmt.Errorf("unknown field %q", truncate(name))
			}
			valueType = ft
		}
		w.space()
		w.i++ // ':'
		w.space()
		field := ""
		if top && fields != nil {
			field = name
		}
		if err := w.value(valueType, field); err != nil {
			return err
		}
		w.space()
		if w.data[w.i] == '}' {
			w.i++
			w.depth--
			return nil
		}
		w.i++ // ','
		w.space()
	}
}

// str reads the string literal at w.i, refusing invalid UTF-8 and escaped lone surrogates;
// field is reported with the refusal (see unreadable). With keep (names) it returns the
// string decoded; values are only checked, never copied (one may be a PIN, which must not
// be left in memory: app/device).
func (w *walker) str(field string, keep bool) (string, error) {
	w.i++ // '"'
	var out strings.Builder
	add := func(b ...byte) {
		if keep {
			out.Write(b)
		}
	}
	for {
		c := w.data[w.i]
		switch {
		case c == '"':
			w.i++
			return out.String(), nil
		case c == '\\':
			e := w.data[w.i+1]
			if e != 'u' {
				add(unescape(e))
				w.i += 2
				continue
			}
			r := hex4(w.data[w.i+2 : w.i+6])
			w.i += 6
			if utf16.IsSurrogate(r) {
				// RFC 8259 §7: a character outside the BMP is a surrogate pair, high then low.
				if r >= 0xdc00 || w.i+6 > len(w.data) || w.data[w.i] != '\\' || w.data[w.i+1] != 'u' {
					return "", &unreadable{field: field, reason: "has a lone surrogate escape"}
				}
				if r = utf16.DecodeRune(r, hex4(w.data[w.i+2:w.i+6])); r == utf8.RuneError {
					return "", &unreadable{field: field, reason: "has a lone surrogate escape"}
				}
				w.i += 6
			}
			if keep {
				out.WriteRune(r)
			}
		case c < utf8.RuneSelf:
			add(c)
			w.i++
		default:
			r, n := utf8.DecodeRune(w.data[w.i:])
			if r == utf8.RuneError && n <= 1 {
				return "", &unreadable{field: field, reason: "is not UTF-8"}
			}
			add(w.data[w.i : w.i+n]...)
			w.i += n
		}
	}
}

func unescape(e byte) byte {
	switch e {
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	default: // '"', '\\', '/'
		return e
	}
}

// hex4 reads four hex digits (valid JSON has them).
func hex4(b []byte) rune {
	var r rune
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		default:
			r = r<<4 | rune(c-'A'+10)
		}
	}
	return r
}

// foldName folds name the way encoding/json matches names to fields (as bytes.EqualFold
// does: each rune to the smallest of its Unicode simple-fold orbit), so "EMAIL", "email"
// and "emaıl"-style variants that encoding/json would read as one field compare equal.
func foldName(name string) string {
	var b strings.Builder
	for _, r := range name {
		for {
			next := unicode.SimpleFold(r)
			if next <= r {
				r = next
				break
			}
			r = next
		}
		b.WriteRune(r)
	}
	return b.String()
}

// jsonFields maps the exact JSON names of struct type t to their types, as encoding/json
// names them (the json tag's name, else the Go name; "-" and unexported fields skipped;
// embedded structs' fields promoted).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for n, typ := range jsonFields(ft) {
					if _, ok := out[n]; !ok {
						out[n] = typ
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = ft
	}
	return out
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
