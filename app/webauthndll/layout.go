package webauthndll

// Go mirrors of webauthn.h's structures, newest layout (webauthn.h v9), with the header's own
// field names so each line can be checked against it. Every type is made only of fixed-size
// integers and pointers, so Go lays it out as the C compiler does on 64-bit Windows (natural
// alignment; layout_test.go checks each offset). DWORD is uint32, BOOL int32, LONG int32,
// PCWSTR *uint16, PBYTE *byte, HWND uintptr.

// guid is GUID (guiddef.h): a cancellation ID.
type guid struct {
	Data1 uint32
	Data2 uint16
	Data3 uint16
	Data4 [8]byte
}

// rpEntityInformation is WEBAUTHN_RP_ENTITY_INFORMATION (version 1 in every API version).
type rpEntityInformation struct {
	dwVersion uint32
	pwszId    *uint16
	pwszName  *uint16
	pwszIcon  *uint16
}

// userEntityInformation is WEBAUTHN_USER_ENTITY_INFORMATION (version 1).
type userEntityInformation struct {
	dwVersion       uint32
	cbId            uint32
	pbId            *byte
	pwszName        *uint16
	pwszIcon        *uint16
	pwszDisplayName *uint16
}

// clientData is WEBAUTHN_CLIENT_DATA (version 1): the full clientDataJSON, which the DLL
// hashes itself (so Windows Hello can show and sign exactly what the RP will check).
type clientData struct {
	dwVersion        uint32
	cbClientDataJSON uint32
	pbClientDataJSON *byte
	pwszHashAlgId    *uint16
}

// coseCredentialParameter is WEBAUTHN_COSE_CREDENTIAL_PARAMETER (version 1).
type coseCredentialParameter struct {
	dwVersion          uint32
	pwszCredentialType *uint16
	lAlg               int32
}

// coseCredentialParameters is WEBAUTHN_COSE_CREDENTIAL_PARAMETERS.
type coseCredentialParameters struct {
	cCredentialParameters uint32
	pCredentialParameters *coseCredentialParameter
}

// credential is WEBAUTHN_CREDENTIAL (version 1).
type credential struct {
	dwVersion          uint32
	cbId               uint32
	pbId               *byte
	pwszCredentialType *uint16
}

// credentials is WEBAUTHN_CREDENTIALS: the exclude or allow list of option versions that
// have no pExcludeCredentialList / pAllowCredentialList.
type credentials struct {
	cCredentials uint32
	pCredentials *credential
}

// credentialEx is WEBAUTHN_CREDENTIAL_EX (version 1): a credential with its transports.
type credentialEx struct {
	dwVersion          uint32
	cbId               uint32
	pbId               *byte
	pwszCredentialType *uint16
	dwTransports       uint32
}

// credentialList is WEBAUTHN_CREDENTIAL_LIST.
type credentialList struct {
	cCredentials  uint32
	ppCredentials **credentialEx
}

// extensions is WEBAUTHN_EXTENSIONS. This app asks for none and reads none back.
type extensions struct {
	cExtensions uint32
	pExtensions uintptr // PWEBAUTHN_EXTENSION
}

// makeCredentialOptions is WEBAUTHN_AUTHENTICATOR_MAKE_CREDENTIAL_OPTIONS, versions 1 to 9;
// the comment on each group says which version added it.
type makeCredentialOptions struct {
	// Version 1.
	dwVersion                         uint32
	dwTimeoutMilliseconds             uint32
	CredentialList                    credentials
	Extensions                        extensions
	dwAuthenticatorAttachment         uint32
	bRequireResidentKey               int32
	dwUserVerificationRequirement     uint32
	dwAttestationConveyancePreference uint32
	dwFlags                           uint32
	// Version 2.
	pCancellationId *guid
	// Version 3.
	pExcludeCredentialList *credentialList
	// Version 4.
	dwEnterpriseAttestation uint32
	dwLargeBlobSupport      uint32
	bPreferResidentKey      int32
	// Version 5.
	bBrowserInPrivateMode int32
	// Version 6.
	bEnablePrf int32
	// Version 7.
	pLinkedDevice uintptr // PCTAPCBOR_HYBRID_STORAGE_LINKED_DATA, deprecated
	cbJsonExt     uint32
	pbJsonExt     *byte
	// Version 8.
	pPRFGlobalEval       uintptr // PWEBAUTHN_HMAC_SECRET_SALT
	cCredentialHints     uint32
	ppwszCredentialHints **uint16
	bThirdPartyPayment   int32
	// Version 9.
	pwszRemoteWebOrigin                      *uint16
	cbPublicKeyCredentialCreationOptionsJSON uint32
	pbPublicKeyCredentialCreationOptionsJSON *byte
	cbAuthenticatorId                        uint32
	pbAuthenticatorId                        *byte
}

