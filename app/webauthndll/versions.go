package webauthndll

// structVersions are the structure versions one API version of webauthn.dll understands, as
// webauthn.h's version notes list them ("Data Structures and their sub versions"). The caller
// writes these in dwVersion; the DLL writes its own in what it returns.
type structVersions struct {
	api               uint32 // WebAuthNGetApiVersionNumber
	makeCredential    uint32 // WEBAUTHN_AUTHENTICATOR_MAKE_CREDENTIAL_OPTIONS
	getAssertion      uint32 // WEBAUTHN_AUTHENTICATOR_GET_ASSERTION_OPTIONS
	attestation       uint32 // WEBAUTHN_CREDENTIAL_ATTESTATION it returns
	assertion         uint32 // WEBAUTHN_ASSERTION it returns
	credentialDetails uint32 // WEBAUTHN_CREDENTIAL_DETAILS; 0: no WebAuthNGetPlatformCredentialList
}

// knownVersions is webauthn.h's table, API versions 1 to 9.
var knownVersions = [...]structVersions{
	{api: 1, makeCredential: 3, getAssertion: 4, attestation: 3, assertion: 1},
	{api: 2, makeCredential: 3, getAssertion: 4, attestation: 3, assertion: 1}, // credProtect only
	{api: 3, makeCredential: 4, getAssertion: 5, attestation: 4, assertion: 2},
	{api: 4, makeCredential: 5, getAssertion: 6, attestation: 4, assertion: 3, credentialDetails: 1},
	{api: 5, makeCredential: 5, getAssertion: 6, attestation: 4, assertion: 3, credentialDetails: 2},
	{api: 6, makeCredential: 6, getAssertion: 6, attestation: 5, assertion: 4, credentialDetails: 2},
	{api: 7, makeCredential: 7, getAssertion: 7, attestation: 6, assertion: 5, credentialDetails: 2},
	{api: 8, makeCredential: 8, getAssertion: 8, attestation: 7, assertion: 5, credentialDetails: 3},
	{api: 9, makeCredential: 9, getAssertion: 9, attestation: 8, assertion: 6, credentialDetails: 4},
}

// negotiate picks the structure versions for the DLL's API version. A newer DLL than this
// package knows still reads the newest layouts we know: every structure keeps its older
// versions' fields in place and tells them apart by dwVersion. 0 means the DLL answered
// nothing usable.
func negotiate(api uint32) (structVersions, bool) {
	if api == 0 {
		return structVersions{}, false
	}
	if int(api) > len(knownVersions) {
		v := knownVersions[len(knownVersions)-1]
		v.api = api
		return v, true
	}
	return knownVersions[api-1], true
}

// Features, by API version.

// hasPlatformCredentials: WebAuthNGetPlatformCredentialList and WebAuthNDeletePlatformCredential
// (webauthn.h v4).
func (v structVersions) hasPlatformCredentials() bool { return v.credentialDetails > 0 }

// hasHybrid: the hybrid transport ("Use a different phone or tablet") is named from
// webauthn.h v6 on (WEBAUTHN_CTAP_TRANSPORT_HYBRID).
func (v structVersions) hasHybrid() bool { return v.api >= 6 }

// hasHints: the options carry PublicKeyCredentialHints (WebAuthn L3 §5.8.7) from
// make-credential options 8 and get-assertion options 8 (webauthn.h v8).
func (v structVersions) hasCreateHints() bool { return v.makeCredential >= 8 }
func (v structVersions) hasGetHints() bool    { return v.getAssertion >= 8 }
