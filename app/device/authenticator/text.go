package authenticator

import (
	"strings"
	"unicode"
)

// KeyText makes a name that came from a security key (its USB product name; the site,
// account and fingerprint names it holds) fit to show. A key is hardware the app does not
// control, and any website can write the names a passkey on it carries (WebAuthn L3 §5.4.2
// rp.name, §5.4.3 user.name and displayName; CTAP 2.1 §6.8 returns them as stored), so
// they are shown, never obeyed:
//   - bytes that are not UTF-8 become U+FFFD (CTAP 2.1 §6.1.2 asks the key for UTF-8, but
//     a faulty or hostile one may send anything);
//   - control characters (C0, DEL, C1) and the bidirectional formatting characters
//     (Unicode's Bidi_Control: U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to
//     U+2069) become U+FFFD, so a name can neither move the text around it nor show in
//     reverse (Unicode UAX #9; "Trojan Source", CVE-2021-42574), and a name that had one
//     still looks different from one that had none.
func KeyText(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return unicode.ReplacementChar
		}
		return r
	}, strings.ToValidUTF8(s, string(unicode.ReplacementChar)))
}
