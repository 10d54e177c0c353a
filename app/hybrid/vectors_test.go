package hybrid

// Known answers: every published vector of HYBRID-NOTES §3.3, each test named after what it
// proves and citing where the vector was published.

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Chromium v2_handshake_unittest.cc "Digits" and webauthn-rs base10.rs
// "encoding_should_not_change"; libwebauthn digit_encode.rs "test_digit_encode".
func TestDigitEncodingGivesThePublishedDigits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     []byte
		digits string
	}{
		{"Chromium's 'a' 'b' 0xff is 16736865", []byte{'a', 'b', 0xff}, "16736865"},
		{"libwebauthn's \"hello world\" is 335311851610699281684828783", []byte("hello world"), "335311851610699281684828783"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := encodeDigits(tc.in); got != tc.digits {
				t.Errorf("encodeDigits = %q, want %q", got, tc.digits)
			}
			got, err := decodeDigits(tc.digits)
			if err != nil || !bytes.Equal(got, tc.in) {
				t.Errorf("decodeDigits = %x, %v; want %x", got, err, tc.in)
			}
		})
	}
}

// webauthn-rs base10.rs "decoding_zero": n zero bytes are the chunk table's number of zeros.
func TestDigitEncodingOfZerosHasThePublishedLengths(t *testing.T) {
	for bytesLen, digitsLen := range []int{0, 3, 5, 8, 10, 13, 15, 17, 20} {
		zeros := make([]byte, bytesLen)
		want := strings.Repeat("0", digitsLen)
		if got := encodeDigits(zeros); got != want {
			t.Errorf("encodeDigits(%d zero bytes) = %q, want %q", bytesLen, got, want)
		}
		if got, err := decodeDigits(want); err != nil || !bytes.Equal(got, zeros) {
			t.Errorf("decodeDigits(%q) = %x, %v", want, got, err)
		}
	}
}

// Chromium "Digits" (round trip) and webauthn-rs "encoding_survives_roundtrips".
func TestDigitEncodingRoundTripsEveryLength(t *testing.T) {
	in := make([]byte, 255)
	for i := range in {
		in[i] = byte(i * 7)
	}
	for n := range in {
		got, err := decodeDigits(encodeDigits(in[:n]))
		if err != nil || !bytes.Equal(got, in[:n]) {
			t.Fatalf("length %d: %x, %v", n, got, err)
		}
	}
}

// Chromium "Digits" (non-digits, 999, impossible lengths) and webauthn-rs "invalid_decode".
func TestDigitDecodingRefusesWhatNoEncodingGives(t *testing.T) {
	for _, in := range []string{
		"a", "ab", "abc", "abc1234", // non-digits
		"\uff11\uff12\uff13",                    // full-width digits
		"1\u03082\u03083\u0308",                 // digits with combining umlauts
		"1", "12", "1234", "123456789012345678", // lengths no byte count gives
		"999",               // three digits are one byte, and 999 > 0xff
		"99999999999999999", // seventeen digits are seven bytes, and this is > 2^56
		"+12", "-12", " 12",
	} {
		if got, err := decodeDigits(in); err == nil {
			t.Errorf("decodeDigits(%q) = %x, want an error", in, got)
		}
	}
}

// libwebauthn crypto.rs "derive_eidkey_nosalt" and "derive_eidkey_salt".
func TestDeriveGivesLibwebauthnsEIDKeys(t *testing.T) {
	secret := unhex(t, "00112233445566778899aabbccddeeff")
	for _, tc := range []struct {
		name string
		salt []byte
		want string
	}{
		{"without a salt", nil, "efafab5b2c84a11c80e3ad0770353138b414a859ccd3afcc99e3d3250dba65084ede8e38e75432617c0ccae1ffe5d8143df0db0cd6d296f489419cd6411ee505"},
		{"with salt ffeedd...11", unhex(t, "ffeeddccbbaa998877665544332211"), "168cf3dd220a7907f8bac30f559be92a3b6d937fe5594beeaf1e50e35976b7d654dd550e22ae4c801b9d1cdbf0d2b1472daa1328661eb889acae3023b7ffa509"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := derive(secret, tc.salt, purposeEIDKey, eidKeySize); hex.EncodeToString(got) != tc.want {
				t.Errorf("derive = %x\nwant     %s", got, tc.want)
			}
		})
	}
}

// webauthn-rs discovery.rs "encrypt_decrypt" (a zero QR secret) and "decrypt_known".
func TestTunnelIDIsWebauthnRsTunnelID(t *testing.T) {
	for _, tc := range []struct{ secret, want string }{
		{"00000000000000000000000000000000", "3EEF97097986413B059EAA2A30D653D4"},
		{"01fea6f7c4807493dc256f9eacf756c9", "367CBBF5F5085DF4098476AFE4B9B1D2"},
	} {
		id := tunnelID(unhex(t, tc.secret))
		if got := strings.ToUpper(hex.EncodeToString(id[:])); got != tc.want {
			t.Errorf("tunnelID(%s) = %s, want %s", tc.secret, got, tc.want)
		}
	}
}

