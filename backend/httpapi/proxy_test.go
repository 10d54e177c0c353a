package httpapi_test

import (
	"net/http"
	"net/http/httptest"
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
	for _, bad := range []string{"", "proxy.example", "10.0.0.0/33", "10.0.0.1:443"} {
		if _, err := httpapi.ParseTrustedProxy(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}
