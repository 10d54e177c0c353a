package hybrid

// The Session as the native WebAuthn client's Authenticator (app/webauthnclient), so a phone
// gives the same RegistrationResponseJSON / AuthenticationResponseJSON as a security key
// through libfido2 and the backend's finish endpoints verify it unchanged.
//
// Only this file needs app/webauthnclient, which on Linux and macOS includes the libfido2
// binding and so needs cgo: the build constraint keeps the rest of the package (pure Go)
// buildable everywhere, with CGO_ENABLED=0 too.

import (
	"context"
	"crypto/sha256"

	"github.com/nhs-passkeys/companion/app/webauthnclient"
)

// Attachment and transport of a phone reached over hybrid (WebAuthn L3 §5.4.5, §5.8.4).
const (
	attachmentCrossPlatform = "cross-platform"
	transportHybrid         = "hybrid"
)

// Authenticator adapts a Session to webauthnclient.Authenticator.
type Authenticator struct {
	session *Session
	// OnProgress, if set, is also told the hybrid-specific progress (scanning for the
	// phone, connecting, waiting for the person on the phone), which webauthnclient.Status
	// cannot say.
	OnProgress func(Progress)
}

var _ webauthnclient.Authenticator = (*Authenticator)(nil)

// NewAuthenticator adapts s. The caller shows s.QR() while a call blocks, and closes s.
func NewAuthenticator(s *Session) *Authenticator { return &Authenticator{session: s} }

// MakeCredential sets up a passkey on the phone. The PIN is not used (the phone verifies
// the person itself) and is zeroed.
func (a *Authenticator) MakeCredential(ctx context.Context, req webauthnclient.CreateRequest, pin []byte, status func(webauthnclient.Status)) (*webauthnclient.Attestation, error) {
	clear(pin)
	hash := sha256.Sum256(req.ClientDataJSON)
	cred, err := a.session.MakeCredential(ctx, MakeCredentialRequest{
		ClientDataHash:   hash[:],
		RPID:             req.RPID,
		RPName:           req.RPName,
		UserID:           req.UserID,
		UserName:         req.UserName,
		UserDisplayName:  req.UserDisplayName,
		Algorithms:       []int{req.Algorithm},
		ResidentKey:      Requirement(req.ResidentKey),
		UserVerification: Requirement(req.UserVerification),
		ExcludeList:      req.ExcludeList,
	}, a.progress(status))
	if err != nil {
		return nil, err
	}
	return &webauthnclient.Attestation{
		CredentialID:      cred.ID,
		AuthenticatorData: cred.AuthenticatorData,
		AttestationObject: cred.AttestationObject(),
		PublicKey:         cred.PublicKey,
		Algorithm:         cred.Algorithm,
		Attachment:        attachmentCrossPlatform,
		Transports:        []string{transportHybrid},
	}, nil
}

// GetAssertion signs in with a passkey on the phone. The phone lets the person choose the
// account, so there is one assertion.
func (a *Authenticator) GetAssertion(ctx context.Context, req webauthnclient.GetRequest, pin []byte, status func(webauthnclient.Status)) ([]webauthnclient.Assertion, error) {
	clear(pin)
	hash := sha256.Sum256(req.ClientDataJSON)
	as, err := a.session.GetAssertion(ctx, GetAssertionRequest{
		ClientDataHash:   hash[:],
		RPID:             req.RPID,
		AllowList:        req.AllowList,
		UserVerification: Requirement(req.UserVerification),
	}, a.progress(status))
	if err != nil {
		return nil, err
	}
	return []webauthnclient.Assertion{{
		CredentialID:      as.CredentialID,
		AuthenticatorData: as.AuthenticatorData,
		Signature:         as.Signature,
		UserHandle:        as.UserHandle,
		Attachment:        attachmentCrossPlatform,
	}}, nil
}

func (a *Authenticator) progress(status func(webauthnclient.Status)) func(Progress) {
	return func(p Progress) {
		if a.OnProgress != nil {
			a.OnProgress(p)
		}
		if status == nil {
			return
		}
		switch p {
		case ProgressConnecting:
			status(webauthnclient.StatusWorking)
		case ProgressOnPhone:
			status(webauthnclient.StatusTouch)
		}
	}
}
