package passkey

// The registration checks of a credential public key, for the tests of package passkey_test
// (which build keys and run registrations through the HTTP API).

// CheckPublicKey checks a COSE_Key on its own, as it would be stored, against the
// algorithms we offer.
func CheckPublicKey(raw []byte) error {
	_, err := checkPublicKey(raw, algorithms)
	return err
}

// CheckAttestedPublicKey checks the credential public key in authenticator data, and what
// follows it, against the algorithms we offer.
func CheckAttestedPublicKey(authData []byte) error {
	_, err := attestedPublicKey(authData, algorithms)
	return err
}
