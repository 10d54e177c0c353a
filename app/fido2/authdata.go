//go:build cgo && !windows

package fido2

import (
	"encoding/binary"
	"errors"
)

// Authenticator data flags (WebAuthn L3 §6.1).
const (
	FlagUserPresent      = 0x01 // UP
	FlagUserVerified     = 0x04 // UV
	FlagBackupEligible   = 0x08 // BE
	FlagBackedUp         = 0x10 // BS
	FlagAttestedCredData = 0x40 // AT
	FlagExtensionData    = 0x80 // ED
)

var errBadCBOR = errors.New("malformed CBOR")

// The few CBOR (RFC 8949) pieces this package needs: libfido2 hands out an assertion's
// authenticator data wrapped in a CBOR byte string, and a credential's COSE key sits
// inside authenticator data with no length of its own. A full CBOR library is not worth
// a dependency for that.

// cborHead reads the head of the item at the start of b: its major type, its argument
// (a length or a value), and the head's own length.
func cborHead(b []byte) (major byte, arg uint64, n int, err error) {
	if len(b) == 0 {
		return 0, 0, 0, errBadCBOR
	}
	major, info := b[0]>>5, b[0]&0x1f
	switch {
	case info < 24:
		return major, uint64(info), 1, nil
	case info == 24 && len(b) >= 2:
		return major, uint64(b[1]), 2, nil
	case info == 25 && len(b) >= 3:
		return major, uint64(binary.BigEndian.Uint16(b[1:])), 3, nil
	case info == 26 && len(b) >= 5:
		return major, uint64(binary.BigEndian.Uint32(b[1:])), 5, nil
	case info == 27 && len(b) >= 9:
		return major, binary.BigEndian.Uint64(b[1:]), 9, nil
	}
	return 0, 0, 0, errBadCBOR // indefinite lengths (31), reserved values, or too short
}

// cborItemLen returns the length of the first whole CBOR item of b (definite lengths only,
// which is all CTAP2's canonical CBOR uses). depth bounds nesting.
func cborItemLen(b []byte) (int, error) { return cborItemLenDepth(b, 16) }

func cborItemLenDepth(b []byte, depth int) (int, error) {
	if depth == 0 {
		return 0, errBadCBOR
	}
	major, arg, n, err := cborHead(b)
	if err != nil {
		return 0, err
	}
	switch major {
	case 0, 1, 7: // unsigned, negative, simple/float: the head is everything
		return n, nil
	case 2, 3: // byte and text strings
		if arg > uint64(len(b[n:])) {
			return 0, errBadCBOR
		}
		return n + int(arg), nil //nolint:gosec // G115: arg <= len(b[n:]), checked just above, so it fits an int
	case 4, 5: // arrays and maps
		items := arg
		if major == 5 {
			if items > uint64(len(b)) {
				return 0, errBadCBOR
			}
			items *= 2
		}
		if items > uint64(len(b)) { // each item takes at least a byte
			return 0, errBadCBOR
		}
		for range items {
			m, err := cborItemLenDepth(b[n:], depth-1)
			if err != nil {
				return 0, err
			}
			n += m
		}
		return n, nil
	case 6: // tag: the head, then the tagged item
		m, err := cborItemLenDepth(b[n:], depth-1)
		if err != nil {
			return 0, err
		}
		return n + m, nil
	}
	return 0, errBadCBOR
}

// unwrapByteString returns the contents of b, which must be exactly one CBOR byte string.
func unwrapByteString(b []byte) ([]byte, error) {
	major, arg, n, err := cborHead(b)
	if err != nil || major != 2 || arg != uint64(len(b[n:])) {
		return nil, errBadCBOR
	}
	return b[n:], nil
}

func appendCBORHead(dst []byte, major byte, arg uint64) []byte {
	switch {
	case arg < 24:
		return append(dst, major<<5|byte(arg))
	case arg <= 0xff:
		return append(dst, major<<5|24, byte(arg))
	case arg <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, major<<5|25), uint16(arg))
	case arg <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(dst, major<<5|26), uint32(arg))
	}
	return binary.BigEndian.AppendUint64(append(dst, major<<5|27), arg)
}

func appendCBORText(dst []byte, s string) []byte {
	return append(appendCBORHead(dst, 3, uint64(len(s))), s...)
}

func appendCBORBytes(dst []byte, b []byte) []byte {
	return append(appendCBORHead(dst, 2, uint64(len(b))), b...)
}

// attestedCredential splits the attested credential data out of raw authenticator data
// (WebAuthn L3 §6.5.1): rpIdHash(32) flags(1) signCount(4) aaguid(16) idLen(2) id coseKey.
func attestedCredential(authData []byte) (aaguid, id, coseKey []byte, err error) {
	const fixed = 32 + 1 + 4
	if len(authData) < fixed+16+2 || authData[32]&FlagAttestedCredData == 0 {
		return nil, nil, nil, errors.New("authenticator data has no attested credential")
	}
	rest := authData[fixed:]
	aaguid, rest = rest[:16], rest[16:]
	idLen := int(binary.BigEndian.Uint16(rest))
	rest = rest[2:]
	if idLen == 0 || idLen > len(rest) {
		return nil, nil, nil, errors.New("authenticator data: bad credential ID length")
	}
	id, rest = rest[:idLen], rest[idLen:]
	n, err := cborItemLen(rest)
	if err != nil {
		return nil, nil, nil, errors.New("authenticator data: bad credential public key")
	}
	return aaguid, id, rest[:n], nil
}
