package passkey

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/fxamacker/cbor/v2"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// A credential public key is stored once, at registration, and used at every login after it.
// go-webauthn only reads its kty and alg at registration (WebAuthn L3 §7.1 step 16) and
// checks the rest when a login tries to use it, so a key whose alg does not fit its key
// type, whose EC point is off the curve, or whose RSA modulus Go will not verify with, is
// stored and then fails every login (and those failures lock the account). We parse and
// check the key ourselves at registration, strictly, from the bytes the authenticator sent:
// a key that cannot work is refused before anything is stored.

// COSE key parameters (RFC 9052 §7.1, RFC 9053 §7.1-7.2, RFC 8230 §4).
const (
	labelKty = 1
	labelAlg = 3
	labelCrv = -1 // EC2, OKP
	labelX   = -2 // EC2, OKP
	labelY   = -3 // EC2
	labelN   = -1 // RSA
	labelE   = -2 // RSA
)

// COSE key types (RFC 9053 §7, RFC 8230 §4).
const (
	ktyOKP = 1
	ktyEC2 = 2
	ktyRSA = 3
)

// COSE elliptic curves (RFC 9053 §7.1).
const (
	crvP256    = 1
	crvX25519  = 4
	crvEd25519 = 6
)

// RSA limits. Go refuses to verify with an even modulus, an exponent that is even, below 3
// or above 2^31-1 (crypto/rsa checkPublicKey); under 2048 bits is refused as too weak (NIST
// SP 800-131A; Windows Hello makes 2048-bit keys); over 16384 bits would make every login
// of this passkey cost more than it should, and no authenticator makes such keys.
const (
	minRSABits     = 2048
	maxRSABits     = 16384
	maxRSAExponent = 1<<31 - 1
)

// keyParams are the parameters a credential public key of each key type has: WebAuthn L3
// §6.5.1.1 says it MUST contain alg and the parameters its key type requires, and MUST NOT
// contain any other OPTIONAL parameter (so no kid, key_ops, Base IV and, above all, no
// private key part).
var keyParams = map[int64][]int64{
	ktyOKP: {labelKty, labelAlg, labelCrv, labelX},
	ktyEC2: {labelKty, labelAlg, labelCrv, labelX, labelY},
	ktyRSA: {labelKty, labelAlg, labelN, labelE},
}

// keyTypeOf is the key type each algorithm we offer needs (RFC 9053 §2.1 ES256 with EC2,
// §2.2 EdDSA with OKP; RFC 8812 §2 RS256 with RSA).
var keyTypeOf = map[webauthncose.COSEAlgorithmIdentifier]int64{
	webauthncose.AlgES256: ktyEC2,
	webauthncose.AlgEdDSA: ktyOKP,
	webauthncose.AlgRS256: ktyRSA,
}

// publicKey is a credential public key that checkPublicKey accepted.
type publicKey struct {
	alg  webauthncose.COSEAlgorithmIdentifier
	kty  int64
	crv  int64  // EC2, OKP
	x, y []byte // EC2 (both), OKP (x)
	n, e []byte // RSA
}

func (k publicKey) equal(o publicKey) bool {
	return k.alg == o.alg && k.kty == o.kty && k.crv == o.crv && bytes.Equal(k.x, o.x) && bytes.Equal(k.y, o.y) &&
		bytes.Equal(k.n, o.n) && bytes.Equal(k.e, o.e)
}

