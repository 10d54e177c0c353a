package passkey

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncose"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// MaxCredentialIDBytes is the longest credential ID accepted (WebAuthn L3 §7.1 step
// "credentialId ... is at most 1023 bytes long"; the passkeys.credential_id CHECK agrees).
const MaxCredentialIDBytes = 1023

// algorithms are the only public-key algorithms we ask for (pubKeyCredParams) and accept:
// the WebAuthn L3 recommended set, which every current authenticator supports (Windows
// Hello uses RS256; security keys and platform passkeys ES256; some keys EdDSA).
var algorithms = []webauthncose.COSEAlgorithmIdentifier{webauthncose.AlgES256, webauthncose.AlgEdDSA, webauthncose.AlgRS256}

func credentialParameters() []protocol.CredentialParameter {
	out := make([]protocol.CredentialParameter, len(algorithms))
	for i, alg := range algorithms {
		out[i] = protocol.CredentialParameter{Type: protocol.PublicKeyCredentialType, Algorithm: alg}
	}
	return out
}

// credentialIDs is the part of a credential JSON whose size we check before go-webauthn
// parses anything.
type credentialIDs struct {
	ID    string `json:"id"`
	RawID string `json:"rawId"`
}

// checkIDSize refuses a credential whose id or rawId decodes to more than
// MaxCredentialIDBytes (or to nothing), without decoding it: the check must stay cheap.
func checkIDSize(raw []byte) error {
	var ids credentialIDs
	if err := json.Unmarshal(raw, &ids); err != nil {
		return fmt.Errorf("credential is not a JSON object with string ids: %w", err)
	}
	for _, s := range []string{ids.ID, ids.RawID} {
		n := base64.RawURLEncoding.DecodedLen(len(strings.TrimRight(s, "=")))
		if n > MaxCredentialIDBytes {
			return fmt.Errorf("credential id over %d bytes (%d)", MaxCredentialIDBytes, n)
		}
		if n == 0 {
			return errors.New("credential id is empty")
		}
	}
	return nil
}

// checkClientData refuses a clientDataJSON that could be read two ways, by the same rule as
// the request around it (httpapi.CheckJSON, docs/api.md "One meaning only"): go-webauthn
// reads it with encoding/json (WebAuthn L3 §7.1 step 5 and §7.2 step 10 leave the parser to
// the RP), which keeps the last of two "challenge" or "origin" members and turns invalid
// UTF-8 and lone surrogates into U+FFFD without a word, while another reader of the same
// bytes (an audit of the signed assertion, a proxy) may keep the first. A client serialises
// it once, each member once (§5.8.1.1), so such text was not made by one. Members it does
// not know are fine (clients add some: §5.8.1.2).
func checkClientData(clientDataJSON []byte) error {
	if err := httpapi.CheckJSON(clientDataJSON, nil); err != nil {
		return fmt.Errorf("clientDataJSON can be read more than one way: %w", err)
	}
	return nil
}

// checkOriginText refuses client data whose origin is not one of the RP's origins written
// exactly as a browser serialises an origin (RFC 6454 §6.2; WebAuthn L3 §5.8.1: origin is
// "the fully qualified origin of the requester ... as serialized"), which is how ours are
// stored (package origin). go-webauthn compares origins after normalising them, so it also
// took "HTTP://LOCALHOST:8080" or "http://localhost:8080/", which no client writes; the
// Origin header is compared exactly (httpapi), and clientDataJSON's origin (§7.1 step 9,
// §7.2 step 13: "an origin expected by the Relying Party") is held to the same text.
func checkOriginText(c protocol.CollectedClientData, origins []string) error {
	if !slices.Contains(origins, c.Origin) {
		return fmt.Errorf("clientDataJSON origin %q is not written exactly as one of %v", c.Origin, origins)
	}
	return nil
}

// parseCreation parses a RegistrationResponseJSON (what PublicKeyCredential.toJSON()
// returns after create()) after our size checks. Any error is a refusal.
func parseCreation(raw []byte) (*protocol.ParsedCredentialCreationData, error) {
	if err := checkIDSize(raw); err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(raw)
	if err != nil {
		return nil, describe(err)
	}
	if err := checkClientData(parsed.Raw.AttestationResponse.ClientDataJSON); err != nil {
		return nil, err
	}
	if n := len(parsed.RawID); n > MaxCredentialIDBytes {
		return nil, fmt.Errorf("credential id over %d bytes (%d)", MaxCredentialIDBytes, n)
	}
	return parsed, nil
}

