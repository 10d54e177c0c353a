package virtualkey

// A small test "platform": it speaks raw CTAPHID/CBOR to the key through the Transport
// interface, as libfido2 does, and does its own half of PIN/UV auth protocols 1 and 2
// independently of pin.go, so a mistake on the key's side cannot cancel itself out.

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

const rxWait = 5 * time.Second

// newFakeClock is the test kit's clock (internal/testkit), set to a fixed morning.
func newFakeClock() *testkit.Clock {
	return testkit.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
}

func newTestKey(t *testing.T, opts Options) *Key {
	t.Helper()
	k, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return k
}

var ctap2 = func() cbor.EncMode {
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

// call sends one CTAP command over CTAPHID_CBOR and returns the status and the CBOR body.
func call(t *testing.T, k Transport, cmd byte, params any) (byte, []byte) {
	t.Helper()
	msg := []byte{cmd}
	if params != nil {
		b, err := ctap2.Marshal(params)
		if err != nil {
			t.Fatalf("encode request: %v", err)
		}
		msg = append(msg, b...)
	}
	if err := k.Tx(cmdCBOR, msg); err != nil {
		t.Fatalf("Tx CBOR 0x%02x: %v", cmd, err)
	}
	reply, err := k.Rx(cmdCBOR, rxWait)
	if err != nil {
		t.Fatalf("Rx CBOR 0x%02x: %v", cmd, err)
	}
	if len(reply) == 0 {
		t.Fatalf("empty reply to 0x%02x", cmd)
	}
	return reply[0], reply[1:]
}

// callOK is call that requires CTAP2_OK and decodes the body into out (if not nil).
func callOK(t *testing.T, k Transport, cmd byte, params any, out any) {
	t.Helper()
	st, body := call(t, k, cmd, params)
	if st != 0 {
		t.Fatalf("command 0x%02x: status 0x%02x, want 0x00", cmd, st)
	}
	if out != nil {
		if err := cbor.Unmarshal(body, out); err != nil {
			t.Fatalf("decode reply to 0x%02x: %v", cmd, err)
		}
	}
}

func wantStatus(t *testing.T, got, want byte) {
	t.Helper()
	if got != want {
		t.Fatalf("status 0x%02x, want 0x%02x", got, want)
	}
}

func cdhOf(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// Requests, as a platform encodes them (integer keys, CTAP 2.1 §6.1.1 and §6.2.1).

type rp struct {
	ID   string `cbor:"id"`
	Name string `cbor:"name,omitempty"`
}

type user struct {
	ID          []byte `cbor:"id"`
	Name        string `cbor:"name,omitempty"`
	DisplayName string `cbor:"displayName,omitempty"`
}

type param struct {
	Alg  int    `cbor:"alg"`
	Type string `cbor:"type"`
}

type descriptor struct {
	ID   []byte `cbor:"id"`
	Type string `cbor:"type"`
}

type mcRequest struct {
	ClientDataHash    []byte          `cbor:"1,keyasint"`
	RP                *rp             `cbor:"2,keyasint,omitempty"`
	User              *user           `cbor:"3,keyasint,omitempty"`
	Params            []param         `cbor:"4,keyasint,omitempty"`
	ExcludeList       []descriptor    `cbor:"5,keyasint,omitempty"`
	Options           map[string]bool `cbor:"7,keyasint,omitempty"`
	PinUvAuthParam    []byte          `cbor:"8,keyasint,omitempty"`
	PinUvAuthProtocol int             `cbor:"9,keyasint,omitempty"`
}

type mcReply struct {
	Fmt      string                     `cbor:"1,keyasint"`
	AuthData []byte                     `cbor:"2,keyasint"`
	AttStmt  map[string]cbor.RawMessage `cbor:"3,keyasint"`
}

type gaRequest struct {
	RPID              string          `cbor:"1,keyasint"`
	ClientDataHash    []byte          `cbor:"2,keyasint"`
	AllowList         []descriptor    `cbor:"3,keyasint,omitempty"`
	Options           map[string]bool `cbor:"5,keyasint,omitempty"`
	PinUvAuthParam    []byte          `cbor:"6,keyasint,omitempty"`
	PinUvAuthProtocol int             `cbor:"7,keyasint,omitempty"`
}

type gaReply struct {
	Credential          descriptor `cbor:"1,keyasint"`
	AuthData            []byte     `cbor:"2,keyasint"`
	Signature           []byte     `cbor:"3,keyasint"`
	User                *user      `cbor:"4,keyasint"`
	NumberOfCredentials int        `cbor:"5,keyasint"`
}

func es256() []param { return []param{{Alg: -7, Type: "public-key"}} }

func newMC(rpID, userName string, rk bool) mcRequest {
	return mcRequest{
		ClientDataHash: cdhOf("register " + userName),
		RP:             &rp{ID: rpID, Name: "NHS login"},
		User:           &user{ID: []byte("uid-" + userName), Name: userName, DisplayName: "Display " + userName},
		Params:         es256(),
		Options:        map[string]bool{"rk": rk},
	}
}

// authData is authenticator data taken apart by hand (WebAuthn §6.1).
type authData struct {
	rpIDHash []byte
	flags    byte
	count    uint32
	aaguid   []byte
	credID   []byte
	pub      *ecdsa.PublicKey
	cose     map[int]any
}

func parseAuthData(t *testing.T, b []byte) authData {
	t.Helper()
	if len(b) < 37 {
		t.Fatalf("authData is %d bytes, want at least 37", len(b))
	}
	a := authData{rpIDHash: b[:32], flags: b[32], count: binary.BigEndian.Uint32(b[33:37])}
	if a.flags&0x40 == 0 {
		if len(b) != 37 {
			t.Fatalf("authData without AT has %d trailing bytes", len(b)-37)
		}
		return a
	}
	rest := b[37:]
	if len(rest) < 18 {
		t.Fatalf("attested credential data too short")
	}
	a.aaguid = rest[:16]
	n := int(binary.BigEndian.Uint16(rest[16:18]))
	a.credID = rest[18 : 18+n]
	rest = rest[18+n:]
	var cose map[int]any
	trailing, err := cbor.UnmarshalFirst(rest, &cose)
	if err != nil {
		t.Fatalf("COSE key: %v", err)
	}
	if len(trailing) != 0 {
		t.Fatalf("%d bytes after the COSE key", len(trailing))
	}
	a.cose = cose
	x, _ := cose[-2].([]byte)
	y, _ := cose[-3].([]byte)
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatalf("COSE key is not a P-256 point: %v", err)
	}
	a.pub = pub
	return a
}

func verifyES256(t *testing.T, pub *ecdsa.PublicKey, authData, cdh, sig []byte) {
	t.Helper()
	digest := sha256.Sum256(append(append([]byte{}, authData...), cdh...))
	if !ecdsa.VerifyASN1(pub, digest[:], sig) {
		t.Fatalf("signature does not verify with the credential public key")
	}
}

// register makes a credential and returns its id and public key.
func register(t *testing.T, k Transport, req mcRequest) ([]byte, *ecdsa.PublicKey) {
	t.Helper()
	var r mcReply
	callOK(t, k, cborMakeCredential, req, &r)
	a := parseAuthData(t, r.AuthData)
	return a.credID, a.pub
}

// pinPlatform is the platform half of a PIN/UV auth protocol (CTAP 2.1 §6.5.6, §6.5.7).
type pinPlatform struct {
	t        *testing.T
	k        Transport
	protocol int
	shared   []byte
	key      map[int]any // our COSE public key
}

type cpRequest struct {
	Protocol       int         `cbor:"1,keyasint,omitempty"`
	SubCommand     int         `cbor:"2,keyasint"`
	KeyAgreement   map[int]any `cbor:"3,keyasint,omitempty"`
	PinUvAuthParam []byte      `cbor:"4,keyasint,omitempty"`
	NewPinEnc      []byte      `cbor:"5,keyasint,omitempty"`
	PinHashEnc     []byte      `cbor:"6,keyasint,omitempty"`
	Permissions    int         `cbor:"9,keyasint,omitempty"`
	RPID           string      `cbor:"10,keyasint,omitempty"`
}

type cpReply struct {
	KeyAgreement map[int]any `cbor:"1,keyasint"`
	Token        []byte      `cbor:"2,keyasint"`
	Retries      *int        `cbor:"3,keyasint"`
	PowerCycle   *bool       `cbor:"4,keyasint"`
}

// newPinPlatform runs getKeyAgreement and ECDH, as libfido2 does before every PIN command.
func newPinPlatform(t *testing.T, k Transport, protocol int) *pinPlatform {
	t.Helper()
	var r cpReply
	callOK(t, k, cborClientPIN, cpRequest{Protocol: protocol, SubCommand: 2}, &r)
	if r.KeyAgreement[1] != uint64(2) || r.KeyAgreement[-1] != uint64(1) || r.KeyAgreement[3] != int64(-25) {
		t.Fatalf("key agreement key is not EC2/P-256/ECDH-ES+HKDF-256: %v", r.KeyAgreement)
	}
	x, _ := r.KeyAgreement[-2].([]byte)
	y, _ := r.KeyAgreement[-3].([]byte)
	theirs, err := ecdh.P256().NewPublicKey(append(append([]byte{4}, x...), y...))
	if err != nil {
		t.Fatalf("key agreement key: %v", err)
	}
	ours, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	z, err := ours.ECDH(theirs)
	if err != nil {
		t.Fatal(err)
	}
	p := &pinPlatform{t: t, k: k, protocol: protocol}
	if protocol == 1 {
		h := sha256.Sum256(z)
		p.shared = h[:]
	} else {
		salt := make([]byte, 32)
		hk, _ := hkdf.Key(sha256.New, z, salt, "CTAP2 HMAC key", 32)
		ak, _ := hkdf.Key(sha256.New, z, salt, "CTAP2 AES key", 32)
		p.shared = append(hk, ak...)
	}
	pub := ours.PublicKey().Bytes()
	p.key = map[int]any{1: 2, 3: -25, -1: 1, -2: pub[1:33], -3: pub[33:]}
	return p
}

func (p *pinPlatform) encrypt(plain []byte) []byte {
	if p.protocol == 1 {
		b, _ := aes.NewCipher(p.shared)
		out := make([]byte, len(plain))
		cipher.NewCBCEncrypter(b, make([]byte, 16)).CryptBlocks(out, plain)
		return out
	}
	b, _ := aes.NewCipher(p.shared[32:])
	iv := make([]byte, 16)
	_, _ = rand.Read(iv)
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, plain)
	return append(iv, out...)
}

