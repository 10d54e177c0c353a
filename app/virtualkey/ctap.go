package virtualkey

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// CTAP 2.1 §6 command bytes (the first byte of a CTAPHID_CBOR message).
const (
	cborMakeCredential       byte = 0x01
	cborGetAssertion         byte = 0x02
	cborGetInfo              byte = 0x04
	cborClientPIN            byte = 0x06
	cborReset                byte = 0x07
	cborGetNextAssertion     byte = 0x08
	cborBioEnrollment        byte = 0x09
	cborCredentialManagement byte = 0x0a
	cborLargeBlobs           byte = 0x0c
	cborAuthenticatorConfig  byte = 0x0d

	// The CTAP 2.1-PRE prototypes of bio enrollment and credential management ("vendor"
	// command bytes, getInfo options userVerificationMgmtPreview and credentialMgmtPreview).
	// libfido2 1.12 sends only these, whatever getInfo says, so the key takes both forms;
	// their parameters and replies are those of 0x09 and 0x0A.
	cborBioEnrollmentPreview        byte = 0x40
	cborCredentialManagementPreview byte = 0x41
)

// status is a CTAP status code (CTAP 2.1 §8.2). Handlers return it as their error.
type status byte

const (
	statusOK                     status = 0x00
	statusInvalidCommand         status = 0x01
	statusInvalidParameter       status = 0x02
	statusCBORUnexpectedType     status = 0x11
	statusInvalidCBOR            status = 0x12
	statusMissingParameter       status = 0x14
	statusFPDatabaseFull         status = 0x17
	statusCredentialExcluded     status = 0x19
	statusUnsupportedAlgorithm   status = 0x26
	statusKeyStoreFull           status = 0x28
	statusUnsupportedOption      status = 0x2b
	statusInvalidOption          status = 0x2c
	statusKeepaliveCancel        status = 0x2d
	statusNoCredentials          status = 0x2e
	statusUserActionTimeout      status = 0x2f
	statusNotAllowed             status = 0x30
	statusPinInvalid             status = 0x31
	statusPinBlocked             status = 0x32
	statusPinAuthInvalid         status = 0x33
	statusPinAuthBlocked         status = 0x34
	statusPinNotSet              status = 0x35
	statusPUATRequired           status = 0x36
	statusPinPolicyViolation     status = 0x37
	statusRequestTooLarge        status = 0x39
	statusUVBlocked              status = 0x3c
	statusInvalidSubcommand      status = 0x3e
	statusUVInvalid              status = 0x3f
	statusUnauthorizedPermission status = 0x40
	statusOther                  status = 0x7f
)

func (s status) Error() string { return fmt.Sprintf("CTAP status 0x%02x", byte(s)) }

// Limits reported by authenticatorGetInfo.
const (
	maxMsgSize          = 2048 // libfido2 1.12 reads replies into a 2048-byte buffer (FIDO_MAXMSG)
	maxCredentialsInLst = 8
	credentialIDLength  = 32
	maxCredentialIDLen  = 64
	firmwareVersion     = 1
	assertionStateLife  = 30 * time.Second // CTAP 2.1 §6.3: getNextAssertion timer
	coseES256           = -7
	coseECDHESHKDF256   = -25
	credentialTypeKey   = "public-key"
)

// authenticator data flags (WebAuthn §6.1).
const (
	flagUP byte = 0x01
	flagUV byte = 0x04
	flagAT byte = 0x40
)

// command handles one CTAP command. params is the CBOR after the command byte; the result is
// CBOR-encoded after status 0x00, or nil for an empty body. An error is a status, ErrUnplugged,
// or anything else (reported as CTAP1_ERR_OTHER).
type command func(k *Key, req *request, params []byte) (any, error)

