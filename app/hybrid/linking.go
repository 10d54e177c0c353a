package hybrid

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hmac"
	"errors"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// Linking ("remember this computer" on the phone, CTAP 2.2 §11.5.1.6; Chromium
// Pairing::Parse) lets later transactions start without a QR code ("state-assisted": the
// desktop contacts the phone through the tunnel server's /cable/contact and runs NKpsk0).
// That is not done yet. The seam is LinkStore: with none (the default, and always in kiosk
// mode, where nothing of a patient may stay), the QR code says the desktop does not support
// linking (key 4 false) and any linking information the phone still sends is dropped.

// Link is what a phone offers to be remembered by, checked to come from the phone that
// completed this handshake.
type Link struct {
	ContactID  []byte // the phone's contact ID at the tunnel server
	LinkID     []byte
	LinkSecret []byte // secret: derives the advert key and PSK of later transactions
	PublicKey  []byte // the phone's identity key, 65-byte uncompressed P-256
	Name       string // the phone's name, to show
	DomainID   uint16 // the tunnel server it uses
}

// LinkStore keeps a phone's Link. Remember is called with a Link whose signature was
// checked; the store takes its slices over.
type LinkStore interface {
	Remember(Link) error
}

type linkingWire struct {
	ContactID  []byte `cbor:"1,keyasint"`
	LinkID     []byte `cbor:"2,keyasint"`
	LinkSecret []byte `cbor:"3,keyasint"`
	PublicKey  []byte `cbor:"4,keyasint"`
	Name       string `cbor:"5,keyasint"`
	Signature  []byte `cbor:"6,keyasint"`
}

var errLinkingSignature = errors.New("linking information is not signed by the phone of this handshake")

// verifyLinking reads linking information and checks its signature: HMAC-SHA256 over the
// handshake hash, keyed with ECDH(this QR code's identity key, the phone's public key). Only
// the phone that completed this handshake can make it. (In a state-assisted transaction it
// cannot be checked, and Chromium and libwebauthn ignore it; so would this.)
func verifyLinking(raw cbor.RawMessage, identity *ecdh.PrivateKey, handshakeHash [32]byte, domainID uint16) (*Link, error) {
	var w linkingWire
	if err := strictDecMode.Unmarshal(raw, &w); err != nil {
		return nil, fmt.Errorf("linking information: %w", err)
	}
	if len(w.ContactID) == 0 || len(w.LinkID) == 0 || len(w.LinkSecret) == 0 || len(w.Signature) != 32 {
		clear(w.LinkSecret)
		return nil, errors.New("linking information is incomplete")
	}
	pub, err := ecdh.P256().NewPublicKey(w.PublicKey)
	if err != nil {
		clear(w.LinkSecret)
		return nil, fmt.Errorf("linking information: phone's public key: %w", err)
	}
	shared, err := identity.ECDH(pub)
	if err != nil {
		clear(w.LinkSecret)
		return nil, err
	}
	defer clear(shared)
	if !hmac.Equal(hmacSHA256(shared, handshakeHash[:]), w.Signature) {
		clear(w.LinkSecret)
		return nil, errLinkingSignature
	}
	return &Link{
		ContactID:  w.ContactID,
		LinkID:     w.LinkID,
		LinkSecret: w.LinkSecret,
		PublicKey:  bytes.Clone(w.PublicKey),
		Name:       w.Name,
		DomainID:   domainID,
	}, nil
}

// updateMessage is a revision-1 "update" (type 2): {1: linking info}. Android adds other
// keys (999), which are ignored.
type updateMessage struct {
	Linking cbor.RawMessage `cbor:"1,keyasint,omitempty"`
}
