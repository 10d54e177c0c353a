//go:build cgo && !windows

package ceremony

import (
	"net/http"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// readPIN reads the body {"pin": "..."} of POST .../pin into a byte slice the caller owns
// and must zero, with httpapi.DecodeSecrets (the PIN-wiping decoder: the PIN never becomes a
// Go string, and every buffer that held it is zeroed).
func readPIN(r *http.Request) ([]byte, error) {
	var body struct {
		PIN httpapi.Secret `json:"pin"`
	}
	if err := httpapi.DecodeSecrets(r, &body); err != nil {
		body.PIN.Wipe()
		return nil, err
	}
	if err := authenticator.CheckPIN("pin", body.PIN); err != nil {
		body.PIN.Wipe()
		return nil, err
	}
	return body.PIN, nil
}
