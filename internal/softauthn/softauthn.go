// Package softauthn is a software WebAuthn authenticator and client FOR TESTS ONLY. It
// takes the options JSON the API sends (what PublicKeyCredential.parse*OptionsFromJSON
// takes) and returns the JSON a browser's PublicKeyCredential.toJSON() gives: a P-256 key
// in memory, clientDataJSON for the configured origin, authenticator data with the chosen
// flags, attestation format "none", and ES256 assertion signatures.
//
// It refuses only what a test needs it to refuse (an excluded credential, no matching
// credential); everything else about it can be set to misbehave.
package softauthn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Errors a test may expect.
var (
	ErrExcluded     = errors.New("softauthn: a credential in excludeCredentials is on this authenticator")
	ErrNoCredential = errors.New("softauthn: no credential on this authenticator matches the request")
)

// Authenticator flag bits (WebAuthn L3 §6.1).
const (
	flagUP = 0x01
	flagUV = 0x04
	flagBE = 0x08
	flagBS = 0x10
	flagAT = 0x40
)

// Authenticator is one software authenticator with its credentials. Change the fields to
// change what the next Create or Get produces. The knobs below the line make it misbehave
// the way a broken or hostile client could.
type Authenticator struct {
	Origin         string   // written into clientDataJSON
	AAGUID         [16]byte // reported at registration
	UserPresent    bool     // UP flag
	UserVerified   bool     // UV flag
	BackupEligible bool     // BE flag
	BackupState    bool     // BS flag
	Transports     []string // reported at registration, e.g. ["internal"] or ["usb"]
	Attachment     string   // "platform" or "cross-platform"
	CounterStep    uint32   // added to the signature counter at each Get; 0 keeps it at 0
	Credentials    []*Credential

	// RPID, when set, is hashed into authenticatorData instead of the RP ID asked for.
	RPID string
	// ClientDataType, when set, replaces "webauthn.create" / "webauthn.get".
	ClientDataType string
	// Challenge, when set, is written into clientDataJSON instead of the one asked for.
	Challenge string
	// UserHandle, when set, is sent in assertions instead of the credential's.
	UserHandle []byte
	// EditClientData, when set, may rewrite the clientDataJSON bytes (before an assertion
	// signs their hash): a client that writes a name twice, or text that is not Unicode.
	EditClientData func(clientDataJSON []byte) []byte
	// Algorithm is the COSE algorithm of new keys: AlgES256 (the default, 0 means it) or
	// AlgES384.
	Algorithm int
	// IDLength is the length of new credential IDs (0 means 16 bytes).
	IDLength int
	// CredentialPublicKey, when set, is written into the attested credential data as the
	// new credential's COSE_Key, byte for byte, instead of its own key: a test builds a key
	// that cannot work (or bytes that are no key) and sees what the RP does. Assertions are
	// still signed with the credential's own P-256 key. The response then leaves out
	// publicKey and publicKeyAlgorithm (as an older client does), which would otherwise
	// describe the credential's own key and not this one; a test that wants them sends them
	// with EditResponse.
	CredentialPublicKey []byte
	// EditResponse, when set, may change the response JSON (as a map) before it is encoded.
	EditResponse func(response map[string]any)
	// AssertionExtra, when set, is what an assertion's authenticator data carries after the
	// signature counter (with AssertionFlags added to its flags), signed like the rest:
	// attested credential data, which an assertion never carries (WebAuthn L3 §6.1), or
	// extension outputs nobody asked for. AttestedData builds the first.
	AssertionExtra []byte
	AssertionFlags byte
}

// Flags a test may add to an assertion's authenticator data (AssertionFlags).
const (
	FlagAT = flagAT
	FlagED = 0x80
)

// AttestedData is cred's attested credential data (WebAuthn L3 §6.5.1: AAGUID, L, credential
// ID, COSE key) as this authenticator writes it at registration.
func (a *Authenticator) AttestedData(cred *Credential) []byte {
	return slices.Concat(a.AAGUID[:], binary.BigEndian.AppendUint16(nil, uint16(len(cred.ID))), cred.ID, coseKey(&cred.Key.PublicKey)) //nolint:gosec // G115: a test's credential ID, never over 65535 bytes
}

// COSE algorithms the authenticator can make keys for.
const (
	AlgES256 = -7
	AlgES384 = -35
)

