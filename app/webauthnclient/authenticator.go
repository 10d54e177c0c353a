package webauthnclient

import "context"

// Authenticator is what the client needs from an authenticator: make a credential and get
// assertions. The PIN, if not nil, unlocks the request (CTAP2 clientPin); the Authenticator
// takes it over and zeroes its bytes before it returns, whatever happens. status, if not nil,
// is told what the authenticator is doing while the call blocks.
type Authenticator interface {
	MakeCredential(ctx context.Context, req CreateRequest, pin []byte, status func(Status)) (*Attestation, error)
	GetAssertion(ctx context.Context, req GetRequest, pin []byte, status func(Status)) ([]Assertion, error)
}

// Status is what the authenticator says it is doing.
type Status int

const (
	// StatusWorking: the authenticator is processing the request.
	StatusWorking Status = iota + 1
	// StatusTouch: it is waiting for the person to touch it.
	StatusTouch
)

// CreateRequest is authenticatorMakeCredential's input, settled by the client (§5.1.3).
type CreateRequest struct {
	ClientDataJSON  []byte
	RPID, RPName    string
	UserID          []byte
	UserName        string
	UserDisplayName string
	// Algorithm is the COSE algorithm of the new credential (always -7, ES256, for now).
	Algorithm int
	// ResidentKey and UserVerification are the RP's requirements; the authenticator settles
	// "preferred" by what it can do (§5.1.3 step 22, §6.3.2).
	ResidentKey      Requirement
	UserVerification Requirement
	ExcludeList      [][]byte
}

// GetRequest is authenticatorGetAssertion's input, settled by the client (§5.1.4.1).
type GetRequest struct {
	ClientDataJSON   []byte
	RPID             string
	AllowList        [][]byte // empty: discoverable credentials
	UserVerification Requirement
}

// Attestation is a new credential, as the RP will receive it.
type Attestation struct {
	CredentialID      []byte
	AuthenticatorData []byte // raw, as signed
	AttestationObject []byte // CBOR {fmt, attStmt, authData}
	PublicKey         []byte // SubjectPublicKeyInfo, DER
	Algorithm         int    // COSE
	// Attachment and Transports, when the authenticator knows them (webauthn.dll says which
	// transport it used), are the credential's authenticatorAttachment and transports
	// (WebAuthn L3 §5.1 and §5.2.1). Empty: a USB security key, "cross-platform" and ["usb"].
	Attachment string
	Transports []string
}

// Assertion is one credential's signature.
type Assertion struct {
	CredentialID      []byte
	AuthenticatorData []byte // raw, as signed
	Signature         []byte
	UserHandle        []byte // nil when the authenticator returned none
	// UserName is the account's name (user.name, the email for our RP) when the
	// authenticator returned it: CTAP 2.1 §6.2.2 returns it for a discoverable credential
	// after user verification when several were found. Empty otherwise.
	UserName string
	// Attachment is authenticatorAttachment when the authenticator knows it (see
	// Attestation). Empty: "cross-platform".
	Attachment string
}