// commandTable maps CTAP command bytes to handlers. Later features plug in here:
// cborLargeBlobs (0x0C) and authenticatorSelection (0x0B). The token permissions a command needs
// (cm, be, acfg, lbw) become grantable as soon as it is in the table (authorisedPermissions).
func (k *Key) commandTable() map[byte]command {
	return map[byte]command{
		cborMakeCredential:              (*Key).makeCredential,
		cborGetAssertion:                (*Key).getAssertion,
		cborGetInfo:                     (*Key).getInfo,
		cborClientPIN:                   (*Key).clientPIN,
		cborReset:                       (*Key).reset,
		cborGetNextAssertion:            (*Key).getNextAssertion,
		cborBioEnrollment:               (*Key).bioEnrollment,
		cborCredentialManagement:        (*Key).credentialManagement,
		cborAuthenticatorConfig:         (*Key).authenticatorConfig,
		cborBioEnrollmentPreview:        (*Key).bioEnrollment,
		cborCredentialManagementPreview: (*Key).credentialManagement,
	}
}

// ctap2Enc encodes replies in CTAP2 canonical CBOR (CTAP 2.1 §8: length-first key order).
var ctap2Enc = mustEncMode()

func mustEncMode() cbor.EncMode {
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		panic(err) // fixed options; cannot fail
	}
	return em
}

// dispatch runs one CBOR message and returns status byte || CBOR body. Called with k.mu held.
func (k *Key) dispatch(req *request, msg []byte) ([]byte, error) {
	cmd, params := msg[0], msg[1:]
	// CTAP 2.1 §6.3: the getNextAssertion state lives only until another command arrives.
	if cmd != cborGetNextAssertion {
		k.assertions = nil
	}
	// §6.8.3/§6.8.4: likewise the enumerateRPs / enumerateCredentials state lives only while
	// credential management commands follow one another.
	if cmd != cborCredentialManagement && cmd != cborCredentialManagementPreview {
		k.enumeration = nil
	}
	if len(msg) > maxMsgSize {
		return []byte{byte(statusRequestTooLarge)}, nil
	}
	// The state file as it is now: another copy of the app may have saved it (state.go).
	if err := k.refresh(); err != nil {
		return []byte{byte(statusOther)}, nil //nolint:nilerr // CTAP 2.1 §8.2: the failure is the status byte
	}
	handle, ok := k.commands[cmd]
	if !ok {
		return []byte{byte(statusInvalidCommand)}, nil
	}
	resp, err := handle(k, req, params)
	var st status
	switch {
	case errors.Is(err, ErrUnplugged):
		return nil, ErrUnplugged
	case errors.As(err, &st):
		return []byte{byte(st)}, nil
	case err != nil:
		// CTAP 2.1 §8.2: a command that fails is answered with a status byte; the
		// transport itself did not fail.
		return []byte{byte(statusOther)}, nil //nolint:nilerr // the failure is the status byte
	case resp == nil:
		return []byte{byte(statusOK)}, nil
	}
	body, err := ctap2Enc.Marshal(resp)
	if err != nil {
		return []byte{byte(statusOther)}, nil //nolint:nilerr // CTAP 2.1 §8.2: the failure is the status byte
	}
	return append([]byte{byte(statusOK)}, body...), nil
}

// decodeParams decodes a request map. An empty request decodes as an empty map, so a missing
// map is reported as missing parameters. A wrong type is CTAP2_ERR_CBOR_UNEXPECTED_TYPE, broken
// CBOR CTAP2_ERR_INVALID_CBOR (CTAP 2.1 §8.1).
//
// A byte string that is present but empty decodes as a non-nil empty slice and an absent one
// as nil: the zero-length pinUvAuthParam of §6.1.2 step 1 relies on that.
func decodeParams(raw []byte, v any) error {
	if len(raw) == 0 {
		return nil
	}
	err := cbor.Unmarshal(raw, v)
	var typeErr *cbor.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr):
		return statusCBORUnexpectedType
	default:
		return statusInvalidCBOR
	}
}

// coseKey is an EC2 P-256 COSE_Key (RFC 9052 §7, RFC 9053 §7.1.1).
type coseKey struct {
	Kty int    `cbor:"1,keyasint"`
	Alg int    `cbor:"3,keyasint"`
	Crv int    `cbor:"-1,keyasint"`
	X   []byte `cbor:"-2,keyasint"`
	Y   []byte `cbor:"-3,keyasint"`
}

