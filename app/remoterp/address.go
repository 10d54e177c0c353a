package remoterp

import "github.com/nhs-passkeys/companion/backend/origin"

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
// browsers send in the Origin header, which is what the native client puts in
// clientDataJSON and what the remote `serve` checks: the one rule of origin.Parse, which
// `serve --origin` and the WebAuthn client also follow, so an address the app accepts is one
// where its ceremonies can run and that the server spells the same way. The API lives at the
// origin's /api/ and the RP ID is the host name (WebAuthn L3 §5.1.2), so anything more than
// an origin would be ignored or mean a mistake; https (or http to this computer only) so the
// session cookie, the password and the ceremonies are never sent in clear.
func ParseAddress(raw string) (string, error) {
	rpOrigin, _, err := origin.Parse(raw)
	if err != nil {
		return "", &SetupError{Code: AddressInvalid, Msg: "the relying party's address " + err.Error() + ": " + example, Err: err}
	}
	return rpOrigin, nil
}