// Credential is a key pair the authenticator holds.
type Credential struct {
	ID         []byte
	Key        *ecdsa.PrivateKey // P-256 for ES256, P-384 for ES384
	RPID       string
	UserHandle []byte
	SignCount  uint32 // set it lower to imitate a cloned authenticator
}

// New returns a platform authenticator that verifies the user (UP and UV), counts
// signatures, and answers for origin.
func New(origin string) *Authenticator {
	return &Authenticator{
		Origin:       origin,
		AAGUID:       [16]byte{0x5f, 0x0f, 0x7a, 0x1e, 0x50, 0x66, 0x4b, 0x1a, 0x9e, 0x3f, 0x73, 0x6f, 0x66, 0x74, 0x61, 0x75},
		UserPresent:  true,
		UserVerified: true,
		Transports:   []string{"internal"},
		Attachment:   "platform",
		CounterStep:  1,
	}
}

// creationOptions is the part of PublicKeyCredentialCreationOptionsJSON used here.
type creationOptions struct {
	RP struct {
		ID string `json:"id"`
	} `json:"rp"`
	User struct {
		ID string `json:"id"`
	} `json:"user"`
	Challenge          string       `json:"challenge"`
	ExcludeCredentials []descriptor `json:"excludeCredentials"`
}

// requestOptions is the part of PublicKeyCredentialRequestOptionsJSON used here.
type requestOptions struct {
	Challenge        string       `json:"challenge"`
	RPID             string       `json:"rpId"`
	AllowCredentials []descriptor `json:"allowCredentials"`
}

type descriptor struct {
	ID string `json:"id"`
}

// Create makes a new credential for the creation options and returns the registration
// response JSON. It refuses (ErrExcluded) when it already holds an excluded credential.
func (a *Authenticator) Create(options []byte) ([]byte, error) {
	var opts creationOptions
	if err := json.Unmarshal(options, &opts); err != nil {
		return nil, fmt.Errorf("softauthn: creation options: %w", err)
	}
	for _, ex := range opts.ExcludeCredentials {
		id, err := base64.RawURLEncoding.DecodeString(ex.ID)
		if err != nil {
			return nil, fmt.Errorf("softauthn: excludeCredentials id: %w", err)
		}
		if a.find(opts.RP.ID, id) != nil {
			return nil, ErrExcluded
		}
	}
	userHandle, err := base64.RawURLEncoding.DecodeString(opts.User.ID)
	if err != nil {
		return nil, fmt.Errorf("softauthn: user.id: %w", err)
	}
	curve := elliptic.P256()
	if a.Algorithm == AlgES384 {
		curve = elliptic.P384()
	}
	key, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		return nil, err
	}
	idLength := a.IDLength
	if idLength == 0 {
		idLength = 16
	}
	id := make([]byte, idLength)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	cred := &Credential{ID: id, Key: key, RPID: opts.RP.ID, UserHandle: userHandle}
	a.Credentials = append(a.Credentials, cred)
	return a.attest(cred, opts)
}

// CreateWith answers the creation options with an existing credential (its ID and key),
// ignoring excludeCredentials, as a broken or malicious client could. Tests use it to
// register one credential ID twice.
func (a *Authenticator) CreateWith(options []byte, cred *Credential) ([]byte, error) {
	var opts creationOptions
	if err := json.Unmarshal(options, &opts); err != nil {
		return nil, fmt.Errorf("softauthn: creation options: %w", err)
	}
	return a.attest(cred, opts)
}

func (a *Authenticator) attest(cred *Credential, opts creationOptions) ([]byte, error) {
	alg, err := algorithm(cred.Key)
	if err != nil {
		return nil, err
	}
	clientData, err := a.clientData("webauthn.create", opts.Challenge)
	if err != nil {
		return nil, err
	}
	// Attested credential data (WebAuthn L3 §6.5.1): AAGUID, L, credential ID, COSE key.
	key := coseKey(&cred.Key.PublicKey)
	if a.CredentialPublicKey != nil {
		key = a.CredentialPublicKey
	}
	// L is two bytes (WebAuthn L3 §6.5.1): a longer ID cannot be written at all. (A relying
	// party refuses IDs over 1023 bytes; tests that send one stay under 65536.)
	if len(cred.ID) > math.MaxUint16 {
		return nil, fmt.Errorf("softauthn: credential ID of %d bytes does not fit attested credential data's 2-byte length", len(cred.ID))
	}
	attested := slices.Concat(a.AAGUID[:], binary.BigEndian.AppendUint16(nil, uint16(len(cred.ID))), cred.ID, key) //nolint:gosec // G115: len(cred.ID) is checked just above
	authData := a.authData(cred.RPID, flagAT, cred.SignCount, attested)
	attObj := cborMap(
		cborText("fmt"), cborText("none"),
		cborText("attStmt"), cborMap(),
		cborText("authData"), cborBytes(authData),
	)
	spki, err := x509.MarshalPKIXPublicKey(&cred.Key.PublicKey)
	if err != nil {
		return nil, err
	}
	response := map[string]any{
		"clientDataJSON":     base64.RawURLEncoding.EncodeToString(clientData),
		"authenticatorData":  base64.RawURLEncoding.EncodeToString(authData),
		"transports":         a.transports(),
		"publicKey":          base64.RawURLEncoding.EncodeToString(spki),
		"publicKeyAlgorithm": alg,
		"attestationObject":  base64.RawURLEncoding.EncodeToString(attObj),
	}
	if a.CredentialPublicKey != nil {
		delete(response, "publicKey")
		delete(response, "publicKeyAlgorithm")
	}
	return a.encode(cred.ID, response)
}

