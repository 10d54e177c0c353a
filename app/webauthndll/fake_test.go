package webauthndll

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"testing"
	"unsafe"

	"github.com/fxamacker/cbor/v2"
)

// fakeWebAuthnDLL stands in for webauthn.dll, which cannot run on Linux. It reads the
// arguments as the DLL does, only as far as the dwVersion the caller wrote (so a field set
// beyond that version is not seen, as it would not be on Windows), records what it read, and
// answers with structures of the version it is told to, whose newer fields hold poison that a
// reader honouring dwVersion never looks at.
type fakeWebAuthnDLL struct {
	t       *testing.T
	version uint32 // WebAuthNGetApiVersionNumber
	uvpaa   bool

	// What the next call answers.
	failWith          uint32 // an HRESULT, 0 for success
	attestationVer    uint32
	usedTransport     uint32
	transports        uint32 // dwTransports, attestation version 8
	assertionVer      uint32
	blockUntilCancel  bool
	platform          []fakePlatformCredential
	credentialDetails uint32

	mu        sync.Mutex
	cancelled chan guid
	nextID    uint32
	seen      seenCall
	calls     int
	freed     map[unsafe.Pointer]int
	handedOut map[unsafe.Pointer]bool
	deleted   [][]byte
	keep      []any // Go memory the answers point into
}

type fakePlatformCredential struct {
	id, userID     []byte
	rpID, userName string
}

// seenCall is what the fake read from the last make-credential or get-assertion call.
type seenCall struct {
	hwnd                      uintptr
	optionsVersion            uint32
	rpID, rpName              string
	userID                    []byte
	userName, userDisplayName string
	algs                      []int32
	clientDataJSON            []byte
	hashAlg                   string
	timeoutMS                 uint32
	attachment                uint32
	requireRK, preferRK       bool
	uv                        uint32
	cancelID                  *guid
	list                      [][]byte // exclude or allow list, from wherever the version puts it
	listFromCredentialListEx  bool
	hints                     []string
}

func newFakeDLL(t *testing.T, version uint32) *fakeWebAuthnDLL {
	f := &fakeWebAuthnDLL{t: t, version: version, uvpaa: true, cancelled: make(chan guid, 1),
		freed: map[unsafe.Pointer]int{}, handedOut: map[unsafe.Pointer]bool{}}
	if v, ok := negotiate(version); ok {
		f.attestationVer, f.assertionVer, f.credentialDetails = v.attestation, v.assertion, v.credentialDetails
	}
	return f
}

func (f *fakeWebAuthnDLL) fail(op string) error {
	return &Error{Op: op, HRESULT: f.failWith, Name: documentedErrorName(f.failWith)}
}

func (f *fakeWebAuthnDLL) apiVersion() uint32 { return f.version }

func (f *fakeWebAuthnDLL) isUserVerifyingPlatformAuthenticatorAvailable() (bool, error) {
	return f.uvpaa, nil
}

func (f *fakeWebAuthnDLL) getCancellationID() (guid, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	return guid{Data1: f.nextID, Data4: [8]byte{0xca, 0xfe}}, nil
}

func (f *fakeWebAuthnDLL) cancelCurrentOperation(id *guid) error {
	select {
	case f.cancelled <- *id:
	default:
	}
	return nil
}

// wait blocks like the Windows dialog until the operation with id is cancelled.
func (f *fakeWebAuthnDLL) wait(id *guid) error {
	if !f.blockUntilCancel {
		return nil
	}
	got := <-f.cancelled
	if id == nil || got != *id {
		f.t.Errorf("cancelled %v, the operation's ID is %v", got, id)
	}
	return &Error{Op: "wait", HRESULT: hrNTEUserCancelled, Name: "NotAllowedError"}
}

func (f *fakeWebAuthnDLL) makeCredential(hwnd uintptr, c *makeCredentialCall) (*credentialAttestation, error) {
	f.calls++
	o := &c.options
	s := seenCall{hwnd: hwnd, optionsVersion: o.dwVersion}
	s.rpID, s.rpName = goString(c.rp.pwszId), goString(c.rp.pwszName)
	s.userID = fakeBytes(c.user.pbId, c.user.cbId)
	s.userName, s.userDisplayName = goString(c.user.pwszName), goString(c.user.pwszDisplayName)
	for _, p := range unsafe.Slice(c.params.pCredentialParameters, c.params.cCredentialParameters) {
		if goString(p.pwszCredentialType) == "public-key" {
			s.algs = append(s.algs, p.lAlg)
		}
	}
	s.clientDataJSON, s.hashAlg = fakeBytes(c.client.pbClientDataJSON, c.client.cbClientDataJSON), goString(c.client.pwszHashAlgId)
	s.timeoutMS, s.attachment, s.uv = o.dwTimeoutMilliseconds, o.dwAuthenticatorAttachment, o.dwUserVerificationRequirement
	s.requireRK = o.bRequireResidentKey != 0
	if o.dwVersion >= 2 {
		s.cancelID = o.pCancellationId
	}
	if o.dwVersion >= 3 && o.pExcludeCredentialList != nil {
		s.list, s.listFromCredentialListEx = readFakeCredentialList(o.pExcludeCredentialList), true
	} else {
		s.list = readFakeCredentials(o.CredentialList)
	}
	if o.dwVersion >= 4 {
		s.preferRK = o.bPreferResidentKey != 0
	}
	if o.dwVersion >= 8 {
		s.hints = readFakeHints(o.cCredentialHints, o.ppwszCredentialHints)
	}
	f.seen = s
	if err := f.wait(s.cancelID); err != nil {
		return nil, err
	}
	if f.failWith != 0 {
		return nil, f.fail("WebAuthNAuthenticatorMakeCredential")
	}
	return f.newAttestation(s.rpID), nil
}

