package hybrid

import (
	"bytes"
	"crypto/ecdh"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/fxamacker/cbor/v2"
)

// CTAP2 over the tunnel (CTAP 2.2 §11.5.1.5; Chromium fido_tunnel_device.cc): after the
// handshake the phone sends one encrypted "post-handshake" message with its getInfo; the
// desktop sends one CTAP2 command and reads the answer; then it sends "shutdown" and closes.
// GetInfo is never sent on the wire: the answer is the one from the post-handshake message.
// There is no PIN: the phone verifies the person itself (its screen lock or biometrics).

// Message types of protocol revision 1 (the first byte of every message after the
// post-handshake message). Revision 0 has no type byte and carries only CTAP.
const (
	msgShutdown byte = 0 // desktop → phone: the transaction is over
	msgCTAP     byte = 1 // a CTAP2 command or answer
	msgUpdate   byte = 2 // phone → desktop: CBOR {1: linking info}, sent late by Android
	// 3 is JSON, for digital credentials (CTAP 2.3): not used here, skipped like any unknown type.
)

// CTAP2 command bytes and status codes used here (CTAP 2.2 §6, §8.2).
const (
	cmdMakeCredential byte = 0x01
	cmdGetAssertion   byte = 0x02

	statusOK                   byte = 0x00
	statusCredentialExcluded   byte = 0x19
	statusUnsupportedAlgorithm byte = 0x26
	statusOperationDenied      byte = 0x27
	statusKeepaliveCancel      byte = 0x2D
	statusNoCredentials        byte = 0x2E
	statusUserActionTimeout    byte = 0x2F
)

// Requirement is a WebAuthn requirement level (WebAuthn L3 §5.4.6, §5.8.6), settled against
// the phone's getInfo.
type Requirement string

const (
	Required    Requirement = "required"
	Preferred   Requirement = "preferred"
	Discouraged Requirement = "discouraged"
)

// MakeCredentialRequest is authenticatorMakeCredential's input (CTAP 2.2 §6.1), settled by
// the WebAuthn client.
type MakeCredentialRequest struct {
	ClientDataHash  []byte // SHA-256 of clientDataJSON
	RPID, RPName    string
	UserID          []byte
	UserName        string
	UserDisplayName string
	// Algorithms are the COSE algorithms the RP accepts, in its order (empty: ES256).
	Algorithms []int
	// ResidentKey "preferred" makes a discoverable credential when the phone can (its
	// getInfo option "rk"); UserVerification "preferred" asks for it when the phone has it
	// ("uv"). Phones have both.
	ResidentKey      Requirement
	UserVerification Requirement
	ExcludeList      [][]byte
}

// GetAssertionRequest is authenticatorGetAssertion's input (CTAP 2.2 §6.2).
type GetAssertionRequest struct {
	ClientDataHash   []byte
	RPID             string
	AllowList        [][]byte // empty: discoverable credentials
	UserVerification Requirement
}

// Credential is a new credential from the phone.
type Credential struct {
	ID                []byte
	AuthenticatorData []byte // raw, as the phone signed it
	// Format and AttestationStatement are the phone's attestation as sent (fmt, attStmt);
	// AttestationObject drops it for "none".
	Format               string
	AttestationStatement []byte // CBOR
	PublicKey            []byte // SubjectPublicKeyInfo, DER
	Algorithm            int    // COSE
}

// AttestationObject is the WebAuthn attestationObject with "none" attestation (WebAuthn L3
// §8.7; §5.1.3 lets the client replace the attestation statement): this app never asks
// for attestation, and authenticator data stays byte for byte as the phone signed it (so
// the AAGUID still names the passkey provider).
func (c *Credential) AttestationObject() []byte {
	b, err := ctapEncMode.Marshal(struct {
		Fmt      string         `cbor:"fmt"`
		AttStmt  map[string]int `cbor:"attStmt"`
		AuthData []byte         `cbor:"authData"`
	}{"none", map[string]int{}, c.AuthenticatorData})
	if err != nil {
		panic(err) // cannot fail: fixed types
	}
	return b
}

// Assertion is the phone's signature.
type Assertion struct {
	CredentialID      []byte // may be empty when the allow list held one credential
	AuthenticatorData []byte
	Signature         []byte
	UserHandle        []byte // nil when the phone returned none
}

// ctapEncMode is CTAP2's canonical CBOR (CTAP 2.2 §8: shortest lengths, map keys sorted
// by length then bytes).
var ctapEncMode = mustEncMode(cbor.EncOptions{Sort: cbor.SortCTAP2})

type rpEntity struct {
	ID   string `cbor:"id"`
	Name string `cbor:"name,omitempty"`
}

