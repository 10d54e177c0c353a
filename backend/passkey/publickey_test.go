package passkey_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"github.com/nhs-passkeys/companion/backend/store"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"

	"github.com/nhs-passkeys/companion/backend/passkey"
	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

// cose encodes a CBOR map of the labels and values exactly in the order given, so a test can
// repeat a label, leave one out or give one the wrong type. Each item is encoded on its own
// by fxamacker/cbor (a cbor.RawMessage is written as it is).
func cose(t testing.TB, kv ...any) []byte {
	t.Helper()
	if len(kv)%2 != 0 || len(kv)/2 > 23 {
		t.Fatalf("cose: %d items", len(kv))
	}
	out := []byte{0xa0 | byte(len(kv)/2)}
	for _, item := range kv {
		b, err := cbor.Marshal(item)
		if err != nil {
			t.Fatalf("cose: encode %v: %v", item, err)
		}
		out = append(out, b...)
	}
	return out
}

// keys are genuine key pairs of every algorithm we offer, and the COSE_Keys of their public
// keys as an authenticator sends them.
type keys struct {
	ec      *ecdsa.PrivateKey
	x, y    []byte // the P-256 point
	ed      ed25519.PrivateKey
	edPub   []byte
	rsa     *rsa.PrivateKey
	n, e    []byte
	es256   []byte
	eddsa   []byte
	rs256   []byte
	p384x   []byte // a P-384 point
	p384y   []byte
	notEdPt []byte // 32 bytes that are not an Ed25519 point
}

func newKeys(t testing.TB) keys {
	t.Helper()
	var k keys
	var err error
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	pt, err := k.ec.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	k.x, k.y = pt[1:33], pt[33:]
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k.ed, k.edPub = priv, pub
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	k.n, k.e = k.rsa.N.Bytes(), big.NewInt(int64(k.rsa.E)).Bytes()
	k.es256 = cose(t, 1, 2, 3, -7, -1, 1, -2, k.x, -3, k.y)
	k.eddsa = cose(t, 1, 1, 3, -8, -1, 6, -2, k.edPub)
	k.rs256 = cose(t, 1, 3, 3, -257, -1, k.n, -2, k.e)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pt384, err := p384.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	k.p384x, k.p384y = pt384[1:49], pt384[49:]
	// The first y = 2, 3, ... whose encoding Go's own Ed25519 refuses as a public key.
	for i := byte(2); ; i++ {
		b := make([]byte, 32)
		b[0] = i
		if !goTakesEd25519Key(b) {
			k.notEdPt = b
			break
		}
	}
	return k
}