// Chromium "TunnelServerURLs" (0 and 266) and webauthn-rs tunnel.rs
// "check_known_tunnel_server_domains" (0, 1, 266, 255, 0xF980) and
// "check_all_hashed_tunnel_servers".
func TestDecodeDomainGivesThePublishedDomains(t *testing.T) {
	for _, tc := range []struct {
		id   uint16
		want string
	}{
		{0, "cable.ua5v.com"},
		{1, "cable.auth.com"},
		{266, "cable.wufkweyy3uaxb.com"},
		{0xF980, "cable.my4kstlhndi4c.net"},
		{2, ""},   // assigned range, not assigned yet
		{255, ""}, // idem
	} {
		got, ok := DecodeDomain(tc.id)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("DecodeDomain(%d) = %q, %v; want %q", tc.id, got, ok, tc.want)
		}
	}
	for id := 256; id <= 0xFFFF; id++ {
		if d, ok := DecodeDomain(uint16(id)); !ok || !strings.HasPrefix(d, "cable.") {
			t.Fatalf("DecodeDomain(%d) = %q, %v", id, d, ok)
		}
	}
}

// webauthn-rs discovery.rs "decrypt_known": an advert a real phone sent for a known QR secret.
func TestRealPhonesAdvertDecryptsToWebauthnRsComponents(t *testing.T) {
	secret := unhex(t, "01fea6f7c4807493dc256f9eacf756c9")
	advert := unhex(t, "027d84ed6076b55e247c830f82955e4d126e7f43")
	plain, ok := decryptAdvert(eidKey(secret), advert)
	if !ok {
		t.Fatal("the real advert does not decrypt")
	}
	if want := unhex(t, "00 8bb5c5c9a44d913a5eb2 026555 0000"); !bytes.Equal(plain[:], want) {
		t.Fatalf("plaintext %x, want %x", plain, want)
	}
	e, err := parseEID(plain)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(e.Nonce[:]) != "8bb5c5c9a44d913a5eb2" || hex.EncodeToString(e.RoutingID[:]) != "026555" || e.DomainID != 0 {
		t.Errorf("components %+v", e)
	}
	domain, _ := DecodeDomain(e.DomainID)
	route := Route{Domain: domain, DomainID: e.DomainID, RoutingID: e.RoutingID, TunnelID: tunnelID(secret)}
	if got, want := route.URL(), "wss://cable.ua5v.com/cable/connect/026555/367CBBF5F5085DF4098476AFE4B9B1D2"; got != want {
		t.Errorf("connect URL %s, want %s", got, want)
	}

	// The same advert with a CTAP 2.3 suffix (libwebauthn PR #216: a1 01 18 82) still decrypts.
	if p2, ok := decryptAdvert(eidKey(secret), append(bytes.Clone(advert), 0xa1, 0x01, 0x18, 0x82)); !ok || p2 != plain {
		t.Error("the advert with a CTAP 2.3 suffix does not decrypt")
	}
	// Any changed bit, and any shorter length, does not (webauthn-rs "encrypt_decrypt").
	for i := range advert {
		bad := bytes.Clone(advert)
		bad[i] ^= 1
		if _, ok := decryptAdvert(eidKey(secret), bad); ok {
			t.Errorf("advert with byte %d changed decrypts", i)
		}
	}
	for n := range advertSize {
		if _, ok := decryptAdvert(eidKey(secret), advert[:n]); ok {
			t.Errorf("advert of %d bytes decrypts", n)
		}
	}
	// Another QR code's key does not.
	if _, ok := decryptAdvert(eidKey(make([]byte, 16)), advert); ok {
		t.Error("the advert decrypts with another QR code's key")
	}
}

// webauthn-rs discovery.rs "encrypt_decrypt": connect URLs for routing ID 090A0B.
func TestConnectURLsAreWebauthnRsURLs(t *testing.T) {
	id := tunnelID(make([]byte, 16))
	for _, tc := range []struct {
		domain uint16
		want   string
	}{
		{0xF980, "wss://cable.my4kstlhndi4c.net/cable/connect/090A0B/3EEF97097986413B059EAA2A30D653D4"},
		{0, "wss://cable.ua5v.com/cable/connect/090A0B/3EEF97097986413B059EAA2A30D653D4"},
		{1, "wss://cable.auth.com/cable/connect/090A0B/3EEF97097986413B059EAA2A30D653D4"},
	} {
		d, _ := DecodeDomain(tc.domain)
		r := Route{Domain: d, DomainID: tc.domain, RoutingID: [3]byte{9, 10, 11}, TunnelID: id}
		if got := r.URL(); got != tc.want {
			t.Errorf("domain %d: %s, want %s", tc.domain, got, tc.want)
		}
	}
}

