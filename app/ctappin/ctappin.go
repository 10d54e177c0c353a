// Package ctappin is the platform's half of CTAP 2.1 §6.5.1, "PIN composition requirements":
// a PIN goes to a security key as "the UTF-8 representation of ... Unicode characters in
// Normalization Form C", at least 4 code points (or the key's minPINLength) and at most 63
// bytes. The key hashes the bytes it is given and never normalises them, so the platform
// must: otherwise the same PIN typed once with a composed "é" (U+00E9) and once with "e" and
// a combining acute accent (U+0065 U+0301), as some keyboards, input methods and pasted text
// give it, would be two different PINs, and the second would cost the person a try.
//
// Every function here works on the PIN's NFC form without leaving a copy of it in Go memory:
// the normalising iterator's own buffer is zeroed before each returns, and the caller
// chooses where the normalised bytes go (app/fido2 writes them straight into C memory).
package ctappin

import (
	"crypto/subtle"

	"golang.org/x/text/unicode/norm"
)

const (
	// MinCodePoints: a PIN has at least 4 Unicode code points (CTAP 2.1 §6.5.1; a key may
	// ask for more, getInfo minPINLength).
	MinCodePoints = 4
	// MaxBytes: a PIN is at most 63 bytes of UTF-8 (CTAP 2.1 §6.5.1: it is padded to 64
	// bytes with at least one zero byte).
	MaxBytes = 63
)

// each calls f with the consecutive pieces of pin's NFC form, and zeroes the iterator (and
// so its buffer, which may hold part of the PIN) before it returns.
func each(pin []byte, f func(piece []byte)) {
	var it norm.Iter
	defer func() { it = norm.Iter{} }()
	it.Init(norm.NFC, pin)
	for !it.Done() {
		f(it.Next())
	}
}

// Length is the length of pin's NFC form: in Unicode code points (what minPINLength counts)
// and in bytes of UTF-8 (what the 63-byte limit counts). pin must be valid UTF-8.
func Length(pin []byte) (codePoints, bytes int) {
	each(pin, func(piece []byte) {
		bytes += len(piece)
		for _, c := range piece {
			if c&0xC0 != 0x80 { // not a continuation byte: a code point starts here
				codePoints++
			}
		}
	})
	return codePoints, bytes
}

// CopyNFC writes pin's NFC form into dst and returns how many bytes it wrote, or -1 (and
// dst zeroed) when dst is too small: Length gives the size dst needs. pin must be valid
// UTF-8.
func CopyNFC(dst, pin []byte) int {
	n := 0
	each(pin, func(piece []byte) {
		if n < 0 {
			return
		}
		if len(piece) > len(dst)-n {
			n = -1
			return
		}
		n += copy(dst[n:], piece)
	})
	if n < 0 {
		clear(dst)
	}
	return n
}

// Equal tells whether a and b are the same PIN once both are in NFC, in time that does not
// depend on where they first differ. Both must be valid UTF-8; a PIN over MaxBytes (after
// NFC) is equal to nothing.
func Equal(a, b []byte) bool {
	var x, y [MaxBytes]byte
	defer clear(x[:])
	defer clear(y[:])
	n, m := CopyNFC(x[:], a), CopyNFC(y[:], b)
	if n < 0 || m < 0 {
		return false
	}
	return subtle.ConstantTimeCompare(x[:n], y[:m]) == 1
}
