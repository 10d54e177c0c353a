package hybrid

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// The handshake that sets up the encrypted channel with the phone (CTAP 2.2 §11.5.1.4;
// Chromium v2_handshake.cc HandshakeInitiator, noise.cc): Noise (noiseprotocol.org, rev 34)
// with P-256 as the DH function, pattern KNpsk0 for a QR-initiated transaction:
//
//	KNpsk0:
//	  -> s            (pre-message: the phone knows this desktop's identity from the QR code)
//	  ...
//	  -> psk, e
//	  <- e, ee, se
//
// Public keys are 65-byte uncompressed X9.62 points on the wire and in the hash; a DH result
// is the 32-byte X coordinate. The prologue is one byte: 1 for QR-initiated (0 is the
// state-assisted NKpsk0, not done here). The handshake is written out here rather than taken
// from a Noise library so that every key it holds can be wiped; the tests check it against
// github.com/flynn/noise byte for byte.

const (
	noiseProtocolKN = "Noise_KNpsk0_P256_AESGCM_SHA256"
	prologueQR      = 1
	p256PointSize   = 65
	gcmTagSize      = 16
	// handshakeMessageSize is both messages' size: e (65) and an empty payload's tag (16).
	// Chromium refuses a response of any other length; so does this.
	handshakeMessageSize = p256PointSize + gcmTagSize
)

var errHandshakeAuth = errors.New("handshake message authentication failed")

// symmetricState is Noise's SymmetricState (§5.2) with its CipherState (§5.1) folded in,
// over SHA-256 and AES-256-GCM.
type symmetricState struct {
	ck, h [32]byte
	k     []byte // nil until the first MixKey
	n     uint64
}

func (s *symmetricState) init(protocol string) {
	// §5.2 InitializeSymmetric: a name of at most HASHLEN bytes is zero-padded (these are 31).
	clear(s.h[:])
	copy(s.h[:], protocol)
	s.ck = s.h
}

func (s *symmetricState) mixHash(data []byte) {
	d := sha256.New()
	d.Write(s.h[:])
	d.Write(data)
	d.Sum(s.h[:0])
}

func (s *symmetricState) mixKey(ikm []byte) {
	ck, k, _ := noiseHKDF(s.ck[:], ikm, 2)
	copy(s.ck[:], ck)
	clear(ck)
	s.setKey(k)
}

func (s *symmetricState) mixKeyAndHash(ikm []byte) {
	ck, h, k := noiseHKDF(s.ck[:], ikm, 3)
	copy(s.ck[:], ck)
	clear(ck)
	s.mixHash(h)
	clear(h)
	s.setKey(k)
}

func (s *symmetricState) setKey(k []byte) {
	clear(s.k)
	s.k = k
	s.n = 0
}

func (s *symmetricState) aead() (cipher.AEAD, [12]byte, error) {
	var nonce [12]byte // §12.3 AESGCM: 32 zero bits ‖ 64-bit big-endian counter
	binary.BigEndian.PutUint64(nonce[4:], s.n)
	block, err := aes.NewCipher(s.k)
	if err != nil {
		return nil, nonce, err
	}
	a, err := cipher.NewGCM(block)
	return a, nonce, err
}

func (s *symmetricState) encryptAndHash(plaintext []byte) ([]byte, error) {
	if s.k == nil {
		s.mixHash(plaintext)
		return append([]byte(nil), plaintext...), nil
	}
	a, nonce, err := s.aead()
	if err != nil {
		return nil, err
	}
	c := a.Seal(nil, nonce[:], plaintext, s.h[:])
	s.n++
	s.mixHash(c)
	return c, nil
}

func (s *symmetricState) decryptAndHash(c []byte) ([]byte, error) {
	if s.k == nil {
		s.mixHash(c)
		return append([]byte(nil), c...), nil
	}
	a, nonce, err := s.aead()
	if err != nil {
		return nil, err
	}
	p, err := a.Open(nil, nonce[:], c, s.h[:])
	if err != nil {
		return nil, errHandshakeAuth
	}
	s.n++
	s.mixHash(c)
	return p, nil
}