type userEntity struct {
	ID          []byte `cbor:"id"`
	Name        string `cbor:"name,omitempty"`
	DisplayName string `cbor:"displayName,omitempty"`
}

type credentialParam struct {
	Alg  int    `cbor:"alg"`
	Type string `cbor:"type"`
}

type credentialDescriptor struct {
	ID   []byte `cbor:"id"`
	Type string `cbor:"type"`
}

const publicKeyType = "public-key"

type makeCredentialParams struct {
	ClientDataHash   []byte                 `cbor:"1,keyasint"`
	RP               rpEntity               `cbor:"2,keyasint"`
	User             userEntity             `cbor:"3,keyasint"`
	PubKeyCredParams []credentialParam      `cbor:"4,keyasint"`
	ExcludeList      []credentialDescriptor `cbor:"5,keyasint,omitempty"`
	Options          map[string]bool        `cbor:"7,keyasint,omitempty"`
}

type getAssertionParams struct {
	RPID           string                 `cbor:"1,keyasint"`
	ClientDataHash []byte                 `cbor:"2,keyasint"`
	AllowList      []credentialDescriptor `cbor:"3,keyasint,omitempty"`
	Options        map[string]bool        `cbor:"5,keyasint,omitempty"`
}

func descriptors(ids [][]byte) []credentialDescriptor {
	var out []credentialDescriptor
	for _, id := range ids {
		out = append(out, credentialDescriptor{ID: id, Type: publicKeyType})
	}
	return out
}

// userVerificationOption settles "uv" (CTAP 2.2 §6.1.1, WebAuthn L3 §6.3.2): asked for when
// required, or preferred and the phone has built-in user verification. Never sent as false.
func userVerificationOption(r Requirement, info getInfo) bool {
	return r == Required || (r == Preferred && info.Options["uv"])
}

// encode builds the makeCredential command: the command byte and its CBOR parameters.
func (r MakeCredentialRequest) encode(info getInfo) ([]byte, error) {
	if len(r.ClientDataHash) != sha256.Size || r.RPID == "" || len(r.UserID) == 0 {
		return nil, errors.New("makeCredential request lacks the client data hash, RP ID or user ID")
	}
	algs := r.Algorithms
	if len(algs) == 0 {
		algs = []int{-7}
	}
	p := makeCredentialParams{
		ClientDataHash: r.ClientDataHash,
		RP:             rpEntity{ID: r.RPID, Name: r.RPName},
		User:           userEntity{ID: r.UserID, Name: r.UserName, DisplayName: r.UserDisplayName},
		ExcludeList:    descriptors(r.ExcludeList),
		Options:        map[string]bool{},
	}
	for _, a := range algs {
		p.PubKeyCredParams = append(p.PubKeyCredParams, credentialParam{Alg: a, Type: publicKeyType})
	}
	if r.ResidentKey == Required || (r.ResidentKey == Preferred && info.Options["rk"]) {
		p.Options["rk"] = true
	}
	if userVerificationOption(r.UserVerification, info) {
		p.Options["uv"] = true
	}
	body, err := ctapEncMode.Marshal(p)
	if err != nil {
		return nil, err
	}
	return append([]byte{cmdMakeCredential}, body...), nil
}

// encode builds the getAssertion command. User presence is left to its default (true):
// phones do not take silent requests (libwebauthn PR #97).
func (r GetAssertionRequest) encode(info getInfo) ([]byte, error) {
	if len(r.ClientDataHash) != sha256.Size || r.RPID == "" {
		return nil, errors.New("getAssertion request lacks the client data hash or RP ID")
	}
	p := getAssertionParams{
		RPID:           r.RPID,
		ClientDataHash: r.ClientDataHash,
		AllowList:      descriptors(r.AllowList),
	}
	if userVerificationOption(r.UserVerification, info) {
		p.Options = map[string]bool{"uv": true}
	}
	body, err := ctapEncMode.Marshal(p)
	if err != nil {
		return nil, err
	}
	return append([]byte{cmdGetAssertion}, body...), nil
}

// statusError maps a CTAP2 status other than success to a stable error.
func statusError(status byte) error {
	switch status {
	case statusOperationDenied, statusKeepaliveCancel:
		return fmt.Errorf("%w: CTAP status %#02x", ErrPhoneCancelled, status)
	case statusUserActionTimeout:
		// The person did not confirm on the phone in time: not a cancellation.
		return fmt.Errorf("%w: CTAP status %#02x (the phone's own time ran out)", ErrTimeout, status)
	case statusNoCredentials:
		return fmt.Errorf("%w: CTAP status %#02x", ErrNoCredentials, status)
	case statusCredentialExcluded:
		return fmt.Errorf("%w: CTAP status %#02x", ErrCredentialExcluded, status)
	case statusUnsupportedAlgorithm:
		return fmt.Errorf("%w: CTAP status %#02x (unsupported algorithm)", ErrPhoneUnsupported, status)
	}
	return fmt.Errorf("%w: CTAP status %#02x", ErrBadResponse, status)
}

