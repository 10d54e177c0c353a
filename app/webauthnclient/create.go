package webauthnclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

const (
	publicKeyType = "public-key"
	// algES256 is COSE ES256 (ECDSA P-256 with SHA-256): the one algorithm this client and
	// the virtual key make credentials with.
	algES256 = -7
	// attachment and transport are what a libfido2 authenticator is: a roaming one, reached
	// over USB (the virtual key stands in for a USB key). webauthn.dll says what it used
	// (Attestation.Attachment, Transports).
	attachment = "cross-platform"
	transport  = "usb"
	// maxUserIDLength: user.id is at most 64 bytes (§5.4.3).
	maxUserIDLength = 64
)

// CreateCall is a navigator.credentials.create() call whose options have been checked,
// ready to run against an authenticator, as many times as it takes (for example again with
// the right PIN after a wrong one): the clientDataJSON, and so the challenge, stay the same.
type CreateCall struct {
	req     CreateRequest
	timeout time.Duration
}

// PrepareCreate checks creation options (PublicKeyCredentialCreationOptionsJSON) as
// §5.1.3 steps 1-14 do and builds the clientDataJSON. Errors are ErrInvalidOptions,
// ErrSecurity and ErrNotSupported.
func (c *Client) PrepareCreate(options []byte) (*CreateCall, error) {
	var o creationOptionsJSON
	if err := decodeOptions(options, &o); err != nil {
		return nil, err
	}
	// Required members (§5.4): rp.name, user.{id,name,displayName}, challenge.
	switch {
	case o.RP.Name == "":
		return nil, fmt.Errorf("%w: rp.name is missing", ErrInvalidOptions)
	case len(o.User.ID) == 0 || len(o.User.ID) > maxUserIDLength: // §5.1.3 step 5
		return nil, fmt.Errorf("%w: user.id must be 1 to %d bytes", ErrInvalidOptions, maxUserIDLength)
	case o.User.Name == "":
		return nil, fmt.Errorf("%w: user.name is missing", ErrInvalidOptions)
	case len(o.Challenge) == 0:
		return nil, fmt.Errorf("%w: challenge is missing", ErrInvalidOptions)
	}
	// §5.1.3 steps 7-8: the RP ID must be the origin's host or a registrable suffix of it.
	rpID, err := c.rpID(o.RP.ID)
	if err != nil {
		return nil, err
	}
	// §5.1.3 step 10: the first supported public-key algorithm in pubKeyCredParams; an
	// empty list means ES256 and RS256. This client supports ES256 only.
	if !offersES256(o.PubKeyCredParams) {
		return nil, fmt.Errorf("%w: pubKeyCredParams does not include ES256 (-7)", ErrNotSupported)
	}
	exclude, err := credentialIDs(o.ExcludeCredentials)
	if err != nil {
		return nil, err
	}
	// §5.4.4: residentKey wins; without it, requireResidentKey true means "required". The
	// default of userVerification is "preferred".
	rk, uv := Discouraged, Preferred
	if sel := o.AuthenticatorSelection; sel != nil {
		if sel.RequireResidentKey {
			rk = Required
		}
		rk = requirement(sel.ResidentKey, rk)
		uv = requirement(sel.UserVerification, uv)
		// authenticatorAttachment "platform" cannot be met by a security key; like a
		// browser with no platform authenticator, the call then finds no authenticator
		// that the person can use. This app only ever asks for any attachment.
	}
	return &CreateCall{
		req: CreateRequest{
			// §5.1.3 steps 12-14: collectedClientData for this origin, not cross-origin.
			ClientDataJSON:   clientDataJSON(typeCreate, o.Challenge, c.origin),
			RPID:             rpID,
			RPName:           o.RP.Name,
			UserID:           o.User.ID,
			UserName:         o.User.Name,
			UserDisplayName:  o.User.DisplayName,
			Algorithm:        algES256,
			ResidentKey:      rk,
			UserVerification: uv,
			ExcludeList:      exclude,
		},
		timeout: timeout(o.Timeout),
	}, nil
}

func offersES256(params []credentialParameter) bool {
	if len(params) == 0 {
		return true
	}
	for _, p := range params {
		if p.Type == publicKeyType && p.Alg == algES256 {
			return true
		}
	}
	return false
}

// ClientDataJSON is the call's clientDataJSON.
func (call *CreateCall) ClientDataJSON() []byte { return bytes.Clone(call.req.ClientDataJSON) }

// UserVerification is the RP's userVerification requirement.
func (call *CreateCall) UserVerification() Requirement { return call.req.UserVerification }

// Timeout is the RP's timeout hint, 0 when it gave none.
func (call *CreateCall) Timeout() time.Duration { return call.timeout }

// Run asks a to make the credential and returns RegistrationResponseJSON, exactly what
// PublicKeyCredential.toJSON() gives for it (§5.1.8, §5.2.1). pin is handed over to a (which
// zeroes it); status is passed on.
func (call *CreateCall) Run(ctx context.Context, a Authenticator, pin []byte, status func(Status)) (json.RawMessage, error) {
	att, err := a.MakeCredential(ctx, call.req, pin, status)
	if err != nil {
		return nil, err
	}
	switch {
	case len(att.CredentialID) == 0, len(att.AuthenticatorData) == 0, len(att.AttestationObject) == 0:
		return nil, fmt.Errorf("%w: incomplete attestation", ErrBadResponse)
	case att.Algorithm != algES256:
		return nil, fmt.Errorf("%w: algorithm %d was not asked for", ErrBadResponse, att.Algorithm)
	}
	id := b64(att.CredentialID)
	used, transports := attachment, []string{transport}
	if att.Attachment != "" {
		used = att.Attachment
	}
	if len(att.Transports) > 0 {
		transports = att.Transports
	}
	return json.Marshal(registrationResponseJSON{
		ID:                      id,
		RawID:                   id,
		Type:                    publicKeyType,
		AuthenticatorAttachment: used,
		ClientExtensionResults:  struct{}{},
		Response: attestationResponseJSON{
			ClientDataJSON:     b64(call.req.ClientDataJSON),
			AttestationObject:  b64(att.AttestationObject),
			Transports:         transports,
			PublicKeyAlgorithm: att.Algorithm,
			PublicKey:          b64(att.PublicKey),
			AuthenticatorData:  b64(att.AuthenticatorData),
		},
	})
}

// registrationResponseJSON is RegistrationResponseJSON (§5.1, PublicKeyCredential.toJSON()
// of a new credential), its members in the order this app's tests and docs list them.
type registrationResponseJSON struct {
	ID                      string                  `json:"id"`
	RawID                   string                  `json:"rawId"`
	Type                    string                  `json:"type"`
	AuthenticatorAttachment string                  `json:"authenticatorAttachment"`
	ClientExtensionResults  struct{}                `json:"clientExtensionResults"`
	Response                attestationResponseJSON `json:"response"`
}

// attestationResponseJSON is AuthenticatorAttestationResponseJSON (§5.2.1).
type attestationResponseJSON struct {
	ClientDataJSON     string   `json:"clientDataJSON"`
	AttestationObject  string   `json:"attestationObject"`
	Transports         []string `json:"transports"`
	PublicKeyAlgorithm int      `json:"publicKeyAlgorithm"`
	PublicKey          string   `json:"publicKey,omitempty"`
	AuthenticatorData  string   `json:"authenticatorData"`
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
