package webauthndll

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"unsafe"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/nhs-passkeys/companion/app/webauthnclient"
)

// The DLL's answers live in its memory until they are freed: everything is copied out first,
// and only the fields of the version the DLL wrote are read (the memory behind an older
// version ends before the newer fields). Reads go field by field, never by copying a whole
// structure.

// readAttestation copies a WEBAUTHN_CREDENTIAL_ATTESTATION into the client's Attestation.
func readAttestation(a *credentialAttestation) (*webauthnclient.Attestation, error) {
	version := a.dwVersion
	authData, err := goBytes(a.pbAuthenticatorData, a.cbAuthenticatorData)
	if err != nil {
		return nil, fmt.Errorf("authenticator data: %w", err)
	}
	attObj, err := goBytes(a.pbAttestationObject, a.cbAttestationObject)
	if err != nil {
		return nil, fmt.Errorf("attestation object: %w", err)
	}
	id, err := goBytes(a.pbCredentialId, a.cbCredentialId)
	if err != nil {
		return nil, fmt.Errorf("credential id: %w", err)
	}
	var used, supported uint32
	if version >= 3 { // dwUsedTransport, webauthn.h v1's attestation version 3
		used = a.dwUsedTransport
	}
	if version >= 8 { // dwTransports, webauthn.h v9
		supported = a.dwTransports
	}

	// The client needs the credential's algorithm and public key (SubjectPublicKeyInfo),
	// which the DLL returns only inside the authenticator data's attested credential data
	// (WebAuthn L3 §6.5.1), as a COSE key.
	var parsed protocol.AuthenticatorData
	if err := parsed.Unmarshal(authData); err != nil {
		return nil, fmt.Errorf("%w: authenticator data: %w", ErrBadResponse, err)
	}
	if !parsed.Flags.HasAttestedCredentialData() || !bytes.Equal(parsed.AttData.CredentialID, id) {
		return nil, fmt.Errorf("%w: the authenticator data does not hold the credential returned", ErrBadResponse)
	}
	key, err := webauthncose.ParsePublicKey(parsed.AttData.CredentialPublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: credential public key: %w", ErrBadResponse, err)
	}
	ec, ok := key.(webauthncose.EC2PublicKeyData)
	if !ok {
		return nil, fmt.Errorf("%w: the credential's key is not an EC2 key", ErrBadResponse)
	}
	pub, err := ec.ToECDSA()
	if err != nil {
		return nil, fmt.Errorf("%w: credential public key: %w", ErrBadResponse, err)
	}
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: credential public key: %w", ErrBadResponse, err)
	}
	transports := transportNames(supported)
	if len(transports) == 0 {
		transports = transportNames(used)
	}
	return &webauthnclient.Attestation{
		CredentialID:      id,
		AuthenticatorData: authData,
		AttestationObject: attObj,
		PublicKey:         spki,
		Algorithm:         int(ec.Algorithm),
		Attachment:        attachmentName(used),
		Transports:        transports,
	}, nil
}

// readAssertion copies a WEBAUTHN_ASSERTION into the client's Assertion.
func readAssertion(a *assertion) (webauthnclient.Assertion, error) {
	var out webauthnclient.Assertion
	var err error
	if out.AuthenticatorData, err = goBytes(a.pbAuthenticatorData, a.cbAuthenticatorData); err != nil {
		return out, fmt.Errorf("authenticator data: %w", err)
	}
	if out.Signature, err = goBytes(a.pbSignature, a.cbSignature); err != nil {
		return out, fmt.Errorf("signature: %w", err)
	}
	if out.CredentialID, err = goBytes(a.Credential.pbId, a.Credential.cbId); err != nil {
		return out, fmt.Errorf("credential id: %w", err)
	}
	if out.UserHandle, err = goBytes(a.pbUserId, a.cbUserId); err != nil {
		return out, fmt.Errorf("user handle: %w", err)
	}
	if a.dwVersion >= 4 { // dwUsedTransport, webauthn.h v6
		out.Attachment = attachmentName(a.dwUsedTransport)
	}
	return out, nil
}

// attachmentName is the authenticatorAttachment (WebAuthn L3 §5.4.5) of the transport the DLL
// used: "platform" for Windows Hello (internal), "cross-platform" for the rest; "" when the
// DLL did not say (the client then reports a security key).
func attachmentName(used uint32) string {
	switch {
	case used == 0:
		return ""
	case used&transportInternal != 0:
		return "platform"
	}
	return "cross-platform"
}

// transportNames are the AuthenticatorTransport names (WebAuthn L3 §5.8.4) of a
// WEBAUTHN_CTAP_TRANSPORT_* mask, in the spec's order.
func transportNames(mask uint32) []string {
	var out []string
	for _, t := range []struct {
		bit  uint32
		name string
	}{
		{transportBLE, "ble"},
		{transportHybrid, "hybrid"},
		{transportInternal, "internal"},
		{transportNFC, "nfc"},
		{transportSmartCard, "smart-card"},
		{transportUSB, "usb"},
	} {
		if mask&t.bit != 0 {
			out = append(out, t.name)
		}
	}
	return out
}

// PlatformCredential is a passkey stored by Windows Hello (or another platform
// authenticator Windows lists), as WebAuthNGetPlatformCredentialList gives it.
type PlatformCredential struct {
	ID              []byte
	RPID, RPName    string
	UserID          []byte
	UserName        string
	UserDisplayName string
	// Removable: Windows lets it be deleted (WebAuthNDeletePlatformCredential).
	Removable bool
	// BackedUp: synced beyond this device (credential details version 2).
	BackedUp bool
	// AuthenticatorName, e.g. "Windows Hello" (credential details version 3); "" before.
	AuthenticatorName string
}

// readCredentialDetails copies a WEBAUTHN_CREDENTIAL_DETAILS_LIST.
func readCredentialDetails(list *credentialDetailsList) ([]PlatformCredential, error) {
	if list == nil || list.cCredentialDetails == 0 || list.ppCredentialDetails == nil {
		return nil, nil
	}
	if list.cCredentialDetails > 4096 {
		return nil, fmt.Errorf("%w: %d platform credentials", ErrBadResponse, list.cCredentialDetails)
	}
	ptrs := unsafe.Slice(list.ppCredentialDetails, list.cCredentialDetails)
	out := make([]PlatformCredential, 0, len(ptrs))
	for _, d := range ptrs {
		if d == nil {
			continue
		}
		id, err := goBytes(d.pbCredentialID, d.cbCredentialID)
		if err != nil {
			return nil, fmt.Errorf("credential id: %w", err)
		}
		c := PlatformCredential{ID: id, Removable: d.bRemovable != 0}
		if rp := d.pRpInformation; rp != nil {
			c.RPID, c.RPName = goString(rp.pwszId), goString(rp.pwszName)
		}
		if u := d.pUserInformation; u != nil {
			if c.UserID, err = goBytes(u.pbId, u.cbId); err != nil {
				return nil, fmt.Errorf("user id: %w", err)
			}
			c.UserName, c.UserDisplayName = goString(u.pwszName), goString(u.pwszDisplayName)
		}
		if d.dwVersion >= 2 {
			c.BackedUp = d.bBackedUp != 0
		}
		if d.dwVersion >= 3 {
			c.AuthenticatorName = goString(d.pwszAuthenticatorName)
		}
		out = append(out, c)
	}
	return out, nil
}