func p256COSE(alg int, uncompressed []byte) coseKey {
	return coseKey{Kty: 2, Alg: alg, Crv: 1, X: uncompressed[1:33], Y: uncompressed[33:65]}
}

// keyAgreementCOSE: CTAP 2.1 §6.5.6 getPublicKey(): alg -25 (ECDH-ES+HKDF-256).
func keyAgreementCOSE(pub *ecdh.PublicKey) coseKey {
	return p256COSE(coseECDHESHKDF256, pub.Bytes())
}

func (c *coseKey) ecdhPublicKey() (*ecdh.PublicKey, error) {
	if c.Kty != 2 || c.Crv != 1 || len(c.X) != 32 || len(c.Y) != 32 {
		return nil, errors.New("not an EC2 P-256 key")
	}
	return ecdh.P256().NewPublicKey(slices.Concat([]byte{4}, c.X, c.Y))
}

type rpEntity struct {
	ID   *string `cbor:"id"`
	Name string  `cbor:"name,omitempty"`
}

type userEntity struct {
	ID          []byte `cbor:"id"`
	Name        string `cbor:"name,omitempty"`
	DisplayName string `cbor:"displayName,omitempty"`
}

type credentialParam struct {
	Type string `cbor:"type"`
	Alg  int64  `cbor:"alg"`
}

type credentialDescriptor struct {
	Type string `cbor:"type"`
	ID   []byte `cbor:"id"`
}

// getInfo is authenticatorGetInfo (CTAP 2.1 §6.4).
func (k *Key) getInfo(*request, []byte) (any, error) {
	aaguid := k.st.aaguid()
	remaining := max(0, k.capacity-k.st.discoverableCount())
	enrolled := k.st.uvConfigured()
	listLimit := maxCredentialsInLst
	if k.unstatedListLimit {
		listLimit = 0 // left out (omitempty)
	}
	return struct {
		Versions            []string          `cbor:"1,keyasint"`
		AAGUID              []byte            `cbor:"3,keyasint"`
		Options             map[string]bool   `cbor:"4,keyasint"`
		MaxMsgSize          int               `cbor:"5,keyasint"`
		PinUvAuthProtocols  []int             `cbor:"6,keyasint"`
		MaxCredCountInList  int               `cbor:"7,keyasint,omitempty"`
		MaxCredIDLength     int               `cbor:"8,keyasint"`
		Transports          []string          `cbor:"9,keyasint"`
		Algorithms          []credentialParam `cbor:"10,keyasint"`
		ForcePINChange      bool              `cbor:"12,keyasint"`
		MinPINLength        int               `cbor:"13,keyasint"`
		FirmwareVersion     int               `cbor:"14,keyasint"`
		PreferredUVAttempts int               `cbor:"17,keyasint"`
		UVModality          int               `cbor:"18,keyasint"`
		RemainingRKs        int               `cbor:"20,keyasint"`
	}{
		Versions: []string{"FIDO_2_0", "FIDO_2_1"},
		AAGUID:   aaguid[:],
		Options: map[string]bool{
			"rk":               true,
			"up":               true,
			"clientPin":        k.st.pinSet(),
			"pinUvAuthToken":   true,
			"makeCredUvNotRqd": false,
			// Built-in user verification is the fingerprint: false until one is enrolled
			// (bio.go). uvBioEnroll: a token from it may carry the be permission.
			"uv":          enrolled,
			"bioEnroll":   enrolled,
			"uvBioEnroll": true,
			// credential management (credman.go) and authenticatorConfig (config.go).
			"credMgmt":        true,
			"authnrCfg":       true,
			"setMinPINLength": true,
		},
		MaxMsgSize:         maxMsgSize,
		PinUvAuthProtocols: []int{2, 1},
		MaxCredCountInList: listLimit,
		MaxCredIDLength:    maxCredentialIDLen,
		Transports:         []string{"usb"},
		Algorithms:         []credentialParam{{Type: credentialTypeKey, Alg: coseES256}},
		ForcePINChange:     k.st.ForcePINChange,
		MinPINLength:       k.st.minPINLength(),
		FirmwareVersion:    firmwareVersion,
		// §6.4 preferredPlatformUvAttempts: how often a platform should retry the finger.
		PreferredUVAttempts: preferredUVAttempts,
		UVModality:          uvModalityFingerprint,
		RemainingRKs:        remaining,
	}, nil
}

