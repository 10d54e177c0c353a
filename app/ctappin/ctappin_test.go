package ctappin_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/app/ctappin"
)

func TestAPINIsMeasuredInNormalizationFormC(t *testing.T) {
	for _, tt := range []struct {
		name              string
		pin               string
		codePoints, bytes int
		nfc               string
	}{
		{"digits are already NFC", "482913", 6, 6, "482913"},
		{"a composed é is one code point of two bytes", "caf\u00e9", 4, 5, "caf\u00e9"},
		{"e and a combining acute accent become one é", "cafe\u0301", 4, 5, "caf\u00e9"},
		{"two decomposed accents are two characters, not four", "e\u0301e\u0301", 2, 4, "\u00e9\u00e9"},
		{"the angstrom sign becomes Å", "\u212b123", 4, 5, "\u00c5123"},
		{"Hangul jamo compose into a syllable", "\u1100\u1161\u11a8", 1, 3, "\uac01"},
		{"63 decomposed é are 63 characters of 126 bytes", strings.Repeat("e\u0301", 63), 63, 126, strings.Repeat("\u00e9", 63)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, size := ctappin.Length([]byte(tt.pin))
			if n != tt.codePoints || size != tt.bytes {
				t.Errorf("Length = %d code points, %d bytes; want %d, %d", n, size, tt.codePoints, tt.bytes)
			}
			dst := make([]byte, size)
			if got := ctappin.CopyNFC(dst, []byte(tt.pin)); got != size || string(dst) != tt.nfc {
				t.Errorf("CopyNFC = %d %q, want %q", got, dst, tt.nfc)
			}
			if !ctappin.Equal([]byte(tt.pin), []byte(tt.nfc)) && size <= ctappin.MaxBytes {
				t.Error("the PIN and its NFC form are not Equal")
			}
		})
	}
}

func TestCopyNFCNeverWritesPastItsDestination(t *testing.T) {
	dst := make([]byte, 4, 8)
	if n := ctappin.CopyNFC(dst, []byte("cafe\u0301")); n != -1 {
		t.Fatalf("CopyNFC into 4 bytes of a 5-byte PIN = %d, want -1", n)
	}
	if !bytes.Equal(dst[:cap(dst)], make([]byte, 8)) {
		t.Errorf("a refused copy left bytes behind: %q", dst[:cap(dst)])
	}
}

func TestEqualComparesPINsAsTheKeyWouldSeeThem(t *testing.T) {
	for _, tt := range []struct {
		name string
		a, b string
		want bool
	}{
		{"the same digits", "2468", "2468", true},
		{"composed and decomposed", "\u00e9t\u00e9s", "e\u0301te\u0301s", true},
		{"one character more", "2468", "24680", false},
		{"another accent", "caf\u00e9", "caf\u00e8", false},
		{"over 63 bytes is equal to nothing", strings.Repeat("8", 64), strings.Repeat("8", 64), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ctappin.Equal([]byte(tt.a), []byte(tt.b)); got != tt.want {
				t.Errorf("Equal = %v, want %v", got, tt.want)
			}
		})
	}
}
