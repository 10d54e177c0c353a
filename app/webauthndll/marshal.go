package webauthndll

import (
	"fmt"
	"math"
	"time"

	"github.com/nhs-passkeys/companion/app/webauthnclient"
)

// Choice is which kind of authenticator the person chose in the app. Windows' own dialog
// then offers that kind first (attachment, and hints where the API version has them).
type Choice int

const (
	// ThisDevice is Windows Hello: the platform authenticator (face, fingerprint or PIN).
	ThisDevice Choice = iota + 1
	// SecurityKey is a USB or NFC security key.
	SecurityKey
	// PhoneOrTablet is "Use a different phone or tablet": hybrid, through a QR code.
	PhoneOrTablet
)

func (c Choice) String() string {
	switch c {
	case ThisDevice:
		return "this device"
	case SecurityKey:
		return "security key"
	case PhoneOrTablet:
		return "phone or tablet"
	}
	return fmt.Sprintf("Choice(%d)", int(c))
}

// attachment is dwAuthenticatorAttachment for the choice (webauthn.h v1): Windows Hello is
// the platform authenticator; security keys and phones are cross-platform, and Windows'
// dialog offers a phone among the cross-platform ones.
func (c Choice) attachment() uint32 {
	switch c {
	case ThisDevice:
		return attachmentPlatform
	case SecurityKey, PhoneOrTablet:
		return attachmentCrossPlatform
	}
	return attachmentAny
}

// hint is the PublicKeyCredentialHint for the choice (WebAuthn L3 §5.8.7), which
// webauthn.h v8's options carry.
func (c Choice) hint() string {
	switch c {
	case ThisDevice:
		return hintClientDevice
	case SecurityKey:
		return hintSecurityKey
	case PhoneOrTablet:
		return hintHybrid
	}
	return ""
}

// userVerification is dwUserVerificationRequirement (webauthn.h v1).
func userVerification(r webauthnclient.Requirement) uint32 {
	switch r {
	case webauthnclient.Required:
		return uvRequired
	case webauthnclient.Discouraged:
		return uvDiscouraged
	}
	return uvPreferred
}

// timeoutMilliseconds is dwTimeoutMilliseconds: what is left of the ceremony's time, which
// the DLL takes as guidance. 0 leaves it to Windows.
func timeoutMilliseconds(d time.Duration) uint32 {
	ms := d.Milliseconds()
	switch {
	case d <= 0:
		return 0
	case ms > math.MaxUint32:
		return math.MaxUint32
	case d < time.Millisecond:
		return 1
	}
	return uint32(ms) //nolint:gosec // G115: 1 <= ms <= MaxUint32, checked just above
}

// makeCredentialCall is the arguments of WebAuthNAuthenticatorMakeCredential, in Go memory
// that the call's arguments point into. It must stay reachable until the call returns
// (runtime.KeepAlive); the DLL only reads it during the call.
type makeCredentialCall struct {
	rp      rpEntityInformation
	user    userEntityInformation
	params  coseCredentialParameters
	client  clientData
	options makeCredentialOptions
}