// parseAssertion parses an AuthenticationResponseJSON (what PublicKeyCredential.toJSON()
// returns after get()) after our size checks. Any error is a refusal.
func parseAssertion(raw []byte) (*protocol.ParsedCredentialAssertionData, error) {
	if err := checkIDSize(raw); err != nil {
		return nil, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		return nil, describe(err)
	}
	if err := checkClientData(parsed.Raw.AssertionResponse.ClientDataJSON); err != nil {
		return nil, err
	}
	if n := len(parsed.RawID); n > MaxCredentialIDBytes || n == 0 {
		return nil, fmt.Errorf("credential id of %d bytes", n)
	}
	// WebAuthn L3 §6.1: the AT flag (attested credential data included) is set only for
	// attestation; an authenticator leaves it out of every assertion (§6.3.3 step 12: "with
	// attestedCredentialData excluded"). go-webauthn parses such data in an assertion and
	// goes on, signed under the stored key but naming a credential and key of its own, which
	// any later reader of the stored assertion could take for the passkey's. No working
	// authenticator sends it.
	if parsed.Response.AuthenticatorData.Flags.HasAttestedCredentialData() {
		return nil, errors.New("assertion carries attested credential data (AT flag), which only a registration may")
	}
	return parsed, nil
}

// checkNewCredential applies our policy to a credential go-webauthn has verified, so it
// holds even if a ceremony's stored options were ever wrong: user present and verified (read
// from the attestation's authenticator data), an ID within the limit, and a credential public
// key that can work (publickey.go): of an algorithm both we and the ceremony asked for
// (WebAuthn L3 §7.1 step 16), with kty, alg and crv that agree and key material Go can verify
// with. The key is checked as the authenticator sent it in the authenticator data and as
// go-webauthn re-encoded it for storing, and the two must be the same key.
func checkNewCredential(parsed *protocol.ParsedCredentialCreationData, c *webauthn.Credential, offered []protocol.CredentialParameter) error {
	if flags := parsed.Response.AttestationObject.AuthData.Flags; !flags.HasUserPresent() || !flags.HasUserVerified() {
		return errors.New("user not present or not verified (UV required by server policy)")
	}
	if n := len(c.ID); n == 0 || n > MaxCredentialIDBytes {
		return fmt.Errorf("credential id of %d bytes", n)
	}
	var algs []webauthncose.COSEAlgorithmIdentifier
	for _, p := range offered {
		if p.Type == protocol.PublicKeyCredentialType {
			algs = append(algs, p.Algorithm)
		}
	}
	sent, err := attestedPublicKey(parsed.Response.AttestationObject.RawAuthData, algs)
	if err != nil {
		return err
	}
	stored, err := checkPublicKey(c.PublicKey, algs)
	if err != nil {
		return fmt.Errorf("credential public key as stored: %w", err)
	}
	if !sent.equal(stored) {
		return errors.New("credential public key to be stored is not the one in the authenticator data")
	}
	return checkConvenienceFields(parsed, sent)
}

// checkConvenienceFields: RegistrationResponseJSON repeats what the attestation object holds
// in three members of its own (WebAuthn L3 §5.2.1.1 getAuthenticatorData, getPublicKey,
// getPublicKeyAlgorithm; §5.1.8 toJSON): authenticatorData, publicKey (the credential public
// key as a DER SubjectPublicKeyInfo) and publicKeyAlgorithm. go-webauthn reads only the
// attestation object and ignores them. A client computes all three from that same object, so
// a response in which they say something else was not made by a working client: refuse it
// rather than store a passkey whose response said two different things about its key (any
// program that read the other member would hold another key). publicKey may be absent (a
// client leaves it out for an algorithm it cannot encode as SPKI, §5.2.1.1), and so may the
// others (an older client): only what is sent is compared.
func checkConvenienceFields(parsed *protocol.ParsedCredentialCreationData, key publicKey) error {
	r := parsed.Raw.AttestationResponse
	if len(r.AuthenticatorData) != 0 && !bytes.Equal(r.AuthenticatorData, parsed.Response.AttestationObject.RawAuthData) {
		return errors.New("response.authenticatorData is not the authenticator data of the attestation object")
	}
	if r.PublicKeyAlgorithm != 0 && r.PublicKeyAlgorithm != int64(key.alg) {
		return fmt.Errorf("response.publicKeyAlgorithm %d is not the credential public key's algorithm %d", r.PublicKeyAlgorithm, key.alg)
	}
	if len(r.PublicKey) != 0 {
		if err := key.sameAsSPKI(r.PublicKey); err != nil {
			return fmt.Errorf("response.publicKey: %w", err)
		}
	}
	return nil
}
