package webauthndll

import (
	"reflect"
	"testing"
	"unsafe"
)

// The offsets below are worked out by hand from webauthn.h (github.com/microsoft/webauthn,
// API version 9) for 64-bit Windows: DWORD/BOOL/LONG 4 bytes, pointers 8, each field aligned
// to its size, each structure's size a multiple of its largest field. They are written out
// rather than computed so that a field added, dropped or reordered in layout.go fails here.
// versionSizes is sizeof the structure as each of its versions defined it: the DLL reads
// that much of what it is given, and writes that much of what it returns.
var layouts = []struct {
	name         string
	typ          any
	size         uintptr
	offsets      map[string]uintptr
	versionSizes map[uint32]uintptr // version -> size; the last field of each is checked too
	lastField    map[uint32]string
}{
	{name: "GUID", typ: guid{}, size: 16, offsets: map[string]uintptr{"Data1": 0, "Data2": 4, "Data3": 6, "Data4": 8}},
	{name: "WEBAUTHN_RP_ENTITY_INFORMATION", typ: rpEntityInformation{}, size: 32,
		offsets: map[string]uintptr{"dwVersion": 0, "pwszId": 8, "pwszName": 16, "pwszIcon": 24}},
	{name: "WEBAUTHN_USER_ENTITY_INFORMATION", typ: userEntityInformation{}, size: 40,
		offsets: map[string]uintptr{"dwVersion": 0, "cbId": 4, "pbId": 8, "pwszName": 16, "pwszIcon": 24, "pwszDisplayName": 32}},
	{name: "WEBAUTHN_CLIENT_DATA", typ: clientData{}, size: 24,
		offsets: map[string]uintptr{"dwVersion": 0, "cbClientDataJSON": 4, "pbClientDataJSON": 8, "pwszHashAlgId": 16}},
	{name: "WEBAUTHN_COSE_CREDENTIAL_PARAMETER", typ: coseCredentialParameter{}, size: 24,
		offsets: map[string]uintptr{"dwVersion": 0, "pwszCredentialType": 8, "lAlg": 16}},
	{name: "WEBAUTHN_COSE_CREDENTIAL_PARAMETERS", typ: coseCredentialParameters{}, size: 16,
		offsets: map[string]uintptr{"cCredentialParameters": 0, "pCredentialParameters": 8}},
	{name: "WEBAUTHN_CREDENTIAL", typ: credential{}, size: 24,
		offsets: map[string]uintptr{"dwVersion": 0, "cbId": 4, "pbId": 8, "pwszCredentialType": 16}},
	{name: "WEBAUTHN_CREDENTIALS", typ: credentials{}, size: 16, offsets: map[string]uintptr{"cCredentials": 0, "pCredentials": 8}},
	{name: "WEBAUTHN_CREDENTIAL_EX", typ: credentialEx{}, size: 32,
		offsets: map[string]uintptr{"dwVersion": 0, "cbId": 4, "pbId": 8, "pwszCredentialType": 16, "dwTransports": 24}},
	{name: "WEBAUTHN_CREDENTIAL_LIST", typ: credentialList{}, size: 16, offsets: map[string]uintptr{"cCredentials": 0, "ppCredentials": 8}},
	{name: "WEBAUTHN_EXTENSIONS", typ: extensions{}, size: 16, offsets: map[string]uintptr{"cExtensions": 0, "pExtensions": 8}},
	{name: "WEBAUTHN_AUTHENTICATOR_MAKE_CREDENTIAL_OPTIONS", typ: makeCredentialOptions{}, size: 200,
		offsets: map[string]uintptr{
			"dwVersion": 0, "dwTimeoutMilliseconds": 4, "CredentialList": 8, "Extensions": 24,
			"dwAuthenticatorAttachment": 40, "bRequireResidentKey": 44, "dwUserVerificationRequirement": 48,
			"dwAttestationConveyancePreference": 52, "dwFlags": 56, "pCancellationId": 64,
			"pExcludeCredentialList": 72, "dwEnterpriseAttestation": 80, "dwLargeBlobSupport": 84,
			"bPreferResidentKey": 88, "bBrowserInPrivateMode": 92, "bEnablePrf": 96, "pLinkedDevice": 104,
			"cbJsonExt": 112, "pbJsonExt": 120, "pPRFGlobalEval": 128, "cCredentialHints": 136,
			"ppwszCredentialHints": 144, "bThirdPartyPayment": 152, "pwszRemoteWebOrigin": 160,
			"cbPublicKeyCredentialCreationOptionsJSON": 168, "pbPublicKeyCredentialCreationOptionsJSON": 176,
			"cbAuthenticatorId": 184, "pbAuthenticatorId": 192,
		},
		versionSizes: map[uint32]uintptr{1: 64, 2: 72, 3: 80, 4: 96, 5: 96, 6: 104, 7: 128, 8: 160, 9: 200},
		lastField: map[uint32]string{1: "dwFlags", 2: "pCancellationId", 3: "pExcludeCredentialList", 4: "bPreferResidentKey",
			5: "bBrowserInPrivateMode", 6: "bEnablePrf", 7: "pbJsonExt", 8: "bThirdPartyPayment", 9: "pbAuthenticatorId"},
	},
	{name: "WEBAUTHN_AUTHENTICATOR_GET_ASSERTION_OPTIONS", typ: getAssertionOptions{}, size: 200,
		offsets: map[string]uintptr{
			"dwVersion": 0, "dwTimeoutMilliseconds": 4, "CredentialList": 8, "Extensions": 24,
			"dwAuthenticatorAttachment": 40, "dwUserVerificationRequirement": 44, "dwFlags": 48,
			"pwszU2fAppId": 56, "pbU2fAppId": 64, "pCancellationId": 72, "pAllowCredentialList": 80,
			"dwCredLargeBlobOperation": 88, "cbCredLargeBlob": 92, "pbCredLargeBlob": 96,
			"pHmacSecretSaltValues": 104, "bBrowserInPrivateMode": 112, "pLinkedDevice": 120, "bAutoFill": 128,
			"cbJsonExt": 132, "pbJsonExt": 136, "cCredentialHints": 144, "ppwszCredentialHints": 152,
			"pwszRemoteWebOrigin": 160, "cbPublicKeyCredentialRequestOptionsJSON": 168,
			"pbPublicKeyCredentialRequestOptionsJSON": 176, "cbAuthenticatorId": 184, "pbAuthenticatorId": 192,
		},
		versionSizes: map[uint32]uintptr{1: 56, 2: 72, 3: 80, 4: 88, 5: 104, 6: 120, 7: 144, 8: 160, 9: 200},
		lastField: map[uint32]string{1: "dwFlags", 2: "pbU2fAppId", 3: "pCancellationId", 4: "pAllowCredentialList",
			5: "pbCredLargeBlob", 6: "bBrowserInPrivateMode", 7: "pbJsonExt", 8: "ppwszCredentialHints", 9: "pbAuthenticatorId"},
	},
	{name: "WEBAUTHN_CREDENTIAL_ATTESTATION", typ: credentialAttestation{}, size: 192,
		offsets: map[string]uintptr{
			"dwVersion": 0, "pwszFormatType": 8, "cbAuthenticatorData": 16, "pbAuthenticatorData": 24,
			"cbAttestation": 32, "pbAttestation": 40, "dwAttestationDecodeType": 48, "pvAttestationDecode": 56,
			"cbAttestationObject": 64, "pbAttestationObject": 72, "cbCredentialId": 80, "pbCredentialId": 88,
			"Extensions": 96, "dwUsedTransport": 112, "bEpAtt": 116, "bLargeBlobSupported": 120, "bResidentKey": 124,
			"bPrfEnabled": 128, "cbUnsignedExtensionOutputs": 132, "pbUnsignedExtensionOutputs": 136,
			"pHmacSecret": 144, "bThirdPartyPayment": 152, "dwTransports": 156, "cbClientDataJSON": 160,
			"pbClientDataJSON": 168, "cbRegistrationResponseJSON": 176, "pbRegistrationResponseJSON": 184,
		},
		versionSizes: map[uint32]uintptr{1: 96, 2: 112, 3: 120, 4: 128, 5: 136, 6: 144, 7: 160, 8: 192},
		lastField: map[uint32]string{1: "pbCredentialId", 2: "Extensions", 3: "dwUsedTransport", 4: "bResidentKey",
			5: "bPrfEnabled", 6: "pbUnsignedExtensionOutputs", 7: "bThirdPartyPayment", 8: "pbRegistrationResponseJSON"},
	},
	{name: "WEBAUTHN_ASSERTION", typ: assertion{}, size: 168,
		offsets: map[string]uintptr{
			"dwVersion": 0, "cbAuthenticatorData": 4, "pbAuthenticatorData": 8, "cbSignature": 16, "pbSignature": 24,
			"Credential": 32, "cbUserId": 56, "pbUserId": 64, "Extensions": 72, "cbCredLargeBlob": 88,
			"pbCredLargeBlob": 96, "dwCredLargeBlobStatus": 104, "pHmacSecret": 112, "dwUsedTransport": 120,
			"cbUnsignedExtensionOutputs": 124, "pbUnsignedExtensionOutputs": 128, "cbClientDataJSON": 136,
			"pbClientDataJSON": 144, "cbAuthenticationResponseJSON": 152, "pbAuthenticationResponseJSON": 160,
		},
		versionSizes: map[uint32]uintptr{1: 72, 2: 112, 3: 120, 4: 128, 5: 136, 6: 168},
		lastField: map[uint32]string{1: "pbUserId", 2: "dwCredLargeBlobStatus", 3: "pHmacSecret", 4: "dwUsedTransport",
			5: "pbUnsignedExtensionOutputs", 6: "pbAuthenticationResponseJSON"},
	},
	{name: "WEBAUTHN_GET_CREDENTIALS_OPTIONS", typ: getCredentialsOptions{}, size: 24,
		offsets: map[string]uintptr{"dwVersion": 0, "pwszRpId": 8, "bBrowserInPrivateMode": 16}},
	{name: "WEBAUTHN_CREDENTIAL_DETAILS", typ: credentialDetails{}, size: 72,
		offsets: map[string]uintptr{
			"dwVersion": 0, "cbCredentialID": 4, "pbCredentialID": 8, "pRpInformation": 16, "pUserInformation": 24,
			"bRemovable": 32, "bBackedUp": 36, "pwszAuthenticatorName": 40, "cbAuthenticatorLogo": 48,
			"pbAuthenticatorLogo": 56, "bThirdPartyPayment": 64, "dwTransports": 68,
		},
		versionSizes: map[uint32]uintptr{1: 40, 2: 40, 3: 72, 4: 72},
		lastField:    map[uint32]string{1: "bRemovable", 2: "bBackedUp", 3: "bThirdPartyPayment", 4: "dwTransports"},
	},
	{name: "WEBAUTHN_CREDENTIAL_DETAILS_LIST", typ: credentialDetailsList{}, size: 16,
		offsets: map[string]uintptr{"cCredentialDetails": 0, "ppCredentialDetails": 8}},
}

