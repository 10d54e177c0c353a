package httpapi

import (
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

// ParseTrustedProxy reads one --trusted-proxy value: an address (192.0.2.10, 2001:db8::1)
// or a network (10.0.0.0/8).
func ParseTrustedProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
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
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		client = a.Unmap()
		if !t.trusts(client) {
			break
		}
	}
	return client, client != peer.Addr().Unmap()
}
