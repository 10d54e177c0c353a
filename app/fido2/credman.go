//go:build cgo && !windows

package fido2

/*
#include <fido.h>
#include <fido/credman.h>
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
)

// Credential management: the passkeys an authenticator holds (CTAP 2.1 §6.8,
// authenticatorCredentialManagement). Every call needs the PIN, or a fingerprint on an
// authenticator with built-in user verification set up (pin empty; libfido2 then asks for
// the finger). libfido2 1.12 sends the CTAP 2.1-PRE command (0x41) whatever the authenticator
// reports; CTAP 2.1 authenticators accept it too.

// CredMetadata is what getCredsMetadata reports (§6.8.2).
type CredMetadata struct {
	Existing  int // passkeys (discoverable credentials) on the authenticator
	Remaining int // how many more it can hold (an estimate on some authenticators)
}

// RP is a relying party that has passkeys on the authenticator (§6.8.3).
type RP struct {
	ID     string
	Name   string // may be empty: authenticators need not keep it
	IDHash []byte // SHA-256 of ID, as the authenticator reports it
}

// StoredCredential is one passkey on the authenticator (§6.8.4).
type StoredCredential struct {
	ID              []byte
	UserID          []byte
	UserName        string
	UserDisplayName string
	// PublicKeyCOSE is the credential's public key as a COSE_Key, CTAP2-canonical, as a
	// relying party stores it (compare with Credential.PublicKeyCOSE).
	PublicKeyCOSE []byte
	// CredProtect is the credential protection policy (CTAP 2.1 §12.1): 1
	// userVerificationOptional, 2 userVerificationOptionalWithCredentialIDList, 3
	// userVerificationRequired; 0 when the authenticator does not say.
	CredProtect int
}

// credManKinds: FIDO_ERR_INVALID_COMMAND from credential management means the authenticator
// has none.
func credManKinds(rc C.int) error {
	if rc == C.FIDO_ERR_INVALID_COMMAND {
		return ErrUnsupportedOption
	}
	return nil
}

// credManCheck refuses, before libfido2 asks the authenticator anything, what cannot work:
// no credential management (ErrUnsupportedOption), or no PIN given to an authenticator that
// has no fingerprint set up (ErrPINRequired, or ErrPINNotSet when it has no PIN either).
func credManCheck(dev *C.fido_dev_t, havePIN bool) C.int {
	if !bool(C.fido_dev_supports_credman(dev)) {
		return C.FIDO_ERR_UNSUPPORTED_OPTION
	}
	return checkUserVerification(dev, true, havePIN)
}

// CredentialsMetadata reports how many passkeys the authenticator holds and how many more
// fit. It zeroes pin before it returns. A wrong PIN gives ErrPINInvalid with the tries left.
func (d *Device) CredentialsMetadata(ctx context.Context, pin []byte) (CredMetadata, error) {
	const op = "credential metadata"
	defer clear(pin)
	if err := validatePINForUse(pin); err != nil {
		return CredMetadata{}, fmt.Errorf("%s: %w", op, err)
	}
	var out CredMetadata
	err := d.doWithPIN(ctx, op, nil, credManKinds, pin, credManCheck, func(dev *C.fido_dev_t, p *cSecret) C.int {
		md := C.fido_credman_metadata_new()
		if md == nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer C.fido_credman_metadata_free(&md)
		rc := C.fido_credman_get_dev_metadata(dev, md, p.ptr())
		p.release()
		if rc != C.FIDO_OK {
			return rc
		}
		out = CredMetadata{
			Existing:  int(C.fido_credman_rk_existing(md)),
			Remaining: int(C.fido_credman_rk_remaining(md)),
		}
		return C.FIDO_OK
	})
	if err != nil {
		return CredMetadata{}, err
	}
	return out, nil
}

// RelyingParties lists the relying parties that have passkeys on the authenticator, in the
// authenticator's order. None is an empty list, not an error. It zeroes pin.
func (d *Device) RelyingParties(ctx context.Context, pin []byte) ([]RP, error) {
	const op = "list relying parties"
	defer clear(pin)
	if err := validatePINForUse(pin); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out := []RP{}
	err := d.doWithPIN(ctx, op, nil, credManKinds, pin, credManCheck, func(dev *C.fido_dev_t, p *cSecret) C.int {
		rps := C.fido_credman_rp_new()
		if rps == nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer C.fido_credman_rp_free(&rps)
		rc := C.fido_credman_get_dev_rp(dev, rps, p.ptr())
		p.release()
		if rc == C.FIDO_ERR_NO_CREDENTIALS { // §6.8.3: the answer when there are none
			return C.FIDO_OK
		}
		if rc != C.FIDO_OK {
			return rc
		}
		for i := C.size_t(0); i < C.fido_credman_rp_count(rps); i++ {
			out = append(out, RP{
				ID:     goString(C.fido_credman_rp_id(rps, i)),
				Name:   goString(C.fido_credman_rp_name(rps, i)),
				IDHash: goBytes(C.fido_credman_rp_id_hash_ptr(rps, i), C.fido_credman_rp_id_hash_len(rps, i)),
			})
		}
		return C.FIDO_OK
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Credentials lists the passkeys the authenticator holds for rpID. None is an empty list,
// not an error. It zeroes pin.
func (d *Device) Credentials(ctx context.Context, rpID string, pin []byte) ([]StoredCredential, error) {
	const op = "list credentials"
	defer clear(pin)
	if rpID == "" || containsNUL([]byte(rpID)) {
		return nil, fmt.Errorf("%s: %w", op, refuse(ErrInvalidRequest))
	}
	if err := validatePINForUse(pin); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out := []StoredCredential{}
	var readErr error
	err := d.doWithPIN(ctx, op, nil, credManKinds, pin, credManCheck, func(dev *C.fido_dev_t, p *cSecret) C.int {
		rk := C.fido_credman_rk_new()
		if rk == nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer C.fido_credman_rk_free(&rk)
		crp, free := cString(rpID)
		defer free()
		rc := C.fido_credman_get_dev_rk(dev, crp, rk, p.ptr())
		p.release()
		if rc == C.FIDO_ERR_NO_CREDENTIALS { // §6.8.4: the answer when there are none
			return C.FIDO_OK
		}
		if rc != C.FIDO_OK {
			return rc
		}
		for i := C.size_t(0); i < C.fido_credman_rk_count(rk); i++ {
			c, err := readStoredCredential(C.fido_credman_rk(rk, i))
			if err != nil {
				readErr = err
				return C.FIDO_OK
			}
			out = append(out, c)
		}
		return C.FIDO_OK
	})
	if err != nil {
		return nil, err
	}
	if readErr != nil {
		return nil, fmt.Errorf("%s: %w", op, refuseWith(ErrDevice, readErr))
	}
	return out, nil
}

func readStoredCredential(cred *C.fido_cred_t) (StoredCredential, error) {
	if cred == nil {
		return StoredCredential{}, errors.New("missing credential")
	}
	alg := Algorithm(C.fido_cred_type(cred))
	raw := goBytes(C.fido_cred_pubkey_ptr(cred), C.fido_cred_pubkey_len(cred))
	cose, err := coseKey(alg, raw)
	if err != nil {
		return StoredCredential{}, err
	}
	return StoredCredential{
		ID:              goBytes(C.fido_cred_id_ptr(cred), C.fido_cred_id_len(cred)),
		UserID:          goBytes(C.fido_cred_user_id_ptr(cred), C.fido_cred_user_id_len(cred)),
		UserName:        goString(C.fido_cred_user_name(cred)),
		UserDisplayName: goString(C.fido_cred_display_name(cred)),
		PublicKeyCOSE:   cose,
		CredProtect:     int(C.fido_cred_prot(cred)),
	}, nil
}

// DeleteCredential removes the passkey credentialID from the authenticator (§6.8.5). One it
// does not hold gives ErrNoCredentials. It zeroes pin.
func (d *Device) DeleteCredential(ctx context.Context, credentialID, pin []byte) error {
	const op = "delete credential"
	defer clear(pin)
	if len(credentialID) == 0 {
		return fmt.Errorf("%s: %w", op, refuse(ErrInvalidRequest))
	}
	if err := validatePINForUse(pin); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return d.doWithPIN(ctx, op, nil, credManKinds, pin, credManCheck, func(dev *C.fido_dev_t, p *cSecret) C.int {
		id, n := cBytes(credentialID)
		return C.fido_credman_del_dev_rk(dev, id, n, p.ptr())
	})
}

// UpdateCredentialUser replaces the user name and display name kept with the passkey
// credentialID (§6.8.6, updateUserInformation); userID must be the passkey's user handle
// (ErrInvalidRequest otherwise). Empty names are removed. It zeroes pin.
func (d *Device) UpdateCredentialUser(ctx context.Context, credentialID, userID []byte, userName,
	displayName string, pin []byte) error {
	const op = "update credential user"
	defer clear(pin)
	if len(credentialID) == 0 || len(userID) == 0 || len(userID) > 64 ||
		containsNUL([]byte(userName)) || containsNUL([]byte(displayName)) {
		return fmt.Errorf("%s: %w", op, refuse(ErrInvalidRequest))
	}
	if err := validatePINForUse(pin); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return d.doWithPIN(ctx, op, nil, credManKinds, pin, credManCheck, func(dev *C.fido_dev_t, p *cSecret) C.int {
		cred := C.fido_cred_new()
		if cred == nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer C.fido_cred_free(&cred)
		id, n := cBytes(credentialID)
		if rc := C.fido_cred_set_id(cred, id, n); rc != C.FIDO_OK {
			return rc
		}
		uid, uidLen := cBytes(userID)
		name, freeName := cString(userName)
		defer freeName()
		display, freeDisplay := cString(displayName)
		defer freeDisplay()
		if rc := C.fido_cred_set_user(cred, uid, uidLen, name, display, nil); rc != C.FIDO_OK {
			return rc
		}
		return C.fido_credman_set_dev_rk(dev, cred, p.ptr())
	})
}

// coseKey encodes libfido2's raw public key (see publicKey) as a CTAP2-canonical COSE_Key
// (RFC 9052 §7, RFC 9053 §7.1 and §7.2, RFC 8230 §4): integer labels in the order 1, 3, -1,
// -2, -3, which is how authenticators write it in authenticator data.
func coseKey(alg Algorithm, raw []byte) ([]byte, error) {
	switch alg {
	case ES256, ES384:
		size, crv := 32, int64(1) // P-256
		if alg == ES384 {
			size, crv = 48, 2 // P-384
		}
		if len(raw) != 2*size {
			return nil, errors.New("bad EC2 public key")
		}
		out := appendCBORHead(nil, 5, 5)
		out = appendCBORInt(appendCBORInt(out, 1), 2) // kty: EC2
		out = appendCBORInt(appendCBORInt(out, 3), int64(alg))
		out = appendCBORInt(appendCBORInt(out, -1), crv)
		out = appendCBORBytes(appendCBORInt(out, -2), raw[:size])
		return appendCBORBytes(appendCBORInt(out, -3), raw[size:]), nil
	case EdDSA:
		if len(raw) != 32 {
			return nil, errors.New("bad Ed25519 public key")
		}
		out := appendCBORHead(nil, 5, 4)
		out = appendCBORInt(appendCBORInt(out, 1), 1) // kty: OKP
		out = appendCBORInt(appendCBORInt(out, 3), int64(alg))
		out = appendCBORInt(appendCBORInt(out, -1), 6) // crv: Ed25519
		return appendCBORBytes(appendCBORInt(out, -2), raw), nil
	case RS256:
		if len(raw) != 256+3 {
			return nil, errors.New("bad RSA public key")
		}
		out := appendCBORHead(nil, 5, 4)
		out = appendCBORInt(appendCBORInt(out, 1), 3) // kty: RSA
		out = appendCBORInt(appendCBORInt(out, 3), int64(alg))
		out = appendCBORBytes(appendCBORInt(out, -1), raw[:256])
		return appendCBORBytes(appendCBORInt(out, -2), trimLeadingZeros(raw[256:])), nil
	}
	return nil, fmt.Errorf("unsupported algorithm %d", alg)
}

// appendCBORInt appends a CBOR integer (major type 0 or 1).
func appendCBORInt(dst []byte, v int64) []byte {
	if v >= 0 {
		return appendCBORHead(dst, 0, uint64(v))
	}
	return appendCBORHead(dst, 1, uint64(-1-v))
}

func trimLeadingZeros(b []byte) []byte {
	for len(b) > 1 && b[0] == 0 {
		b = b[1:]
	}
	return b
}