func TestGoStructuresLieOutAsWebauthnHOn64BitWindows(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the offsets are webauthn.h's for 64-bit Windows (amd64, arm64)")
	}
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			typ := reflect.TypeOf(l.typ)
			if typ.Size() != l.size {
				t.Errorf("size %d, webauthn.h's is %d", typ.Size(), l.size)
			}
			if typ.NumField() != len(l.offsets) {
				t.Errorf("%d fields, webauthn.h has %d", typ.NumField(), len(l.offsets))
			}
			for i := range typ.NumField() {
				f := typ.Field(i)
				want, ok := l.offsets[f.Name]
				switch {
				case !ok:
					t.Errorf("field %s is not in webauthn.h", f.Name)
				case f.Offset != want:
					t.Errorf("%s at offset %d, webauthn.h's is %d", f.Name, f.Offset, want)
				}
			}
			for version, size := range l.versionSizes {
				f, ok := typ.FieldByName(l.lastField[version])
				if !ok {
					t.Fatalf("version %d: no field %s", version, l.lastField[version])
				}
				if end := alignUp(f.Offset+f.Type.Size(), uintptr(typ.Align())); end != size {
					t.Errorf("version %d ends at %d (after %s), webauthn.h's is %d", version, end, f.Name, size)
				}
			}
		})
	}
}

