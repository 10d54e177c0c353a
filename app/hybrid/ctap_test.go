package hybrid

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// webauthn-rs noise.rs "construction": the makeCredential frame Chromium sent (type byte 1,
// command 1, canonical CBOR) is what this package builds from the same request.
func TestMakeCredentialFrameIsChromiumsCapturedFrame(t *testing.T) {
	req := MakeCredentialRequest{
		ClientDataHash:   unhex(t, "3889285c8c6323950ced074984f9f9463bc1739bb621a9e5f1ee8dd9393ba280"),
		RPID:             "webauthn.firstyear.id.au",
		RPName:           "webauthn.firstyear.id.au",
		UserID:           unhex(t, "d6d7aa298fe84a06aaded7e49d900a62"),
		UserName:         "a",
		UserDisplayName:  "a",
		Algorithms:       []int{-7, -257},
		ExcludeList:      [][]byte{{0, 1, 2, 3}},
		ResidentKey:      Discouraged,
		UserVerification: Required,
	}
	cmd, err := req.encode(getInfo{Options: map[string]bool{"rk": true, "uv": true}})
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(append([]byte{msgCTAP}, cmd...)); got != capturedMakeCredentialFrame {
		t.Errorf("frame\n got %s\nwant %s", got, capturedMakeCredentialFrame)
	}
}

// webauthn-rs framing.rs "sample_make_credential_request": the CTAP 2.1 specification's
// makeCredential example (a discoverable credential, three algorithms, no uv), framed.
func TestMakeCredentialFrameIsTheCTAPSpecificationsExample(t *testing.T) {
	req := MakeCredentialRequest{
		ClientDataHash:   unhex(t, "687134968222ec17202e42505f8ed2b16ae22f16bb05b88c25db9e602645f141"),
		RPID:             "test.ctap",
		RPName:           "test.ctap",
		UserID:           unhex(t, "2b6689bb18f4169f069fbcdf50cb6ea3c60a861b9a7b63946983e0b577b78c70"),
		UserName:         "testctap@ctap.com",
		UserDisplayName:  "Test Ctap",
		Algorithms:       []int{-7, -257, -37},
		ResidentKey:      Required,
		UserVerification: Discouraged,
	}
	cmd, err := req.encode(getInfo{})
	if err != nil {
		t.Fatal(err)
	}
	want := "0101a5015820687134968222ec17202e42505f8ed2b16ae22f16bb05b88c25db9e602645f14102a262696469746573742e63746170646e616d6569746573742e6374617003a362696458202b6689bb18f4169f069fbcdf50cb6ea3c60a861b9a7b63946983e0b577b78c70646e616d6571746573746374617040637461702e636f6d6b646973706c61794e616d65695465737420437461700483a263616c672664747970656a7075626c69632d6b6579a263616c6739010064747970656a7075626c69632d6b6579a263616c67382464747970656a7075626c69632d6b657907a162726bf5"
	if got := hex.EncodeToString(append([]byte{msgCTAP}, cmd...)); got != want {
		t.Errorf("frame\n got %s\nwant %s", got, want)
	}
}