// split is §5.2 Split: the initiator's sending key, then its receiving key.
func (s *symmetricState) split() (initiatorToResponder, responderToInitiator []byte) {
	k1, k2, _ := noiseHKDF(s.ck[:], nil, 2)
	return k1, k2
}

func (s *symmetricState) wipe() {
	clear(s.ck[:])
	clear(s.h[:])
	s.setKey(nil)
}

// noiseHKDF is Noise's HKDF (§4.3): HMAC-SHA256 with the chaining key as the key of the
// extract step and no info; n is 2 or 3 outputs.
func noiseHKDF(ck, ikm []byte, n int) (out1, out2, out3 []byte) {
	tempKey := hmacSHA256(ck, ikm)
	defer clear(tempKey)
	buf := make([]byte, sha256.Size+1) // out(i-1) ‖ i
	defer clear(buf)
	out1 = hmacSHA256(tempKey, []byte{1})
	copy(buf, out1)
	buf[sha256.Size] = 2
	out2 = hmacSHA256(tempKey, buf)
	if n == 3 {
		copy(buf, out2)
		buf[sha256.Size] = 3
		out3 = hmacSHA256(tempKey, buf)
	}
	return out1, out2, out3
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

// initiator is this desktop's side of the handshake.
type initiator struct {
	ss        symmetricState
	identity  *ecdh.PrivateKey
	ephemeral *ecdh.PrivateKey
}

// startHandshake writes the first handshake message (-> psk, e) for the QR code whose
// identity key is identity, with the PSK derived from the advert and a fresh ephemeral key.
// It does not keep psk.
func startHandshake(identity, ephemeral *ecdh.PrivateKey, psk []byte) (*initiator, []byte, error) {
	i := &initiator{identity: identity, ephemeral: ephemeral}
	i.ss.init(noiseProtocolKN)
	i.ss.mixHash([]byte{prologueQR})
	i.ss.mixHash(identity.PublicKey().Bytes()) // pre-message: -> s
	i.ss.mixKeyAndHash(psk)                    // psk0
	e := ephemeral.PublicKey().Bytes()
	i.ss.mixHash(e)
	i.ss.mixKey(e) // §9.2: with a PSK, "e" is also mixed into the key
	tag, err := i.ss.encryptAndHash(nil)
	if err != nil {
		i.ss.wipe()
		return nil, nil, err
	}
	return i, append(e, tag...), nil
}

// finish reads the phone's answer (<- e, ee, se) and returns the crypter for the messages
// that follow and the handshake hash (the channel binding the phone's linking information
// is signed over). The handshake's keys are wiped, whatever the result.
func (i *initiator) finish(msg []byte) (*crypter, [32]byte, error) {
	defer i.ss.wipe()
	var hash [32]byte
	if len(msg) != handshakeMessageSize {
		return nil, hash, fmt.Errorf("handshake answer is %d bytes, not %d", len(msg), handshakeMessageSize)
	}
	re, err := ecdh.P256().NewPublicKey(msg[:p256PointSize])
	if err != nil {
		return nil, hash, fmt.Errorf("handshake answer: the phone's ephemeral key: %w", err)
	}
	i.ss.mixHash(msg[:p256PointSize])
	i.ss.mixKey(msg[:p256PointSize])
	for _, own := range []*ecdh.PrivateKey{i.ephemeral, i.identity} { // ee, then se
		shared, err := own.ECDH(re)
		if err != nil {
			return nil, hash, fmt.Errorf("handshake answer: %w", err)
		}
		i.ss.mixKey(shared)
		clear(shared)
	}
	payload, err := i.ss.decryptAndHash(msg[p256PointSize:])
	if err != nil {
		return nil, hash, err
	}
	if len(payload) != 0 {
		return nil, hash, errors.New("handshake answer has a payload")
	}
	write, read := i.ss.split()
	c, err := newCrypter(read, write)
	if err != nil {
		return nil, hash, err
	}
	hash = i.ss.h
	return c, hash, nil
}