// encode wraps the authenticator's response to a create() or get() in the
// PublicKeyCredential JSON a browser's toJSON() gives (WebAuthn L3 §5.1.8
// RegistrationResponseJSON, AuthenticationResponseJSON) for the credential id, lets
// EditResponse change it, then writes it as JSON.
func (a *Authenticator) encode(id []byte, response map[string]any) ([]byte, error) {
	credential := map[string]any{
		"id":                      base64.RawURLEncoding.EncodeToString(id),
		"rawId":                   base64.RawURLEncoding.EncodeToString(id),
		"type":                    "public-key",
		"authenticatorAttachment": a.Attachment,
		"clientExtensionResults":  map[string]any{},
		"response":                response,
	}
	if a.EditResponse != nil {
		a.EditResponse(credential)
	}
	return json.Marshal(credential)
}

// algorithm is the COSE algorithm of key's curve.
func algorithm(key *ecdsa.PrivateKey) (int, error) {
	switch key.Curve {
	case elliptic.P256():
		return AlgES256, nil
	case elliptic.P384():
		return AlgES384, nil
	}
	return 0, fmt.Errorf("softauthn: unsupported curve %s", key.Curve.Params().Name)
}

// Get signs the request options with a matching credential (one in allowCredentials, or
// any credential for the RP ID when the list is empty) and returns the authentication
// response JSON.
func (a *Authenticator) Get(options []byte) ([]byte, error) {
	var opts requestOptions
	if err := json.Unmarshal(options, &opts); err != nil {
		return nil, fmt.Errorf("softauthn: request options: %w", err)
	}
	var cred *Credential
	if len(opts.AllowCredentials) == 0 {
		for _, c := range a.Credentials {
			if c.RPID == opts.RPID {
				cred = c
				break
			}
		}
	}
	for _, allowed := range opts.AllowCredentials {
		id, err := base64.RawURLEncoding.DecodeString(allowed.ID)
		if err != nil {
			return nil, fmt.Errorf("softauthn: allowCredentials id: %w", err)
		}
		if cred = a.find(opts.RPID, id); cred != nil {
			break
		}
	}
	if cred == nil {
		return nil, ErrNoCredential
	}
	return a.GetWith(options, cred)
}

// GetWith signs the request options with cred, whatever allowCredentials says.
func (a *Authenticator) GetWith(options []byte, cred *Credential) ([]byte, error) {
	var opts requestOptions
	if err := json.Unmarshal(options, &opts); err != nil {
		return nil, fmt.Errorf("softauthn: request options: %w", err)
	}
	clientData, err := a.clientData("webauthn.get", opts.Challenge)
	if err != nil {
		return nil, err
	}
	cred.SignCount += a.CounterStep
	authData := a.authData(cred.RPID, a.AssertionFlags, cred.SignCount, a.AssertionExtra)
	// WebAuthn L3 §6.3.3: the signature is over authenticatorData || SHA-256(clientDataJSON),
	// hashed as the algorithm says (SHA-256 for ES256, SHA-384 for ES384).
	clientHash := sha256.Sum256(clientData)
	signed := slices.Concat(authData, clientHash[:])
	var digest []byte
	if alg, err := algorithm(cred.Key); err != nil {
		return nil, err
	} else if alg == AlgES384 {
		d := sha512.Sum384(signed)
		digest = d[:]
	} else {
		d := sha256.Sum256(signed)
		digest = d[:]
	}
	sig, err := ecdsa.SignASN1(rand.Reader, cred.Key, digest)
	if err != nil {
		return nil, err
	}
	userHandle := cred.UserHandle
	if a.UserHandle != nil {
		userHandle = a.UserHandle
	}
	return a.encode(cred.ID, map[string]any{
		"clientDataJSON":    base64.RawURLEncoding.EncodeToString(clientData),
		"authenticatorData": base64.RawURLEncoding.EncodeToString(authData),
		"signature":         base64.RawURLEncoding.EncodeToString(sig),
		"userHandle":        base64.RawURLEncoding.EncodeToString(userHandle),
	})
}

