//go:build cgo && !windows

package fido2

/*
#include <fido.h>
*/
import "C"

import (
	"context"
	"crypto/rand"
	"fmt"
	"slices"
)

// GetAssertionRequest is one authenticatorGetAssertion: log in with a passkey.
type GetAssertionRequest struct {
	// ClientDataJSON is the whole client data (WebAuthn L3 §5.8.1), not its hash.
	ClientDataJSON []byte
	RPID           string // required
	// AllowList holds the IDs of the account's credentials; empty asks for discoverable
	// credentials (a passkey login without a user name).
	AllowList [][]byte
	// UserVerification requires user verification; see MakeCredentialRequest.
	UserVerification bool
	// PIN: as in MakeCredentialRequest (GetAssertion zeroes it before it returns).
	PIN []byte
	// Status: as in MakeCredentialRequest.
	Status func(Status)
}

// Assertion is one credential's answer. Sign AuthData || SHA-256(ClientDataJSON) with the
// credential's key to check Signature.
type Assertion struct {
	CredentialID []byte
	// AuthData is the raw authenticator data, exactly as signed (libfido2 1.12 keeps it
	// CBOR-wrapped; it is unwrapped here).
	AuthData  []byte
	Signature []byte
	// The user is returned for discoverable credentials (always when the authenticator
	// has more than one for the RP; name and display name only after user verification).
	UserID          []byte
	UserName        string
	UserDisplayName string
	Flags           byte
	SignCount       uint32
}

