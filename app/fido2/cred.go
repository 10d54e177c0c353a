//go:build cgo && !windows

package fido2

/*
#include <fido.h>
*/
import "C"

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"math/big"
	"unicode/utf8"
)

// MakeCredentialRequest is one authenticatorMakeCredential: register a passkey.
type MakeCredentialRequest struct {
	// ClientDataJSON is the whole client data (WebAuthn L3 §5.8.1), not its hash:
	// libfido2 hashes it for USB/NFC keys, and passes it whole to Windows Hello.
	ClientDataJSON []byte

	RPID   string // required
	RPName string

	UserID          []byte // required, 1 to 64 bytes
	UserName        string
	UserDisplayName string

	// Algorithm is the credential's COSE algorithm; zero means ES256.
	Algorithm Algorithm
	// ResidentKey asks for a discoverable credential (a passkey).
	ResidentKey bool
	// UserVerification requires user verification (PIN or built-in). Without a PIN and
	// without built-in UV, MakeCredential fails with ErrPINRequired (PIN set),
	// ErrPINNotSet (PIN possible but not set) or ErrUnsupportedOption, before the
	// authenticator asks for a touch.
	UserVerification bool
	// ExcludeList holds IDs of credentials the account already has; an authenticator that
	// holds one of them answers ErrCredentialExcluded (after a touch).
	ExcludeList [][]byte

	// PIN, if not empty, is the authenticator's PIN (UTF-8). MakeCredential takes
	// ownership: it zeroes the slice's bytes before it returns, whatever happens. It is
	// copied into C memory for the one libfido2 call, which is wiped and freed right after.
	PIN []byte

	// Status, if not nil, is called (from another goroutine, once per change) when the
	// authenticator says what it is doing, e.g. StatusUserPresenceNeeded. It must return
	// quickly: the request's reply waits for it. Only Go transports (the virtual key)
	// report it; see Open.
	Status func(Status)
}

// Credential is the result of MakeCredential: what the relying party needs to register
// the passkey.
type Credential struct {
	// Format is the attestation statement format ("packed", "fido-u2f", "none", ...).
	Format string
	// AuthData is the raw authenticator data, exactly as the authenticator signed it.
	AuthData []byte
	// AttestationStatement is the attStmt map, CBOR-encoded as the authenticator sent it.
	AttestationStatement []byte
	// Signature is attStmt's sig; Certificate is the first x5c certificate (DER), nil for
	// self attestation. (libfido2 1.12 exposes only the first certificate of x5c; the
	// whole chain is in AttestationStatement.)
	Signature   []byte
	Certificate []byte

	ID            []byte
	Algorithm     Algorithm
	PublicKey     crypto.PublicKey // *ecdsa.PublicKey, ed25519.PublicKey or *rsa.PublicKey
	PublicKeyCOSE []byte           // the COSE_Key from AuthData, as the RP stores it
	AAGUID        []byte
	Flags         byte
	SignCount     uint32
}

// AttestationObject is the WebAuthn attestationObject (WebAuthn L3 §6.5.4): the CBOR map
// {fmt, attStmt, authData}, in CTAP2 canonical key order.
func (c *Credential) AttestationObject() []byte {
	attStmt := c.AttestationStatement
	if len(attStmt) == 0 {
		attStmt = []byte{0xa0} // {}
	}
	out := appendCBORHead(nil, 5, 3)
	out = appendCBORText(out, "fmt")
	out = appendCBORText(out, c.Format)
	out = appendCBORText(out, "attStmt")
	out = append(out, attStmt...)
	out = appendCBORText(out, "authData")
	return appendCBORBytes(out, c.AuthData)
}