// webauthn-rs discovery.rs "eid_from_bytes" and Chromium "EIDEncrypt" (domain 255 refused).
func TestAdvertPlaintextIsReadAsWebauthnRsReadsIt(t *testing.T) {
	plain := [eidSize]byte{0, 9, 139, 115, 107, 54, 169, 140, 185, 164, 47, 9, 10, 11, 255, 1}
	e, err := parseEID(plain)
	if err != nil {
		t.Fatal(err)
	}
	if e.DomainID != 0x01FF || e.RoutingID != [3]byte{9, 10, 11} || e.Nonce != [10]byte{9, 139, 115, 107, 54, 169, 140, 185, 164, 47} {
		t.Errorf("components %+v", e)
	}
	for name, change := range map[string]func(p *[eidSize]byte){
		"an unassigned domain ID (255) is refused": func(p *[eidSize]byte) { p[15] = 0 },
		"a set reserved byte is refused":           func(p *[eidSize]byte) { p[0] = 1 },
	} {
		bad := plain
		change(&bad)
		if _, err := parseEID(bad); !errors.Is(err, ErrPhoneUnsupported) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// webauthn-rs noise.rs "construction": a makeCredential frame Chromium encrypted with keys
// leaked from a patched build (new construction: big-endian counter, no additional data).
func TestCrypterEncryptsChromiumsCapturedFrame(t *testing.T) {
	writeKey := unhex(t, "1fba3cce17622c68268d9f75b5a8a3351b517f096fb5e294941af7e3a6a8d6e1")
	readKey := unhex(t, "e34f1aa3747238c04d3bd25e07ef1b35fef359000d755615cd85be27cfc807d1")
	frame := unhex(t, capturedMakeCredentialFrame)
	want := unhex(t, "5062cf34571e0827a7c0207f7c00184567d613eab0da080ad042d80664c59df7b01a13db17fd277575ccff53b6a34fdb4fbcf832f3d360f8e5a7daee7f265a9253a904d6ebff2f9370d35536d8bf054830aaadffb996b420b2b3170ac80a83796823ed3c284b177c23400ca0124d6a68263d39783cfef0273fdf3bfcfa0a6c33df319b126f6e8290d22c4cd32a7a978856ba2273d1be1c0a291e5ee197416aa0f7a104e4d0ac582b708482326d5ff0f1768c1416d016b1f89242e70e80312fe6b6d4029a40ada374b31e7d66fac3ba7283944b9b60da4b98f67804095fd39cd1d45d75c93d2d86cbfc21616f9f1a576ccf8c862ee185125fc1ed7ed2486e2c5fbfc39c919597dd86c338e7df553d51e8")

	padded := pad(frame)
	if len(padded) != 256 || padded[255] != 0x1f || !bytes.Equal(padded[:len(frame)], frame) {
		t.Fatalf("padded frame: %d bytes, last %#x", len(padded), padded[len(padded)-1])
	}
	desktop, err := newCrypter(bytes.Clone(readKey), bytes.Clone(writeKey))
	if err != nil {
		t.Fatal(err)
	}
	ct, err := desktop.encrypt(frame)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ct, want) {
		t.Fatalf("ciphertext %x\nwant       %x", ct, want)
	}
	phone, err := newCrypter(bytes.Clone(writeKey), bytes.Clone(readKey))
	if err != nil {
		t.Fatal(err)
	}
	got, err := phone.decrypt(ct)
	if err != nil || !bytes.Equal(got, frame) {
		t.Fatalf("decrypt: %x, %v", got, err)
	}
	if phone.old {
		t.Error("the captured frame was read with the old construction")
	}
	if _, err := phone.decrypt(ct); err == nil {
		t.Error("the same ciphertext decrypted twice (the counter did not move)")
	}
}

// capturedMakeCredentialFrame is webauthn-rs noise.rs "construction"'s expected_req_encoding:
// type 1 (CTAP), command 1 (makeCredential), then the CBOR request.
const capturedMakeCredentialFrame = "0101a60158203889285c8c6323950ced074984f9f9463bc1739bb621a9e5f1ee8dd9393ba28002a26269647818776562617574686e2e6669727374796561722e69642e6175646e616d657818776562617574686e2e6669727374796561722e69642e617503a362696450d6d7aa298fe84a06aaded7e49d900a62646e616d6561616b646973706c61794e616d6561610482a263616c672664747970656a7075626c69632d6b6579a263616c6739010064747970656a7075626c69632d6b65790581a2626964440001020364747970656a7075626c69632d6b657907a1627576f5"

// webauthn-rs handshake.rs "decode_chrome" and "decode_safari_ios": QR codes Chrome and
// Safari on iOS showed parse, and encode back to the same text.
func TestRealChromeAndSafariQRCodesRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		url     string
		linking bool
	}{
		{"Chrome", "FIDO:/162870791865632382552704231438327900152302540348097243854039966655366469794954476199158014113179232779520163209900691930075274801398564434658077048963842109321447142660", true},
		{"Safari on iOS", "FIDO:/089962132878132862898875319509818655951233947060166026934941652203853844930597225184066237811614893181300344014421205790072080843938838513707157859599106109321447142404", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := ParseQR(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if q.KnownDomains != 2 || q.SupportsLinking == nil || *q.SupportsLinking != tc.linking || q.Request != RequestMakeCredential || q.Timestamp.Year() < 2022 {
				t.Errorf("parsed %+v", q)
			}
			again, err := q.URL()
			if err != nil || again != tc.url {
				t.Errorf("re-encoded %q, %v", again, err)
			}
		})
	}
}