func (f *fakeWebAuthnDLL) getAssertion(hwnd uintptr, c *getAssertionCall) (*assertion, error) {
	f.calls++
	o := &c.options
	s := seenCall{hwnd: hwnd, optionsVersion: o.dwVersion, rpID: goString(c.rpID)}
	s.clientDataJSON, s.hashAlg = fakeBytes(c.client.pbClientDataJSON, c.client.cbClientDataJSON), goString(c.client.pwszHashAlgId)
	s.timeoutMS, s.attachment, s.uv = o.dwTimeoutMilliseconds, o.dwAuthenticatorAttachment, o.dwUserVerificationRequirement
	if o.dwVersion >= 3 {
		s.cancelID = o.pCancellationId
	}
	if o.dwVersion >= 4 && o.pAllowCredentialList != nil {
		s.list, s.listFromCredentialListEx = readFakeCredentialList(o.pAllowCredentialList), true
	} else {
		s.list = readFakeCredentials(o.CredentialList)
	}
	if o.dwVersion >= 8 {
		s.hints = readFakeHints(o.cCredentialHints, o.ppwszCredentialHints)
	}
	f.seen = s
	if err := f.wait(s.cancelID); err != nil {
		return nil, err
	}
	if f.failWith != 0 {
		return nil, f.fail("WebAuthNAuthenticatorGetAssertion")
	}
	return f.newAssertion(s.list), nil
}

func (f *fakeWebAuthnDLL) freeCredentialAttestation(a *credentialAttestation) {
	f.free(unsafe.Pointer(a))
}

func (f *fakeWebAuthnDLL) freeAssertion(a *assertion) { f.free(unsafe.Pointer(a)) }

func (f *fakeWebAuthnDLL) freePlatformCredentialList(l *credentialDetailsList) {
	f.free(unsafe.Pointer(l))
}

func (f *fakeWebAuthnDLL) free(p unsafe.Pointer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.handedOut[p] {
		f.t.Errorf("freed %p, which the DLL never returned", p)
	}
	f.freed[p]++
}

func (f *fakeWebAuthnDLL) handOut(p unsafe.Pointer, keep ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handedOut[p] = true
	f.keep = append(f.keep, keep...)
}

// checkFreedOnce fails the test unless every answer the fake gave was freed exactly once.
func (f *fakeWebAuthnDLL) checkFreedOnce() {
	f.t.Helper()
	for p := range f.handedOut {
		if n := f.freed[p]; n != 1 {
			f.t.Errorf("answer %p freed %d times, want once", p, n)
		}
	}
}

func (f *fakeWebAuthnDLL) getPlatformCredentialList(o *getCredentialsOptions) (*credentialDetailsList, error) {
	if o.dwVersion != 1 {
		f.t.Errorf("WEBAUTHN_GET_CREDENTIALS_OPTIONS version %d, webauthn.h has 1", o.dwVersion)
	}
	rpID := goString(o.pwszRpId)
	var ptrs []*credentialDetails
	for _, c := range f.platform {
		if rpID != "" && c.rpID != rpID {
			continue
		}
		d := &credentialDetails{dwVersion: f.credentialDetails, bRemovable: 1,
			pRpInformation:   &rpEntityInformation{dwVersion: 1, pwszId: mustUTF16z(c.rpID), pwszName: mustUTF16z("NHS login passkeys")},
			pUserInformation: &userEntityInformation{dwVersion: 1, pwszName: mustUTF16z(c.userName), pwszDisplayName: mustUTF16z(c.userName)},
			bBackedUp:        1, pwszAuthenticatorName: mustUTF16z("Windows Hello")}
		d.pbCredentialID, d.cbCredentialID = cBytes(c.id)
		d.pUserInformation.pbId, d.pUserInformation.cbId = cBytes(c.userID)
		if f.credentialDetails < 2 {
			d.bBackedUp = 0x7eadbeef // poison: not part of version 1
		}
		if f.credentialDetails < 3 {
			d.pwszAuthenticatorName = mustUTF16z("poison")
		}
		ptrs = append(ptrs, d)
	}
	if len(ptrs) == 0 {
		return nil, &Error{Op: "WebAuthNGetPlatformCredentialList", HRESULT: hrNTENotFound, Name: "NotAllowedError"}
	}
	l := &credentialDetailsList{cCredentialDetails: uint32(len(ptrs)), ppCredentialDetails: &ptrs[0]}
	f.handOut(unsafe.Pointer(l), ptrs)
	return l, nil
}