// MakeCredential registers a new credential on the authenticator. It blocks until the
// person touches the authenticator, ctx ends, or Cancel is called.
func (d *Device) MakeCredential(ctx context.Context, req MakeCredentialRequest) (*Credential, error) {
	const op = "make credential"
	defer clear(req.PIN)
	if req.Algorithm == 0 {
		req.Algorithm = ES256
	}
	if err := req.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}

	var out *Credential
	var readErr error
	err := d.doWithPIN(ctx, op, req.Status, nil, req.PIN, req.checkUserVerification, func(dev *C.fido_dev_t, pin *cSecret) C.int {
		cred := C.fido_cred_new()
		if cred == nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer C.fido_cred_free(&cred)
		if rc := req.fill(cred); rc != C.FIDO_OK {
			return rc
		}
		rc := C.fido_dev_make_cred(dev, cred, pin.ptr())
		pin.release()
		if rc != C.FIDO_OK {
			return rc
		}
		out, readErr = readCredential(cred)
		return C.FIDO_OK
	})
	if err != nil {
		return nil, err
	}
	if readErr != nil {
		return nil, fmt.Errorf("%s: %w", op, readErr)
	}
	return out, nil
}

// checkUserVerification is doWithPIN's check: user verification asked for and no PIN given
// (checkUserVerification).
func (req *MakeCredentialRequest) checkUserVerification(dev *C.fido_dev_t, havePIN bool) C.int {
	return checkUserVerification(dev, req.UserVerification, havePIN)
}

func (req *MakeCredentialRequest) validate() error {
	switch {
	case len(req.ClientDataJSON) == 0, req.RPID == "",
		len(req.UserID) == 0, len(req.UserID) > 64:
		return refuse(ErrInvalidRequest)
	}
	switch req.Algorithm {
	case ES256, EdDSA, ES384, RS256:
	default:
		return refuse(ErrUnsupportedAlgorithm)
	}
	for _, id := range req.ExcludeList {
		if len(id) == 0 {
			return refuse(ErrInvalidRequest)
		}
	}
	return validatePINForUse(req.PIN)
}

// fill sets the request on a libfido2 credential.
func (req *MakeCredentialRequest) fill(cred *C.fido_cred_t) C.int {
	if rc := C.fido_cred_set_type(cred, C.int(req.Algorithm)); rc != C.FIDO_OK {
		return rc
	}
	cd, cdLen := cBytes(req.ClientDataJSON)
	if rc := C.fido_cred_set_clientdata(cred, cd, cdLen); rc != C.FIDO_OK {
		return rc
	}
	rpID, freeID := cString(req.RPID)
	defer freeID()
	rpName, freeName := cString(req.RPName)
	defer freeName()
	if rc := C.fido_cred_set_rp(cred, rpID, rpName); rc != C.FIDO_OK {
		return rc
	}
	uid, uidLen := cBytes(req.UserID)
	name, freeUser := cString(req.UserName)
	defer freeUser()
	display, freeDisplay := cString(req.UserDisplayName)
	defer freeDisplay()
	if rc := C.fido_cred_set_user(cred, uid, uidLen, name, display, nil); rc != C.FIDO_OK {
		return rc
	}
	if rc := C.fido_cred_set_rk(cred, option(req.ResidentKey)); rc != C.FIDO_OK {
		return rc
	}
	if rc := C.fido_cred_set_uv(cred, option(req.UserVerification)); rc != C.FIDO_OK {
		return rc
	}
	for _, id := range req.ExcludeList {
		p, n := cBytes(id)
		if rc := C.fido_cred_exclude(cred, p, n); rc != C.FIDO_OK {
			return rc
		}
	}
	return C.FIDO_OK
}

// option is true, or "omit" (the authenticator's default) for false: CTAP2.0 keys refuse
// an explicit uv=false, and rk=false is everyone's default.
func option(b bool) C.fido_opt_t {
	if b {
		return C.FIDO_OPT_TRUE
	}
	return C.FIDO_OPT_OMIT
}

