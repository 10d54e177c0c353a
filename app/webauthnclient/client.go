// Package webauthnclient is the desktop app's own WebAuthn client: what a browser does
// between the relying party's options and the authenticator, for the webview that has no
// WebAuthn (../shared/PLATFORM-NOTES.md).
//
// It takes PublicKeyCredentialCreationOptionsJSON / PublicKeyCredentialRequestOptionsJSON
// (the JSON the backend's begin endpoints return, what parse*OptionsFromJSON takes), builds
// clientDataJSON for the configured RP origin, checks the RP ID against that origin, asks an
// Authenticator, and returns exactly what PublicKeyCredential.toJSON() returns, so the
// backend's finish endpoints cannot tell it from a browser.
//
// Spec references are to Web Authentication Level 3 (W3C), "WebAuthn L3".
package webauthnclient

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/nhs-passkeys/companion/backend/origin"
)

// Errors of the client's own checks, named after the DOMException a browser would throw.
// Errors from the authenticator come back wrapped as the Authenticator returned them (for
// the fido2 adapter: errors.Is(err, fido2.ErrPINInvalid) and so on).
var (
	// ErrInvalidOptions: the options JSON is malformed or lacks a required member (TypeError).
	ErrInvalidOptions = errors.New("webauthnclient: the options are not valid")
	// ErrSecurity: the RP ID is not the origin's host or a registrable suffix of it
	// (SecurityError, §5.1.3 step 8 and §5.1.4.1 step 8).
	ErrSecurity = errors.New("webauthnclient: the relying party ID is not valid for this origin")
	// ErrNotSupported: none of pubKeyCredParams is an algorithm this client supports
	// (NotSupportedError, §5.1.3 step 10).
	ErrNotSupported = errors.New("webauthnclient: none of the requested algorithms is supported")
	// ErrBadResponse: the authenticator's answer does not fit the request (for example an
	// assertion by a credential that was not allowed). Nothing of it is returned.
	ErrBadResponse = errors.New("webauthnclient: the authenticator's answer does not fit the request")
	// ErrNoAccountPasskey: the authenticator's passkeys for this site all name other
	// accounts than the one asked for (GetCall.PreferAccount): as if it held none for it.
	ErrNoAccountPasskey = errors.New("webauthnclient: the authenticator holds no passkey for the account asked for")
)

// Client is a WebAuthn client for one origin: the relying party's origin that the app stands
// in for (e.g. "http://localhost:8080"), not the webview's wails://wails.
type Client struct {
	origin string // serialised origin (the "origin" member of clientDataJSON)
	host   string // its host: the effective domain (§5.1.3 step 6)
}

// New returns the client for the relying party's origin. Like a browser, it refuses an
// origin where WebAuthn is not available (origin.Parse: anything but https, except http on
// localhost, a potentially trustworthy origin; and hosts that are IP addresses, whose
// effective domain is not a valid domain, §5.1.3 step 6).
func New(rpOrigin string) (*Client, error) {
	serialised, host, err := origin.Parse(rpOrigin)
	if err != nil {
		return nil, fmt.Errorf("webauthnclient: the relying party's origin %w (it must look like https://host.example or http://localhost:8080)", err)
	}
	return &Client{origin: serialised, host: host}, nil
}

// Origin is the origin written into clientDataJSON.
func (c *Client) Origin() string { return c.origin }

// rpID settles the RP ID of a ceremony (§5.1.3 steps 7-8, §5.1.4.1 steps 7-8): the origin's
// effective domain when the options name none, otherwise the named one if it is a
// registrable domain suffix of, or equal to, the effective domain. Anything else is
// ErrSecurity.
func (c *Client) rpID(requested *string) (string, error) {
	if requested == nil {
		return c.host, nil
	}
	if !isRegistrableDomainSuffixOrEqual(*requested, c.host) {
		return "", fmt.Errorf("%w: %q for origin %s", ErrSecurity, *requested, c.origin)
	}
	id, _ := origin.Domain(*requested) // cannot fail: checked above
	return id, nil
}

// isRegistrableDomainSuffixOrEqual is the HTML standard's "is a registrable domain suffix of
// or is equal to" (which WebAuthn's RP ID check uses), with the Public Suffix List from
// golang.org/x/net/publicsuffix. originalHost is already a lower-case ASCII domain.
func isRegistrableDomainSuffixOrEqual(hostSuffix, originalHost string) bool {
	// 1. The empty string is never a suffix.
	if hostSuffix == "" {
		return false
	}
	// 2. Parse it as a host; failure is false. IP addresses are hosts but not domains.
	host, err := origin.Domain(hostSuffix)
	if err != nil {
		return false
	}
	// 3. Not equal: it must be a dot-separated suffix that is not itself a public suffix,
	// nor a suffix of the original host's public suffix (so "uk" or "nhs.uk", both on the
	// list, can never be the RP ID of login.nhs.uk).
	if host != originalHost {
		if !strings.HasSuffix(originalHost, "."+host) {
			return false
		}
		if ps, _ := publicsuffix.PublicSuffix(host); host == ps {
			return false
		}
		if ps, _ := publicsuffix.PublicSuffix(originalHost); ps == host || strings.HasSuffix(ps, "."+host) {
			return false
		}
	}
	return true
}
