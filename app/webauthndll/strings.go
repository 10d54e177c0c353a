package webauthndll

import (
	"errors"
	"strings"
	"unicode/utf16"
	"unsafe"
)

// maxStringUnits bounds how far a string the DLL wrote is read when it has no terminating
// NUL within reason; no field webauthn.h gives (names, RP IDs) comes near it.
const maxStringUnits = 1 << 16

// maxResultBytes bounds a byte field the DLL returns (authenticator data, signatures, IDs,
// attestation objects are all far smaller); a larger length is taken as a broken answer
// rather than read.
const maxResultBytes = 1 << 20

var errNUL = errors.New("webauthndll: a string for webauthn.dll cannot contain NUL")

// utf16z is s as a NUL-terminated UTF-16 string (PCWSTR). A NUL inside s is refused: the DLL
// would stop reading at it. Invalid UTF-8 becomes U+FFFD, as it would in a browser.
func utf16z(s string) (*uint16, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, errNUL
	}
	u := utf16.Encode([]rune(s))
	u = append(u, 0)
	return &u[0], nil
}

// mustUTF16z is utf16z for the package's own constants, which hold no NUL.
func mustUTF16z(s string) *uint16 {
	p, err := utf16z(s)
	if err != nil {
		panic(err)
	}
	return p
}

// goString reads a NUL-terminated UTF-16 string the DLL wrote; nil reads as "". Lone
// surrogates become U+FFFD.
func goString(p *uint16) string {
	if p == nil {
		return ""
	}
	var units []uint16
	for i := range maxStringUnits {
		c := *(*uint16)(unsafe.Add(unsafe.Pointer(p), i*2))
		if c == 0 {
			break
		}
		units = append(units, c)
	}
	return string(utf16.Decode(units))
}

// goBytes copies n bytes the DLL wrote at p, before the DLL frees them. nil or 0 is nil.
func goBytes(p *byte, n uint32) ([]byte, error) {
	if p == nil || n == 0 {
		return nil, nil
	}
	if n > maxResultBytes {
		return nil, errTooLarge
	}
	return append([]byte(nil), unsafe.Slice(p, n)...), nil
}

// cBytes is b as a PBYTE and its length, for a structure the DLL reads. nil or empty is
// (nil, 0).
func cBytes(b []byte) (*byte, uint32) {
	if len(b) == 0 {
		return nil, 0
	}
	return &b[0], uint32(len(b)) //nolint:gosec // G115: every buffer here is under the request body's size cap, far below 4 GiB
}
