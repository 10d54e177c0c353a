package hybrid

import (
	"crypto/ecdh"
	"crypto/elliptic"
	"fmt"
	"image"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
	qrcode "github.com/skip2/go-qrcode"
)

// RequestType is the QR code's hint of what the desktop will ask (key 5), so the phone can
// word its screens before the request arrives.
type RequestType string

const (
	RequestMakeCredential RequestType = "mc" // set up a passkey
	RequestGetAssertion   RequestType = "ga" // log in (also what an unknown hint means)
)

// qrPrefix starts the URL in the QR code. Upper case, so the whole URL stays in the QR
// code's alphanumeric and numeric modes; phones read it case-insensitively.
const qrPrefix = "FIDO:/"

// QRData is what the QR code says (CTAP 2.2 §11.5.1.1; Chromium qr::Encode/Parse): a CBOR
// map with integer keys, sent as "FIDO:/" and digits (digits.go).
type QRData struct {
	// PublicKey is the desktop's identity key for this QR code: P-256, compressed
	// (33 bytes, 0x02/0x03 ‖ X). The phone authenticates the desktop with it in the Noise
	// handshake (KNpsk0: the responder knows the initiator's static key from the QR code).
	PublicKey []byte
	// Secret is the QR code's 16-byte secret, from which the advert key, the tunnel ID and
	// the PSK are derived. It is the one secret in the QR code.
	Secret []byte
	// KnownDomains is how many assigned tunnel server domains the desktop knows (key 2).
	KnownDomains uint64
	// Timestamp is when the QR code was made (key 3, Unix seconds).
	Timestamp time.Time
	// SupportsLinking (key 4) says whether the desktop can remember the phone for later
	// ("state-assisted" transactions). Its presence marks caBLE v2.1 for older Android
	// phones, so it is always sent; nil when a parsed QR code had none.
	SupportsLinking *bool
	// Request is the request type hint (key 5); empty when a parsed QR code had none.
	Request RequestType
}

// qrWire is the CBOR form. Key 6 is left out on purpose: older Google Play Services read it
// as a bool and CTAP 2.3 as an array of transports, and a wrong type makes phones refuse
// the QR code (libwebauthn). Keys come out in order 0..5.
type qrWire struct {
	PublicKey       []byte  `cbor:"0,keyasint"`
	Secret          []byte  `cbor:"1,keyasint"`
	KnownDomains    *uint64 `cbor:"2,keyasint,omitempty"`
	Timestamp       *int64  `cbor:"3,keyasint,omitempty"`
	SupportsLinking *bool   `cbor:"4,keyasint,omitempty"`
	Request         *string `cbor:"5,keyasint,omitempty"`
}

var (
	qrEncMode = mustEncMode(cbor.EncOptions{Sort: cbor.SortCTAP2})
	// strictDecMode refuses duplicate map keys and indefinite lengths, and (cbor.Unmarshal)
	// trailing bytes; unknown keys are ignored, as CTAP requires.
	strictDecMode = mustDecMode(cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		MaxNestedLevels:  16,
		MaxArrayElements: 1024,
		MaxMapPairs:      1024,
	})
)

func mustEncMode(o cbor.EncOptions) cbor.EncMode {
	m, err := o.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}

func mustDecMode(o cbor.DecOptions) cbor.DecMode {
	m, err := o.DecMode()
	if err != nil {
		panic(err)
	}
	return m
}

// URL returns the QR code's text: "FIDO:/" and the digits of the CBOR map.
func (q QRData) URL() (string, error) {
	w := qrWire{PublicKey: q.PublicKey, Secret: q.Secret, SupportsLinking: q.SupportsLinking}
	if q.KnownDomains != 0 {
		w.KnownDomains = &q.KnownDomains
	}
	if !q.Timestamp.IsZero() {
		ts := q.Timestamp.Unix()
		w.Timestamp = &ts
	}
	if q.Request != "" {
		r := string(q.Request)
		w.Request = &r
	}
	b, err := qrEncMode.Marshal(w)
	if err != nil {
		return "", fmt.Errorf("hybrid: encode QR data: %w", err)
	}
	defer clear(b) // holds the secret
	return qrPrefix + encodeDigits(b), nil
}