type makeCredentialParams struct {
	ClientDataHash        []byte                     `cbor:"1,keyasint"`
	RP                    *rpEntity                  `cbor:"2,keyasint"`
	User                  *userEntity                `cbor:"3,keyasint"`
	PubKeyCredParams      []credentialParam          `cbor:"4,keyasint"`
	ExcludeList           []credentialDescriptor     `cbor:"5,keyasint"`
	Extensions            map[string]cbor.RawMessage `cbor:"6,keyasint"`
	Options               map[string]bool            `cbor:"7,keyasint"`
	PinUvAuthParam        []byte                     `cbor:"8,keyasint"`
	PinUvAuthProtocol     *uint64                    `cbor:"9,keyasint"`
	EnterpriseAttestation *uint64                    `cbor:"10,keyasint"`
}

// makeCredential is authenticatorMakeCredential (CTAP 2.1 §6.1.2).
func (k *Key) makeCredential(req *request, raw []byte) (any, error) {
	var p makeCredentialParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	// Steps 1 and 2.
	if err := k.pinUvAuthParamSteps(req, p.PinUvAuthParam, p.PinUvAuthProtocol); err != nil {
		return nil, err
	}
	// Mandatory parameters (§6.1.1 table).
	if p.ClientDataHash == nil || p.RP == nil || p.RP.ID == nil || p.User == nil ||
		p.User.ID == nil || p.PubKeyCredParams == nil {
		return nil, statusMissingParameter
	}
	// Step 3: the first supported algorithm wins; only ES256 is supported.
	if !slices.ContainsFunc(p.PubKeyCredParams, func(c credentialParam) bool {
		return c.Type == credentialTypeKey && c.Alg == coseES256
	}) {
		return nil, statusUnsupportedAlgorithm
	}
	rpID := *p.RP.ID
	// Steps 4-5: the options. The fingerprint verifies the user only through a token
	// (getPinUvAuthTokenUsingUvWithPermissions, which libfido2 uses); the CTAP 2.0 way, "uv"
	// without a pinUvAuthParam, is refused as without built-in UV.
	rk := p.Options["rk"]
	if up, ok := p.Options["up"]; ok && !up {
		return nil, statusInvalidOption
	}
	if p.Options["uv"] && p.PinUvAuthParam == nil {
		return nil, statusInvalidOption
	}
	// "Protected by some form of user verification" with makeCredUvNotRqd false (the
	// alwaysUv / makeCredUvNotRqd steps): once a PIN is set every credential needs a token.
	if k.st.pinSet() && p.PinUvAuthParam == nil {
		return nil, statusPUATRequired
	}
	// enterpriseAttestation is not supported: CTAP1_ERR_INVALID_PARAMETER.
	if p.EnterpriseAttestation != nil {
		return nil, statusInvalidParameter
	}
	// Step 11: the token.
	var flags byte
	if p.PinUvAuthParam != nil {
		if err := k.checkPinUvAuthParam(*p.PinUvAuthProtocol, p.ClientDataHash, p.PinUvAuthParam,
			permMakeCredential, rpID); err != nil {
			return nil, err
		}
		flags |= flagUV
	}
	// Step 12: excludeList. Touch (or not), then CTAP2_ERR_CREDENTIAL_EXCLUDED; an explicit
	// cancel or an unplug still wins, as on the wire.
	for _, d := range p.ExcludeList {
		if d.Type == credentialTypeKey && k.findCredential(rpID, d.ID) >= 0 {
			_, err := k.presenceFor(req, p.PinUvAuthParam != nil, true)
			if errors.Is(err, ErrUnplugged) || errors.Is(err, statusKeepaliveCancel) {
				return nil, err
			}
			return nil, statusCredentialExcluded
		}
	}
	// Extensions: none are supported; unknown ones are ignored.
	// Step 14: user presence, then the token is spent.
	pres, err := k.presenceFor(req, p.PinUvAuthParam != nil, true)
	if err != nil {
		return nil, err
	}
	flags |= flagUP
	if p.PinUvAuthParam != nil {
		k.tokenUsed()
	}
	// The Excluded behaviour: the answer of step 12, given after the touch as a key does.
	if pres.excluded {
		return nil, statusCredentialExcluded
	}
	// The rk step: a discoverable credential replaces the RP's one for the same user handle,
	// and needs room otherwise (CTAP2_ERR_KEY_STORE_FULL).
	replace := -1
	if rk {
		replace = k.findUserCredential(rpID, p.User.ID)
		if replace < 0 && k.st.discoverableCount() >= k.capacity {
			return nil, statusKeyStoreFull
		}
	}
	if pres.full {
		return nil, statusKeyStoreFull
	}
	// A new ES256 key pair and credential id.
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	scalar, err := priv.Bytes()
	if err != nil {
		return nil, err
	}
	id := make([]byte, credentialIDLength)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	cred := credential{
		ID:              id,
		RPID:            rpID,
		RPName:          p.RP.Name,
		UserID:          p.User.ID,
		UserName:        p.User.Name,
		UserDisplayName: p.User.DisplayName,
		Discoverable:    rk,
		PrivateKey:      scalar,
		SignCount:       0,
		Created:         k.clock().UTC(),
		CredProtect:     credProtectUVOptional,
	}
	pub, err := priv.PublicKey.Bytes()
	if err != nil {
		return nil, err
	}
	authData, err := k.authData(rpID, flags|flagAT, cred.SignCount, id, pub)
	if err != nil {
		return nil, err
	}
	if err := k.update(func(next *state) error {
		if replace >= 0 {
			next.Credentials = slices.Delete(next.Credentials, replace, replace+1)
		}
		next.Credentials = append(next.Credentials, cred)
		return nil
	}); err != nil {
		return nil, err
	}
	// The attestation statement (§6.1.2 last steps, WebAuthn §8.2 / §8.7).
	resp := struct {
		Fmt      string `cbor:"1,keyasint"`
		AuthData []byte `cbor:"2,keyasint"`
		AttStmt  any    `cbor:"3,keyasint"`
	}{Fmt: "none", AuthData: authData, AttStmt: map[string]any{}}
	if k.attestation == PackedSelf {
		sig, err := sign(priv, authData, p.ClientDataHash)
		if err != nil {
			return nil, err
		}
		// WebAuthn §8.2 self attestation: alg and sig, no x5c.
		resp.Fmt = "packed"
		resp.AttStmt = struct {
			Alg int    `cbor:"alg"`
			Sig []byte `cbor:"sig"`
		}{Alg: coseES256, Sig: sig}
	}
	return resp, nil
}

