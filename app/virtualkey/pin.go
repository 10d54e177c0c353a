package virtualkey

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"time"
	"unicode/utf8"
)

// authenticatorClientPIN sub-commands (CTAP 2.1 §6.5.5).
const (
	pinGetRetries                = 0x01
	pinGetKeyAgreement           = 0x02
	pinSetPIN                    = 0x03
	pinChangePIN                 = 0x04
	pinGetPinToken               = 0x05
	pinGetTokenUsingUVWithPerms  = 0x06 // built-in UV: the fingerprint (bio.go)
	pinGetUVRetries              = 0x07
	pinGetTokenUsingPINWithPerms = 0x09
)

// PIN rules and token permissions (CTAP 2.1 §6.5.1, §6.5.5.7).
const (
	defaultMinPINLength = 4  // at least 4 Unicode code points, until setMinPINLength raises it
	maxPINBytes         = 63 // setPIN/changePIN: "newPin" longer than 63 bytes is refused
	paddedPINLength     = 64
	pinAuthBlockedAfter = 3 // consecutive mismatches until a power cycle
	tokenMaxUsage       = 10 * time.Minute

	permMakeCredential       byte = 0x01 // mc
	permGetAssertion         byte = 0x02 // ga
	permCredentialManagement byte = 0x04 // cm
	permBioEnrollment        byte = 0x08 // be
	permLargeBlobWrite       byte = 0x10 // lbw
	permAuthenticatorConfig  byte = 0x20 // acfg
)

// pinVolatile is the PIN/UV auth state that a power cycle resets.
type pinVolatile struct {
	keyAgreement *ecdh.PrivateKey
	mismatches   int // consecutive wrong PINs since power-up
	token        pinToken
}

// pinToken is the pinUvAuthToken and its state (CTAP 2.1 §6.5.2, "pinUvAuthToken state").
type pinToken struct {
	value       []byte // 32 random bytes; nil when no token has been issued
	protocol    uint64
	inUse       bool
	permissions byte
	rpID        string // "" until bound
	issued      time.Time
	// presence is set when the token was obtained by built-in user verification: the finger
	// on the sensor was also the user's presence (getUserPresentFlagValue() is true), so the
	// makeCredential or getAssertion that uses the token needs no second touch. It holds what
	// that touch's Behaviour said (Full). nil after a PIN, and once used.
	presence *presence
}

// pinProtocol is one PIN/UV auth protocol (CTAP 2.1 §6.5.6 one, §6.5.7 two).
type pinProtocol interface {
	// kdf turns the ECDH x-coordinate Z into the shared secret.
	kdf(z []byte) ([]byte, error)
	encrypt(shared, plaintext []byte) ([]byte, error)
	decrypt(shared, ciphertext []byte) ([]byte, error)
	// authenticate is HMAC-SHA-256 of message under key: the shared secret or the token.
	authenticate(key, message []byte) []byte
}

var errBadCiphertext = errors.New("bad ciphertext")

type protocolOne struct{}

// kdf: CTAP 2.1 §6.5.6 "kdf(Z): SHA-256(Z)".
func (protocolOne) kdf(z []byte) ([]byte, error) {
	h := sha256.Sum256(z)
	return h[:], nil
}

// encrypt: AES-256-CBC with an all-zero IV, no padding.
func (protocolOne) encrypt(shared, plaintext []byte) ([]byte, error) {
	return cbcEncrypt(shared, make([]byte, aes.BlockSize), plaintext) //nolint:gosec // G407: CTAP 2.1 §6.5.6 fixes PIN/UV protocol one's IV at zero; the key is fresh per ECDH
}

func (protocolOne) decrypt(shared, ciphertext []byte) ([]byte, error) {
	return cbcDecrypt(shared, make([]byte, aes.BlockSize), ciphertext)
}

// authenticate: the first 16 bytes of HMAC-SHA-256.
func (protocolOne) authenticate(key, message []byte) []byte {
	return hmacSHA256(key, message)[:16]
}

