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
		ExcludeList:      req.ExcludeList,
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
	got, err := a.dev.GetAssertion(ctx, fido2.GetAssertionRequest{
		ClientDataJSON:   req.ClientDataJSON,
		RPID:             req.RPID,
		AllowList:        req.AllowList,
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
