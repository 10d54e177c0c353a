package authenticator_test

import (
	"testing"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
)

func TestAKeysNamesAreShownAsTextOnly(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"a plain name is kept", "YubiKey 5 NFC", "YubiKey 5 NFC"},
		{"letters of any script and emoji are kept", "Zoë 🔑 دانیال", "Zoë 🔑 دانیال"},
		{"a zero-width joiner in an emoji is kept", "👩\u200d💻", "👩\u200d💻"},
		{"bytes that are not UTF-8 are U+FFFD", "key\xff\xfe name", "key\ufffd name"},
		{"an escape sequence loses its escape", "a\x1b[31mred", "a\ufffd[31mred"},
		{"NUL, tab, new line, DEL and C1 controls are U+FFFD", "a\x00b\tc\nd\x7fe\u0085", "a\ufffdb\ufffdc\ufffdd\ufffde\ufffd"},
		{"a right-to-left override is U+FFFD", "\u202egnp.exe", "\ufffdgnp.exe"},
		{"every bidirectional formatting character is U+FFFD", "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069",
			"\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd"},
		{"an empty name stays empty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := authenticator.KeyText(tt.in); got != tt.want {
				t.Errorf("KeyText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
