//go:build cgo && !windows

package webauthnclient

// The libfido2 adapter is for Linux and macOS. On Windows ordinary apps may not open security
// keys directly (since Windows 10 1903), so the app goes through webauthn.dll instead
// (app/webauthndll), and this file, with the cgo binding it needs, is left out. So is it from
// a build without cgo, which has no libfido2 to reach (app/device/authenticator/set_nocgo.go).

import (
	"context"
	"crypto/x509"
	"fmt"

	"github.com/nhs-passkeys/companion/app/fido2"
)

// FIDO2 is the Authenticator over a libfido2 device (app/fido2): a security key, or the
// virtual key through fido2.OpenTransport.
type FIDO2 struct {
	dev *fido2.Device
}

// NewFIDO2 adapts dev. The caller keeps dev and closes it.
func NewFIDO2(dev *fido2.Device) *FIDO2 { return &FIDO2{dev: dev} }

// MakeCredential registers a credential (CTAP2 authenticatorMakeCredential through libfido2).
func (a *FIDO2) MakeCredential(ctx context.Context, req CreateRequest, pin []byte, status func(Status)) (*Attestation, error) {
	defer clear(pin)
	info, err := a.dev.Info(ctx)
	if err != nil {
		return nil, err
	}
	exclude, err := a.narrow(ctx, req.RPID, req.ExcludeList, info)
	if err != nil {
		return nil, err
	}
	cred, err := a.dev.MakeCredential(ctx, fido2.MakeCredentialRequest{
		ClientDataJSON:   req.ClientDataJSON,
		RPID:             req.RPID,
		RPName:           req.RPName,
		UserID:           req.UserID,
		UserName:         req.UserName,
		UserDisplayName:  req.UserDisplayName,
		Algorithm:        fido2.Algorithm(req.Algorithm),
		ResidentKey:      residentKey(req.ResidentKey, info),
		UserVerification: userVerification(req.UserVerification, info, pin),
		ExcludeList:      exclude,
		PIN:              pin,
		Status:           fido2Status(status),
	})
	if err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(cred.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: public key: %w", ErrBadResponse, err)
	}
	return &Attestation{
		CredentialID:      cred.ID,
		AuthenticatorData: cred.AuthData,
		AttestationObject: cred.AttestationObject(),
		PublicKey:         spki,
		Algorithm:         int(cred.Algorithm),
	}, nil
}

// GetAssertion signs in (CTAP2 authenticatorGetAssertion, and GetNextAssertion for each
// further discoverable credential).
func (a *FIDO2) GetAssertion(ctx context.Context, req GetRequest, pin []byte, status func(Status)) ([]Assertion, error) {
	defer clear(pin)
	info, err := a.dev.Info(ctx)
	if err != nil {
		return nil, err
	}
	allow := req.AllowList
	if len(allow) > 0 {
		if allow, err = a.narrow(ctx, req.RPID, allow, info); err != nil {
			return nil, err
		}
		if len(allow) == 0 {
			// None of the account's credentials is on this key. An empty allow list would
			// ask for any discoverable credential instead: ask with the first the key can
			// take, so that it answers "no credentials" as it would to a short list.
			ids := fitting(req.AllowList, info)
			if len(ids) == 0 {
				return nil, fmt.Errorf("%w: no credential ID is short enough for this key", fido2.ErrNoCredentials)
			}
			allow = ids[:1]
		}
	}
	got, err := a.dev.GetAssertion(ctx, fido2.GetAssertionRequest{
		ClientDataJSON:   req.ClientDataJSON,
		RPID:             req.RPID,
		AllowList:        allow,
		UserVerification: userVerification(req.UserVerification, info, pin),
		PIN:              pin,
		Status:           fido2Status(status),
	})
	if err != nil {
		return nil, err
	}
	out := make([]Assertion, 0, len(got))
	for _, as := range got {
		out = append(out, Assertion{
			CredentialID:      as.CredentialID,
			AuthenticatorData: as.AuthData,
			Signature:         as.Signature,
			UserHandle:        as.UserID,
			UserName:          as.UserName,
		})
	}
	return out, nil
}

// narrow makes a credential list (excludeCredentials or allowCredentials) one the key takes
// at once. A list within the key's limits (getInfo maxCredentialCountInList,
// maxCredentialIdLength) goes as it is, less any duplicates. A longer one, as an account
// with many passkeys or a page gives, would be refused by the key (CTAP2_ERR_LIMIT_EXCEEDED)
// and the ceremony fail for nothing: like a browser, the client then asks the key silently, batch by batch, which
// of them it holds (Device.FindCredential, CTAP 2.1 §6.2.2 with "up" false), and the list
// becomes that one credential, or empty when the key holds none. IDs longer than
// maxCredentialIdLength cannot be this key's and are never sent.
//
// A key that does not say how many it takes (a CTAP 2.0 key: maxCredentialCountInList is a
// CTAP 2.1 member) gets the list as it always did, without its duplicates and its too-long
// IDs: such keys took the lists they were given before, and a silent probe finds no
// credential the key guards with user verification (credProtect level 3), which an exclude
// list narrowed to nothing would then let a new discoverable credential overwrite.
func (a *FIDO2) narrow(ctx context.Context, rpID string, list [][]byte, info fido2.Info) ([][]byte, error) {
	ids := fitting(list, info)
	limit := int(min(info.MaxCredsInList, 1<<16))
	if limit == 0 || len(ids) <= limit {
		return ids, nil
	}
	for start := 0; start < len(ids); start += limit {
		batch := ids[start:min(start+limit, len(ids))]
		found, err := a.dev.FindCredential(ctx, rpID, batch)
		if err != nil {
			return nil, err
		}
		if found != nil && containsID(batch, found) {
			return [][]byte{found}, nil
		}
	}
	return nil, nil
}

// fitting is list without duplicates and without the IDs longer than the key's
// maxCredentialIdLength (when it says), in order.
func fitting(list [][]byte, info fido2.Info) [][]byte {
	out := make([][]byte, 0, len(list))
	seen := make(map[string]bool, len(list))
	for _, id := range list {
		if (info.MaxCredIDLength > 0 && uint64(len(id)) > info.MaxCredIDLength) || seen[string(id)] {
			continue
		}
		seen[string(id)] = true
		out = append(out, id)
	}
	return out
}

// residentKey settles the residentKey requirement (§5.1.3 step 22): "preferred" makes a
// discoverable credential when the authenticator can store one.
func residentKey(r Requirement, info fido2.Info) bool {
	switch r {
	case Required:
		return true
	case Preferred:
		rk, _ := info.Option("rk")
		return rk
	}
	return false
}

// userVerification settles the userVerification requirement (§5.1.3 step 22, §6.3.2):
// "preferred" verifies the person when the authenticator can (a PIN was given, or it has
// built-in user verification that is set up).
func userVerification(r Requirement, info fido2.Info, pin []byte) bool {
	switch r {
	case Required:
		return true
	case Preferred:
		uv, _ := info.Option("uv")
		return uv || len(pin) > 0
	}
	return false
}

func fido2Status(status func(Status)) func(fido2.Status) {
	if status == nil {
		return nil
	}
	return func(s fido2.Status) {
		switch s {
		case fido2.StatusUserPresenceNeeded:
			status(StatusTouch)
		case fido2.StatusProcessing:
			status(StatusWorking)
		}
	}
}