// webauthn-rs framing.rs: the CTAP specification's makeCredential answer ("packed"
// attestation, a COSE key followed by an hmac-secret extension) is read, and the
// attestation object handed on is "none" with the authenticator data unchanged.
func TestMakeCredentialAnswerOfTheCTAPSpecificationIsRead(t *testing.T) {
	frame := unhex(t, "01a301667061636b65640258a20021f5fc0b85cd22e60623bcd7d1ca48948909249b4776eb515154e57b66ae12c500000055f8a011f38c0a4d15800617111f9edc7d0010f4d57b23dd0cb785680cdaa7f7e44f60a5010203262001215820df017d0b286795bea153d166a0a15b4f6b67a3af4a101e10e8496f3dd3c5d1a922582094b22551e6325d7733c41bb2f5a642adee417c97e0906197b5b0cd8b8d6c6ba7a16b686d61632d736563726574f503a363616c6726637369675847304502207ccac57a1e43df24b0847eebf119d28dcdc5048f7dcd8edd79e79721c41bcf2d022100d89ec75b92ce8ff9e46fe7f8c87995694a63e5b78ab85c47b9da1c580a8ec83a63783563815901973082019330820138a003020102020900859b726cb24b4c29300a06082a8648ce3d0403023047310b300906035504061302555331143012060355040a0c0b59756269636f205465737431223020060355040b0c1941757468656e74696361746f72204174746573746174696f6e301e170d3136313230343131353530305a170d3236313230323131353530305a3047310b300906035504061302555331143012060355040a0c0b59756269636f205465737431223020060355040b0c1941757468656e74696361746f72204174746573746174696f6e3059301306072a8648ce3d020106082a8648ce3d03010703420004ad11eb0e8852e53ad5dfed86b41e6134a18ec4e1af8f221a3c7d6e636c80ea13c3d504ff2e76211bb44525b196c44cb4849979cf6f896ecd2bb860de1bf4376ba30d300b30090603551d1304023000300a06082a8648ce3d0403020349003046022100e9a39f1b03197525f7373e10ce77e78021731b94d0c03f3fda1fd22db3d030e7022100c4faec3445a820cf43129cdb00aabefd9ae2d874f9c5d343cb2f113da23723f3")
	if frame[0] != msgCTAP {
		t.Fatal("not a CTAP frame")
	}
	cred, err := parseMakeCredential(frame[1:], "test.ctap")
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(cred.ID) != "f4d57b23dd0cb785680cdaa7f7e44f60" || cred.Algorithm != -7 || cred.Format != "packed" {
		t.Errorf("credential %x, alg %d, fmt %s", cred.ID, cred.Algorithm, cred.Format)
	}
	pub, err := x509.ParsePKIXPublicKey(cred.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	point, err := pub.(*ecdsa.PublicKey).Bytes() // SEC 1 uncompressed: 0x04 || X || Y
	if err != nil {
		t.Fatal(err)
	}
	if x := hex.EncodeToString(point[1:33]); x != "df017d0b286795bea153d166a0a15b4f6b67a3af4a101e10e8496f3dd3c5d1a9" {
		t.Errorf("public key X %s", x)
	}
	var att struct {
		Fmt      string         `cbor:"fmt"`
		AttStmt  map[string]any `cbor:"attStmt"`
		AuthData []byte         `cbor:"authData"`
	}
	if err := cbor.Unmarshal(cred.AttestationObject(), &att); err != nil {
		t.Fatal(err)
	}
	if att.Fmt != "none" || len(att.AttStmt) != 0 || !bytes.Equal(att.AuthData, cred.AuthenticatorData) {
		t.Errorf("attestation object %+v", att)
	}
	// The same answer for another RP ID is refused.
	if _, err := parseMakeCredential(frame[1:], "example.com"); !errors.Is(err, ErrBadResponse) {
		t.Errorf("answer for another RP: %v", err)
	}
}

// webauthn-rs tunnel.rs "posthandshake_android_chrome" and "posthandshake_ios16".
func TestPostHandshakeMessagesOfRealPhonesAreRead(t *testing.T) {
	for _, tc := range []struct {
		name       string
		msg        string
		versions   []string
		aaguid     string
		transports []string
	}{
		{"Android (Chrome)", "a101585ca50182684649444f5f325f30684649444f5f325f3102826c6465766963655075624b65796370726603500000000000000000000000000000000004a262726bf5627576f50983656361626c656668796272696468696e7465726e616c",
			[]string{"FIDO_2_0", "FIDO_2_1"}, "00000000000000000000000000000000", []string{"cable", "hybrid", "internal"}},
		{"iOS 16", "a101583aa40181684649444f5f325f300350f24a8e70d0d3f82c293732523cc4de5a04a262726bf5627576f5098268696e7465726e616c66687962726964",
			[]string{"FIDO_2_0"}, "f24a8e70d0d3f82c293732523cc4de5a", []string{"internal", "hybrid"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, info, revision, err := parsePostHandshake(unhex(t, tc.msg))
			if err != nil {
				t.Fatal(err)
			}
			if revision != 1 || !slices.Equal(info.Versions, tc.versions) || hex.EncodeToString(info.AAGUID) != tc.aaguid ||
				!slices.Equal(info.Transports, tc.transports) || !info.Options["rk"] || !info.Options["uv"] {
				t.Errorf("revision %d, info %+v", revision, info)
			}
		})
	}
}

// Chromium v2_handshake_unittest.cc "PaddedCBOR" and "OldPaddedCBOR": revision 0's padded
// maps (512-byte blocks with a uint16_le length; older 256-byte blocks with one byte).
func TestPaddedPostHandshakeMapsAreRead(t *testing.T) {
	empty := encodePaddedMap([]byte{0xa0})
	if len(empty) != 512 {
		t.Errorf("an empty map pads to %d bytes, want 512", len(empty))
	}
	if _, err := parsePaddedPostHandshake(empty); err != nil {
		t.Errorf("empty padded map: %v", err)
	}
	blob, _ := cbor.Marshal(map[int][]byte{1: make([]byte, 512)})
	padded := encodePaddedMap(blob)
	if len(padded) != 1024 {
		t.Errorf("a map with a 512-byte blob pads to %d bytes, want 1024", len(padded))
	}
	if ph, err := parsePaddedPostHandshake(padded); err != nil || len(ph.GetInfo) != 512 {
		t.Errorf("padded map with a blob: %d bytes, %v", len(ph.GetInfo), err)
	}
	for i := range 512 {
		m, _ := cbor.Marshal(map[int][]byte{1: make([]byte, i)})
		n := (len(m) + 1 + 255) &^ 255
		old := make([]byte, n)
		copy(old, m)
		old[n-1] = byte(n - len(m) - 1)
		if ph, err := parsePaddedPostHandshake(old); err != nil || len(ph.GetInfo) != i {
			t.Fatalf("old padding, %d-byte blob: %d, %v", i, len(ph.GetInfo), err)
		}
	}
}

func TestPostHandshakeMessagesThatCannotBeUsedAreRefused(t *testing.T) {
	info, _ := cbor.Marshal(map[int]any{1: []string{"FIDO_2_0"}, 3: make([]byte, 16)})
	for _, tc := range []struct {
		name string
		msg  any
		want error
	}{
		{"not CBOR", []byte{0xff, 0x00}, ErrBadResponse},
		{"no getInfo", map[int]any{3: []string{"ctap"}}, ErrBadResponse},
		{"a getInfo that is not CBOR", map[int]any{1: []byte{0xff}}, ErrBadResponse},
		{"a phone that offers digital credentials only", map[int]any{1: info, 3: []string{"dc"}}, ErrPhoneUnsupported},
		{"a phone with no CTAP 2 version", map[int]any{1: mustCBOR(t, map[int]any{1: []string{"U2F_V2"}})}, ErrPhoneUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, ok := tc.msg.([]byte)
			if !ok {
				msg = mustCBOR(t, tc.msg)
			}
			if _, _, _, err := parsePostHandshake(msg); !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func mustCBOR(t *testing.T, v any) []byte {
	t.Helper()
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// CTAP 2.2 §8.2 status codes the phone can answer with, each to its stable error.
func TestCTAPStatusesMapToStableErrors(t *testing.T) {
	for status, want := range map[byte]error{
		0x27: ErrPhoneCancelled,     // CTAP2_ERR_OPERATION_DENIED
		0x2D: ErrPhoneCancelled,     // CTAP2_ERR_KEEPALIVE_CANCEL
		0x2F: ErrTimeout,            // CTAP2_ERR_USER_ACTION_TIMEOUT: the person did not confirm in time
		0x2E: ErrNoCredentials,      // CTAP2_ERR_NO_CREDENTIALS
		0x19: ErrCredentialExcluded, // CTAP2_ERR_CREDENTIAL_EXCLUDED
		0x26: ErrPhoneUnsupported,   // CTAP2_ERR_UNSUPPORTED_ALGORITHM
		0x01: ErrBadResponse,        // CTAP1_ERR_INVALID_COMMAND
		0x7F: ErrBadResponse,        // anything else
	} {
		if err := statusError(status); !errors.Is(err, want) {
			t.Errorf("status %#02x: %v, want %v", status, err, want)
		}
	}
	// Not confirming in time on the phone is not cancelling there: the person is told the
	// time ran out (timed_out), as for a security key not touched in time.
	if err := statusError(0x2F); errors.Is(err, ErrPhoneCancelled) {
		t.Errorf("status 0x2f: %v, want no ErrPhoneCancelled", err)
	}
}

type noAdverts struct{}

func (noAdverts) Adverts(context.Context) (<-chan Advert, error) { return nil, errors.New("none") }

// The QR code carries keys 0..5 and never key 6, which older Play Services read as a bool
// and CTAP 2.3 as an array (HYBRID-NOTES §1.2); key 4 is always present (caBLE v2.1).
func TestTheQRCodeCarriesKeysZeroToFiveOnly(t *testing.T) {
	s, err := NewSession(Config{Adverts: noAdverts{}}, RequestGetAssertion)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	b, err := decodeDigits(s.QR().Text[len(qrPrefix):])
	if err != nil {
		t.Fatal(err)
	}
	var m map[int]cbor.RawMessage
	if err := cbor.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(maps.Keys(m))
	if !slices.Equal(keys, []int{0, 1, 2, 3, 4, 5}) {
		t.Errorf("QR keys %v", keys)
	}
	if !bytes.Equal(m[4], []byte{0xf4}) { // false: no LinkStore
		t.Errorf("key 4 is %x, want false", []byte(m[4]))
	}
	if !bytes.Equal(m[0], append([]byte{0x58, 33}, compress(s.identity.PublicKey())...)) {
		t.Error("key 0 is not the compressed identity key")
	}
}

func TestAnAssertionMustComeFromAnAllowedCredential(t *testing.T) {
	a, b := []byte("credential-a"), []byte("credential-b")
	for _, tc := range []struct {
		name   string
		got    []byte
		allow  [][]byte
		wantID []byte
		ok     bool
	}{
		{"an allowed credential is accepted", a, [][]byte{a, b}, a, true},
		{"any credential is accepted for a discoverable login", b, nil, b, true},
		{"a credential left out is the only allowed one", nil, [][]byte{a}, a, true},
		{"a credential that was not allowed is refused", b, [][]byte{a}, nil, false},
		{"no credential with several allowed is refused", nil, [][]byte{a, b}, nil, false},
		{"no credential for a discoverable login is refused", nil, nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			as := &Assertion{CredentialID: tc.got}
			err := checkAllowed(as, tc.allow)
			if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, ErrBadResponse)) {
				t.Fatalf("error %v", err)
			}
			if tc.ok && !bytes.Equal(as.CredentialID, tc.wantID) {
				t.Errorf("credential %q", as.CredentialID)
			}
		})
	}
}

// encodePaddedMap is revision 0's padding (Chromium EncodePaddedCBORMap): the map, zeros,
// and uint16_le(number of zeros), to a multiple of 512 bytes.
func encodePaddedMap(cborMap []byte) []byte {
	const granularity = 512
	n := (len(cborMap) + 2 + granularity - 1) / granularity * granularity
	out := make([]byte, n)
	copy(out, cborMap)
	binary.LittleEndian.PutUint16(out[n-2:], uint16(n-len(cborMap)-2))
	return out
}