// getInfo is the part of authenticatorGetInfo's answer (CTAP 2.2 §6.4) used here.
type getInfo struct {
	Versions   []string        `cbor:"1,keyasint"`
	Extensions []string        `cbor:"2,keyasint,omitempty"`
	AAGUID     []byte          `cbor:"3,keyasint"`
	Options    map[string]bool `cbor:"4,keyasint,omitempty"`
	Transports []string        `cbor:"9,keyasint,omitempty"`
}

// postHandshake is the phone's first encrypted message (Chromium fido_tunnel_device.cc).
type postHandshake struct {
	GetInfo  []byte          `cbor:"1,keyasint"`           // the getInfo answer's CBOR, without a status byte
	Linking  cbor.RawMessage `cbor:"2,keyasint,omitempty"` // linking information (linking.go)
	Features []string        `cbor:"3,keyasint,omitempty"` // "ctap", "dc"; absent: CTAP only
}

// parsePostHandshake reads the post-handshake message. A message that is exactly one CBOR
// map is protocol revision 1 (typed messages follow); otherwise it is revision 0's padded
// map: the map, zeros, and the padding length as uint16_le (Chromium M99+) or, older, as
// one byte. The info must say the phone speaks CTAP 2.
func parsePostHandshake(msg []byte) (ph postHandshake, info getInfo, revision int, err error) {
	revision = 1
	if strictDecMode.Unmarshal(msg, &ph) != nil {
		revision = 0
		if ph, err = parsePaddedPostHandshake(msg); err != nil {
			return ph, info, 0, fmt.Errorf("%w: post-handshake message: %w", ErrBadResponse, err)
		}
	}
	if len(ph.GetInfo) == 0 {
		return ph, info, revision, fmt.Errorf("%w: post-handshake message has no getInfo", ErrBadResponse)
	}
	if err := strictDecMode.Unmarshal(ph.GetInfo, &info); err != nil {
		return ph, info, revision, fmt.Errorf("%w: getInfo: %w", ErrBadResponse, err)
	}
	if len(ph.Features) > 0 && !slices.Contains(ph.Features, "ctap") {
		// Counts, not the strings: no error text holds the phone's answer (doc.go), which can
		// be up to a megabyte of its own words.
		return ph, info, revision, fmt.Errorf("%w: none of the phone's %d features is \"ctap\"", ErrPhoneUnsupported, len(ph.Features))
	}
	if !slices.ContainsFunc(info.Versions, func(v string) bool {
		return v == "FIDO_2_0" || v == "FIDO_2_1" || v == "FIDO_2_2" || v == "FIDO_2_1_PRE"
	}) {
		return ph, info, revision, fmt.Errorf("%w: none of the phone's %d CTAP versions is FIDO_2_x", ErrPhoneUnsupported, len(info.Versions))
	}
	return ph, info, revision, nil
}

func parsePaddedPostHandshake(msg []byte) (postHandshake, error) {
	var ph postHandshake
	if n := len(msg); n >= 2 {
		if pad := int(binary.LittleEndian.Uint16(msg[n-2:])); pad+2 <= n && strictDecMode.Unmarshal(msg[:n-2-pad], &ph) == nil {
			return ph, nil
		}
	}
	if n := len(msg); n >= 1 {
		if pad := int(msg[n-1]); pad+1 <= n && strictDecMode.Unmarshal(msg[:n-1-pad], &ph) == nil {
			return ph, nil
		}
	}
	return ph, errors.New("neither a CBOR map nor a padded one")
}

type makeCredentialResponse struct {
	Format   string          `cbor:"1,keyasint"`
	AuthData []byte          `cbor:"2,keyasint"`
	AttStmt  cbor.RawMessage `cbor:"3,keyasint"`
}

type getAssertionResponse struct {
	Credential *credentialDescriptor `cbor:"1,keyasint"`
	AuthData   []byte                `cbor:"2,keyasint"`
	Signature  []byte                `cbor:"3,keyasint"`
	User       *struct {
		ID []byte `cbor:"id"`
	} `cbor:"4,keyasint"`
}

// Authenticator data flags (WebAuthn L3 §6.1).
const (
	flagUP = 0x01
	flagAT = 0x40
)

