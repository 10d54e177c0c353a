// Package aaguid writes an authenticator's AAGUID (WebAuthn L3 §6.5.1: the 16-byte model
// identifier in attested credential data; CTAP 2.1 §6.4: getInfo's aaguid) as the UUID text
// the API answers with: the one way for the backend's passkeys and the desktop shell's
// security keys alike.
package aaguid

import "encoding/hex"

// Zero is the all-zero AAGUID's text: what an authenticator sends when it does not say its
// model (WebAuthn L3 §6.5.1; many platform authenticators and "none" attestation).
const Zero = "00000000-0000-0000-0000-000000000000"

// Format writes the 16 bytes b as a lower-case UUID ("cb69481e-8ff7-4039-93ec-0a2729a154a8").
// Anything that is not 16 bytes is no AAGUID at all, and an authenticator that does not say
// its model sends the zero AAGUID (WebAuthn L3 §6.5.1), so it reads as Zero: the API's
// aaguid (docs/api.md, Passkey and SecurityKey) is always a UUID, and a stored passkey
// without one matches a security key whose getInfo gives none.
func Format(b []byte) string {
	if len(b) != 16 {
		return Zero
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