// authData builds authenticator data (WebAuthn §6.1): SHA-256(rpId), flags, the 32-bit
// big-endian signature counter and, with credID, the attested credential data: AAGUID, the
// 16-bit credential id length, the id, and the COSE public key.
func (k *Key) authData(rpID string, flags byte, count uint32, credID, uncompressedPub []byte) ([]byte, error) {
	h := sha256.Sum256([]byte(rpID))
	out := slices.Concat(h[:], []byte{flags})
	out = binary.BigEndian.AppendUint32(out, count)
	if credID == nil {
		return out, nil
	}
	// WebAuthn §6.5.1: credentialIdLength is 16 bits (and at most 1023 in L3).
	if len(credID) > math.MaxUint16 {
		return nil, errors.New("credential id too long")
	}
	aaguid := k.st.aaguid()
	out = append(out, aaguid[:]...)
	out = binary.BigEndian.AppendUint16(out, uint16(len(credID))) //nolint:gosec // G115: at most MaxUint16, checked above
	out = append(out, credID...)
	pk, err := ctap2Enc.Marshal(p256COSE(coseES256, uncompressedPub))
	if err != nil {
		return nil, err
	}
	return append(out, pk...), nil
}

// sign is an ES256 signature over authenticatorData || clientDataHash, ASN.1 DER encoded.
func sign(priv *ecdsa.PrivateKey, authData, cdh []byte) ([]byte, error) {
	digest := sha256.Sum256(slices.Concat(authData, cdh))
	return ecdsa.SignASN1(rand.Reader, priv, digest[:])
}