// sameAsSPKI reports (as an error) whether der, a DER SubjectPublicKeyInfo (RFC 5280
// §4.1.2.7; RFC 8410 for Ed25519, RFC 8017 for RSA, SEC 1 for P-256), holds exactly k.
func (k publicKey) sameAsSPKI(der []byte) error {
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return fmt.Errorf("not a SubjectPublicKeyInfo Go can read: %w", err)
	}
	same := false
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		if k.kty == ktyEC2 && p.Curve == elliptic.P256() {
			if point, err := p.Bytes(); err == nil {
				same = bytes.Equal(point, slices.Concat([]byte{4}, k.x, k.y))
			}
		}
	case ed25519.PublicKey:
		same = k.kty == ktyOKP && bytes.Equal(p, k.x)
	case *rsa.PublicKey:
		same = k.kty == ktyRSA && p.N.Cmp(new(big.Int).SetBytes(k.n)) == 0 && big.NewInt(int64(p.E)).Cmp(new(big.Int).SetBytes(k.e)) == 0
	}
	if !same {
		return fmt.Errorf("a %T that is not the credential public key in the authenticator data", pub)
	}
	return nil
}

// keyDecoding is how a COSE_Key is read: the CTAP2 canonical CBOR rules that matter for a
// key (CTAP 2.1 §8 "Message Encoding"): no duplicate map keys (RFC 8949 §5.6: a map with
// duplicates is not valid), definite lengths only, no tags; nothing nested more than a
// COSE_Key needs.
func keyDecoding() (cbor.DecMode, error) {
	return cbor.DecOptions{
		DupMapKey:        cbor.DupMapKeyEnforcedAPF,
		IndefLength:      cbor.IndefLengthForbidden,
		TagsMd:           cbor.TagsForbidden,
		MaxNestedLevels:  4,
		MaxMapPairs:      16,
		MaxArrayElements: 16,
	}.DecMode()
}

// attestedPublicKey reads the credential public key out of authenticator data exactly as the
// authenticator wrote it (WebAuthn L3 §6.1 and §6.5.1: rpIdHash 32, flags 1, signCount 4,
// then attested credential data: AAGUID 16, credentialIdLength 2, credentialId, and the
// COSE_Key), checks it, and checks that nothing but extensions (only with the ED flag, one
// CBOR map, §6.1 and §9) follows it.
func attestedPublicKey(authData []byte, offered []webauthncose.COSEAlgorithmIdentifier) (publicKey, error) {
	const (
		flagsAt         = 32
		idLengthAt      = 53
		credIDAt        = 55
		flagAT     byte = 0x40
		flagED     byte = 0x80
	)
	if len(authData) < credIDAt {
		return publicKey{}, fmt.Errorf("authenticator data of %d bytes has no attested credential data", len(authData))
	}
	flags := authData[flagsAt]
	if flags&flagAT == 0 {
		return publicKey{}, errors.New("authenticator data has no attested credential data (AT flag not set)")
	}
	keyAt := credIDAt + int(binary.BigEndian.Uint16(authData[idLengthAt:credIDAt]))
	if keyAt > len(authData) {
		return publicKey{}, errors.New("authenticator data ends inside the credential id")
	}
	dec, err := keyDecoding()
	if err != nil {
		return publicKey{}, err
	}
	var decoded map[any]cbor.RawMessage
	rest, err := dec.UnmarshalFirst(authData[keyAt:], &decoded)
	if err != nil {
		return publicKey{}, fmt.Errorf("credential public key is not a COSE_Key map: %w", err)
	}
	if flags&flagED == 0 {
		if len(rest) != 0 {
			return publicKey{}, fmt.Errorf("%d stray bytes follow the credential public key", len(rest))
		}
	} else {
		var extensions map[string]cbor.RawMessage
		if err := dec.Unmarshal(rest, &extensions); err != nil {
			return publicKey{}, fmt.Errorf("what follows the credential public key is not one extensions map: %w", err)
		}
	}
	params, err := integerLabels(decoded)
	if err != nil {
		return publicKey{}, err
	}
	return checkParams(params, offered)
}

