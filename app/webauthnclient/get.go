package webauthnclient

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nhs-passkeys/companion/backend/account"
)

// GetCall is a navigator.credentials.get() call whose options have been checked, ready to
// run against an authenticator as many times as it takes (see CreateCall).
type GetCall struct {
	req     GetRequest
	timeout time.Duration
	account string // PreferAccount's name, "" for none
}

// PrepareGet checks request options (PublicKeyCredentialRequestOptionsJSON) as §5.1.4.1
// steps 1-13 do and builds the clientDataJSON. Errors are ErrInvalidOptions and ErrSecurity.
func (c *Client) PrepareGet(options []byte) (*GetCall, error) {
	var o requestOptionsJSON
	if err := decodeOptions(options, &o); err != nil {
		return nil, err
	}
	if len(o.Challenge) == 0 {
		return nil, fmt.Errorf("%w: challenge is missing", ErrInvalidOptions)
	}
	// §5.1.4.1 steps 7-8: the RP ID must be the origin's host or a registrable suffix of it.
	rpID, err := c.rpID(o.RPID)
	if err != nil {
		return nil, err
	}
	allow, err := credentialIDs(o.AllowCredentials)
	if err != nil {
		return nil, err
	}
	return &GetCall{
		req: GetRequest{
			// §5.1.4.1 steps 10-12: collectedClientData for this origin, not cross-origin.
			ClientDataJSON:   clientDataJSON(typeGet, o.Challenge, c.origin),
			RPID:             rpID,
			AllowList:        allow,
			UserVerification: requirement(o.UserVerification, Preferred),
		},
		timeout: timeout(o.Timeout),
	}, nil
}

// PreferAccount says which account the person asked to log in to (the email typed on the
// page). When a discoverable login finds several passkeys for this site on one key (one per
// account, CTAP 2.1 §6.2.2), the one whose user.name is this is used, as a browser's account
// chooser would let the person pick it. It is only a preference: the relying party still
// decides whose passkey it accepts.
func (call *GetCall) PreferAccount(name string) { call.account = name }

// pick chooses among the assertions of a discoverable login, which can find several passkeys
// for this site on one key (one per account): the one of the account asked for
// (PreferAccount), else the first (a chooser in the app can come later). When every one
// names another account, the key holds none for it (ErrNoAccountPasskey), as a browser's
// chooser would show the person. A name is only known after user verification (CTAP 2.1
// §6.2.2), so an assertion without one is never ruled out.
func (call *GetCall) pick(got []Assertion) (Assertion, error) {
	if call.account == "" {
		return got[0], nil
	}
	for _, g := range got {
		if sameAccount(g.UserName, call.account) {
			return g, nil
		}
	}
	for _, g := range got {
		if g.UserName == "" {
			return g, nil
		}
	}
	return Assertion{}, fmt.Errorf("%w: %d passkeys for other accounts", ErrNoAccountPasskey, len(got))
}

// sameAccount reports whether the email typed names the account whose user.name is name:
// both read as the relying party reads an email (account.NormaliseEmail, the one rule), so
// that the key's passkey for the account the relying party will log in to is the one used.
func sameAccount(name, typed string) bool {
	return account.NormaliseEmail(name) == account.NormaliseEmail(typed)
}

// ClientDataJSON is the call's clientDataJSON.
func (call *GetCall) ClientDataJSON() []byte { return bytes.Clone(call.req.ClientDataJSON) }

// UserVerification is the RP's userVerification requirement.
func (call *GetCall) UserVerification() Requirement { return call.req.UserVerification }

// Timeout is the RP's timeout hint, 0 when it gave none.
func (call *GetCall) Timeout() time.Duration { return call.timeout }

// Run asks a for an assertion and returns AuthenticationResponseJSON, exactly what
// PublicKeyCredential.toJSON() gives for it (§5.1, §5.2.2). pin is handed over to a (which
// zeroes it); status is passed on.
func (call *GetCall) Run(ctx context.Context, a Authenticator, pin []byte, status func(Status)) (json.RawMessage, error) {
	got, err := a.GetAssertion(ctx, call.req, pin, status)
	if err != nil {
		return nil, err
	}
	if len(got) == 0 {
		return nil, fmt.Errorf("%w: no assertion", ErrBadResponse)
	}
	as, err := call.pick(got)
	if err != nil {
		return nil, err
	}
	id := as.CredentialID
	if len(id) == 0 && len(call.req.AllowList) == 1 {
		// CTAP 2.1 §6.2.2: the authenticator may leave out the credential when the allow
		// list held only one; it is that one.
		id = call.req.AllowList[0]
	}
	if len(id) == 0 || len(as.AuthenticatorData) == 0 || len(as.Signature) == 0 {
		return nil, fmt.Errorf("%w: incomplete assertion", ErrBadResponse)
	}
	// §6.3.3 step 10 (and the client's §5.1.4.2 step 3): a credential that was not in a
	// non-empty allow list must not be returned.
	if len(call.req.AllowList) > 0 && !containsID(call.req.AllowList, id) {
		return nil, fmt.Errorf("%w: credential was not in allowCredentials", ErrBadResponse)
	}
	encoded := b64(id)
	used := attachment
	if as.Attachment != "" {
		used = as.Attachment
	}
	resp := authenticationResponseJSON{
		ID:                      encoded,
		RawID:                   encoded,
		Type:                    publicKeyType,
		AuthenticatorAttachment: used,
		ClientExtensionResults:  struct{}{},
		Response: assertionResponseJSON{
			ClientDataJSON:    b64(call.req.ClientDataJSON),
			AuthenticatorData: b64(as.AuthenticatorData),
			Signature:         b64(as.Signature),
		},
	}
	if len(as.UserHandle) > 0 {
		resp.Response.UserHandle = b64(as.UserHandle)
	}
	return json.Marshal(resp)
}

func containsID(list [][]byte, id []byte) bool {
	for _, x := range list {
		if bytes.Equal(x, id) {
			return true
		}
	}
	return false
}

// authenticationResponseJSON is AuthenticationResponseJSON (§5.1, PublicKeyCredential.toJSON()
// of an assertion).
type authenticationResponseJSON struct {
	ID                      string                `json:"id"`
	RawID                   string                `json:"rawId"`
	Type                    string                `json:"type"`
	AuthenticatorAttachment string                `json:"authenticatorAttachment"`
	ClientExtensionResults  struct{}              `json:"clientExtensionResults"`
	Response                assertionResponseJSON `json:"response"`
}

// assertionResponseJSON is AuthenticatorAssertionResponseJSON (§5.2.2); userHandle is left
// out when the authenticator returned none, as toJSON() does.
type assertionResponseJSON struct {
	ClientDataJSON    string `json:"clientDataJSON"`
	AuthenticatorData string `json:"authenticatorData"`
	Signature         string `json:"signature"`
	UserHandle        string `json:"userHandle,omitempty"`
}