func (k *Key) findCredential(rpID string, id []byte) int {
	return slices.IndexFunc(k.st.Credentials, func(c credential) bool {
		return c.RPID == rpID && bytes.Equal(c.ID, id)
	})
}

func (k *Key) findUserCredential(rpID string, userID []byte) int {
	return slices.IndexFunc(k.st.Credentials, func(c credential) bool {
		return c.Discoverable && c.RPID == rpID && bytes.Equal(c.UserID, userID)
	})
}

type getAssertionParams struct {
	RPID              *string                    `cbor:"1,keyasint"`
	ClientDataHash    []byte                     `cbor:"2,keyasint"`
	AllowList         []credentialDescriptor     `cbor:"3,keyasint"`
	Extensions        map[string]cbor.RawMessage `cbor:"4,keyasint"`
	Options           map[string]bool            `cbor:"5,keyasint"`
	PinUvAuthParam    []byte                     `cbor:"6,keyasint"`
	PinUvAuthProtocol *uint64                    `cbor:"7,keyasint"`
}

type assertionResponse struct {
	Credential          credentialDescriptor `cbor:"1,keyasint"`
	AuthData            []byte               `cbor:"2,keyasint"`
	Signature           []byte               `cbor:"3,keyasint"`
	User                *userEntity          `cbor:"4,keyasint,omitempty"`
	NumberOfCredentials int                  `cbor:"5,keyasint,omitempty"`
}

// assertionState is what authenticatorGetNextAssertion needs (CTAP 2.1 §6.3).
type assertionState struct {
	rpID    string
	cdh     []byte
	flags   byte
	ids     [][]byte // credentials still to return, in order
	expires time.Time
}

// getAssertion is authenticatorGetAssertion (CTAP 2.1 §6.2.2).
func (k *Key) getAssertion(req *request, raw []byte) (any, error) {
	var p getAssertionParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	// Steps 1 and 2.
	if err := k.pinUvAuthParamSteps(req, p.PinUvAuthParam, p.PinUvAuthProtocol); err != nil {
		return nil, err
	}
	if p.RPID == nil || p.ClientDataHash == nil {
		return nil, statusMissingParameter
	}
	rpID := *p.RPID
	// The options: "rk" is refused here; "uv" without a token as in makeCredential.
	if _, ok := p.Options["rk"]; ok {
		return nil, statusUnsupportedOption
	}
	if p.Options["uv"] && p.PinUvAuthParam == nil {
		return nil, statusInvalidOption
	}
	up := true
	if v, ok := p.Options["up"]; ok {
		up = v
	}
	if !up {
		k.silent++ // asked, whether or not it holds one of the credentials
	}
	// The pinUvAuthParam: verify it against the token, as makeCredential does.
	var flags byte
	if p.PinUvAuthParam != nil {
		if err := k.checkPinUvAuthParam(*p.PinUvAuthProtocol, p.ClientDataHash, p.PinUvAuthParam,
			permGetAssertion, rpID); err != nil {
			return nil, err
		}
		flags |= flagUV
	}
	// Locate the credentials. With an allowList, the listed ones for this RP; without,
	// the RP's discoverable ones, newest first.
	var ids [][]byte
	if len(p.AllowList) > 0 {
		for _, d := range p.AllowList {
			if d.Type == credentialTypeKey && k.findCredential(rpID, d.ID) >= 0 {
				ids = append(ids, d.ID)
				break // with an allowList one credential is used
			}
		}
	} else {
		// Credentials are kept in creation order (a replaced one moves to the end), so
		// walking backwards gives "most recent first".
		for i := len(k.st.Credentials) - 1; i >= 0; i-- {
			if c := k.st.Credentials[i]; c.Discoverable && c.RPID == rpID {
				ids = append(ids, c.ID)
			}
		}
	}
	if len(ids) == 0 {
		return nil, statusNoCredentials
	}
	// User presence, unless "up" is false (a silent pre-flight).
	if up {
		if _, err := k.presenceFor(req, p.PinUvAuthParam != nil, false); err != nil {
			return nil, err
		}
		flags |= flagUP
		if p.PinUvAuthParam != nil {
			k.tokenUsed()
		}
	}
	resp, err := k.assert(rpID, p.ClientDataHash, flags, ids[0])
	if err != nil {
		return nil, err
	}
	if len(ids) > 1 {
		resp.NumberOfCredentials = len(ids)
		k.assertions = &assertionState{
			rpID:    rpID,
			cdh:     p.ClientDataHash,
			flags:   flags,
			ids:     ids[1:],
			expires: k.clock().Add(assertionStateLife),
		}
	}
	return resp, nil
}