func (a *Authenticator) find(rpID string, id []byte) *Credential {
	for _, c := range a.Credentials {
		if c.RPID == rpID && string(c.ID) == string(id) {
			return c
		}
	}
	return nil
}

func (a *Authenticator) transports() []string {
	if a.Transports == nil {
		return []string{}
	}
	return a.Transports
}

// clientData is the CollectedClientData JSON (WebAuthn L3 §5.8.1).
func (a *Authenticator) clientData(typ, challenge string) ([]byte, error) {
	if a.ClientDataType != "" {
		typ = a.ClientDataType
	}
	if a.Challenge != "" {
		challenge = a.Challenge
	}
	data, err := json.Marshal(struct {
		Type        string `json:"type"`
		Challenge   string `json:"challenge"`
		Origin      string `json:"origin"`
		CrossOrigin bool   `json:"crossOrigin"`
	}{typ, challenge, a.Origin, false})
	if err == nil && a.EditClientData != nil {
		data = a.EditClientData(data)
	}
	return data, err
}

// authData is rpIdHash || flags || signCount || extra (WebAuthn L3 §6.1).
func (a *Authenticator) authData(rpID string, extraFlags byte, count uint32, extra []byte) []byte {
	if a.RPID != "" {
		rpID = a.RPID
	}
	rpHash := sha256.Sum256([]byte(rpID))
	flags := extraFlags
	for _, f := range []struct {
		on  bool
		bit byte
	}{{a.UserPresent, flagUP}, {a.UserVerified, flagUV}, {a.BackupEligible, flagBE}, {a.BackupState, flagBS}} {
		if f.on {
			flags |= f.bit
		}
	}
	out := slices.Concat(rpHash[:], []byte{flags})
	out = binary.BigEndian.AppendUint32(out, count)
	return append(out, extra...)
}

// coseKey is the EC2 public key (P-256 ES256 or P-384 ES384) as a COSE_Key (RFC 9053
// §7.1.1), keys in CTAP2 canonical order.
func coseKey(pub *ecdsa.PublicKey) []byte {
	raw, err := pub.Bytes() // 0x04 || X || Y
	if err != nil {
		panic(fmt.Sprintf("softauthn: EC key: %v", err)) // cannot happen for a generated key
	}
	alg, crv, size := int64(AlgES256), int64(1), 32
	if pub.Curve == elliptic.P384() {
		alg, crv, size = AlgES384, 2, 48
	}
	return cborMap(
		cborInt(1), cborInt(2), // kty: EC2
		cborInt(3), cborInt(alg), // alg
		cborInt(-1), cborInt(crv), // crv: P-256 (1) or P-384 (2)
		cborInt(-2), cborBytes(raw[1:1+size]), // x
		cborInt(-3), cborBytes(raw[1+size:1+2*size]), // y
	)
}

// A minimal CBOR encoder (RFC 8949), definite lengths only: all this package needs.

func cborHead(major byte, n uint64) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n <= 0xff:
		return []byte{major<<5 | 24, byte(n)}
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16([]byte{major<<5 | 25}, uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32([]byte{major<<5 | 26}, uint32(n))
	default:
		return binary.BigEndian.AppendUint64([]byte{major<<5 | 27}, n)
	}
}

func cborInt(v int64) []byte {
	if v >= 0 {
		return cborHead(0, uint64(v))
	}
	return cborHead(1, uint64(-1-v))
}

func cborBytes(b []byte) []byte { return append(cborHead(2, uint64(len(b))), b...) }

func cborText(s string) []byte { return append(cborHead(3, uint64(len(s))), s...) }

// cborMap encodes alternating keys and values, already encoded, in the order given.
func cborMap(kv ...[]byte) []byte {
	out := cborHead(5, uint64(len(kv)/2))
	for _, item := range kv {
		out = append(out, item...)
	}
	return out
}
