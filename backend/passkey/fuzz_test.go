package passkey

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
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
