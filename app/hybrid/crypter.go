package hybrid

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"math"
)

// crypter encrypts the messages after the handshake (CTAP 2.2 §11.5.1.4; Chromium
// Crypter): AES-256-GCM with the two keys of the handshake's Split, one per direction, and a
// per-direction message counter from 0.
//
// The nonce is 8 zero bytes ‖ uint32_be(counter) with no additional data (the "new
// construction" of current phones and the spec; the same as Noise's own nonce). Phones with
// Chromium before the change used uint32_le(counter) ‖ 8 zero bytes and the additional data
// {2} (the "old construction"); if the phone's first message only opens that way, the
// crypter switches to it for both directions, as webauthn-rs does.
//
// Every plaintext is padded to a multiple of 32 bytes so that lengths say little: zeros,
// then a last byte holding their number.
type crypter struct {
	read, write       cipher.AEAD
	readSeq, writeSeq uint32
	old               bool // the old construction
	settled           bool // the first message has been read, so the construction is known
}

var errDecrypt = errors.New("message authentication failed")

// newCrypter makes a crypter from raw keys and zeroes them.
func newCrypter(readKey, writeKey []byte) (*crypter, error) {
	defer clear(readKey)
	defer clear(writeKey)
	read, err := gcm(readKey)
	if err != nil {
		return nil, err
	}
	write, err := gcm(writeKey)
	if err != nil {
		return nil, err
	}
	return &crypter{read: read, write: write}, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// nonce and additional data of message seq in either construction.
func construction(old bool, seq uint32) (nonce [12]byte, ad []byte) {
	if old {
		binary.LittleEndian.PutUint32(nonce[:4], seq)
		return nonce, []byte{2}
	}
	binary.BigEndian.PutUint32(nonce[8:], seq)
	return nonce, nil
}

// encrypt pads and encrypts msg.
func (c *crypter) encrypt(msg []byte) ([]byte, error) {
	if c.writeSeq == math.MaxUint32 {
		return nil, errors.New("too many messages")
	}
	padded := pad(msg)
	defer clear(padded)
	nonce, ad := construction(c.old, c.writeSeq)
	c.writeSeq++
	return c.write.Seal(nil, nonce[:], padded, ad), nil
}

// decrypt opens and unpads a message.
func (c *crypter) decrypt(ct []byte) ([]byte, error) {
	if c.readSeq == math.MaxUint32 {
		return nil, errors.New("too many messages")
	}
	nonce, ad := construction(c.old, c.readSeq)
	padded, err := c.read.Open(nil, nonce[:], ct, ad)
	if err != nil && !c.settled {
		nonce, ad = construction(true, c.readSeq)
		if padded, err = c.read.Open(nil, nonce[:], ct, ad); err == nil {
			c.old = true
		}
	}
	if err != nil {
		return nil, errDecrypt
	}
	c.settled = true
	c.readSeq++
	return unpad(padded)
}

// padGranularity: padded plaintexts are a multiple of this.
const padGranularity = 32

func pad(msg []byte) []byte {
	n := (len(msg) + padGranularity) &^ (padGranularity - 1) // len+1 rounded up
	out := make([]byte, n)
	copy(out, msg)
	out[n-1] = byte(n - len(msg) - 1) //nolint:gosec // G115: the padding length is below padGranularity (32)
	return out
}

func unpad(padded []byte) ([]byte, error) {
	if len(padded) == 0 || int(padded[len(padded)-1])+1 > len(padded) {
		return nil, errors.New("bad padding")
	}
	return padded[:len(padded)-int(padded[len(padded)-1])-1], nil
}
