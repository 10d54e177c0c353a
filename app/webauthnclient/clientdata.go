package webauthnclient

import (
	"encoding/base64"
	"strconv"
	"unicode/utf8"
)

// Ceremony types of CollectedClientData.type (WebAuthn L3 §5.8.1).
const (
	typeCreate = "webauthn.create"
	typeGet    = "webauthn.get"
)

// clientDataJSON is the JSON-compatible serialisation of CollectedClientData (WebAuthn L3
// §5.8.1.1), written byte for byte as the spec's algorithm gives it rather than with
// json.Marshal: the members come in the spec's order ({"type", "challenge", "origin",
// "crossOrigin"}), crossOrigin is always false (the page is never in a cross-origin frame),
// there is no topOrigin, and strings are escaped with CCDToString, which differs from
// encoding/json (that escapes <, > and & as \u003c..., and U+2028/U+2029). An RP may parse
// the bytes with any JSON parser; the limited serialisation also lets it match them as a
// template (§5.8.1.2).
func clientDataJSON(typ string, challenge []byte, origin string) []byte {
	out := make([]byte, 0, 128+len(challenge)*2)
	out = append(out, `{"type":`...)
	out = appendCCDString(out, typ)
	out = append(out, `,"challenge":`...)
	out = appendCCDString(out, base64.RawURLEncoding.EncodeToString(challenge))
	out = append(out, `,"origin":`...)
	out = appendCCDString(out, origin)
	out = append(out, `,"crossOrigin":false}`...)
	return out
}

// appendCCDString appends CCDToString(s) (WebAuthn L3 §5.8.1.1): a JSON string in which
// only '"' and '\' are escaped with a backslash, every other code point below U+0020 is
// \u plus four lower-case hex digits, and everything else is its UTF-8 encoding.
func appendCCDString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for _, r := range s { // invalid UTF-8 reads as U+FFFD, which is then encoded
		switch {
		case r == '"':
			dst = append(dst, '\\', '"')
		case r == '\\':
			dst = append(dst, '\\', '\\')
		case r < 0x20:
			dst = append(dst, '\\', 'u', '0', '0')
			if r < 0x10 {
				dst = append(dst, '0')
			}
			dst = strconv.AppendInt(dst, int64(r), 16)
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return append(dst, '"')
}
