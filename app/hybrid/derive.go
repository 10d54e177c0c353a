package hybrid

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// purpose is the "info" of a caBLE v2 key derivation (Chromium's DerivedValueType;
// CTAP 2.2 §11.5.1.2): the same secret gives unrelated values for each purpose.
type purpose uint32

const (
	purposeEIDKey   purpose = 1 // AES-256 key ‖ HMAC-SHA256 key of the phone's advert
	purposeTunnelID purpose = 2 // the tunnel ID the phone and this desktop meet at
	purposePSK      purpose = 3 // the Noise pre-shared key
	// 4 (paired secret), 5 (identity key seed) and 6 (per-contact ID secret) are the
	// phone's, for state-assisted transactions (not done here).
)

// Sizes of the derived values and of the QR code's secrets.
const (
	qrSecretSize  = 16
	eidKeySize    = 64
	tunnelIDSize  = 16
	pskSize       = 32
	eidSize       = 16 // the advert's plaintext
	advertSize    = 20 // the advert: AES block ‖ 4 bytes of HMAC
	routingIDSize = 3
)

// derive is caBLE v2's Derive(secret, salt, purpose, n): HKDF-SHA256 (RFC 5869) with the
// purpose as a 32-bit little-endian info. An empty salt is HKDF's default all-zero salt, as
// in BoringSSL.
func derive(secret, salt []byte, p purpose, n int) []byte {
	var info [4]byte
	binary.LittleEndian.PutUint32(info[:], uint32(p))
	out, err := hkdf.Key(sha256.New, secret, salt, string(info[:]), n)
	if err != nil {
		// Only a length over 255*32 bytes fails; every caller asks for a constant below it.
		panic(fmt.Sprintf("hybrid: derive %d bytes: %v", n, err))
	}
	return out
}

// eidKey derives the advert key from the QR code's secret.
func eidKey(qrSecret []byte) []byte { return derive(qrSecret, nil, purposeEIDKey, eidKeySize) }

// tunnelID derives the tunnel ID from the QR code's secret.
func tunnelID(qrSecret []byte) [tunnelIDSize]byte {
	var id [tunnelIDSize]byte
	b := derive(qrSecret, nil, purposeTunnelID, tunnelIDSize)
	copy(id[:], b)
	return id
}

// psk derives the Noise pre-shared key from the QR code's secret and the advert's plaintext
// (which only a phone that read the QR code and is in Bluetooth range can know).
func psk(qrSecret, eid []byte) []byte { return derive(qrSecret, eid, purposePSK, pskSize) }
