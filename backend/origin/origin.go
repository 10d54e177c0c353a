// Package origin reads a relying party's origin the way a browser and WebAuthn do, so that
// `serve --origin`, the desktop app's --relying-party and the native WebAuthn client agree on
// which addresses can hold passkeys and on how each is written. The three compare origins as
// text (the Origin header, clientDataJSON's origin), so one spelling each matters: a server
// configured as https://host:443 and a kiosk told https://host would otherwise refuse each
// other's every request.
package origin

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// Error says why an address is not an origin where WebAuthn runs. Why completes a sentence
// that begins with what the address is ("the relying party's address ..."), so each caller
// names the setting the person wrote.
type Error struct{ Why string }

func (e *Error) Error() string { return e.Why }

// Parse returns raw as the origin browsers send in the Origin header and in clientDataJSON
// (RFC 6454 §6.2: scheme://host[:port], lower case, the host in its ASCII form, the scheme's
// own port left out) and its host, the effective domain that is the default RP ID (WebAuthn
// L3 §5.1.2). It accepts only an origin where WebAuthn can run, as a browser would:
//   - a secure context (W3C Secure Contexts §3.1): https, or http on localhost or a name
//     under .localhost, which are this computer;
//   - a host that is a valid domain (WebAuthn L3 §5.1.3 step 6), so no IP address; a name
//     in another script is turned into its ASCII form (IDNA UTS #46, as the URL standard's
//     host parser does) and a final dot is refused, since it would make another origin;
//   - an origin and nothing else: no user name or password (it would be kept in a settings
//     file and shown by `ps`), path (a lone "/" is allowed), query or fragment.
func Parse(raw string) (origin, host string, err error) {
	refuse := func(why string) (string, string, error) { return "", "", &Error{Why: why} }
	if raw == "" || strings.TrimSpace(raw) != raw {
		return refuse("is empty or has spaces around it")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return refuse("could not be read")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return refuse("must begin https://")
	case u.Opaque != "" || u.Host == "":
		return refuse("has no host name")
	case u.User != nil:
		return refuse("must not hold a user name or password")
	case u.RawQuery != "" || u.ForceQuery:
		return refuse("must not have a query (the part after ?)")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return refuse("must not have a fragment (the part after #)")
	case u.Path != "" && u.Path != "/", u.RawPath != "":
		return refuse("must be the server's address alone, with no path such as " + u.EscapedPath())
	}
	port := u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		// The URL standard's range, 0 included: `serve --addr :0` has the port chosen when
		// it listens, and its default origin is written before that.
		if err != nil || n < 0 || n > 65535 {
			return refuse("has a port that is not a number from 0 to 65535")
		}
		port = strconv.Itoa(n)
		if (u.Scheme == "https" && n == 443) || (u.Scheme == "http" && n == 80) {
			port = ""
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return refuse("has an empty port")
	}
	name := u.Hostname()
	if _, err := netip.ParseAddr(name); err == nil || strings.HasPrefix(u.Host, "[") || endsInANumber(name) {
		return refuse("is an IP address, and passkeys can only belong to a host name: use the server's name")
	}
	if strings.HasSuffix(name, ".") {
		return refuse("ends its host name with a dot: write the name without it")
	}
	host, err = Domain(name)
	if err != nil {
		return refuse("has a host name that is not a valid domain name")
	}
	if u.Scheme == "http" && host != "localhost" && !strings.HasSuffix(host, ".localhost") {
		return refuse("must begin https://, so that nothing is sent in clear (http:// is allowed only for localhost)")
	}
	origin = u.Scheme + "://" + host
	if port != "" {
		origin += ":" + port
	}
	return origin, host, nil
}

// endsInANumber is the URL standard's "ends in a number checker": a host whose last label is
// a number (1.2.3, 0x7f.1) is parsed by browsers as an IPv4 address (1.0.2.3, 127.0.0.1),
// not a domain, whatever netip makes of it.
func endsInANumber(host string) bool {
	last := strings.ToLower(host[strings.LastIndexByte(host, '.')+1:])
	digits := "0123456789"
	if rest, ok := strings.CutPrefix(last, "0x"); ok {
		last, digits = rest, "0123456789abcdef"
		if last == "" {
			return true
		}
	}
	return last != "" && strings.Trim(last, digits) == ""
}

// validDomain is the URL standard's "valid domain" (domain to ASCII with beStrict true),
// which is what WebAuthn asks of an effective domain and an RP ID: IDNA UTS #46 lookup with
// STD3 rules (letters, digits and hyphens only) and DNS lengths (no empty label, none longer
// than 63 octets).
var validDomain = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.VerifyDNSLength(true))

// Domain parses a host that must be a domain (not an IP address) into its lower-case ASCII
// form (IDNA UTS #46 lookup, as the URL standard's host parser does), or fails.
func Domain(s string) (string, error) {
	if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return "", &Error{Why: strconv.Quote(s) + " is an IP address, not a domain"}
	}
	d, err := validDomain.ToASCII(s)
	if err != nil || d == "" || strings.HasSuffix(d, ".") {
		return "", &Error{Why: strconv.Quote(s) + " is not a valid domain"}
	}
	return d, nil
}
