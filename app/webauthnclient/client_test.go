package webauthnclient

import (
	"errors"
	"testing"
)

func TestNewAcceptsOnlyOriginsWhereWebAuthnWorks(t *testing.T) {
	tests := []struct {
		origin, want string // want "" means refused
	}{
		{"http://localhost:8080", "http://localhost:8080"},
		{"http://LOCALHOST:8080/", "http://localhost:8080"},
		{"https://passkeys.example.org", "https://passkeys.example.org"},
		{"https://passkeys.example.org:443", "https://passkeys.example.org"},
		{"https://passkeys.example.org:8443", "https://passkeys.example.org:8443"},
		{"http://app.localhost", "http://app.localhost"},
		{"http://example.org", ""},          // not a secure context
		{"wails://wails", ""},               // the webview's origin is not an RP origin
		{"https://127.0.0.1", ""},           // an IP address is not a valid domain
		{"http://[::1]:8080", ""},           // nor is an IPv6 address
		{"https://example.org/path", ""},    // an origin has no path
		{"https://user@example.org", ""},    // nor credentials
		{"", ""},                            // nor can it be empty
		{"https://exa mple.org", ""},        // nor an invalid host
		{"https://example.org?query=1", ""}, // nor a query
	}
	for _, tt := range tests {
		c, err := New(tt.origin)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("New(%q) accepted, origin %q", tt.origin, c.Origin())
		case tt.want != "" && err != nil:
			t.Errorf("New(%q): %v", tt.origin, err)
		case tt.want != "" && c.Origin() != tt.want:
			t.Errorf("New(%q).Origin() = %q, want %q", tt.origin, c.Origin(), tt.want)
		}
	}
}

func TestRPIDMustBeTheHostOrARegistrableSuffixOfIt(t *testing.T) {
	str := func(s string) *string { return &s }
	tests := []struct {
		name   string
		origin string
		rpID   *string
		want   string // "" means SecurityError
	}{
		{"absent: the origin's host", "http://localhost:8080", nil, "localhost"},
		{"equal to the host", "http://localhost:8080", str("localhost"), "localhost"},
		{"compared case-insensitively", "https://login.example.co.uk", str("LOGIN.Example.CO.UK"), "login.example.co.uk"},
		{"a registrable parent domain", "https://login.example.co.uk", str("example.co.uk"), "example.co.uk"},
		{"a public suffix is refused", "https://login.example.co.uk", str("co.uk"), ""},
		{"nhs.uk is itself a public suffix", "https://login.nhs.uk", str("nhs.uk"), ""},
		{"a top-level domain is refused", "https://passkeys.example.org", str("org"), ""},
		{"another site is refused", "http://localhost:8080", str("example.org"), ""},
		{"a suffix without a dot boundary is refused", "https://notexample.org", str("example.org"), ""},
		{"a subdomain of the host is refused", "https://example.org", str("login.example.org"), ""},
		{"the empty string is refused", "http://localhost:8080", str(""), ""},
		{"an IP address is refused", "http://localhost:8080", str("127.0.0.1"), ""},
		{"a port is refused", "http://localhost:8080", str("localhost:8080"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.origin)
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.rpID(tt.rpID)
			if tt.want == "" {
				if !errors.Is(err, ErrSecurity) {
					t.Fatalf("rpID(%q) = %q, %v; want ErrSecurity", *tt.rpID, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("rpID = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
