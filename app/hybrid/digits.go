package hybrid

import (
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// The QR code's "FIDO:/" URL carries its CBOR bytes as decimal digits, so that the QR code
// can use its dense numeric mode (CTAP 2.2 §11.5.1.1; Chromium qr::BytesToDigits;
// https://www.imperialviolet.org/2021/08/26/qrencoding.html). Every 7 bytes, read as a
// little-endian integer, become 17 digits; a shorter last chunk of n bytes becomes the
// fewest digits that can hold 2^(8n)-1.

const (
	digitChunkBytes  = 7
	digitChunkDigits = 17
)

// partialChunkDigits[n] is the number of digits for a last chunk of n bytes (0 < n < 7).
var partialChunkDigits = [digitChunkBytes]int{0, 3, 5, 8, 10, 13, 15}

var errDigits = errors.New("not a caBLE digit string")

// encodeDigits turns b into its digit string.
func encodeDigits(b []byte) string {
	var out strings.Builder
	out.Grow((len(b)/digitChunkBytes + 1) * digitChunkDigits)
	for len(b) > 0 {
		n := min(len(b), digitChunkBytes)
		var chunk [8]byte
		copy(chunk[:], b[:n])
		width := digitChunkDigits
		if n < digitChunkBytes {
			width = partialChunkDigits[n]
		}
		s := strconv.FormatUint(binary.LittleEndian.Uint64(chunk[:]), 10)
		out.WriteString(strings.Repeat("0", width-len(s)))
		out.WriteString(s)
		b = b[n:]
	}
	return out.String()
}

// decodeDigits is the inverse of encodeDigits. It refuses anything encodeDigits cannot
// produce: characters other than ASCII digits, a length that no byte count gives, and a
// chunk whose value does not fit its bytes (e.g. "999" for one byte).
func decodeDigits(s string) ([]byte, error) {
	full, rest := len(s)/digitChunkDigits, len(s)%digitChunkDigits
	tail := -1
	for n, width := range partialChunkDigits {
		if width == rest {
			tail = n
			break
		}
	}
	if tail < 0 {
		return nil, errDigits
	}
	out := make([]byte, 0, full*digitChunkBytes+tail)
	for len(s) > 0 {
		width, n := digitChunkDigits, digitChunkBytes
		if len(s) < digitChunkDigits {
			width, n = len(s), tail
		}
		for i := range width {
			if s[i] < '0' || s[i] > '9' { // ASCII digits only: no sign, no full-width digits
				return nil, errDigits
			}
		}
		v, err := strconv.ParseUint(s[:width], 10, 64)
		if err != nil || v>>(8*n) != 0 {
			return nil, errDigits
		}
		var chunk [8]byte
		binary.LittleEndian.PutUint64(chunk[:], v)
		out = append(out, chunk[:n]...)
		s = s[width:]
	}
	return out, nil
}
