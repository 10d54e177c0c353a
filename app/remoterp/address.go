package remoterp

import (
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Stable codes of a refused --relying-party / relyingParty or relyingPartyCA (docs/api.md,
// "Start-up refusals"): the program prints the message, then the code.
const (
	AddressInvalid = "relying_party_address_invalid" // not https://host[:port] (or http:// to this computer)
	CAInvalid      = "relying_party_ca_invalid"      // the CA file cannot be read or holds no certificate
)

// SetupError says why the relying party's address or CA file cannot be used. Msg is for the
// administrator who wrote it (what is wrong and what to write instead); Code is stable.
type SetupError struct {
	Code string
	Msg  string
	Err  error // the cause, if any
}

func (e *SetupError) Error() string { return e.Msg }

func (e *SetupError) Unwrap() error { return e.Err }

// ErrorCode returns the stable code (the program prints it after the message).
func (e *SetupError) ErrorCode() string { return e.Code }

// example is what every refusal of an address shows to write instead.
const example = "write it as https://passkeys.example.org (or https://passkeys.example.org:8443)"

// ParseAddress checks the relying party's address and returns its origin, in the form
// browsers send in the Origin header (RFC 6454 §6.2: scheme://host[:port], lower case), which
// is what the native client puts in clientDataJSON and what the remote `serve` checks.
//
// The rules:
//   - https, so the session cookie, the password and the ceremonies are never sent in clear;
//     http only to this computer (localhost, 127.0.0.1, ::1), which WebAuthn counts as a
//     secure context (W3C Secure Contexts §3.1, "potentially trustworthy" loopback hosts);
//   - an origin and nothing else: no path (a lone "/" is allowed), query, fragment or
//     user name and password. The API lives at the origin's /api/ and the RP ID is the host
//     name (WebAuthn L3 §5.1.2), so anything more would be ignored or mean a mistake, and a
//     password in the address would be kept in a settings file and shown by `ps`.
func ParseAddress(raw string) (string, error) {
	refuse := func(why string) (string, error) {
		return "", &SetupError{Code: AddressInvalid, Msg: why + ": " + example}
	}
	if strings.TrimSpace(raw) != raw || raw == "" {
		return refuse("the relying party's address is empty or has spaces around it")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return refuse("the relying party's address could not be read")
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return refuse("the relying party's address must begin https://")
	case u.Opaque != "" || u.Host == "":
		return refuse("the relying party's address has no host name")
	case u.User != nil:
		return refuse("the relying party's address must not hold a user name or password")
	case u.RawQuery != "" || u.ForceQuery:
		return refuse("the relying party's address must not have a query (the part after ?)")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return refuse("the relying party's address must not have a fragment (the part after #)")
	case u.Path != "" && u.Path != "/", u.RawPath != "":
		return refuse("the relying party's address must be the server's address alone, with no path such as " + u.EscapedPath())
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return refuse("the relying party's address has no host name")
	}
	port := u.Port()
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return refuse("the relying party's address has a port that is not a number from 1 to 65535")
		}
		// RFC 6454 §6.2: an origin is serialised without its scheme's default port, as
		// browsers send it, and the remote `serve` compares origins as text.
		port = strconv.Itoa(n)
		if (u.Scheme == "https" && n == 443) || (u.Scheme == "http" && n == 80) {
			port = ""
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return refuse("the relying party's address has an empty port")
	}
	if u.Scheme == "http" && !isLoopback(host) {
		return refuse("the relying party's address must begin https://, so that nothing is sent in clear (http:// is allowed only for localhost, 127.0.0.1 or ::1)")
	}
	switch {
	case port != "":
		host = net.JoinHostPort(host, port)
	case strings.Contains(host, ":"):
		host = "[" + host + "]" // an IPv6 address (RFC 3986 §3.2.2)
	}
	return u.Scheme + "://" + host, nil
}

// isLoopback says whether host is one of the names WebAuthn treats as this computer in a
// secure context: localhost, 127.0.0.1, ::1.
func isLoopback(host string) bool {
	switch host {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// rpID is the RP ID of origin: its host name, as the remote `serve` derives it
// (passkey.NewRelyingParty; WebAuthn L3 §5.1.2 defaults the RP ID to the origin's
// effective domain).
func rpID(origin string) string {
	u, err := url.Parse(origin)
	if err != nil {
		return ""
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); ip != nil {
		return ip.String()
	}
	return host
}