// checkUserVerification makes "UV required without a PIN" fail the same way on every
// authenticator, before any touch: CTAP 2.0 and 2.1 keys answer it differently
// (INVALID_OPTION, UNSUPPORTED_OPTION or PUAT_REQUIRED), and some only after a touch.
// It asks for a fresh getInfo, because the flags libfido2 read at open go stale when the
// PIN is set through the same Device.
func checkUserVerification(dev *C.fido_dev_t, required, havePIN bool) C.int {
	if !required || havePIN {
		return C.FIDO_OK
	}
	ci := C.fido_cbor_info_new()
	if ci == nil {
		return C.FIDO_ERR_INTERNAL
	}
	defer C.fido_cbor_info_free(&ci)
	if rc := C.fido_dev_get_cbor_info(dev, ci); rc != C.FIDO_OK {
		return rc
	}
	info := readInfo(ci)
	if uv, _ := info.Option("uv"); uv {
		return C.FIDO_OK // built-in user verification
	}
	switch pin, ok := info.Option("clientPin"); {
	case ok && pin:
		return C.FIDO_ERR_PIN_REQUIRED
	case ok:
		return C.FIDO_ERR_PIN_NOT_SET
	}
	return C.FIDO_ERR_UNSUPPORTED_OPTION
}

func readCredential(cred *C.fido_cred_t) (*Credential, error) {
	c := &Credential{
		Format:               goString(C.fido_cred_fmt(cred)),
		AuthData:             goBytes(C.fido_cred_authdata_raw_ptr(cred), C.fido_cred_authdata_raw_len(cred)),
		AttestationStatement: goBytes(C.fido_cred_attstmt_ptr(cred), C.fido_cred_attstmt_len(cred)),
		Signature:            goBytes(C.fido_cred_sig_ptr(cred), C.fido_cred_sig_len(cred)),
		Certificate:          goBytes(C.fido_cred_x5c_ptr(cred), C.fido_cred_x5c_len(cred)),
		ID:                   goBytes(C.fido_cred_id_ptr(cred), C.fido_cred_id_len(cred)),
		Algorithm:            Algorithm(C.fido_cred_type(cred)),
		AAGUID:               goBytes(C.fido_cred_aaguid_ptr(cred), C.fido_cred_aaguid_len(cred)),
		Flags:                byte(C.fido_cred_flags(cred)),
		SignCount:            uint32(C.fido_cred_sigcount(cred)),
	}
	_, _, cose, err := attestedCredential(c.AuthData)
	if err != nil {
		return nil, refuseWith(ErrDevice, err)
	}
	c.PublicKeyCOSE = cose
	raw := goBytes(C.fido_cred_pubkey_ptr(cred), C.fido_cred_pubkey_len(cred))
	if c.PublicKey, err = publicKey(c.Algorithm, raw); err != nil {
		return nil, refuseWith(ErrDevice, err)
	}
	return c, nil
}

// refuseWith is refuse with a cause to log (never shown to the person).
func refuseWith(kind, cause error) *Error {
	e := refuse(kind)
	e.cause = cause
	return e
}

// publicKey turns libfido2's raw public key (es256/es384: x||y, eddsa: the 32-byte key,
// rs256: n (256 bytes) || e (3 bytes)) into a Go key.
func publicKey(alg Algorithm, raw []byte) (crypto.PublicKey, error) {
	switch alg {
	case ES256, ES384:
		curve := elliptic.P256()
		if alg == ES384 {
			curve = elliptic.P384()
		}
		return ecdsa.ParseUncompressedPublicKey(curve, append([]byte{4}, raw...))
	case EdDSA:
		if len(raw) != ed25519.PublicKeySize {
			return nil, errors.New("bad Ed25519 public key")
		}
		return ed25519.PublicKey(raw), nil
	case RS256:
		if len(raw) != 256+3 {
			return nil, errors.New("bad RSA public key")
		}
		e := new(big.Int).SetBytes(raw[256:])
		return &rsa.PublicKey{N: new(big.Int).SetBytes(raw[:256]), E: int(e.Int64())}, nil
	}
	return nil, fmt.Errorf("unsupported algorithm %d", alg)
}

// validatePINForUse checks a PIN given to unlock a request: it goes to C as a string.
func validatePINForUse(pin []byte) error {
	if len(pin) == 0 {
		return nil
	}
	if !utf8.Valid(pin) || containsNUL(pin) {
		return refuse(ErrPINInvalid)
	}
	return nil
}

func containsNUL(b []byte) bool { return bytes.IndexByte(b, 0) >= 0 }