// getAssertionOptions is WEBAUTHN_AUTHENTICATOR_GET_ASSERTION_OPTIONS, versions 1 to 9.
type getAssertionOptions struct {
	// Version 1.
	dwVersion                     uint32
	dwTimeoutMilliseconds         uint32
	CredentialList                credentials
	Extensions                    extensions
	dwAuthenticatorAttachment     uint32
	dwUserVerificationRequirement uint32
	dwFlags                       uint32
	// Version 2.
	pwszU2fAppId *uint16
	pbU2fAppId   *int32
	// Version 3.
	pCancellationId *guid
	// Version 4.
	pAllowCredentialList *credentialList
	// Version 5.
	dwCredLargeBlobOperation uint32
	cbCredLargeBlob          uint32
	pbCredLargeBlob          *byte
	// Version 6.
	pHmacSecretSaltValues uintptr // PWEBAUTHN_HMAC_SECRET_SALT_VALUES
	bBrowserInPrivateMode int32
	// Version 7.
	pLinkedDevice uintptr // deprecated
	bAutoFill     int32
	cbJsonExt     uint32
	pbJsonExt     *byte
	// Version 8.
	cCredentialHints     uint32
	ppwszCredentialHints **uint16
	// Version 9.
	pwszRemoteWebOrigin                     *uint16
	cbPublicKeyCredentialRequestOptionsJSON uint32
	pbPublicKeyCredentialRequestOptionsJSON *byte
	cbAuthenticatorId                       uint32
	pbAuthenticatorId                       *byte
}

// credentialAttestation is WEBAUTHN_CREDENTIAL_ATTESTATION, versions 1 to 8, as the DLL
// returns it. Only the fields of the version it wrote may be read: the memory behind a
// version 3 answer ends after dwUsedTransport.
type credentialAttestation struct {
	// Version 1.
	dwVersion               uint32
	pwszFormatType          *uint16
	cbAuthenticatorData     uint32
	pbAuthenticatorData     *byte
	cbAttestation           uint32
	pbAttestation           *byte
	dwAttestationDecodeType uint32
	pvAttestationDecode     uintptr
	cbAttestationObject     uint32
	pbAttestationObject     *byte
	cbCredentialId          uint32
	pbCredentialId          *byte
	// Version 2.
	Extensions extensions
	// Version 3.
	dwUsedTransport uint32
	// Version 4.
	bEpAtt              int32
	bLargeBlobSupported int32
	bResidentKey        int32
	// Version 5.
	bPrfEnabled int32
	// Version 6.
	cbUnsignedExtensionOutputs uint32
	pbUnsignedExtensionOutputs *byte
	// Version 7.
	pHmacSecret        uintptr
	bThirdPartyPayment int32
	// Version 8.
	dwTransports               uint32
	cbClientDataJSON           uint32
	pbClientDataJSON           *byte
	cbRegistrationResponseJSON uint32
	pbRegistrationResponseJSON *byte
}