// getNextAssertion is authenticatorGetNextAssertion (CTAP 2.1 §6.3).
func (k *Key) getNextAssertion(*request, []byte) (any, error) {
	s := k.assertions
	// CTAP2_ERR_NOT_ALLOWED without state, after the 30-second timer, or when every
	// credential has been returned.
	if s == nil || len(s.ids) == 0 || k.clock().After(s.expires) {
		k.assertions = nil
		return nil, statusNotAllowed
	}
	id := s.ids[0]
	s.ids = s.ids[1:]
	resp, err := k.assert(s.rpID, s.cdh, s.flags, id)
	if err != nil {
		return nil, err
	}
	s.expires = k.clock().Add(assertionStateLife)
	return resp, nil
}

// assert signs with one credential (CTAP 2.1 §6.2.2, the signature step): its counter goes
// up by one and is saved before the signature leaves the key.
func (k *Key) assert(rpID string, cdh []byte, flags byte, id []byte) (assertionResponse, error) {
	i := k.findCredential(rpID, id)
	if i < 0 {
		// Gone while the key waited for a touch (a tester's Reset).
		return assertionResponse{}, statusNoCredentials
	}
	count := k.st.Credentials[i].SignCount + 1
	if err := k.update(func(next *state) error { next.Credentials[i].SignCount = count; return nil }); err != nil {
		return assertionResponse{}, err
	}
	c := k.st.Credentials[i]
	priv, err := c.signer()
	if err != nil {
		return assertionResponse{}, err
	}
	authData, err := k.authData(rpID, flags, count, nil, nil)
	if err != nil {
		return assertionResponse{}, err
	}
	sig, err := sign(priv, authData, cdh)
	if err != nil {
		return assertionResponse{}, err
	}
	resp := assertionResponse{
		Credential: credentialDescriptor{Type: credentialTypeKey, ID: c.ID},
		AuthData:   authData,
		Signature:  sig,
	}
	if c.Discoverable {
		// §6.2.2 response "user": the user handle of a discoverable credential; name and
		// display name only when the user was verified.
		u := &userEntity{ID: c.UserID}
		if flags&flagUV != 0 {
			u.Name, u.DisplayName = c.UserName, c.UserDisplayName
		}
		resp.User = u
	}
	return resp, nil
}

// reset is authenticatorReset (CTAP 2.1 §6.6).
func (k *Key) reset(req *request, _ []byte) (any, error) {
	// Step 1: only within 10 seconds of power-up.
	if k.clock().Sub(k.pluggedAt) > resetWindow {
		return nil, statusNotAllowed
	}
	// Step 2: the user must touch the key.
	if _, err := k.userPresence(req); err != nil {
		return nil, err
	}
	return nil, k.wipe()
}