// checkPublicKey parses and checks a COSE_Key on its own (one CBOR item, nothing after it).
func checkPublicKey(raw []byte, offered []webauthncose.COSEAlgorithmIdentifier) (publicKey, error) {
	dec, err := keyDecoding()
	if err != nil {
		return publicKey{}, err
	}
	var decoded map[any]cbor.RawMessage
	if err := dec.Unmarshal(raw, &decoded); err != nil {
		return publicKey{}, fmt.Errorf("credential public key is not a COSE_Key map: %w", err)
	}
	params, err := integerLabels(decoded)
	if err != nil {
		return publicKey{}, err
	}
	return checkParams(params, offered)
}

// integerLabels keeps a decoded map's labels only if each is a CBOR integer (major type 0
// or 1, which decode as uint64 and int64). Decoding straight into map[int64] would also take
// a simple value or a float as a label; COSE labels for these key types are integers only
// (RFC 9052 §7.1), and go-webauthn, which reads the stored key at login, only finds those.
func integerLabels(decoded map[any]cbor.RawMessage) (map[int64]cbor.RawMessage, error) {
	params := make(map[int64]cbor.RawMessage, len(decoded))
	for label, value := range decoded {
		switch l := label.(type) {
		case int64:
			params[l] = value
		case uint64:
			if l > 1<<62 { // far above any COSE label; keeps the conversion exact
				return nil, fmt.Errorf("credential public key has label %d, which is no COSE key parameter", l)
			}
			params[int64(l)] = value
		default:
			return nil, fmt.Errorf("credential public key has a label that is not an integer (%T)", label)
		}
	}
	return params, nil
}

// checkParams checks a decoded COSE_Key: kty, alg and crv agree, alg is one of offered, no
// other parameter is present, and the key material is a key Go can verify with.
func checkParams(params map[int64]cbor.RawMessage, offered []webauthncose.COSEAlgorithmIdentifier) (publicKey, error) {
	var k publicKey
	var err error
	if k.kty, err = intParam(params, labelKty, "kty"); err != nil {
		return publicKey{}, err
	}
	alg, err := intParam(params, labelAlg, "alg")
	if err != nil {
		return publicKey{}, err
	}
	k.alg = webauthncose.COSEAlgorithmIdentifier(alg)
	allowed, known := keyParams[k.kty]
	if !known {
		return publicKey{}, fmt.Errorf("credential public key type (kty) %d is not OKP, EC2 or RSA", k.kty)
	}
	for label := range params {
		if !slices.Contains(allowed, label) {
			return publicKey{}, fmt.Errorf("credential public key of type %d has parameter %d, which WebAuthn L3 §6.5.1.1 does not allow", k.kty, label)
		}
	}
	// WebAuthn L3 §7.1 step 16: alg must be one of the pubKeyCredParams we offered.
	if !slices.Contains(offered, k.alg) || !slices.Contains(algorithms, k.alg) {
		return publicKey{}, fmt.Errorf("credential public key algorithm %d was not requested", alg)
	}
	if want := keyTypeOf[k.alg]; k.kty != want {
		return publicKey{}, fmt.Errorf("credential public key algorithm %d needs key type %d, not %d", alg, want, k.kty)
	}
	switch k.alg {
	case webauthncose.AlgES256:
		err = k.checkES256(params)
	case webauthncose.AlgEdDSA:
		err = k.checkEdDSA(params)
	case webauthncose.AlgRS256:
		err = k.checkRS256(params)
	}
	if err != nil {
		return publicKey{}, err
	}
	return k, nil
}

