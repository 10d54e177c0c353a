package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/backend/httpapi"
)

func TestTheClientAddressIsForwardedOnlyByTrustedProxies(t *testing.T) {
	proxies := httpapi.TrustedProxies{}
	for _, s := range []string{"10.0.0.0/8", "192.0.2.10", "2001:db8::1"} {
		p, err := httpapi.ParseTrustedProxy(s)
		if err != nil {
			t.Fatal(err)
		}
		proxies = append(proxies, p)
	}
	tests := []struct {
		name      string
		proxies   httpapi.TrustedProxies
		peer      string
		forwarded []string
		want      string
	}{
		{"without trusted proxies a forwarded address is ignored", nil, "10.1.2.3:5000", []string{"203.0.113.7"}, "10.1.2.3"},
		{"a forged header from a peer that is not a trusted proxy is ignored", proxies, "198.51.100.9:5000", []string{"203.0.113.7"}, "198.51.100.9"},
		{"a trusted proxy's forwarded client is believed", proxies, "192.0.2.10:443", []string{"203.0.113.7"}, "203.0.113.7"},
		{"a trusted network's forwarded client is believed", proxies, "10.9.9.9:443", []string{"203.0.113.7"}, "203.0.113.7"},
		{"what the client wrote to the left of its own address is not believed", proxies, "192.0.2.10:443", []string{"1.1.1.1, 203.0.113.7"}, "203.0.113.7"},
		{"a chain of trusted proxies is walked to the client", proxies, "192.0.2.10:443", []string{"203.0.113.7, 10.0.0.5"}, "203.0.113.7"},
		{"several headers are read as one list", proxies, "192.0.2.10:443", []string{"1.1.1.1", "203.0.113.7, 10.0.0.5"}, "203.0.113.7"},
		{"a trusted proxy that forwards nothing is the client", proxies, "192.0.2.10:443", nil, "192.0.2.10"},
		{"an entry that is not an address stops at the last trusted hop", proxies, "192.0.2.10:443", []string{"203.0.113.7, bogus"}, "192.0.2.10"},
		{"an IPv6 proxy forwards an IPv6 client", proxies, "[2001:db8::1]:443", []string{"2001:db8::beef"}, "2001:db8::beef"},
		{"an IPv4 client mapped into IPv6 is shown as IPv4", proxies, "192.0.2.10:443", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"a forwarded IPv4 client with its port is its address", proxies, "192.0.2.10:443", []string{"203.0.113.7:50112"}, "203.0.113.7"},
		{"a forwarded IPv6 client with its port is its address", proxies, "192.0.2.10:443", []string{"[2001:db8::beef]:443"}, "2001:db8::beef"},
		{"a forwarded IPv6 client in brackets without a port is its address", proxies, "192.0.2.10:443", []string{"[2001:db8::beef]"}, "2001:db8::beef"},
		{"a forwarded IPv6 client's zone is dropped", proxies, "192.0.2.10:443", []string{"fe80::1%eth0"}, "fe80::1"},
		{"a chain whose trusted hop has a port is walked to the client", proxies, "192.0.2.10:443", []string{"203.0.113.7:1234, 10.0.0.5:80"}, "203.0.113.7"},
		{"a forged entry left of a ported client is not believed", proxies, "192.0.2.10:443", []string{"1.1.1.1, 203.0.113.7:1234"}, "203.0.113.7"},
		{"an empty entry stops at the last trusted hop", proxies, "192.0.2.10:443", []string{"203.0.113.7, "}, "192.0.2.10"},
		{"an obfuscated identifier stops at the last trusted hop", proxies, "192.0.2.10:443", []string{"203.0.113.7, unknown"}, "192.0.2.10"},
		{"an IPv4 address in brackets is not an address", proxies, "192.0.2.10:443", []string{"[203.0.113.7]"}, "192.0.2.10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := tt.proxies.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = httpapi.ClientAddress(r) }))
			r := httptest.NewRequestWithContext(t.Context(), "GET", "/api/session", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.forwarded {
				r.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if got != tt.want {
				t.Errorf("client = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestATrustedProxyMustBeAnAddressOrANetwork(t *testing.T) {
	tests := []struct {
		name, value, says string
	}{
		{"an empty value", "", "is not an address"},
		{"a host name", "proxy.example", "is not an address"},
		{"a network with too many bits", "10.0.0.0/33", "is not an address"},
		{"an address with a port", "10.0.0.1:443", "is not an address"},
		{"an address with a zone", "fe80::1%eth0", "is not an address"},
		{"an address with host bits under a mask (the proxy's address was meant)", "10.0.0.5/8", "write the proxy's own address (10.0.0.5) or the network (10.0.0.0/8)"},
		{"an IPv6 address with host bits under a mask", "2001:db8::1/64", "(2001:db8::/64)"},
		{"the whole IPv4 space", "0.0.0.0/0", "every computer"},
		{"the whole IPv6 space", "::/0", "every computer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := httpapi.ParseTrustedProxy(tt.value)
			if err == nil {
				t.Fatalf("%q was accepted", tt.value)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("the message %q does not say %q", err, tt.says)
			}
		})
	}
}

func TestATrustedProxyIsReadAsTheAddressOrNetworkWritten(t *testing.T) {
	tests := []struct{ name, value, want string }{
		{"an IPv4 address is that one address", "192.0.2.10", "192.0.2.10/32"},
		{"an IPv6 address is that one address", "2001:db8::1", "2001:db8::1/128"},
		{"an IPv4 address mapped into IPv6 is the IPv4 address", "::ffff:192.0.2.10", "192.0.2.10/32"},
		{"a network is that network", "10.0.0.0/24", "10.0.0.0/24"},
		{"spaces around it are ignored", " 10.0.0.0/28 ", "10.0.0.0/28"},
		{"an IPv4 network mapped into IPv6 is the IPv4 network", "::ffff:10.0.0.0/120", "10.0.0.0/24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := httpapi.ParseTrustedProxy(tt.value)
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}