func (p *pinPlatform) decrypt(ct []byte) []byte {
	p.t.Helper()
	key, iv := p.shared, make([]byte, 16)
	if p.protocol == 2 {
		key, iv, ct = p.shared[32:], ct[:16], ct[16:]
	}
	if len(ct)%16 != 0 {
		p.t.Fatalf("ciphertext of %d bytes", len(ct))
	}
	b, _ := aes.NewCipher(key)
	out := make([]byte, len(ct))
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, ct)
	return out
}

// auth is authenticate(): HMAC-SHA-256, the first 16 bytes for protocol 1. With the shared
// secret of protocol 2 the key is its HMAC half.
func (p *pinPlatform) auth(key, msg []byte) []byte {
	if len(key) > 32 {
		key = key[:32]
	}
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	sum := m.Sum(nil)
	if p.protocol == 1 {
		return sum[:16]
	}
	return sum
}

func padPIN(pin string) []byte {
	n := (len(pin) + 63) / 64 * 64
	out := make([]byte, n)
	copy(out, pin)
	return out
}

func pinHash(pin string) []byte {
	h := sha256.Sum256([]byte(pin))
	return h[:16]
}

// setPIN sends setPIN (CTAP 2.1 §6.5.5.5) and returns the status.
func (p *pinPlatform) setPIN(pin string) byte {
	enc := p.encrypt(padPIN(pin))
	st, _ := call(p.t, p.k, cborClientPIN, cpRequest{
		Protocol: p.protocol, SubCommand: 3, KeyAgreement: p.key,
		NewPinEnc: enc, PinUvAuthParam: p.auth(p.shared, enc),
	})
	return st
}