// newMakeCredentialCall fills the arguments for one call at the negotiated versions v.
func newMakeCredentialCall(req webauthnclient.CreateRequest, v structVersions, choice Choice, timeout time.Duration, cancel *guid) (*makeCredentialCall, error) {
	if req.Algorithm != coseES256 {
		return nil, fmt.Errorf("webauthndll: algorithm %d: only ES256 (-7) is asked for", req.Algorithm)
	}
	c := &makeCredentialCall{}
	var err error
	// WEBAUTHN_RP_ENTITY_INFORMATION and WEBAUTHN_USER_ENTITY_INFORMATION, version 1.
	c.rp.dwVersion = 1
	if c.rp.pwszId, err = utf16z(req.RPID); err != nil {
		return nil, fmt.Errorf("rp.id: %w", err)
	}
	if c.rp.pwszName, err = utf16z(req.RPName); err != nil {
		return nil, fmt.Errorf("rp.name: %w", err)
	}
	c.user.dwVersion = 1
	c.user.pbId, c.user.cbId = cBytes(req.UserID)
	if c.user.pwszName, err = utf16z(req.UserName); err != nil {
		return nil, fmt.Errorf("user.name: %w", err)
	}
	if c.user.pwszDisplayName, err = utf16z(req.UserDisplayName); err != nil {
		return nil, fmt.Errorf("user.displayName: %w", err)
	}
	// One parameter: public-key ES256, the one algorithm the app's client accepts.
	c.params = coseCredentialParameters{
		cCredentialParameters: 1,
		pCredentialParameters: &coseCredentialParameter{
			dwVersion:          1,
			pwszCredentialType: mustUTF16z(credentialTypePublicKey),
			lAlg:               coseES256,
		},
	}
	c.client = newClientData(req.ClientDataJSON)

	o := &c.options
	o.dwVersion = v.makeCredential
	o.dwTimeoutMilliseconds = timeoutMilliseconds(timeout)
	o.dwAuthenticatorAttachment = choice.attachment()
	o.dwUserVerificationRequirement = userVerification(req.UserVerification)
	o.dwAttestationConveyancePreference = attestationNone
	// WebAuthn L3 §5.4.6: "required" and "preferred" are both asked for; before options
	// version 4 only "required" can be said (bRequireResidentKey).
	switch req.ResidentKey {
	case webauthnclient.Required:
		o.bRequireResidentKey = 1
	case webauthnclient.Preferred:
		if v.makeCredential >= 4 {
			o.bPreferResidentKey = 1
		}
	}
	o.pCancellationId = cancel // options version 2; API 1 already takes version 3
	// The exclude list: WEBAUTHN_CREDENTIAL_LIST, which options version 3 added and every API
	// version reads (API 1 already takes version 3), instead of CredentialList.
	o.pExcludeCredentialList = newCredentialList(req.ExcludeList)
	if v.hasCreateHints() {
		o.cCredentialHints, o.ppwszCredentialHints = newHints(choice)
	}
	return c, nil
}

// getAssertionCall is the arguments of WebAuthNAuthenticatorGetAssertion (see
// makeCredentialCall).
type getAssertionCall struct {
	rpID    *uint16
	client  clientData
	options getAssertionOptions
}

func newGetAssertionCall(req webauthnclient.GetRequest, v structVersions, choice Choice, timeout time.Duration, cancel *guid) (*getAssertionCall, error) {
	rpID, err := utf16z(req.RPID)
	if err != nil {
		return nil, fmt.Errorf("rpId: %w", err)
	}
	c := &getAssertionCall{rpID: rpID, client: newClientData(req.ClientDataJSON)}
	o := &c.options
	o.dwVersion = v.getAssertion
	o.dwTimeoutMilliseconds = timeoutMilliseconds(timeout)
	o.dwAuthenticatorAttachment = choice.attachment()
	o.dwUserVerificationRequirement = userVerification(req.UserVerification)
	o.pCancellationId = cancel // options version 3; API 1 already takes version 4
	// The allow list: WEBAUTHN_CREDENTIAL_LIST, which options version 4 added and every API
	// version reads (API 1 already takes version 4); empty asks for a discoverable credential.
	o.pAllowCredentialList = newCredentialList(req.AllowList)
	if v.hasGetHints() {
		o.cCredentialHints, o.ppwszCredentialHints = newHints(choice)
	}
	return c, nil
}

// newClientData is WEBAUTHN_CLIENT_DATA version 1 over the full clientDataJSON the app's
// client built (WebAuthn L3 §5.8.1.1): the DLL hashes it with SHA-256 itself.
func newClientData(clientDataJSON []byte) clientData {
	cd := clientData{dwVersion: 1, pwszHashAlgId: mustUTF16z(hashSHA256)}
	cd.pbClientDataJSON, cd.cbClientDataJSON = cBytes(clientDataJSON)
	return cd
}

// newCredentialList is WEBAUTHN_CREDENTIAL_LIST: credentials with no transport restriction
// (dwTransports 0), so Windows looks for them wherever they may be. nil for an empty list.
func newCredentialList(ids [][]byte) *credentialList {
	if len(ids) == 0 {
		return nil
	}
	ptrs := make([]*credentialEx, len(ids))
	for i, id := range ids {
		c := &credentialEx{dwVersion: 1, pwszCredentialType: mustUTF16z(credentialTypePublicKey)}
		c.pbId, c.cbId = cBytes(id)
		ptrs[i] = c
	}
	//nolint:gosec // G115: the list comes from the RP's options, under the request body's size cap
	return &credentialList{cCredentials: uint32(len(ptrs)), ppCredentials: &ptrs[0]}
}

// newHints is cCredentialHints / ppwszCredentialHints: the one hint of the choice.
func newHints(choice Choice) (uint32, **uint16) {
	h := choice.hint()
	if h == "" {
		return 0, nil
	}
	hints := []*uint16{mustUTF16z(h)}
	return 1, &hints[0]
}