// Chromium v2_handshake_unittest.cc "KnownQRs".
func TestQRParsingFollowsChromiumsKnownQRs(t *testing.T) {
	point := unhex(t, "03364C15EEC34331D2865757421D497E569E1EBA6CFF9A69D32E90F19E7F6FD15E")
	badPoint := bytes.Clone(point)
	badPoint[len(badPoint)-1] ^= 3
	secret := make([]byte, 16)
	yes, no := true, false
	for _, tc := range []struct {
		name    string
		m       map[int]any
		valid   bool
		domains uint64
		linking *bool
		request RequestType
	}{
		{"a basic QR code is valid", map[int]any{0: point, 1: secret}, true, 0, nil, ""},
		{"an invalid compressed point is refused", map[int]any{0: badPoint, 1: secret}, false, 0, nil, ""},
		{"a key 0 that is not a byte string is refused", map[int]any{0: 42, 1: secret}, false, 0, nil, ""},
		{"the number of known domains is read", map[int]any{0: point, 1: secret, 2: 4567}, true, 4567, nil, ""},
		{"a number of domains that is a string is refused", map[int]any{0: point, 1: secret, 2: "foo"}, false, 0, nil, ""},
		{"supports linking is read", map[int]any{0: point, 1: secret, 4: true}, true, 0, &yes, ""},
		{"does not support linking is read", map[int]any{0: point, 1: secret, 4: false}, true, 0, &no, ""},
		{"a linking flag that is a string is refused", map[int]any{0: point, 1: secret, 4: "foo"}, false, 0, nil, ""},
		{"request type ga is read", map[int]any{0: point, 1: secret, 5: "ga"}, true, 0, nil, RequestGetAssertion},
		{"request type mc is read", map[int]any{0: point, 1: secret, 5: "mc"}, true, 0, nil, RequestMakeCredential},
		{"an unknown request type reads as ga", map[int]any{0: point, 1: secret, 5: "XX"}, true, 0, nil, RequestGetAssertion},
		{"a request type that is a number is refused", map[int]any{0: point, 1: secret, 5: 42}, false, 0, nil, ""},
		{"an unknown key is ignored", map[int]any{0: point, 1: secret, 1000: 42}, true, 0, nil, ""},
		{"a secret that is not 16 bytes is refused", map[int]any{0: point, 1: make([]byte, 15)}, false, 0, nil, ""},
		{"a QR code without a secret is refused", map[int]any{0: point}, false, 0, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := cbor.Marshal(tc.m)
			if err != nil {
				t.Fatal(err)
			}
			q, err := ParseQR("FIDO:/" + encodeDigits(b))
			if !tc.valid {
				if !errors.Is(err, ErrBadQR) {
					t.Fatalf("parsed %+v, %v; want ErrBadQR", q, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if q.KnownDomains != tc.domains || (q.SupportsLinking == nil) != (tc.linking == nil) ||
				(tc.linking != nil && *q.SupportsLinking != *tc.linking) || q.Request != tc.request {
				t.Errorf("parsed %+v", q)
			}
			if !bytes.Equal(q.PublicKey, point) || !bytes.Equal(q.Secret, secret) {
				t.Errorf("key or secret changed: %+v", q)
			}
		})
	}
}

// webauthn-rs handshake.rs "invalid_urls" and Chromium "QRs" ("nonsense", a changed prefix).
func TestQRParsingRefusesWebauthnRsInvalidURLs(t *testing.T) {
	for _, u := range []string{"http://example.com", "fido:/", "FIDO:/", "FIDO://", "FIDO:/0", "FIDO:/999", "FIDO:/000", "nonsense", "BIDO:/000"} {
		if q, err := ParseQR(u); !errors.Is(err, ErrBadQR) {
			t.Errorf("ParseQR(%q) = %+v, %v; want ErrBadQR", u, q, err)
		}
	}
}