// parseMakeCredential reads the phone's answer (status byte already removed) and checks it
// is a credential for rpID: the authenticator data's RP ID hash, user presence, attested
// credential data with a P-256 ES256 COSE key (the one algorithm asked for).
func parseMakeCredential(body []byte, rpID string) (*Credential, error) {
	var r makeCredentialResponse
	if err := strictDecMode.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%w: makeCredential answer: %w", ErrBadResponse, err)
	}
	ad := r.AuthData
	if err := checkAuthData(ad, rpID); err != nil {
		return nil, err
	}
	if ad[32]&flagAT == 0 || len(ad) < 37+16+2 {
		return nil, fmt.Errorf("%w: no attested credential data", ErrBadResponse)
	}
	rest := ad[37+16:] // after the AAGUID
	idLen := int(binary.BigEndian.Uint16(rest))
	if idLen == 0 || len(rest) < 2+idLen {
		return nil, fmt.Errorf("%w: credential ID of %d bytes", ErrBadResponse, idLen)
	}
	id := rest[2 : 2+idLen]
	var key struct {
		Kty int    `cbor:"1,keyasint"`
		Alg int    `cbor:"3,keyasint"`
		Crv int    `cbor:"-1,keyasint"`
		X   []byte `cbor:"-2,keyasint"`
		Y   []byte `cbor:"-3,keyasint"`
	}
	// The COSE key has no length of its own: decode the first item (extensions may follow).
	if err := strictDecMode.NewDecoder(bytes.NewReader(rest[2+idLen:])).Decode(&key); err != nil {
		return nil, fmt.Errorf("%w: credential public key: %w", ErrBadResponse, err)
	}
	// RFC 9053 §7.1: kty 2 (EC2), crv 1 (P-256); alg -7 (ES256).
	if key.Kty != 2 || key.Crv != 1 || key.Alg != -7 || len(key.X) != 32 || len(key.Y) != 32 {
		return nil, fmt.Errorf("%w: credential public key is not an ES256 P-256 key (kty %d, crv %d, alg %d)", ErrBadResponse, key.Kty, key.Crv, key.Alg)
	}
	pub, err := ecdh.P256().NewPublicKey(slices.Concat([]byte{4}, key.X, key.Y))
	if err != nil {
		return nil, fmt.Errorf("%w: credential public key is not on P-256", ErrBadResponse)
	}
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: credential public key: %w", ErrBadResponse, err)
	}
	if r.Format == "" {
		return nil, fmt.Errorf("%w: no attestation format", ErrBadResponse)
	}
	return &Credential{
		ID:                   bytes.Clone(id),
		AuthenticatorData:    ad,
		Format:               r.Format,
		AttestationStatement: r.AttStmt,
		PublicKey:            spki,
		Algorithm:            key.Alg,
	}, nil
}

// parseGetAssertion reads the phone's answer and checks it is for rpID with user presence.
func parseGetAssertion(body []byte, rpID string) (*Assertion, error) {
	var r getAssertionResponse
	if err := strictDecMode.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%w: getAssertion answer: %w", ErrBadResponse, err)
	}
	if err := checkAuthData(r.AuthData, rpID); err != nil {
		return nil, err
	}
	if len(r.Signature) == 0 {
		return nil, fmt.Errorf("%w: no signature", ErrBadResponse)
	}
	a := &Assertion{AuthenticatorData: r.AuthData, Signature: r.Signature}
	if r.Credential != nil {
		a.CredentialID = r.Credential.ID
	}
	if r.User != nil && len(r.User.ID) > 0 {
		a.UserHandle = r.User.ID
	}
	return a, nil
}

// checkAllowed settles which credential signed (CTAP 2.2 §6.2.2: the phone may leave it out
// when the allow list held one) and refuses one that was not allowed (WebAuthn L3 §6.3.3
// step 10).
func checkAllowed(a *Assertion, allow [][]byte) error {
	if len(a.CredentialID) == 0 && len(allow) == 1 {
		a.CredentialID = bytes.Clone(allow[0])
	}
	if len(a.CredentialID) == 0 {
		return fmt.Errorf("%w: the answer does not say which credential signed", ErrBadResponse)
	}
	if len(allow) > 0 && !slices.ContainsFunc(allow, func(id []byte) bool { return bytes.Equal(id, a.CredentialID) }) {
		return fmt.Errorf("%w: a credential that was not allowed signed", ErrBadResponse)
	}
	return nil
}

// checkAuthData checks the authenticator data is for rpID and the person was present.
func checkAuthData(ad []byte, rpID string) error {
	if len(ad) < 37 {
		return fmt.Errorf("%w: authenticator data of %d bytes", ErrBadResponse, len(ad))
	}
	if want := sha256.Sum256([]byte(rpID)); !bytes.Equal(ad[:32], want[:]) {
		return fmt.Errorf("%w: authenticator data is for another RP ID", ErrBadResponse)
	}
	if ad[32]&flagUP == 0 {
		return fmt.Errorf("%w: the person was not present", ErrBadResponse)
	}
	return nil
}