func (p *pinPlatform) changePIN(oldPIN, newPIN string) byte {
	newEnc := p.encrypt(padPIN(newPIN))
	hashEnc := p.encrypt(pinHash(oldPIN))
	st, _ := call(p.t, p.k, cborClientPIN, cpRequest{
		Protocol: p.protocol, SubCommand: 4, KeyAgreement: p.key,
		NewPinEnc: newEnc, PinHashEnc: hashEnc,
		PinUvAuthParam: p.auth(p.shared, append(append([]byte{}, newEnc...), hashEnc...)),
	})
	return st
}

// token asks for a pinUvAuthToken: subcommand 0x09 with permissions, or 0x05 when perms is 0.
func (p *pinPlatform) token(pin string, perms int, rpID string) ([]byte, byte) {
	p.t.Helper()
	req := cpRequest{Protocol: p.protocol, SubCommand: 5, KeyAgreement: p.key, PinHashEnc: p.encrypt(pinHash(pin))}
	if perms != 0 {
		req.SubCommand, req.Permissions, req.RPID = 9, perms, rpID
	}
	st, body := call(p.t, p.k, cborClientPIN, req)
	if st != 0 {
		return nil, st
	}
	var r cpReply
	if err := cbor.Unmarshal(body, &r); err != nil {
		p.t.Fatalf("decode token reply: %v", err)
	}
	want := 32
	if p.protocol == 2 {
		want = 48
	}
	if len(r.Token) != want {
		p.t.Fatalf("encrypted token is %d bytes, want %d", len(r.Token), want)
	}
	return p.decrypt(r.Token), 0
}

// retries asks getPINRetries.
func retries(t *testing.T, k Transport) (int, bool) {
	t.Helper()
	var r cpReply
	callOK(t, k, cborClientPIN, cpRequest{SubCommand: 1}, &r)
	if r.Retries == nil || r.PowerCycle == nil {
		t.Fatalf("getPINRetries reply lacks pinRetries or powerCycleState")
	}
	return *r.Retries, *r.PowerCycle
}

// withPIN sets a PIN with protocol 2 and returns a fresh platform.
func withPIN(t *testing.T, k Transport, pin string) {
	t.Helper()
	wantStatus(t, newPinPlatform(t, k, 2).setPIN(pin), 0)
}

func mustEqual(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s = %x, want %x", what, got, want)
	}
}