func (f *fakeWebAuthnDLL) deletePlatformCredential(id []byte) error {
	f.deleted = append(f.deleted, append([]byte(nil), id...))
	return nil
}

// newAttestation answers with a real ES256 credential for rpID, at f.attestationVer.
func (f *fakeWebAuthnDLL) newAttestation(rpID string) *credentialAttestation {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.t.Fatal(err)
	}
	id := []byte("credential-id-from-windows")
	authData := fakeAuthData(f.t, rpID, id, key)
	attObj, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": authData})
	if err != nil {
		f.t.Fatal(err)
	}
	a := &credentialAttestation{dwVersion: f.attestationVer, pwszFormatType: mustUTF16z("none")}
	a.pbAuthenticatorData, a.cbAuthenticatorData = cBytes(authData)
	a.pbAttestationObject, a.cbAttestationObject = cBytes(attObj)
	a.pbCredentialId, a.cbCredentialId = cBytes(id)
	a.dwUsedTransport, a.dwTransports = 0xffffffff, 0xffffffff // poison unless the version has them
	if f.attestationVer >= 3 {
		a.dwUsedTransport = f.usedTransport
	}
	if f.attestationVer >= 8 {
		a.dwTransports = f.transports
	}
	f.handOut(unsafe.Pointer(a), authData, attObj, id)
	return a
}

// newAssertion answers for the first allowed credential (or a discoverable one).
func (f *fakeWebAuthnDLL) newAssertion(allow [][]byte) *assertion {
	id := []byte("discoverable")
	if len(allow) > 0 {
		id = allow[0]
	}
	authData := make([]byte, 37)
	authData[32] = 0x05 // UP | UV
	sig, user := []byte("signature"), []byte("user-handle")
	a := &assertion{dwVersion: f.assertionVer, dwUsedTransport: 0xffffffff}
	a.pbAuthenticatorData, a.cbAuthenticatorData = cBytes(authData)
	a.pbSignature, a.cbSignature = cBytes(sig)
	a.Credential = credential{dwVersion: 1, pwszCredentialType: mustUTF16z("public-key")}
	a.Credential.pbId, a.Credential.cbId = cBytes(id)
	a.pbUserId, a.cbUserId = cBytes(user)
	if f.assertionVer >= 4 {
		a.dwUsedTransport = f.usedTransport
	}
	f.handOut(unsafe.Pointer(a), authData, sig, user, id)
	return a
}

// fakeAuthData is authenticator data with attested credential data (WebAuthn L3 §6.1,
// §6.5.1) for an EC2 P-256 key in COSE_Key form (§6.4.1.1).
func fakeAuthData(t *testing.T, rpID string, id []byte, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	pub, err := key.PublicKey.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	raw := pub.Bytes() // 0x04 || X || Y
	cose, err := cbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:65]})
	if err != nil {
		t.Fatal(err)
	}
	rpHash := sha256.Sum256([]byte(rpID))
	out := append([]byte(nil), rpHash[:]...)
	out = append(out, 0x45)                // UP | UV | AT
	out = append(out, 0, 0, 0, 0)          // signCount
	out = append(out, make([]byte, 16)...) // AAGUID
	out = binary.BigEndian.AppendUint16(out, uint16(len(id)))
	out = append(out, id...)
	return append(out, cose...)
}

func fakeBytes(p *byte, n uint32) []byte {
	if p == nil {
		return nil
	}
	return append([]byte(nil), unsafe.Slice(p, n)...)
}

func readFakeCredentials(c credentials) [][]byte {
	var out [][]byte
	if c.pCredentials == nil {
		return nil
	}
	for _, cr := range unsafe.Slice(c.pCredentials, c.cCredentials) {
		out = append(out, fakeBytes(cr.pbId, cr.cbId))
	}
	return out
}

func readFakeCredentialList(l *credentialList) [][]byte {
	var out [][]byte
	for _, cr := range unsafe.Slice(l.ppCredentials, l.cCredentials) {
		out = append(out, fakeBytes(cr.pbId, cr.cbId))
	}
	return out
}

func readFakeHints(n uint32, p **uint16) []string {
	if p == nil {
		return nil
	}
	var out []string
	for _, h := range unsafe.Slice(p, n) {
		out = append(out, goString(h))
	}
	return out
}