// assertion is WEBAUTHN_ASSERTION, versions 1 to 6, as the DLL returns it (read as
// credentialAttestation is).
type assertion struct {
	// Version 1.
	dwVersion           uint32
	cbAuthenticatorData uint32
	pbAuthenticatorData *byte
	cbSignature         uint32
	pbSignature         *byte
	Credential          credential
	cbUserId            uint32
	pbUserId            *byte
	// Version 2.
	Extensions            extensions
	cbCredLargeBlob       uint32
	pbCredLargeBlob       *byte
	dwCredLargeBlobStatus uint32
	// Version 3.
	pHmacSecret uintptr
	// Version 4.
	dwUsedTransport uint32
	// Version 5.
	cbUnsignedExtensionOutputs uint32
	pbUnsignedExtensionOutputs *byte
	// Version 6.
	cbClientDataJSON             uint32
	pbClientDataJSON             *byte
	cbAuthenticationResponseJSON uint32
	pbAuthenticationResponseJSON *byte
}

// getCredentialsOptions is WEBAUTHN_GET_CREDENTIALS_OPTIONS (version 1, API v4 and later).
type getCredentialsOptions struct {
	dwVersion             uint32
	pwszRpId              *uint16
	bBrowserInPrivateMode int32
}

// credentialDetails is WEBAUTHN_CREDENTIAL_DETAILS, versions 1 to 4 (API v4 and later), as
// the DLL returns it.
type credentialDetails struct {
	// Version 1.
	dwVersion        uint32
	cbCredentialID   uint32
	pbCredentialID   *byte
	pRpInformation   *rpEntityInformation
	pUserInformation *userEntityInformation
	bRemovable       int32
	// Version 2.
	bBackedUp int32
	// Version 3.
	pwszAuthenticatorName *uint16
	cbAuthenticatorLogo   uint32
	pbAuthenticatorLogo   *byte
	bThirdPartyPayment    int32
	// Version 4.
	dwTransports uint32
}

// credentialDetailsList is WEBAUTHN_CREDENTIAL_DETAILS_LIST.
type credentialDetailsList struct {
	cCredentialDetails  uint32
	ppCredentialDetails **credentialDetails
}

// Values of the options' fields (webauthn.h).
const (
	attachmentAny           = 0 // WEBAUTHN_AUTHENTICATOR_ATTACHMENT_ANY
	attachmentPlatform      = 1 // WEBAUTHN_AUTHENTICATOR_ATTACHMENT_PLATFORM
	attachmentCrossPlatform = 2 // WEBAUTHN_AUTHENTICATOR_ATTACHMENT_CROSS_PLATFORM

	uvRequired    = 1 // WEBAUTHN_USER_VERIFICATION_REQUIREMENT_REQUIRED
	uvPreferred   = 2 // WEBAUTHN_USER_VERIFICATION_REQUIREMENT_PREFERRED
	uvDiscouraged = 3 // WEBAUTHN_USER_VERIFICATION_REQUIREMENT_DISCOURAGED

	attestationNone = 1 // WEBAUTHN_ATTESTATION_CONVEYANCE_PREFERENCE_NONE

	transportUSB       = 0x01 // WEBAUTHN_CTAP_TRANSPORT_USB
	transportNFC       = 0x02 // WEBAUTHN_CTAP_TRANSPORT_NFC
	transportBLE       = 0x04 // WEBAUTHN_CTAP_TRANSPORT_BLE
	transportInternal  = 0x10 // WEBAUTHN_CTAP_TRANSPORT_INTERNAL
	transportHybrid    = 0x20 // WEBAUTHN_CTAP_TRANSPORT_HYBRID (webauthn.h v6)
	transportSmartCard = 0x40 // WEBAUTHN_CTAP_TRANSPORT_SMART_CARD

	coseES256 = -7 // WEBAUTHN_COSE_ALGORITHM_ECDSA_P256_WITH_SHA256
)

// Strings of webauthn.h.
const (
	credentialTypePublicKey = "public-key"   // WEBAUTHN_CREDENTIAL_TYPE_PUBLIC_KEY
	hashSHA256              = "SHA-256"      // WEBAUTHN_HASH_ALGORITHM_SHA_256
	hintSecurityKey         = "security-key" // WEBAUTHN_CREDENTIAL_HINT_SECURITY_KEY (v8)
	hintClientDevice        = "client-device"
	hintHybrid              = "hybrid"
)
