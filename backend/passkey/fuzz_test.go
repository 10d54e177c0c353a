package passkey

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol/webauthncose"
)

// The seed corpora under testdata/fuzz/ hold genuine responses from the software
// authenticator (internal/softauthn) and broken ones; f.Add adds a few more by hand.

// FuzzParseAssertion: parsing an AuthenticationResponseJSON never panics, and what it
// accepts has a credential ID of 1 to 1023 bytes and authenticator data of at least 37.
func FuzzParseAssertion(f *testing.F) {
	for _, seed := range []string{`{}`, `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{}}`, `null`, `{"id":1}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		parsed, err := parseAssertion(raw)
		if err != nil {
			return
		}
		if n := len(parsed.RawID); n == 0 || n > MaxCredentialIDBytes {
			t.Fatalf("accepted a credential ID of %d bytes", n)
		}
		if len(parsed.Raw.AssertionResponse.AuthenticatorData) < 37 {
			t.Fatalf("accepted authenticator data of %d bytes", len(parsed.Raw.AssertionResponse.AuthenticatorData))
		}
	})
}

// FuzzParseCreation: parsing a RegistrationResponseJSON never panics, and what it accepts
// has a credential ID (outer and attested) of 1 to 1023 bytes.
func FuzzParseCreation(f *testing.F) {
	for _, seed := range []string{`{}`, `{"id":"AAAA","rawId":"AAAA","type":"public-key","response":{"attestationObject":"oA"}}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		parsed, err := parseCreation(raw)
		if err != nil {
			return
		}
		if n := len(parsed.RawID); n == 0 || n > MaxCredentialIDBytes {
			t.Fatalf("accepted a credential ID of %d bytes", n)
		}
		if n := len(parsed.Response.AttestationObject.AuthData.AttData.CredentialID); n > MaxCredentialIDBytes {
			t.Fatalf("accepted an attested credential ID of %d bytes", n)
		}
	})
}

// FuzzCheckPublicKey: checking a COSE_Key never panics, and a key it accepts is of an
// algorithm we offer and one go-webauthn (what a login uses) parses as a valid key.
func FuzzCheckPublicKey(f *testing.F) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	pt, err := ec.PublicKey.Bytes()
	if err != nil {
		f.Fatal(err)
	}
	ed, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	// CTAP2 canonical COSE_Keys: {1: 2, 3: -7, -1: 1, -2: x, -3: y} and {1: 1, 3: -8, -1: 6, -2: x}.
	es256 := slices.Concat([]byte{0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20}, pt[1:33], []byte{0x22, 0x58, 0x20}, pt[33:])
	eddsa := slices.Concat([]byte{0xa4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20}, ed)
	for _, seed := range [][]byte{es256, eddsa, {0xa0}, {0xa1, 0x01, 0x03}, es256[:40]} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		k, err := checkPublicKey(raw, algorithms)
		if err != nil {
			return
		}
		if !slices.Contains(algorithms, k.alg) {
			t.Fatalf("accepted a key of algorithm %d", k.alg)
		}
		if _, err := webauthncose.ParsePublicKey(raw); err != nil {
			t.Fatalf("accepted a key go-webauthn refuses: %v", err)
		}
	})
}

// FuzzValidateName: a passkey name is either refused with a message, or accepted trimmed,
// 1 to 64 characters of valid UTF-8 with nothing invisible, and accepted again as it is.
func FuzzValidateName(f *testing.F) {
	for _, seed := range []string{"Work laptop", "  Phone  ", "", " ", strings.Repeat("é", 65), "a\u202eb", "🔑", "\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		name, problem := ValidateName(raw)
		if problem != "" {
			if name != "" {
				t.Fatalf("ValidateName(%q) refused with %q but returned %q", raw, problem, name)
			}
			return
		}
		if !utf8.ValidString(name) || name != strings.TrimSpace(name) {
			t.Fatalf("ValidateName(%q) = %q: not valid or not trimmed", raw, name)
		}
		if n := utf8.RuneCountInString(name); n < 1 || n > MaxNameLength {
			t.Fatalf("ValidateName(%q) = %q: %d characters", raw, name, n)
		}
		for _, r := range name {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("ValidateName(%q) = %q keeps %U", raw, name, r)
			}
		}
		if again, problem := ValidateName(name); again != name || problem != "" {
			t.Fatalf("ValidateName is not stable: %q -> %q -> %q (%q)", raw, name, again, problem)
		}
	})
}