// GetAssertion asks the authenticator to sign in. With an empty AllowList and several
// discoverable credentials for the RP, it returns one Assertion for each (libfido2 asks
// for them all with authenticatorGetNextAssertion), for the person to choose between.
func (d *Device) GetAssertion(ctx context.Context, req GetAssertionRequest) ([]Assertion, error) {
	const op = "get assertion"
	defer clear(req.PIN)
	if err := req.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}

	var out []Assertion
	var readErr error
	err := d.doWithPIN(ctx, op, req.Status, nil, req.PIN, req.checkUserVerification, func(dev *C.fido_dev_t, pin *cSecret) C.int {
		as := C.fido_assert_new()
		if as == nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer C.fido_assert_free(&as)
		if rc := req.fill(as); rc != C.FIDO_OK {
			return rc
		}
		rc := C.fido_dev_get_assert(dev, as, pin.ptr())
		pin.release()
		if rc != C.FIDO_OK {
			return rc
		}
		out, readErr = readAssertions(as)
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
func (req *GetAssertionRequest) checkUserVerification(dev *C.fido_dev_t, havePIN bool) C.int {
	return checkUserVerification(dev, req.UserVerification, havePIN)
}

func (req *GetAssertionRequest) validate() error {
	if len(req.ClientDataJSON) == 0 || req.RPID == "" {
		return refuse(ErrInvalidRequest)
	}
	for _, id := range req.AllowList {
		if len(id) == 0 {
			return refuse(ErrInvalidRequest)
		}
	}
	return validatePINForUse(req.PIN)
}

func (req *GetAssertionRequest) fill(as *C.fido_assert_t) C.int {
	cd, cdLen := cBytes(req.ClientDataJSON)
	if rc := C.fido_assert_set_clientdata(as, cd, cdLen); rc != C.FIDO_OK {
		return rc
	}
	rpID, free := cString(req.RPID)
	defer free()
	if rc := C.fido_assert_set_rp(as, rpID); rc != C.FIDO_OK {
		return rc
	}
	if rc := C.fido_assert_set_uv(as, option(req.UserVerification)); rc != C.FIDO_OK {
		return rc
	}
	for _, id := range req.AllowList {
		p, n := cBytes(id)
		if rc := C.fido_assert_allow_cred(as, p, n); rc != C.FIDO_OK {
			return rc
		}
	}
	return C.FIDO_OK
}

func readAssertions(as *C.fido_assert_t) ([]Assertion, error) {
	n := C.fido_assert_count(as)
	out := make([]Assertion, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		// libfido2 1.12 has no raw getter for an assertion's authenticator data: it keeps
		// the CBOR byte string the authenticator sent.
		wrapped := goBytes(C.fido_assert_authdata_ptr(as, i), C.fido_assert_authdata_len(as, i))
		authData, err := unwrapByteString(wrapped)
		if err != nil {
			return nil, refuseWith(ErrDevice, fmt.Errorf("assertion %d: authenticator data: %w", i, err))
		}
		out = append(out, Assertion{
			CredentialID:    goBytes(C.fido_assert_id_ptr(as, i), C.fido_assert_id_len(as, i)),
			AuthData:        authData,
			Signature:       goBytes(C.fido_assert_sig_ptr(as, i), C.fido_assert_sig_len(as, i)),
			UserID:          goBytes(C.fido_assert_user_id_ptr(as, i), C.fido_assert_user_id_len(as, i)),
			UserName:        goString(C.fido_assert_user_name(as, i)),
			UserDisplayName: goString(C.fido_assert_user_display_name(as, i)),
			Flags:           byte(C.fido_assert_flags(as, i)),
			SignCount:       uint32(C.fido_assert_sigcount(as, i)),
		})
	}
	return out, nil
}

// FindCredential asks the authenticator, without a touch, which of ids (credential IDs for
// rpID) it holds, and returns the first it names, or nil when it holds none of them. It is
// the "silent pre-flight" of CTAP 2.1 §6.2.2: authenticatorGetAssertion with the "up" option
// false and no PIN, so the key asks nothing of the person, and the assertion it signs (over
// a random client data hash no relying party ever issued, with the UP flag clear) is thrown
// away. A platform uses it to split a credential list longer than the key takes at once
// (getInfo maxCredentialCountInList) into batches. A credential the key protects
// with user verification (credProtect level 3) is not found this way.
func (d *Device) FindCredential(ctx context.Context, rpID string, ids [][]byte) ([]byte, error) {
	const op = "find credential"
	if rpID == "" || len(ids) == 0 || slices.ContainsFunc(ids, func(id []byte) bool { return len(id) == 0 }) {
		return nil, fmt.Errorf("%s: %w", op, refuse(ErrInvalidRequest))
	}
	var hash [32]byte
	if _, err := rand.Read(hash[:]); err != nil {
		return nil, fmt.Errorf("%s: client data hash: %w", op, err)
	}
	var found []byte
	err := d.do(ctx, op, nil, func(dev *C.fido_dev_t) C.int {
		as := C.fido_assert_new()
		if as == nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer C.fido_assert_free(&as)
		p, n := cBytes(hash[:])
		if rc := C.fido_assert_set_clientdata_hash(as, p, n); rc != C.FIDO_OK {
			return rc
		}
		rp, free := cString(rpID)
		defer free()
		if rc := C.fido_assert_set_rp(as, rp); rc != C.FIDO_OK {
			return rc
		}
		if rc := C.fido_assert_set_up(as, C.FIDO_OPT_FALSE); rc != C.FIDO_OK {
			return rc
		}
		for _, id := range ids {
			p, n := cBytes(id)
			if rc := C.fido_assert_allow_cred(as, p, n); rc != C.FIDO_OK {
				return rc
			}
		}
		switch rc := C.fido_dev_get_assert(dev, as, nil); {
		case rc == C.FIDO_ERR_NO_CREDENTIALS:
			return C.FIDO_OK
		case rc != C.FIDO_OK:
			return rc
		}
		if C.fido_assert_count(as) > 0 {
			found = goBytes(C.fido_assert_id_ptr(as, 0), C.fido_assert_id_len(as, 0))
		}
		if len(found) == 0 && len(ids) == 1 {
			// CTAP 2.1 §6.2.2: the credential may be left out when the list held only one.
			found = slices.Clone(ids[0])
		}
		return C.FIDO_OK
	})
	if err != nil {
		return nil, err
	}
	return found, nil
}