type protocolTwo struct{}

// kdf: CTAP 2.1 §6.5.7: HKDF-SHA-256 with a 32-byte zero salt, info "CTAP2 HMAC key" for the
// first 32 bytes and "CTAP2 AES key" for the next 32.
func (protocolTwo) kdf(z []byte) ([]byte, error) {
	salt := make([]byte, 32)
	hmacKey, err := hkdf.Key(sha256.New, z, salt, "CTAP2 HMAC key", 32)
	if err != nil {
		return nil, err
	}
	aesKey, err := hkdf.Key(sha256.New, z, salt, "CTAP2 AES key", 32)
	if err != nil {
		return nil, err
	}
	return append(hmacKey, aesKey...), nil
}

// encrypt: AES-256-CBC under the AES half with a random IV, returned as IV || ciphertext.
func (protocolTwo) encrypt(shared, plaintext []byte) ([]byte, error) {
	if len(shared) != 64 {
		return nil, errBadCiphertext
	}
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	ct, err := cbcEncrypt(shared[32:], iv, plaintext)
	if err != nil {
		return nil, err
	}
	return append(iv, ct...), nil
}

func (protocolTwo) decrypt(shared, ciphertext []byte) ([]byte, error) {
	if len(shared) != 64 || len(ciphertext) < aes.BlockSize {
		return nil, errBadCiphertext
	}
	return cbcDecrypt(shared[32:], ciphertext[:aes.BlockSize], ciphertext[aes.BlockSize:])
}

// authenticate: full 32-byte HMAC-SHA-256, keyed with the HMAC half of the shared secret or
// with the whole (32-byte) pinUvAuthToken; both are key[:32].
func (protocolTwo) authenticate(key, message []byte) []byte {
	return hmacSHA256(key[:32], message)
}

func (k *Key) protocol(p *uint64) (pinProtocol, error) {
	if p == nil {
		return nil, statusMissingParameter
	}
	switch *p {
	case 1:
		return protocolOne{}, nil
	case 2:
		return protocolTwo{}, nil
	}
	return nil, statusInvalidParameter
}

// verify checks a pinUvAuthParam in constant time (CTAP 2.1 §6.5.6/§6.5.7 verify()).
func verify(p pinProtocol, key, message, signature []byte) bool {
	want := p.authenticate(key, message)
	return len(signature) == len(want) && subtle.ConstantTimeCompare(want, signature) == 1
}

func hmacSHA256(key, message []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(message)
	return m.Sum(nil)
}

func cbcEncrypt(key, iv, plaintext []byte) ([]byte, error) {
	if len(plaintext)%aes.BlockSize != 0 {
		return nil, errBadCiphertext
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(plaintext))
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, plaintext)
	return out, nil
}