// goTakesEd25519Key reports whether Go's crypto/ed25519 decodes pub as a public key at all
// (it does that before it looks at the signature).
func goTakesEd25519Key(pub []byte) bool {
	err := ed25519.VerifyWithOptions(pub, []byte("m"), make([]byte, ed25519.SignatureSize), &ed25519.Options{})
	return err == nil || err.Error() != "ed25519: bad public key"
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// oddOfBits returns a random odd number of exactly bits bits, big-endian: an RSA modulus
// of that size as far as its length and parity go.
func oddOfBits(t testing.TB, bits int) []byte {
	t.Helper()
	b := make([]byte, (bits+7)/8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	b[0] &= 0xff >> ((8 - bits%8) % 8)
	b[0] |= 0x80 >> ((8 - bits%8) % 8)
	b[len(b)-1] |= 1
	return b
}

// floatItem is -7.0 as a CBOR float: a number, but not an integer.
func floatItem(t testing.TB) cbor.RawMessage {
	t.Helper()
	b, err := cbor.Marshal(-7.0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type unusableKey struct {
	name  string
	key   []byte
	cause string // in the logged reason for the refusal
}

// unusableKeys are credential public keys that cannot work, or are not keys: each is refused.
func unusableKeys(t testing.TB, k keys) []unusableKey {
	t.Helper()
	evenN := slices.Clone(k.n)
	evenN[len(evenN)-1] &^= 1
	offCurveY := slices.Clone(k.y)
	offCurveY[31] ^= 0x01
	zeros := make([]byte, 32)
	return []unusableKey{
		// kty, alg and crv must agree.
		{"alg RS256 on an EC2 P-256 key is refused", cose(t, 1, 2, 3, -257, -1, 1, -2, k.x, -3, k.y), "algorithm -257 needs key type 3, not 2"},
		{"alg EdDSA on an EC2 P-256 key is refused", cose(t, 1, 2, 3, -8, -1, 1, -2, k.x, -3, k.y), "algorithm -8 needs key type 1, not 2"},
		{"alg ES256 on an OKP Ed25519 key is refused", cose(t, 1, 1, 3, -7, -1, 6, -2, k.edPub), "algorithm -7 needs key type 2, not 1"},
		{"alg ES256 on an RSA key is refused", cose(t, 1, 3, 3, -7, -1, k.n, -2, k.e), "algorithm -7 needs key type 2, not 3"},
		{"alg RS256 on an OKP key is refused", cose(t, 1, 1, 3, -257, -1, 6, -2, k.edPub), "algorithm -257 needs key type 3, not 1"},
		{"an ES256 key on P-384 is refused", cose(t, 1, 2, 3, -7, -1, 2, -2, k.p384x, -3, k.p384y), "on curve 2, not P-256"},
		{"an ES256 key that names P-384 for a P-256 point is refused", cose(t, 1, 2, 3, -7, -1, 2, -2, k.x, -3, k.y), "on curve 2, not P-256"},
		{"an ES256 key on an unknown curve is refused", cose(t, 1, 2, 3, -7, -1, 99, -2, k.x, -3, k.y), "on curve 99, not P-256"},
		{"an EdDSA key on X25519 is refused", cose(t, 1, 1, 3, -8, -1, 4, -2, k.edPub), "on curve 4, not Ed25519"},
		{"an EdDSA key on P-256 is refused", cose(t, 1, 1, 3, -8, -1, 1, -2, k.edPub), "on curve 1, not Ed25519"},
		// Only the algorithms offered.
		{"an ES384 key, which we never offer, is refused", cose(t, 1, 2, 3, -35, -1, 2, -2, k.p384x, -3, k.p384y), "algorithm -35 was not requested"},
		{"an ES512 key, which we never offer, is refused", cose(t, 1, 2, 3, -36, -1, 3, -2, k.x, -3, k.y), "algorithm -36 was not requested"},
		{"a PS256 key, which we never offer, is refused", cose(t, 1, 3, 3, -37, -1, k.n, -2, k.e), "algorithm -37 was not requested"},
		{"an Ed25519 key with the fully specified alg Ed25519 (-19), which we never offer, is refused", cose(t, 1, 1, 3, -19, -1, 6, -2, k.edPub), "algorithm -19 was not requested"},
		// Required parameters present, of the right type.
		{"a key without alg is refused", cose(t, 1, 2, -1, 1, -2, k.x, -3, k.y), "no alg (3)"},
		{"a key without kty is refused", cose(t, 3, -7, -1, 1, -2, k.x, -3, k.y), "no kty (1)"},
		{"an ES256 key without crv is refused", cose(t, 1, 2, 3, -7, -2, k.x, -3, k.y), "no crv (-1)"},
		{"an ES256 key without x is refused", cose(t, 1, 2, 3, -7, -1, 1, -3, k.y), "no x (-2)"},
		{"an ES256 key without y (a compressed point) is refused", cose(t, 1, 2, 3, -7, -1, 1, -2, k.x), "no y (-3)"},
		{"an ES256 key with y as a bool (a compressed point) is refused", cose(t, 1, 2, 3, -7, -1, 1, -2, k.x, -3, true), "y (-3) is not a byte string"},
		{"an EdDSA key without x is refused", cose(t, 1, 1, 3, -8, -1, 6), "no x (-2)"},
		{"an RSA key without e is refused", cose(t, 1, 3, 3, -257, -1, k.n), "no e (-2)"},
		{"an RSA modulus given as an integer is refused", cose(t, 1, 3, 3, -257, -1, 12345, -2, k.e), "n (-1) is not a byte string"},
		{"a kty given as text is refused", cose(t, 1, "EC2", 3, -7, -1, 1, -2, k.x, -3, k.y), "kty (1) is not an integer"},
		{"an alg given as text is refused", cose(t, 1, 2, 3, "ES256", -1, 1, -2, k.x, -3, k.y), "alg (3) is not an integer"},
		{"an alg given as a float is refused", cose(t, 1, 2, 3, floatItem(t), -1, 1, -2, k.x, -3, k.y), "alg (3) is not an integer"},
		{"a crv given as text is refused", cose(t, 1, 2, 3, -7, -1, "P-256", -2, k.x, -3, k.y), "crv (-1) is not an integer"},
		{"an unknown key type (Symmetric, 4) is refused", cose(t, 1, 4, 3, -7, -1, k.x), "type (kty) 4 is not OKP, EC2 or RSA"},
		{"an AKP key (7) is refused", cose(t, 1, 7, 3, -7, -1, k.x), "type (kty) 7 is not OKP, EC2 or RSA"},
		// Nothing but the parameters of the key type (WebAuthn L3 §6.5.1.1).
		{"a key with its private part (d) is refused", cose(t, 1, 2, 3, -7, -1, 1, -2, k.x, -3, k.y, -4, k.x), "has parameter -4"},
		{"a key with a key id (kid) is refused", cose(t, 1, 2, 3, -7, -1, 1, -2, k.x, -3, k.y, 2, []byte("kid")), "has parameter 2"},
		{"an OKP key with a y is refused", cose(t, 1, 1, 3, -8, -1, 6, -2, k.edPub, -3, k.edPub), "has parameter -3"},
		// CBOR that is no COSE_Key.
		{"a label given twice is refused", cose(t, 1, 2, 3, -7, -1, 1, -2, k.x, -2, k.x, -3, k.y), "duplicate map key"},
		{"a kty given twice, differently, is refused", cose(t, 1, 3, 1, 2, 3, -7, -1, 1, -2, k.x, -3, k.y), "duplicate map key"},
		{"a text label is refused", cose(t, 1, 2, 3, -7, -1, 1, -2, k.x, "y", k.y), "label that is not an integer"},
		{"a label given as a CBOR simple value is refused", cose(t, 1, 2, cbor.RawMessage{0xe3}, -7, -1, 1, -2, k.x, -3, k.y), "label that is not an integer"},
		{"a label given as a float is refused", cose(t, 1, 2, 3.0, -7, -1, 1, -2, k.x, -3, k.y), "label that is not an integer"},
		{"a CBOR array is refused", unhex(t, "8402262001"), "not a COSE_Key map"},
		{"an indefinite-length map is refused", slices.Concat([]byte{0xbf}, cose(t, 1, 2, 3, -7, -1, 1, -2, k.x, -3, k.y)[1:], []byte{0xff}), "not a COSE_Key map"},
		{"a tagged coordinate is refused", cose(t, 1, 2, 3, -7, -1, 1, -2, cbor.Tag{Number: 24, Content: k.x}, -3, k.y), "not a COSE_Key map"},
		{"an empty map is refused", cose(t), "no kty (1)"},
		// EC2 points on P-256.
		{"an ES256 point that is not on P-256 is refused", cose(t, 1, 2, 3, -7, -1, 1, -2, k.x, -3, offCurveY), "not a point on P-256"},
		{"an ES256 point of zeros is refused", cose(t, 1, 2, 3, -7, -1, 1, -2, zeros, -3, zeros), "not a point on P-256"},
		{"an ES256 x of 31 bytes is refused", cose(t, 1, 2, 3, -7, -1, 1, -2, k.x[1:], -3, k.y), "coordinates of 31 and 32 bytes"},
		{"an ES256 y of 33 bytes is refused", cose(t, 1, 2, 3, -7, -1, 1, -2, k.x, -3, slices.Concat([]byte{0}, k.y)), "coordinates of 32 and 33 bytes"},
		{"an ES256 key with P-384 sized coordinates is refused", cose(t, 1, 2, 3, -7, -1, 1, -2, k.p384x, -3, k.p384y), "coordinates of 48 and 48 bytes"},
		// Ed25519 public keys.
		{"an Ed25519 key of 31 bytes is refused", cose(t, 1, 1, 3, -8, -1, 6, -2, k.edPub[1:]), "of 31 bytes, not 32"},
		{"an Ed25519 key of 33 bytes is refused", cose(t, 1, 1, 3, -8, -1, 6, -2, slices.Concat(k.edPub, []byte{0})), "of 33 bytes, not 32"},
		{"an Ed25519 key that is not a curve point is refused", cose(t, 1, 1, 3, -8, -1, 6, -2, k.notEdPt), "not a point on the curve"},
		{"an Ed25519 key that is the identity point is refused", cose(t, 1, 1, 3, -8, -1, 6, -2, unhex(t, "0100000000000000000000000000000000000000000000000000000000000000")), "small order"},
		{"an Ed25519 key that is a point of order 8 is refused", cose(t, 1, 1, 3, -8, -1, 6, -2, unhex(t, "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05")), "small order"},
		{"an Ed25519 key whose y is not below 2^255-19 is refused", cose(t, 1, 1, 3, -8, -1, 6, -2, unhex(t, "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")), "not canonically encoded"},
		// RSA moduli and exponents.
		{"an RSA modulus of 1024 bits is refused", cose(t, 1, 3, 3, -257, -1, oddOfBits(t, 1024), -2, k.e), "modulus of 1024 bits"},
		{"an RSA modulus of 2047 bits is refused", cose(t, 1, 3, 3, -257, -1, oddOfBits(t, 2047), -2, k.e), "modulus of 2047 bits"},
		{"an RSA modulus of 16392 bits is refused", cose(t, 1, 3, 3, -257, -1, oddOfBits(t, 16392), -2, k.e), "modulus of 16392 bits"},
		{"an RSA modulus with a leading zero byte is refused", cose(t, 1, 3, 3, -257, -1, slices.Concat([]byte{0}, k.n), -2, k.e), "modulus is empty or has a leading zero byte"},
		{"an empty RSA modulus is refused", cose(t, 1, 3, 3, -257, -1, []byte{}, -2, k.e), "modulus is empty or has a leading zero byte"},
		{"an even RSA modulus is refused", cose(t, 1, 3, 3, -257, -1, evenN, -2, k.e), "modulus is even"},
		{"an even RSA exponent is refused", cose(t, 1, 3, 3, -257, -1, k.n, -2, []byte{1, 0, 0}), "exponent 65536 is not an odd number"},
		{"an RSA exponent of 1 is refused", cose(t, 1, 3, 3, -257, -1, k.n, -2, []byte{1}), "exponent 1 is not an odd number"},
		{"an RSA exponent above 2^31-1 is refused", cose(t, 1, 3, 3, -257, -1, k.n, -2, []byte{0x80, 0, 0, 1}), "exponent 2147483649 is not an odd number"},
		{"an RSA exponent of 2^64+1 is refused", cose(t, 1, 3, 3, -257, -1, k.n, -2, []byte{1, 0, 0, 0, 0, 0, 0, 0, 1}), "exponent 18446744073709551617 is not an odd number"},
		{"an RSA exponent with a leading zero byte is refused", cose(t, 1, 3, 3, -257, -1, k.n, -2, []byte{0, 1, 0, 1}), "exponent is empty or has a leading zero byte"},
	}
}

// TestTheKeyCheckRefusesAPublicKeyThatCannotWork is the rule at the level of the check: each
// key is refused, for its own reason.
func TestTheKeyCheckRefusesAPublicKeyThatCannotWork(t *testing.T) {
	k := newKeys(t)
	for _, tt := range unusableKeys(t, k) {
		t.Run(tt.name, func(t *testing.T) {
			err := passkey.CheckPublicKey(tt.key)
			if err == nil || !strings.Contains(err.Error(), tt.cause) {
				t.Errorf("CheckPublicKey = %v, want a refusal for %q", err, tt.cause)
			}
		})
	}
	t.Run("stray bytes after a key are refused", func(t *testing.T) {
		if err := passkey.CheckPublicKey(slices.Concat(k.es256, []byte{0})); err == nil {
			t.Error("a key followed by a stray byte was accepted")
		}
	})
}

// TestAKeyOfEveryOfferedAlgorithmIsAcceptedAndWorks: genuine keys of ES256, EdDSA and
// RS256 (2048 bits, e = 65537, and e = 3) pass the check, and go-webauthn (what a login
// uses) verifies a signature made with each.
func TestAKeyOfEveryOfferedAlgorithmIsAcceptedAndWorks(t *testing.T) {
	k := newKeys(t)
	data := []byte("authenticator data || client data hash")
	digest := sha256.Sum256(data)
	esSig, err := ecdsa.SignASN1(rand.Reader, k.ec, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	rsSig, err := rsa.SignPKCS1v15(rand.Reader, k.rsa, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		key  []byte
		sig  []byte
	}{
		{"an ES256 key on P-256", k.es256, esSig},
		{"an EdDSA key on Ed25519", k.eddsa, ed25519.Sign(k.ed, data)},
		{"an RS256 key of 2048 bits", k.rs256, rsSig},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is accepted and verifies a signature", func(t *testing.T) {
			if err := passkey.CheckPublicKey(tt.key); err != nil {
				t.Fatalf("CheckPublicKey = %v", err)
			}
			parsed, err := webauthncose.ParsePublicKey(tt.key)
			if err != nil {
				t.Fatalf("go-webauthn cannot parse the key: %v", err)
			}
			if ok, err := webauthncose.VerifySignature(parsed, data, tt.sig); !ok || err != nil {
				t.Errorf("go-webauthn does not verify a genuine signature: %v %v", ok, err)
			}
		})
	}
	t.Run("an RS256 key with exponent 3 is accepted", func(t *testing.T) {
		if err := passkey.CheckPublicKey(cose(t, 1, 3, 3, -257, -1, k.n, -2, []byte{3})); err != nil {
			t.Errorf("CheckPublicKey = %v", err)
		}
	})
	t.Run("an RS256 key of 16384 bits is accepted", func(t *testing.T) {
		if err := passkey.CheckPublicKey(cose(t, 1, 3, 3, -257, -1, oddOfBits(t, 16384), -2, k.e)); err != nil {
			t.Errorf("CheckPublicKey = %v", err)
		}
	})
}

// TestEd25519KeysAreCheckedAsGoDecodesThem: the check decodes Ed25519 points itself (RFC
// 8032 §5.1.3); it must agree with Go's crypto/ed25519 on which 32-byte strings are points,
// and refuse, beyond Go, the points of small order.
func TestEd25519KeysAreCheckedAsGoDecodesThem(t *testing.T) {
	check := func(b []byte) error { return passkey.CheckPublicKey(cose(t, 1, 1, 3, -8, -1, 6, -2, b)) }
	t.Run("genuine keys are accepted", func(t *testing.T) {
		for range 200 {
			pub, _, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if err := check(pub); err != nil {
				t.Fatalf("genuine key %x: %v", []byte(pub), err)
			}
		}
	})
	t.Run("random strings are accepted exactly when Go takes them as a key", func(t *testing.T) {
		accepted := 0
		for range 2000 {
			b := make([]byte, 32)
			if _, err := rand.Read(b); err != nil {
				t.Fatal(err)
			}
			b[31] &= 0x7f // y < 2^255; (the odds of y >= 2^255-19 are nil)
			err := check(b)
			if (err == nil) != goTakesEd25519Key(b) {
				t.Fatalf("%x: check says %v, Go takes it: %v", b, err, goTakesEd25519Key(b))
			}
			if err == nil {
				accepted++
			}
		}
		if accepted < 700 || accepted > 1300 {
			t.Errorf("%d of 2000 random strings accepted; about half are points", accepted)
		}
	})
	t.Run("every point of small order is refused although Go takes it", func(t *testing.T) {
		for _, enc := range []string{
			"0100000000000000000000000000000000000000000000000000000000000000", // identity, order 1
			"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // (0, -1), order 2
			"0000000000000000000000000000000000000000000000000000000000000000", // order 4
			"0000000000000000000000000000000000000000000000000000000000000080", // order 4
			"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
			"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85", // order 8
			"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
			"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa", // order 8
		} {
			b := unhex(t, enc)
			if !goTakesEd25519Key(b) {
				t.Errorf("%s: not a point to Go; the test vector is wrong", enc)
			}
			if err := check(b); err == nil || !strings.Contains(err.Error(), "small order") {
				t.Errorf("%s: %v, want refused as of small order", enc, err)
			}
		}
	})
	t.Run("x = 0 with the sign bit set is refused", func(t *testing.T) {
		if err := check(unhex(t, "0100000000000000000000000000000000000000000000000000000000000080")); err == nil {
			t.Error("accepted")
		}
	})
}

// authData builds authenticator data (WebAuthn L3 §6.1) with attested credential data.
func authData(flags byte, credID, key, extensions []byte) []byte {
	rpHash := sha256.Sum256([]byte("localhost"))
	out := slices.Concat(rpHash[:], []byte{flags, 0, 0, 0, 0}, make([]byte, 16))
	out = binary.BigEndian.AppendUint16(out, uint16(len(credID)))
	return slices.Concat(out, credID, key, extensions)
}

// TestTheKeyIsReadFromTheAuthenticatorDataWithNothingAfterIt: after the key come only
// extensions, and only when the ED flag says so.
func TestTheKeyIsReadFromTheAuthenticatorDataWithNothingAfterIt(t *testing.T) {
	k := newKeys(t)
	const up, uv, at, ed = 0x01, 0x04, 0x40, 0x80
	id := []byte("credential-id-16")
	extensions := cose(t, "credProtect", 2)
	tests := []struct {
		name     string
		data     []byte
		accepted bool
	}{
		{"a key alone is accepted", authData(up|uv|at, id, k.es256, nil), true},
		{"a key followed by extensions, with ED set, is accepted", authData(up|uv|at|ed, id, k.es256, extensions), true},
		{"a key followed by a stray byte is refused", authData(up|uv|at, id, k.es256, []byte{0}), false},
		{"a key followed by extensions without ED set is refused", authData(up|uv|at, id, k.es256, extensions), false},
		{"ED set with nothing after the key is refused", authData(up|uv|at|ed, id, k.es256, nil), false},
		{"ED set with two extension maps is refused", authData(up|uv|at|ed, id, k.es256, slices.Concat(extensions, extensions)), false},
		{"ED set with an integer for extensions is refused", authData(up|uv|at|ed, id, k.es256, []byte{0x01}), false},
		{"a bad key is refused", authData(up|uv|at, id, cose(t, 1, 2, 3, -257, -1, 1, -2, k.x, -3, k.y), nil), false},
		{"no attested credential data (AT not set) is refused", authData(up|uv, id, k.es256, nil), false},
		{"a credential id running past the end is refused", authData(up|uv|at, id, nil, nil)[:60], false},
		{"a key cut short is refused", authData(up|uv|at, id, k.es256[:40], nil), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := passkey.CheckAttestedPublicKey(tt.data)
			if (err == nil) != tt.accepted {
				t.Errorf("CheckAttestedPublicKey = %v, want accepted %v", err, tt.accepted)
			}
		})
	}
}

// setUpWith begins a passkey set-up with proof ("" relies on the login grace) and finishes
// it with an authenticator that sends key as the new credential's public key.
func setUpWith(t *testing.T, c *testserver.Client, proof string, key []byte) *testserver.Response {
	t.Helper()
	body := map[string]any{}
	if proof != "" {
		body["proof"] = proof
	}
	b := c.Begin("/api/passkeys/register/begin", body)
	a := softauthn.New(testserver.Origin)
	a.CredentialPublicKey = key
	cred, err := a.Create(b.PublicKey)
	if err != nil {
		t.Fatalf("authenticator create: %v", err)
	}
	return c.Finish("/api/passkeys/register/finish", b.Ceremony, cred)
}

const setUpRefusedMessage = "We could not set up a passkey with this device or security key. Try again, or use a different device or security key."

// TestRegistrationRefusesAPublicKeyThatCannotWork is the rule through the HTTP API: a new
// passkey whose public key cannot work is refused with 400 passkey_not_accepted, nothing is
// stored or audited, and nothing is used up: the same proof sets up a good passkey at once.
func TestRegistrationRefusesAPublicKeyThatCannotWork(t *testing.T) {
	store.ForEachEngine(t, testRegistrationRefusesAPublicKeyThatCannotWork)
}

func testRegistrationRefusesAPublicKeyThatCannotWork(t *testing.T, engine store.Engine) {
	k := newKeys(t)
	cases := unusableKeys(t, k)
	cases = append(cases, unusableKey{name: "a good key followed by stray bytes in the authenticator data is refused",
		key: slices.Concat(k.es256, []byte{0x00})})
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			s := testserver.New(t, testserver.OnEngine(engine))
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			proof := c.ReauthWithPassword("correct horse battery", "add-passkey")
			before := s.Dump(testserver.StateTables...)

			res := setUpWith(t, c, proof, tt.key)
			if res.Status != http.StatusBadRequest || res.Code() != "passkey_not_accepted" || res.Err().Error.Message != setUpRefusedMessage {
				t.Fatalf("finish = %d %s", res.Status, res.Body)
			}
			if after := s.Dump(testserver.StateTables...); after != before {
				t.Errorf("a refused set-up changed what is stored:\nbefore %s\nafter  %s", before, after)
			}
			if n := s.Count(`SELECT count(*) FROM passkeys`); n != 0 {
				t.Errorf("passkeys stored = %d", n)
			}
			if n := s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'passkey_added'`); n != 0 {
				t.Errorf("passkey_added events = %d", n)
			}
			if n := s.Count(`SELECT count(*) FROM ceremonies WHERE used_at IS NULL`); n != 0 {
				t.Errorf("the ceremony was not used up (%d left)", n)
			}
			if strings.Contains(string(res.Body), "credential public key") {
				t.Errorf("the answer tells the cause: %s", res.Body)
			}

			// Nothing was used up: the same proof sets up a good passkey, and is used by it.
			good := c.RegisterPasskey(softauthn.New(testserver.Origin), proof)
			if n := s.Count(`SELECT count(*) FROM passkeys WHERE credential_id = $1`, credentialID(t, good)); n != 1 {
				t.Errorf("the good passkey was not stored")
			}
			if again := c.Post("/api/passkeys/register/begin", map[string]any{"proof": proof}); again.Status != http.StatusForbidden || again.Code() != "reauth_required" {
				t.Errorf("the proof still works after the good set-up: %d %s", again.Status, again.Body)
			}
		})
	}

	t.Run("a refused key leaves the login grace for the next try", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		c := s.Client()
		c.SignUp("pat@example.com", "correct horse battery")
		before := s.Dump(testserver.StateTables...)
		if res := setUpWith(t, c, "", cose(t, 1, 2, 3, -257, -1, 1, -2, k.x, -3, k.y)); res.Status != http.StatusBadRequest || res.Code() != "passkey_not_accepted" {
			t.Fatalf("finish = %d %s", res.Status, res.Body)
		}
		if after := s.Dump(testserver.StateTables...); after != before {
			t.Errorf("a refused set-up changed what is stored:\nbefore %s\nafter  %s", before, after)
		}
		a := softauthn.New(testserver.Origin)
		c.RegisterPasskey(a, "")
		if res := login(t, s.Client(), a, "pat@example.com"); res.Status != http.StatusOK {
			t.Errorf("login with the good passkey = %d %s", res.Status, res.Body)
		}
	})

	t.Run("the logged reason names what is wrong with the key", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		c := s.Client()
		c.SignUp("pat@example.com", "correct horse battery")
		offCurve := slices.Clone(k.y)
		offCurve[0] ^= 0x01
		if res := setUpWith(t, c, "", cose(t, 1, 2, 3, -7, -1, 1, -2, k.x, -3, offCurve)); res.Status != http.StatusBadRequest {
			t.Fatalf("finish = %d %s", res.Status, res.Body)
		}
		if !strings.Contains(s.Logs(), "not a point on P-256") {
			t.Errorf("the log does not say why:\n%s", s.Logs())
		}
	})
}

// TestRegistrationAcceptsAKeyOfEveryOfferedAlgorithm: good keys of ES256, EdDSA and RS256 are
// stored as sent; an ES256 passkey then logs in.
func TestRegistrationAcceptsAKeyOfEveryOfferedAlgorithm(t *testing.T) {
	store.ForEachEngine(t, testRegistrationAcceptsAKeyOfEveryOfferedAlgorithm)
}

func testRegistrationAcceptsAKeyOfEveryOfferedAlgorithm(t *testing.T, engine store.Engine) {
	k := newKeys(t)
	for _, tt := range []struct {
		name string
		key  []byte
	}{
		{"an ES256 key on P-256", k.es256},
		{"an EdDSA key on Ed25519", k.eddsa},
		{"an RS256 key of 2048 bits", k.rs256},
	} {
		t.Run(tt.name+" is stored", func(t *testing.T) {
			s := testserver.New(t, testserver.OnEngine(engine))
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			res := setUpWith(t, c, "", tt.key)
			if res.Status != http.StatusCreated {
				t.Fatalf("finish = %d %s", res.Status, res.Body)
			}
			var stored []byte
			if err := s.DB.QueryRowContext(t.Context(), `SELECT public_key FROM passkeys`).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(stored, tt.key) {
				t.Errorf("stored key %x, sent %x", stored, tt.key)
			}
		})
	}
	t.Run("an ES256 passkey set up end to end logs in", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		c := s.Client()
		c.SignUp("pat@example.com", "correct horse battery")
		a := softauthn.New(testserver.Origin)
		c.RegisterPasskey(a, "")
		if res := login(t, s.Client(), a, ""); res.Status != http.StatusOK {
			t.Errorf("login = %d %s", res.Status, res.Body)
		}
	})
}

// spki is pub as a DER SubjectPublicKeyInfo, base64url: what a browser sends as a new
// credential's response.publicKey.
func spki(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(der)
}

// TestRegistrationRefusesAResponseThatDescribesAnotherKey: a registration response repeats
// the authenticator data, the credential public key and its algorithm beside the attestation
// object (WebAuthn L3 §5.2.1.1). When what it repeats is not what the attestation object
// holds, the set-up is refused like a key that cannot work (400 passkey_not_accepted),
// nothing is stored and the proof is not used up; when it agrees, or is left out, the
// passkey is set up.
func TestRegistrationRefusesAResponseThatDescribesAnotherKey(t *testing.T) {
	store.ForEachEngine(t, testRegistrationRefusesAResponseThatDescribesAnotherKey)
}

func testRegistrationRefusesAResponseThatDescribesAnotherKey(t *testing.T, engine store.Engine) {
	k := newKeys(t)
	stranger, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	set := func(member string, value any) func(*softauthn.Authenticator) {
		return func(a *softauthn.Authenticator) {
			a.EditResponse = func(m map[string]any) { m["response"].(map[string]any)[member] = value }
		}
	}
	with := func(key []byte, members map[string]any) func(*softauthn.Authenticator) {
		return func(a *softauthn.Authenticator) {
			a.CredentialPublicKey = key
			a.EditResponse = func(m map[string]any) {
				for name, v := range members {
					m["response"].(map[string]any)[name] = v
				}
			}
		}
	}
	tests := []struct {
		name     string
		edit     func(*softauthn.Authenticator)
		accepted bool
	}{
		{"a publicKey of another P-256 key is refused", set("publicKey", spki(t, &stranger.PublicKey)), false},
		{"a publicKey of an Ed25519 key beside a P-256 key is refused", set("publicKey", spki(t, k.ed.Public())), false},
		{"a publicKey of an RSA key beside a P-256 key is refused", set("publicKey", spki(t, &k.rsa.PublicKey)), false},
		{"a publicKey that is not a SubjectPublicKeyInfo is refused", set("publicKey", "MAA"), false},
		{"a publicKeyAlgorithm of RS256 beside an ES256 key is refused", set("publicKeyAlgorithm", -257), false},
		{"a publicKeyAlgorithm of EdDSA beside an ES256 key is refused", set("publicKeyAlgorithm", -8), false},
		{"an authenticatorData that is not the attestation object's is refused", set("authenticatorData", "AAAA"), false},
		{"an Ed25519 key with another Ed25519 publicKey is refused",
			with(k.eddsa, map[string]any{"publicKey": spki(t, ed25519.PublicKey(k.notEdPt)), "publicKeyAlgorithm": -8}), false},
		{"an RS256 key with an ES256 publicKeyAlgorithm is refused",
			with(k.rs256, map[string]any{"publicKey": spki(t, &k.rsa.PublicKey), "publicKeyAlgorithm": -7}), false},
		{"a P-256 key whose response repeats it exactly is set up", nil, true},
		{"a response without publicKey and publicKeyAlgorithm is set up", with(k.es256, nil), true},
		{"an Ed25519 key with its own publicKey is set up",
			with(k.eddsa, map[string]any{"publicKey": spki(t, k.ed.Public()), "publicKeyAlgorithm": -8}), true},
		{"an RS256 key with its own publicKey is set up",
			with(k.rs256, map[string]any{"publicKey": spki(t, &k.rsa.PublicKey), "publicKeyAlgorithm": -257}), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testserver.New(t, testserver.OnEngine(engine))
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			proof := c.ReauthWithPassword("correct horse battery", "add-passkey")
			before := s.Dump(testserver.StateTables...)

			b := c.Begin("/api/passkeys/register/begin", map[string]any{"proof": proof})
			a := softauthn.New(testserver.Origin)
			if tt.edit != nil {
				tt.edit(a)
			}
			cred, err := a.Create(b.PublicKey)
			if err != nil {
				t.Fatalf("authenticator create: %v", err)
			}
			res := c.Finish("/api/passkeys/register/finish", b.Ceremony, cred)
			if tt.accepted {
				if res.Status != http.StatusCreated {
					t.Fatalf("finish = %d %s", res.Status, res.Body)
				}
				if n := s.Count(`SELECT count(*) FROM passkeys`); n != 1 {
					t.Errorf("passkeys stored = %d", n)
				}
				return
			}
			if res.Status != http.StatusBadRequest || res.Code() != "passkey_not_accepted" || res.Err().Error.Message != setUpRefusedMessage {
				t.Fatalf("finish = %d %s", res.Status, res.Body)
			}
			if after := s.Dump(testserver.StateTables...); after != before {
				t.Errorf("a refused set-up changed what is stored:\nbefore %s\nafter  %s", before, after)
			}
			if n := s.Count(`SELECT count(*) FROM passkeys`); n != 0 {
				t.Errorf("passkeys stored = %d", n)
			}
			if !strings.Contains(s.Logs(), "response.") {
				t.Errorf("the log does not say which member disagreed:\n%s", s.Logs())
			}
			// Nothing was used up: the same proof sets up a good passkey.
			good := c.RegisterPasskey(softauthn.New(testserver.Origin), proof)
			if n := s.Count(`SELECT count(*) FROM passkeys WHERE credential_id = $1`, credentialID(t, good)); n != 1 {
				t.Errorf("the good passkey was not stored")
			}
		})
	}
}
