package hybrid

import (
	"context"
	"crypto/aes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
)

// Service UUIDs (16-bit) the phone's advert comes under, as service data (CTAP 2.2
// §11.5.1.2; Chromium fido_ble_uuids.cc).
const (
	ServiceFIDO   uint16 = 0xFFF9 // FIDO Alliance: 0000fff9-0000-1000-8000-00805f9b34fb
	ServiceGoogle uint16 = 0xFDE2 // Google, used by older Android phones
)

// Advert is one piece of BLE service data the scanner saw.
type Advert struct {
	// Data is the service data: for a caBLE advert, 20 bytes (an AES block and 4 bytes of
	// HMAC), or more under CTAP 2.3, which appends a CBOR map (e.g. an L2CAP PSM).
	Data []byte
	// Service is the 16-bit service UUID it came under (0 when not a 16-bit UUID). Data
	// under ServiceFIDO or ServiceGoogle that does not decrypt for this QR code means a phone
	// answering another QR code (ErrWrongPhone). A scanner may also hand over data under any
	// other UUID to be tried (some Android phones used 0xFCF1); that never counts as a phone.
	Service uint16
	// Cached is true for service data the scanner's system already held when the scan
	// started (BlueZ keeps a device's last advert for a while after it was heard): it is
	// tried, as the phone may have advertised a moment before the scan began, but it is no
	// sign of a phone nearby now, so it never counts as one answering another QR code.
	Cached bool
}

// AdvertSource is the Bluetooth LE scanner (BlueZ over D-Bus on Linux, CoreBluetooth on
// macOS; a channel fed by the simulated phone in tests). The desktop only scans: it never
// connects to the phone or advertises itself in a QR-initiated transaction.
type AdvertSource interface {
	// Adverts starts scanning and sends every service datum seen until ctx ends, then closes
	// the channel once the scan has stopped: a Session waits for that close (a few seconds
	// at most) before its call returns, so that no scan outlives its transaction. The scan is passive: duplicates should be reported (BlueZ DuplicateData),
	// because the phone's advert can come late. An error means the scan could not start
	// (no adapter, powered off, no permission): the Session returns ErrBluetoothUnavailable,
	// and the error should wrap the reason when the scanner knows it (ErrNoBluetoothAdapter,
	// ErrBluetoothOff, ErrBluetoothBlocked, ErrBluetoothNotAllowed). When the channel closes
	// before ctx ends (Bluetooth went during the scan), a Session asks the scanner's
	// Available(ctx) error, if it has one, for the reason, as for a scan that cannot start.
	Adverts(ctx context.Context) (<-chan Advert, error)
}

// isCableService reports whether service is one a caBLE phone advertises under.
func isCableService(service uint16) bool { return service == ServiceFIDO || service == ServiceGoogle }

// decryptAdvert tries to decrypt data with the advert key (AES-256 key ‖ HMAC-SHA256 key).
// It reports false when the data is not an advert for this key: the HMAC is checked first,
// in constant time, over the AES block (CTAP 2.2 §11.5.1.2; Chromium eid::Decrypt). Bytes
// after the 20th are a CTAP 2.3 suffix and are not authenticated here.
func decryptAdvert(key []byte, data []byte) (plain [eidSize]byte, ok bool) {
	if len(key) != eidKeySize || len(data) < advertSize {
		return plain, false
	}
	mac := hmac.New(sha256.New, key[32:])
	mac.Write(data[:eidSize])
	want := mac.Sum(nil)
	if subtle.ConstantTimeCompare(want[:advertSize-eidSize], data[eidSize:advertSize]) != 1 {
		return plain, false
	}
	block, err := aes.NewCipher(key[:32])
	if err != nil {
		return plain, false
	}
	block.Decrypt(plain[:], data[:eidSize]) // one block: the EID is exactly one AES block
	return plain, true
}

// eid is the advert's plaintext (Chromium eid::Components): a reserved zero byte, a 10-byte
// nonce, the 3-byte routing ID the tunnel server gave the phone, and the tunnel server's
// domain ID (16 bits, little-endian).
type eid struct {
	Nonce     [10]byte
	RoutingID [routingIDSize]byte
	DomainID  uint16
}

// parseEID reads a decrypted advert. It refuses a non-zero reserved byte and a domain ID
// that is assigned but unknown (2..255), as Chromium does: such a phone speaks a newer
// protocol (ErrPhoneUnsupported).
func parseEID(plain [eidSize]byte) (eid, error) {
	var e eid
	if plain[0] != 0 {
		return e, fmt.Errorf("%w: the advert's reserved byte is %#x", ErrPhoneUnsupported, plain[0])
	}
	copy(e.Nonce[:], plain[1:11])
	copy(e.RoutingID[:], plain[11:14])
	e.DomainID = binary.LittleEndian.Uint16(plain[14:16])
	if _, ok := DecodeDomain(e.DomainID); !ok {
		return e, fmt.Errorf("%w: unknown tunnel server domain %d", ErrPhoneUnsupported, e.DomainID)
	}
	return e, nil
}
