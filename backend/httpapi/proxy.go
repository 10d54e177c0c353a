package httpapi

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies names the reverse proxies (addresses or networks) whose X-Forwarded-For
// header is believed. Behind a TLS proxy every request comes from the proxy's address; the
// client address that lockouts count and the activity list shows is then the one the proxy
// forwards. From any other peer the header is ignored: anyone can send one, and a client
// that could choose its own address could escape its lockout or blame someone else.
type TrustedProxies []netip.Prefix

// ParseTrustedProxy reads one --trusted-proxy value: a proxy's address (192.0.2.10,
// 2001:db8::1) or a network (10.0.0.0/24) every address of which is one of the fleet's
// proxies. Every address it covers may say who the client is, so:
//   - a network is written as the network (10.0.0.0/8, not 10.0.0.5/8): host bits set there
//     usually mean the proxy's address was meant, and widening it silently would let every
//     other computer on that network choose its own client address (and so escape its
//     lockout);
//   - the whole address space (0.0.0.0/0, ::/0) is refused: it would believe every client's
//     own claim, which is the same as having no lockout per client at all.
//
// The error's text says what to write instead; the caller prints it.
func ParseTrustedProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an address or a network such as 10.0.0.0/24", s)
		}
		if p.Bits() == 0 {
			return netip.Prefix{}, fmt.Errorf("%q would believe the forwarded address of every computer that can reach the server: name the proxy's own address", s)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		if masked := p.Masked(); masked != p {
			return netip.Prefix{}, fmt.Errorf("%q is neither an address nor a network: write the proxy's own address (%s) or the network (%s)", s, p.Addr(), masked)
		}
		return p, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or a network such as 10.0.0.0/24", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (t TrustedProxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Wrap sets each request's RemoteAddr (what ClientAddress reads) to the client's address
// when the request came through trusted proxies. X-Forwarded-For is read from the right:
// each proxy appends the address it received the request from, so the rightmost entry not
// written by one of our proxies is the client; entries to its left came from the client
// itself and may be forged. An entry that is not an address ends the walk at the last
// trusted hop. With no trusted proxies (the default), requests pass unchanged and
// forwarding headers mean nothing.
func (t TrustedProxies) Wrap(next http.Handler) http.Handler {
	if len(t) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if client, ok := t.client(r); ok {
			r = r.WithContext(r.Context()) // a copy: the caller's request stays as it was
			r.RemoteAddr = net.JoinHostPort(client.String(), "0")
		}
		next.ServeHTTP(w, r)
	})
}

// client is the address of the client behind the trusted proxies, and whether it differs
// from the peer's.
func (t TrustedProxies) client(r *http.Request) (netip.Addr, bool) {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !t.trusts(peer.Addr()) {
		return netip.Addr{}, false
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer.Addr().Unmap()
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := forwardedAddr(hops[i])
		if !ok {
			break
		}
		client = a
		if !t.trusts(client) {
			break
		}
	}
	return client, client != peer.Addr().Unmap()
}

// forwardedAddr reads one X-Forwarded-For entry. Most proxies write the address alone;
// some (Azure Application Gateway, IIS ARR) add the client's port, as 203.0.113.7:50112 or
// [2001:db8::1]:443. The port and an IPv6 zone (fe80::1%eth0, which only means something on
// the proxy's own network) are dropped: the client is its address, and an entry read as
// "not an address" would make the proxy itself every patient's one client.
func forwardedAddr(entry string) (netip.Addr, bool) {
	entry = strings.TrimSpace(entry)
	a, err := netip.ParseAddr(entry)
	if err != nil {
		ap, perr := netip.ParseAddrPort(entry)
		if perr != nil {
			if !strings.HasPrefix(entry, "[") || !strings.HasSuffix(entry, "]") {
				return netip.Addr{}, false
			}
			if a, err = netip.ParseAddr(entry[1 : len(entry)-1]); err != nil || !a.Is6() {
				return netip.Addr{}, false
			}
		} else {
			a = ap.Addr()
		}
	}
	return a.WithZone("").Unmap(), true
}
