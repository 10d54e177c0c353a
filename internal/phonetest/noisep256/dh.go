// Package noisep256 is P-256 as a github.com/flynn/noise DH function, for tests only: the
// simulated phone's Noise responder and the cross-check of app/hybrid's own handshake. It is
// an independent implementation of the same protocol, so the two checking each other means
// something. Production code does not use it (app/hybrid writes its handshake out so that it
// can wipe every key).
package noisep256

import (
	"crypto/ecdh"
	"fmt"
	"io"

	"github.com/flynn/noise"
)

// DH is Noise's DH function over P-256 as caBLE v2 uses it: public keys are 65-byte
// uncompressed points, a DH result is the 32-byte X coordinate.
type DH struct{}

// GenerateKeypair reads a scalar from random (tests pass a fixed reader to get fixed keys),
// trying again in the rare case it is not a valid P-256 scalar.
func (DH) GenerateKeypair(random io.Reader) (noise.DHKey, error) {
	var scalar [32]byte
	for range 100 {
		if _, err := io.ReadFull(random, scalar[:]); err != nil {
			return noise.DHKey{}, err
		}
		k, err := ecdh.P256().NewPrivateKey(scalar[:])
		if err == nil {
			return noise.DHKey{Private: k.Bytes(), Public: k.PublicKey().Bytes()}, nil
		}
	}
	return noise.DHKey{}, fmt.Errorf("noisep256: no valid scalar from the random source")
}

// DH is the X coordinate of the shared point.
func (DH) DH(private, public []byte) ([]byte, error) {
	k, err := ecdh.P256().NewPrivateKey(private)
	if err != nil {
		return nil, err
	}
	p, err := ecdh.P256().NewPublicKey(public)
	if err != nil {
		return nil, err
	}
	return k.ECDH(p)
}

// DHLen is 65: flynn/noise uses it as the length of a public key when it reads "e" from a
// message (a quirk: the DH result itself is 32 bytes, which MixKey takes as it is).
func (DH) DHLen() int { return 65 }

// DHName is the name in the Noise protocol name: Noise_KNpsk0_P256_AESGCM_SHA256.
func (DH) DHName() string { return "P256" }

// CipherSuite is P-256, AES-GCM and SHA-256.
var CipherSuite = noise.NewCipherSuite(DH{}, noise.CipherAESGCM, noise.HashSHA256)
