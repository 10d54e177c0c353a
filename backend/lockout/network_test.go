package lockout

import "testing"

// A client is counted by what one person, home or network holds: an IPv4 address, an IPv6
// /64, and the IPv4 address inside an IPv6 address that carries one (NAT64's well-known
// prefix, Teredo), since everyone behind that translator or Teredo server shares its /64.
func TestAClientIsCountedByWhatOnePlaceHolds(t *testing.T) {
	tests := []struct{ name, address, want string }{
		{"an IPv4 address is itself", "203.0.113.9", "203.0.113.9"},
		{"an IPv4-mapped IPv6 address is its IPv4 address", "::ffff:203.0.113.9", "203.0.113.9"},
		{"an IPv6 address is its /64", "2001:db8:a:b:1:2:3:4", "2001:db8:a:b::/64"},
		{"an IPv6 address with a zone is its /64", "fe80::1:2%eth0", "fe80::/64"},
		{"an upper-case IPv6 address is the same /64", "2001:DB8:A:B::9", "2001:db8:a:b::/64"},
		{"a NAT64 address is the IPv4 client behind it", "64:ff9b::cb00:7109", "203.0.113.9"},
		{"two IPv4 clients behind one NAT64 are two clients", "64:ff9b::cb00:710a", "203.0.113.10"},
		{"a Teredo address is its client's IPv4 address, bits inverted back", "2001:0:4136:e378:8000:63bf:34ff:8ef6", "203.0.113.9"},
		{"the desktop app's own requests (no address) are one client", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clientNetwork(tt.address); got != tt.want {
				t.Errorf("clientNetwork(%q) = %q, want %q", tt.address, got, tt.want)
			}
		})
	}
}