// ParseQR reads a QR code's text, as a phone does (Chromium qr::Parse): the "FIDO:/" prefix
// in any case, valid digits, a CBOR map whose key 0 is a compressed P-256 point on the
// curve and key 1 a 16-byte secret; keys 2..5, when present, of the right type; other keys
// ignored. An unknown request type reads as "ga". Errors wrap ErrBadQR.
func ParseQR(text string) (QRData, error) {
	if len(text) <= len(qrPrefix) || !strings.EqualFold(text[:len(qrPrefix)], qrPrefix) {
		return QRData{}, fmt.Errorf("%w: no FIDO:/ prefix or no data", ErrBadQR)
	}
	b, err := decodeDigits(text[len(qrPrefix):])
	if err != nil {
		return QRData{}, fmt.Errorf("%w: %w", ErrBadQR, err)
	}
	defer clear(b)
	var w qrWire
	if err := strictDecMode.Unmarshal(b, &w); err != nil {
		return QRData{}, fmt.Errorf("%w: %w", ErrBadQR, err)
	}
	defer clear(w.Secret)
	if _, err := decompress(w.PublicKey); err != nil {
		return QRData{}, fmt.Errorf("%w: key 0: %w", ErrBadQR, err)
	}
	if len(w.Secret) != qrSecretSize {
		return QRData{}, fmt.Errorf("%w: key 1 is %d bytes, not %d", ErrBadQR, len(w.Secret), qrSecretSize)
	}
	q := QRData{
		PublicKey:       w.PublicKey,
		Secret:          append([]byte(nil), w.Secret...),
		SupportsLinking: w.SupportsLinking,
	}
	if w.KnownDomains != nil {
		q.KnownDomains = *w.KnownDomains
	}
	if w.Timestamp != nil {
		q.Timestamp = time.Unix(*w.Timestamp, 0)
	}
	if w.Request != nil {
		q.Request = RequestGetAssertion
		if RequestType(*w.Request) == RequestMakeCredential {
			q.Request = RequestMakeCredential
		}
	}
	return q, nil
}

// compress is the compressed form of a P-256 public key (SEC 1 §2.3.3).
func compress(pub *ecdh.PublicKey) []byte {
	b := pub.Bytes() // 0x04 ‖ X ‖ Y
	out := make([]byte, 33)
	out[0] = 0x02 | b[64]&1
	copy(out[1:], b[1:33])
	return out
}

// decompress checks a compressed P-256 point and returns the public key.
func decompress(b []byte) (*ecdh.PublicKey, error) {
	if len(b) != 33 {
		return nil, fmt.Errorf("a compressed P-256 key is 33 bytes, not %d", len(b))
	}
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), b)
	if x == nil {
		return nil, fmt.Errorf("not a point on P-256")
	}
	var raw [65]byte
	raw[0] = 4
	x.FillBytes(raw[1:33])
	y.FillBytes(raw[33:])
	return ecdh.P256().NewPublicKey(raw[:])
}

// QR is the QR code to show: its text and its image.
type QR struct {
	// Text is the "FIDO:/" URL the code holds. It contains the QR code's secret: never log
	// it. It is good for one transaction only.
	Text string
}

// qrLevel: error correction M. A 69-byte map is 174 characters, which at level M fits
// version 5 (37×37 modules) when the digits use numeric mode (skip2/go-qrcode splits the
// text into an alphanumeric and a numeric segment).
const qrLevel = qrcode.Medium

// PNG renders the QR code as a PNG image of size×size pixels (with the quiet zone).
func (q QR) PNG(size int) ([]byte, error) {
	code, err := qrcode.New(q.Text, qrLevel)
	if err != nil {
		return nil, fmt.Errorf("hybrid: QR code: %w", err)
	}
	return code.PNG(size)
}

// Image renders the QR code as an image of size×size pixels.
func (q QR) Image(size int) (image.Image, error) {
	code, err := qrcode.New(q.Text, qrLevel)
	if err != nil {
		return nil, fmt.Errorf("hybrid: QR code: %w", err)
	}
	return code.Image(size), nil
}

// Modules is the QR code's matrix (true: dark), with a 4-module quiet zone, for drawing it
// another way (e.g. as SVG in the page); Version is its QR version (1..40).
func (q QR) Modules() (modules [][]bool, version int, err error) {
	code, err := qrcode.New(q.Text, qrLevel)
	if err != nil {
		return nil, 0, fmt.Errorf("hybrid: QR code: %w", err)
	}
	return code.Bitmap(), code.VersionNumber, nil
}
