package origin_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/backend/origin"
)

func TestAnOriginIsWrittenAsBrowsersSendIt(t *testing.T) {
	tests := []struct{ name, raw, origin, host string }{
		{"an https origin is itself", "https://passkeys.example.org", "https://passkeys.example.org", "passkeys.example.org"},
		{"the host and scheme are lower-cased", "HTTPS://Passkeys.Example.ORG", "https://passkeys.example.org", "passkeys.example.org"},
		{"a lone slash is the origin", "https://passkeys.example.org/", "https://passkeys.example.org", "passkeys.example.org"},
		{"https's own port is left out", "https://passkeys.example.org:443", "https://passkeys.example.org", "passkeys.example.org"},
		{"http's own port is left out", "http://localhost:80", "http://localhost", "localhost"},
		{"another port is kept", "https://passkeys.example.org:8443", "https://passkeys.example.org:8443", "passkeys.example.org"},
		{"a port's leading zeros are dropped", "https://passkeys.example.org:08443", "https://passkeys.example.org:8443", "passkeys.example.org"},
		{"http to localhost is a secure context", "http://localhost:8080", "http://localhost:8080", "localhost"},
		{"http to a name under .localhost is a secure context", "http://kiosk.localhost:8080", "http://kiosk.localhost:8080", "kiosk.localhost"},
		{"a name in another script is its ASCII form (IDNA)", "https://Bücher.example", "https://xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"a last label that only begins with digits is a name", "https://passkeys.example.4u", "https://passkeys.example.4u", "passkeys.example.4u"},
		{"a label of digits before the last is a name", "https://123.example.org", "https://123.example.org", "123.example.org"},
		{"an ASCII form stays as it is", "https://xn--bcher-kva.example", "https://xn--bcher-kva.example", "xn--bcher-kva.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, host, err := origin.Parse(tt.raw)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if o != tt.origin || host != tt.host {
				t.Errorf("got %q (host %q), want %q (host %q)", o, host, tt.origin, tt.host)
			}
		})
	}
}

func TestAnAddressWherePasskeysCannotWorkIsRefusedWithTheReason(t *testing.T) {
	tests := []struct{ name, raw, says string }{
		{"an empty address", "", "empty"},
		{"spaces around it", " https://passkeys.example.org", "spaces"},
		{"another scheme", "ftp://passkeys.example.org", "must begin https://"},
		{"the webview's own scheme", "wails://wails", "must begin https://"},
		{"no scheme", "passkeys.example.org", "must begin https://"},
		{"no host", "https://", "no host name"},
		{"a user name", "https://admin@passkeys.example.org", "user name or password"},
		{"a password", "https://admin:hunter2@passkeys.example.org", "user name or password"},
		{"a path", "https://passkeys.example.org/api", "no path such as /api"},
		{"an escaped path", "https://passkeys.example.org/a%2Fb", "no path"},
		{"a query", "https://passkeys.example.org?x=1", "query"},
		{"an empty query", "https://passkeys.example.org?", "query"},
		{"a fragment", "https://passkeys.example.org#top", "fragment"},
		{"an empty fragment", "https://passkeys.example.org#", "fragment"},
		{"a port out of range", "https://passkeys.example.org:70000", "from 0 to 65535"},
		{"a port that is not a number", "https://passkeys.example.org:https", "could not be read"},
		{"an empty port", "https://passkeys.example.org:", "empty port"},
		{"an IPv4 address", "https://192.0.2.10", "IP address"},
		{"a loopback IPv4 address over http", "http://127.0.0.1:8080", "IP address"},
		{"an IPv6 address", "https://[2001:db8::1]", "IP address"},
		{"a short IPv4 address (1.2.3 is 1.0.2.3 to a browser)", "https://1.2.3", "IP address"},
		{"a hexadecimal IPv4 address", "https://0x7f.1", "IP address"},
		{"a host whose last label is a number", "https://passkeys.example.42", "IP address"},
		{"a host whose last label is a bare 0x", "https://passkeys.0x", "IP address"},
		{"an IPv6 address with a zone", "https://[fe80::1%25eth0]", "IP address"},
		{"a host name ending in a dot", "https://passkeys.example.org.", "dot"},
		{"a host name with an empty label", "https://passkeys..example.org", "not a valid domain name"},
		{"a host name with a character no domain has", "https://passkeys_example!.org", "not a valid domain name"},
		{"a label longer than 63 letters", "https://" + strings.Repeat("a", 64) + ".example.org", "not a valid domain name"},
		{"http to another computer", "http://passkeys.example.org", "sent in clear"},
		{"http to a name that only begins localhost", "http://localhost.example.org", "sent in clear"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _, err := origin.Parse(tt.raw)
			if err == nil {
				t.Fatalf("accepted as %q", o)
			}
			var oerr *origin.Error
			if !errors.As(err, &oerr) {
				t.Fatalf("the error %v is not an *origin.Error", err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("the reason %q does not say %q", err, tt.says)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the reason repeats the password: %v", err)
			}
		})
	}
}

func TestADomainIsItsLowerCaseASCIIForm(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a name is lower-cased", "Example.ORG", "example.org"},
		{"a name in another script is its ASCII form", "bücher.example", "xn--bcher-kva.example"},
		{"an IPv4 address is not a domain", "192.0.2.1", ""},
		{"an IPv6 address in brackets is not a domain", "[::1]", ""},
		{"a final dot is not a domain", "example.org.", ""},
		{"an empty name is not a domain", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := origin.Domain(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Errorf("accepted as %q", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}