// checkES256: RFC 9053 §7.1.1: crv P-256, x and y each 32 bytes (y as a byte string: the
// compressed form, y as a bool, is not a COSE_Key WebAuthn allows, §6.5.1.1), and the point
// on the curve. crypto/ecdh also refuses coordinates not reduced modulo p and the point at
// infinity.
func (k *publicKey) checkES256(params map[int64]cbor.RawMessage) error {
	var err error
	if k.crv, err = intParam(params, labelCrv, "crv"); err != nil {
		return err
	}
	if k.crv != crvP256 {
		return fmt.Errorf("credential public key: ES256 key on curve %d, not P-256 (1)", k.crv)
	}
	if k.x, err = bytesParam(params, labelX, "x"); err != nil {
		return err
	}
	if k.y, err = bytesParam(params, labelY, "y"); err != nil {
		return err
	}
	if len(k.x) != 32 || len(k.y) != 32 {
		return fmt.Errorf("credential public key: ES256 key coordinates of %d and %d bytes, not 32", len(k.x), len(k.y))
	}
	if _, err := ecdh.P256().NewPublicKey(slices.Concat([]byte{4}, k.x, k.y)); err != nil {
		return fmt.Errorf("credential public key: ES256 key is not a point on P-256: %w", err)
	}
	return nil
}

// checkEdDSA: RFC 9053 §7.2: crv Ed25519 (X25519 is for key agreement, not signatures) and
// x the 32-byte public key, which must decode to a curve point (RFC 8032 §5.1.3) that is not
// of small order.
func (k *publicKey) checkEdDSA(params map[int64]cbor.RawMessage) error {
	var err error
	if k.crv, err = intParam(params, labelCrv, "crv"); err != nil {
		return err
	}
	if k.crv != crvEd25519 {
		return fmt.Errorf("credential public key: EdDSA key on curve %d, not Ed25519 (6)", k.crv)
	}
	if k.x, err = bytesParam(params, labelX, "x"); err != nil {
		return err
	}
	if len(k.x) != 32 {
		return fmt.Errorf("credential public key: Ed25519 key of %d bytes, not 32", len(k.x))
	}
	return checkEd25519Point(k.x)
}

// checkRS256: RFC 8230 §4: n and e are unsigned big-endian byte strings "using the minimum
// number of octets" (so no leading zero byte); n of minRSABits to maxRSABits and odd; e odd,
// at least 3 and at most maxRSAExponent.
func (k *publicKey) checkRS256(params map[int64]cbor.RawMessage) error {
	var err error
	if k.n, err = bytesParam(params, labelN, "n"); err != nil {
		return err
	}
	if k.e, err = bytesParam(params, labelE, "e"); err != nil {
		return err
	}
	for _, p := range []struct {
		name  string
		value []byte
	}{{"modulus", k.n}, {"exponent", k.e}} {
		if len(p.value) == 0 || p.value[0] == 0 {
			return fmt.Errorf("credential public key: RSA %s is empty or has a leading zero byte (RFC 8230 §4)", p.name)
		}
	}
	n := new(big.Int).SetBytes(k.n)
	if bits := n.BitLen(); bits < minRSABits || bits > maxRSABits {
		return fmt.Errorf("credential public key: RSA modulus of %d bits, not %d to %d", bits, minRSABits, maxRSABits)
	}
	if n.Bit(0) == 0 {
		return errors.New("credential public key: RSA modulus is even")
	}
	e := new(big.Int).SetBytes(k.e)
	if e.Cmp(big.NewInt(3)) < 0 || e.Cmp(big.NewInt(maxRSAExponent)) > 0 || e.Bit(0) == 0 {
		return fmt.Errorf("credential public key: RSA exponent %s is not an odd number from 3 to %d", e, maxRSAExponent)
	}
	return nil
}

// intParam reads an integer parameter (CBOR major type 0 or 1, within int64).
func intParam(params map[int64]cbor.RawMessage, label int64, name string) (int64, error) {
	raw, ok := params[label]
	if !ok {
		return 0, fmt.Errorf("credential public key has no %s (%d)", name, label)
	}
	if major := raw[0] >> 5; major != 0 && major != 1 {
		return 0, fmt.Errorf("credential public key %s (%d) is not an integer", name, label)
	}
	var v int64
	if err := cbor.Unmarshal(raw, &v); err != nil {
		return 0, fmt.Errorf("credential public key %s (%d): %w", name, label, err)
	}
	return v, nil
}