func alignUp(n, a uintptr) uintptr { return (n + a - 1) / a * a }

// unsafe.Offsetof spot checks of the fields whose place matters most, in the form the
// compiler itself computes (the reflect table above says the same for every field).
func TestTheVersionedFieldsSitWhereTheDLLLooksForThem(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("64-bit only")
	}
	var mc makeCredentialOptions
	var ga getAssertionOptions
	var at credentialAttestation
	var as assertion
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"make credential pCancellationId (v2)", unsafe.Offsetof(mc.pCancellationId), 64},
		{"make credential pExcludeCredentialList (v3)", unsafe.Offsetof(mc.pExcludeCredentialList), 72},
		{"make credential bPreferResidentKey (v4)", unsafe.Offsetof(mc.bPreferResidentKey), 88},
		{"make credential ppwszCredentialHints (v8)", unsafe.Offsetof(mc.ppwszCredentialHints), 144},
		{"get assertion pCancellationId (v3)", unsafe.Offsetof(ga.pCancellationId), 72},
		{"get assertion pAllowCredentialList (v4)", unsafe.Offsetof(ga.pAllowCredentialList), 80},
		{"get assertion ppwszCredentialHints (v8)", unsafe.Offsetof(ga.ppwszCredentialHints), 152},
		{"attestation dwUsedTransport (v3)", unsafe.Offsetof(at.dwUsedTransport), 112},
		{"attestation dwTransports (v8)", unsafe.Offsetof(at.dwTransports), 156},
		{"assertion Credential", unsafe.Offsetof(as.Credential), 32},
		{"assertion dwUsedTransport (v4)", unsafe.Offsetof(as.dwUsedTransport), 120},
	} {
		if c.got != c.want {
			t.Errorf("%s at %d, webauthn.h's is %d", c.name, c.got, c.want)
		}
	}
}