func cbcDecrypt(key, iv, ciphertext []byte) ([]byte, error) {
	if len(ciphertext) == 0 || len(ciphertext)%aes.BlockSize != 0 {
		return nil, errBadCiphertext
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(b, iv).CryptBlocks(out, ciphertext)
	return out, nil
}

// clientPINParams is the authenticatorClientPIN request (CTAP 2.1 §6.5.5).
type clientPINParams struct {
	PinUvAuthProtocol *uint64  `cbor:"1,keyasint"`
	SubCommand        *uint64  `cbor:"2,keyasint"`
	KeyAgreement      *coseKey `cbor:"3,keyasint"`
	PinUvAuthParam    []byte   `cbor:"4,keyasint"`
	NewPinEnc         []byte   `cbor:"5,keyasint"`
	PinHashEnc        []byte   `cbor:"6,keyasint"`
	Permissions       *uint64  `cbor:"9,keyasint"`
	RPID              *string  `cbor:"10,keyasint"`
}

type clientPINResponse struct {
	KeyAgreement    *coseKey `cbor:"1,keyasint,omitempty"`
	PinUvAuthToken  []byte   `cbor:"2,keyasint,omitempty"`
	PinRetries      *int     `cbor:"3,keyasint,omitempty"`
	PowerCycleState *bool    `cbor:"4,keyasint,omitempty"`
	UVRetries       *int     `cbor:"5,keyasint,omitempty"`
}

// clientPIN is authenticatorClientPIN (0x06).
func (k *Key) clientPIN(req *request, raw []byte) (any, error) {
	var p clientPINParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	if p.SubCommand == nil {
		return nil, statusMissingParameter
	}
	switch *p.SubCommand {
	case pinGetRetries:
		return k.getPINRetries()
	case pinGetKeyAgreement:
		return k.getKeyAgreement(&p)
	case pinSetPIN:
		return k.setPIN(&p)
	case pinChangePIN:
		return k.changePIN(&p)
	case pinGetPinToken:
		return k.getPinToken(&p, false)
	case pinGetTokenUsingPINWithPerms:
		return k.getPinToken(&p, true)
	case pinGetTokenUsingUVWithPerms:
		return k.getUVToken(req, &p)
	case pinGetUVRetries:
		return k.getUVRetries()
	}
	return nil, statusInvalidSubcommand
}

// getPINRetries (CTAP 2.1 §6.5.5, subcommand 0x01): pinRetries and powerCycleState.
func (k *Key) getPINRetries() (any, error) {
	retries := k.st.PINRetries
	cycle := k.pin.mismatches >= pinAuthBlockedAfter
	return clientPINResponse{PinRetries: &retries, PowerCycleState: &cycle}, nil
}

// getKeyAgreement (CTAP 2.1 §6.5.5, subcommand 0x02). The key agreement key lives until the
// next power cycle or PIN mismatch.
func (k *Key) getKeyAgreement(p *clientPINParams) (any, error) {
	if _, err := k.protocol(p.PinUvAuthProtocol); err != nil {
		return nil, err
	}
	key := keyAgreementCOSE(k.pin.keyAgreement.PublicKey())
	return clientPINResponse{KeyAgreement: &key}, nil
}

// decapsulate is CTAP 2.1 §6.5.6 decapsulate(): ECDH with the platform's key, then the
// protocol's KDF. A malformed key is CTAP1_ERR_INVALID_PARAMETER.
func (k *Key) decapsulate(p pinProtocol, platform *coseKey) ([]byte, error) {
	pub, err := platform.ecdhPublicKey()
	if err != nil {
		return nil, statusInvalidParameter
	}
	z, err := k.pin.keyAgreement.ECDH(pub)
	if err != nil {
		return nil, statusInvalidParameter
	}
	defer clear(z)
	return p.kdf(z)
}

// setPIN (CTAP 2.1 §6.5.5, subcommand 0x03). The step numbers are those of the spec's
// "Setting a new PIN" algorithm.
func (k *Key) setPIN(p *clientPINParams) (any, error) {
	// Step 1: mandatory parameters.
	if p.PinUvAuthProtocol == nil || p.KeyAgreement == nil || p.PinUvAuthParam == nil || p.NewPinEnc == nil {
		return nil, statusMissingParameter
	}
	// Step 2.
	proto, err := k.protocol(p.PinUvAuthProtocol)
	if err != nil {
		return nil, err
	}
	// Step 3: a PIN is already set.
	if k.st.pinSet() {
		return nil, statusNotAllowed
	}
	// Step 4.
	shared, err := k.decapsulate(proto, p.KeyAgreement)
	if err != nil {
		return nil, err
	}
	defer clear(shared)
	// Step 5: verify(shared secret, newPinEnc, pinUvAuthParam).
	if !verify(proto, shared, p.NewPinEnc, p.PinUvAuthParam) {
		return nil, statusPinAuthInvalid
	}
	// Steps 6-11, and pinRetries set to the maximum.
	if err := k.saveNewPIN(proto, shared, p.NewPinEnc, func(next *state) error {
		next.PINRetries = maxPINRetries
		return nil
	}); err != nil {
		return nil, err
	}
	k.pin.mismatches = 0
	return nil, nil
}

// saveNewPIN is how setPIN and changePIN end (CTAP 2.1 §6.5.5 setPIN steps 6-11): newPinEnc
// decrypted and checked against the current minimum PIN length (steps 6-10, newPINHash), then
// LEFT(SHA-256(newPin), 16) stored with the PIN's length in code points (for setMinPINLength,
// §6.11.4) and what else the subcommand changes (also, which sees the new PIN's hash in
// next.PINHash and the key's state before in k.st, and may refuse: nothing is stored then).
func (k *Key) saveNewPIN(proto pinProtocol, shared, newPinEnc []byte, also func(next *state) error) error {
	hash, length, err := newPINHash(proto, shared, newPinEnc, k.st.minPINLength())
	if err != nil {
		return err
	}
	return k.update(func(next *state) error {
		next.PINHash, next.PINLength = hash, length
		return also(next)
	})
}

// changePIN (CTAP 2.1 §6.5.5, subcommand 0x04), following the spec's "Changing existing PIN"
// algorithm.
func (k *Key) changePIN(p *clientPINParams) (any, error) {
	// Mandatory parameters.
	if p.PinUvAuthProtocol == nil || p.KeyAgreement == nil || p.PinUvAuthParam == nil ||
		p.NewPinEnc == nil || p.PinHashEnc == nil {
		return nil, statusMissingParameter
	}
	proto, err := k.protocol(p.PinUvAuthProtocol)
	if err != nil {
		return nil, err
	}
	// A PIN to change, not blocked.
	if err := k.pinUsable(); err != nil {
		return nil, err
	}
	shared, err := k.decapsulate(proto, p.KeyAgreement)
	if err != nil {
		return nil, err
	}
	defer clear(shared)
	// verify(shared secret, newPinEnc || pinHashEnc, pinUvAuthParam).
	msg := append(append([]byte{}, p.NewPinEnc...), p.PinHashEnc...)
	if !verify(proto, shared, msg, p.PinUvAuthParam) {
		return nil, statusPinAuthInvalid
	}
	// The current PIN: retries down, compare, retries back up.
	if err := k.checkPINHash(proto, shared, p.PinHashEnc); err != nil {
		return nil, err
	}
	// The new PIN, checked and stored as for setPIN.
	if err := k.saveNewPIN(proto, shared, p.NewPinEnc, func(next *state) error {
		// While forcePINChange is set (§6.11.4), the new PIN must differ from the current one.
		if next.ForcePINChange && subtle.ConstantTimeCompare(next.PINHash, k.st.PINHash) == 1 {
			return statusPinPolicyViolation
		}
		// A changed PIN clears forcePINChange.
		next.ForcePINChange = false
		return nil
	}); err != nil {
		return nil, err
	}
	// resetPinUvAuthToken(): tokens issued before stop working.
	return nil, k.resetToken()
}

// getPinToken is getPinToken (0x05) and, withPermissions,
// getPinUvAuthTokenUsingPinWithPermissions (0x09) (CTAP 2.1 §6.5.5.7).
func (k *Key) getPinToken(p *clientPINParams, withPermissions bool) (any, error) {
	// Mandatory parameters.
	if p.PinUvAuthProtocol == nil || p.KeyAgreement == nil || p.PinHashEnc == nil {
		return nil, statusMissingParameter
	}
	if withPermissions && p.Permissions == nil {
		return nil, statusMissingParameter
	}
	proto, err := k.protocol(p.PinUvAuthProtocol)
	if err != nil {
		return nil, err
	}
	// getPinToken gets the default permissions mc and ga; 0x09 gets what it asks for: not
	// nothing (CTAP1_ERR_INVALID_PARAMETER), and only permissions whose feature this key has
	// (CTAP2_ERR_UNAUTHORIZED_PERMISSION).
	perms := permMakeCredential | permGetAssertion
	rpID := ""
	if withPermissions {
		if *p.Permissions == 0 || *p.Permissions > 0xff {
			return nil, statusInvalidParameter
		}
		perms = byte(*p.Permissions)
		if perms&^k.authorisedPermissions() != 0 {
			return nil, statusUnauthorizedPermission
		}
		if p.RPID != nil {
			rpID = *p.RPID
		}
	}
	if err := k.pinUsable(); err != nil {
		return nil, err
	}
	shared, err := k.decapsulate(proto, p.KeyAgreement)
	if err != nil {
		return nil, err
	}
	defer clear(shared)
	if err := k.checkPINHash(proto, shared, p.PinHashEnc); err != nil {
		return nil, err
	}
	// §6.5.5.7: while forcePINChange is set (§6.11.4), a right PIN still gets no token: the
	// platform must change the PIN first.
	if k.st.ForcePINChange {
		return nil, statusPinPolicyViolation
	}
	// resetPinUvAuthToken() then beginUsingPinUvAuthToken(userIsPresent: false).
	if err := k.resetToken(); err != nil {
		return nil, err
	}
	k.pin.token.protocol = *p.PinUvAuthProtocol
	k.pin.token.inUse = true
	k.pin.token.permissions = perms
	k.pin.token.rpID = rpID
	k.pin.token.issued = k.clock()
	enc, err := proto.encrypt(shared, k.pin.token.value)
	if err != nil {
		return nil, err
	}
	return clientPINResponse{PinUvAuthToken: enc}, nil
}

// authorisedPermissions: mc and ga always; the others only when the command they unlock is
// in the command table (credential management, bio enrollment, large blobs, config).
func (k *Key) authorisedPermissions() byte {
	perms := permMakeCredential | permGetAssertion
	for cmd, perm := range map[byte]byte{
		cborCredentialManagement: permCredentialManagement,
		cborBioEnrollment:        permBioEnrollment,
		cborLargeBlobs:           permLargeBlobWrite,
		cborAuthenticatorConfig:  permAuthenticatorConfig,
	} {
		if _, ok := k.commands[cmd]; ok {
			perms |= perm
		}
	}
	return perms
}

// pinUsable: a PIN must be set, not blocked, and not auth-blocked until a power cycle
// (CTAP 2.1 §6.5.5: CTAP2_ERR_PIN_NOT_SET, CTAP2_ERR_PIN_BLOCKED, CTAP2_ERR_PIN_AUTH_BLOCKED).
func (k *Key) pinUsable() error {
	if !k.st.pinSet() {
		return statusPinNotSet
	}
	if k.st.PINRetries == 0 {
		return statusPinBlocked
	}
	if k.pin.mismatches >= pinAuthBlockedAfter {
		return statusPinAuthBlocked
	}
	return nil
}

// checkPINHash decrements pinRetries, then compares the platform's LEFT(SHA-256(PIN), 16)
// with the stored one (CTAP 2.1 §6.5.5.7, getPinToken). The decrement is saved before the
// comparison, so pulling the key out mid-way cannot give a free guess.
func (k *Key) checkPINHash(proto pinProtocol, shared, pinHashEnc []byte) error {
	if err := k.update(func(next *state) error { next.PINRetries--; return nil }); err != nil {
		return err
	}
	got, err := proto.decrypt(shared, pinHashEnc)
	if err != nil {
		return statusInvalidParameter
	}
	defer clear(got)
	// RefuseNextPIN: this check fails as a wrong PIN does, after the same decrement.
	refused := k.refusePIN
	k.refusePIN = false
	if refused || len(got) != 16 || subtle.ConstantTimeCompare(got, k.st.PINHash) != 1 {
		// A mismatch regenerates the key agreement key, then: no retries left is
		// PIN_BLOCKED, the third mismatch in a row PIN_AUTH_BLOCKED, else PIN_INVALID.
		if err := k.regenerateKeyAgreement(); err != nil {
			return err
		}
		k.pin.mismatches++
		switch {
		case k.st.PINRetries == 0:
			return statusPinBlocked
		case k.pin.mismatches >= pinAuthBlockedAfter:
			return statusPinAuthBlocked
		}
		return statusPinInvalid
	}
	k.pin.mismatches = 0
	// The right PIN also gives built-in user verification its tries back (uvRetries).
	return k.update(func(next *state) error {
		next.PINRetries = maxPINRetries
		next.UVFailures = 0
		return nil
	})
}

// newPINHash decrypts newPinEnc and applies the PIN policy (CTAP 2.1 §6.5.5 setPIN steps 6-10)
// with minRunes as the minimum length. It returns LEFT(SHA-256(newPin), 16) and the PIN's length
// in code points; the PIN itself is wiped.
func newPINHash(proto pinProtocol, shared, newPinEnc []byte, minRunes int) ([]byte, int, error) {
	padded, err := proto.decrypt(shared, newPinEnc)
	if err != nil {
		return nil, 0, statusInvalidParameter
	}
	defer clear(padded)
	switch {
	case len(padded) == paddedPINLength:
	case len(padded) > paddedPINLength && len(padded)%paddedPINLength == 0:
		// Step 7 asks for CTAP1_ERR_INVALID_PARAMETER when paddedNewPin is not 64 bytes. But
		// libfido2 pads a PIN of 64 bytes or more to the next multiple of 64, so this can only be
		// a PIN that is too long: answer with the policy error the app can explain.
		return nil, 0, statusPinPolicyViolation
	default:
		return nil, 0, statusInvalidParameter
	}
	// Step 8: drop the trailing 0x00 padding.
	n := len(padded)
	for n > 0 && padded[n-1] == 0 {
		n--
	}
	pin := padded[:n]
	// Steps 9-10: at least minPINLength code points, at most 63 bytes.
	runes := utf8.RuneCount(pin)
	if runes < minRunes || len(pin) > maxPINBytes {
		return nil, 0, statusPinPolicyViolation
	}
	sum := sha256.Sum256(pin)
	defer clear(sum[:])
	return append([]byte(nil), sum[:16]...), runes, nil
}

// regenerateKeyAgreement is regenerate() (CTAP 2.1 §6.5.6): a new key agreement key pair.
func (k *Key) regenerateKeyAgreement() error {
	ka, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	k.pin.keyAgreement = ka
	return nil
}

// resetToken is resetPinUvAuthToken() (CTAP 2.1 §6.5.6): a new random token, not in use, with
// no permissions. Any token handed out before stops working.
func (k *Key) resetToken() error {
	v := make([]byte, 32)
	if _, err := rand.Read(v); err != nil {
		return err
	}
	clear(k.pin.token.value)
	k.pin.token = pinToken{value: v}
	return nil
}

// resetPINVolatile is what authenticatorReset does to the PIN/UV auth state.
func (k *Key) resetPINVolatile() error {
	if err := k.regenerateKeyAgreement(); err != nil {
		return err
	}
	k.pin.mismatches = 0
	return k.resetToken()
}

// checkPinUvAuthParam validates a makeCredential/getAssertion pinUvAuthParam against the
// current token (CTAP 2.1 §6.1.2 step 11, and the same step of §6.2.2): the HMAC of
// clientDataHash, the token in use and not expired, the permission, and the RP ID binding. Every failure is
// CTAP2_ERR_PIN_AUTH_INVALID. On success the token is bound to rpID if it was not bound yet.
func (k *Key) checkPinUvAuthParam(protocol uint64, cdh, param []byte, perm byte, rpID string) error {
	t := &k.pin.token
	if err := k.checkToken(protocol, cdh, param, perm); err != nil {
		return err
	}
	if t.rpID != "" && t.rpID != rpID {
		return statusPinAuthInvalid
	}
	t.rpID = rpID
	return nil
}

// checkToken verifies a pinUvAuthParam over message with the current pinUvAuthToken and checks
// the token's state and permission (CTAP 2.1 §6.5.2 and the "verify(pinUvAuthToken, ...)" steps of
// every command that takes one). Every failure is CTAP2_ERR_PIN_AUTH_INVALID, except an unknown
// protocol (CTAP1_ERR_INVALID_PARAMETER).
func (k *Key) checkToken(protocol uint64, message, param []byte, perm byte) error {
	t := &k.pin.token
	proto, err := k.protocol(&protocol)
	if err != nil {
		return err
	}
	if t.value == nil || !t.inUse || t.protocol != protocol {
		return statusPinAuthInvalid
	}
	if k.clock().Sub(t.issued) > tokenMaxUsage {
		// §6.5.2: the token stops being usable after its maximum usage period.
		t.inUse = false
		return statusPinAuthInvalid
	}
	if !verify(proto, t.value, message, param) {
		return statusPinAuthInvalid
	}
	if t.permissions&perm == 0 {
		return statusPinAuthInvalid
	}
	return nil
}

// requireToken is the common start of the commands that always need a pinUvAuthToken
// (credential management §6.8, bio enrollment §6.7, and authenticatorConfig §6.11 once the
// key is protected): no pinUvAuthParam is CTAP2_ERR_PUAT_REQUIRED, no protocol
// CTAP2_ERR_MISSING_PARAMETER, then checkToken.
func (k *Key) requireToken(protocol *uint64, message, param []byte, perm byte) error {
	if param == nil {
		return statusPUATRequired
	}
	if protocol == nil {
		return statusMissingParameter
	}
	return k.checkToken(*protocol, message, param, perm)
}

// tokenUsed is clearUserPresentFlag(), clearUserVerifiedFlag() and
// clearPinUvAuthTokenPermissionsExceptLbw() after a successful use with a touch (CTAP 2.1
// §6.1.2 step 14, and the user presence step of §6.2.2): one token, one ceremony.
func (k *Key) tokenUsed() {
	k.pin.token.permissions &= permLargeBlobWrite
	k.pin.token.presence = nil
}

// presenceFor is the user presence step of makeCredential and getAssertion (CTAP 2.1 §6.1.2
// step 14, §6.2.2): a token from built-in user verification already carries the user's presence
// (getUserPresentFlagValue()), which is used once; otherwise the user must touch the key.
// makingCredential: the command is a makeCredential (checkPresence).
func (k *Key) presenceFor(req *request, withToken, makingCredential bool) (presence, error) {
	if withToken && k.pin.token.presence != nil {
		pres := *k.pin.token.presence
		k.pin.token.presence = nil
		return pres, nil
	}
	return k.checkPresence(req, makingCredential)
}

// pinUvAuthParamSteps are steps 1 and 2 of authenticatorMakeCredential (CTAP 2.1 §6.1.2)
// and of authenticatorGetAssertion (§6.2.2), the same in both: a zero-length pinUvAuthParam
// asks for a touch only (zeroLengthPinUvAuthParam, which always refuses after it), and a
// pinUvAuthParam needs a pinUvAuthProtocol this key supports.
func (k *Key) pinUvAuthParamSteps(req *request, param []byte, protocol *uint64) error {
	if param == nil {
		return nil
	}
	if len(param) == 0 {
		return k.zeroLengthPinUvAuthParam(req)
	}
	_, err := k.protocol(protocol)
	return err
}

// zeroLengthPinUvAuthParam is CTAP 2.1 §6.1.2 step 1 / §6.2.2 step 1: a platform asking the
// user to pick this key by touching it (libfido2's fido_dev_get_touch_begin).
func (k *Key) zeroLengthPinUvAuthParam(req *request) error {
	if _, err := k.userPresence(req); err != nil {
		return err
	}
	if k.st.pinSet() {
		return statusPinInvalid
	}
	return statusPinNotSet
}