// bytesParam reads a byte-string parameter (CBOR major type 2).
func bytesParam(params map[int64]cbor.RawMessage, label int64, name string) ([]byte, error) {
	raw, ok := params[label]
	if !ok {
		return nil, fmt.Errorf("credential public key has no %s (%d)", name, label)
	}
	if raw[0]>>5 != 2 {
		return nil, fmt.Errorf("credential public key %s (%d) is not a byte string", name, label)
	}
	var v []byte
	if err := cbor.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("credential public key %s (%d): %w", name, label, err)
	}
	return v, nil
}

// checkEd25519Point decodes an Ed25519 public key as RFC 8032 §5.1.3 says, and refuses it
// when it is not a curve point (Go's ed25519.Verify then refuses every signature), when its
// y is not reduced modulo p (RFC 8032 §5.1.3 step 1: "decoding fails"), or when the point
// is of small order (one of the 8 torsion points: no private key stands behind it, and
// signatures for it can be made without one; libsodium refuses these keys too).
//
// Plain math/big: the standard library does not export Edwards point decoding, and this
// runs once per registration.
func checkEd25519Point(enc []byte) error {
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 255), big.NewInt(19))
	// d = -121665/121666 (RFC 8032 §5.1).
	d := new(big.Int).ModInverse(big.NewInt(121666), p)
	d.Mul(d, big.NewInt(-121665)).Mod(d, p)

	le := slices.Clone(enc)
	sign := le[31] >> 7
	le[31] &= 0x7f
	slices.Reverse(le)
	y := new(big.Int).SetBytes(le)
	if y.Cmp(p) >= 0 {
		return errors.New("credential public key: Ed25519 key is not canonically encoded (y is not below 2^255-19)")
	}
	// x^2 = (y^2 - 1) / (d y^2 + 1)
	y2 := new(big.Int).Mul(y, y)
	u := new(big.Int).Sub(y2, big.NewInt(1))
	v := new(big.Int).Mul(d, y2)
	v.Add(v, big.NewInt(1)).Mod(v, p)
	vInv := new(big.Int).ModInverse(v, p)
	if vInv == nil {
		return errors.New("credential public key: Ed25519 key is not a point on the curve")
	}
	x2 := u.Mul(u, vInv).Mod(u, p)
	x := new(big.Int).ModSqrt(x2, p)
	if x == nil {
		return errors.New("credential public key: Ed25519 key is not a point on the curve")
	}
	if x.Sign() == 0 && sign == 1 {
		return errors.New("credential public key: Ed25519 key encodes x = 0 with the sign bit set")
	}
	if x.Bit(0) != uint(sign) {
		x.Sub(p, x)
	}
	// Small order: [8]P is the identity (0, 1). Three doublings with the complete affine
	// addition law of the twisted Edwards curve (a = -1, RFC 8032 §5.1):
	// x3 = (x1 y2 + y1 x2) / (1 + d x1 x2 y1 y2), y3 = (y1 y2 + x1 x2) / (1 - d x1 x2 y1 y2).
	one := big.NewInt(1)
	over := func(num, den *big.Int) *big.Int {
		inv := new(big.Int).ModInverse(den.Mod(den, p), p) // den is never 0: the law is complete
		return num.Mul(num, inv).Mod(num, p)
	}
	for range 3 {
		t := new(big.Int).Mul(x, x)
		t.Mul(t, y).Mul(t, y).Mul(t, d).Mod(t, p)
		xy := new(big.Int).Mul(x, y)
		nx := over(new(big.Int).Add(xy, xy), new(big.Int).Add(one, t))
		ny := over(new(big.Int).Add(new(big.Int).Mul(y, y), new(big.Int).Mul(x, x)), new(big.Int).Sub(one, t))
		x, y = nx, ny
	}
	if x.Sign() == 0 && y.Cmp(big.NewInt(1)) == 0 {
		return errors.New("credential public key: Ed25519 key is a point of small order")
	}
	return nil
}
