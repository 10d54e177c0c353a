package virtualkey

import (
	"bytes"
	"slices"

	"github.com/fxamacker/cbor/v2"
)

// authenticatorConfig sub-commands (CTAP 2.1 §6.11). Only setMinPINLength is supported:
// enterprise attestation and alwaysUv are not (getInfo has no ep or alwaysUv option).
const (
	cfgEnableEnterpriseAttestation = 0x01
	cfgToggleAlwaysUV              = 0x02
	cfgSetMinPINLength             = 0x03
)

type configParams struct {
	SubCommand        *uint64         `cbor:"1,keyasint"`
	SubCommandParams  cbor.RawMessage `cbor:"2,keyasint"`
	PinUvAuthProtocol *uint64         `cbor:"3,keyasint"`
	PinUvAuthParam    []byte          `cbor:"4,keyasint"`
}

type minPINLengthParams struct {
	NewMinPINLength   *uint64  `cbor:"1,keyasint"`
	MinPINLengthRPIDs []string `cbor:"2,keyasint"`
	ForceChangePin    *bool    `cbor:"3,keyasint"`
}

// authenticatorConfig is authenticatorConfig (CTAP 2.1 §6.11).
func (k *Key) authenticatorConfig(_ *request, raw []byte) (any, error) {
	var p configParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	if p.SubCommand == nil {
		return nil, statusMissingParameter
	}
	sub := *p.SubCommand
	if sub != cfgSetMinPINLength {
		// enableEnterpriseAttestation, toggleAlwaysUv and anything else.
		return nil, statusInvalidSubcommand
	}
	// §6.11: a key protected by user verification (a PIN, or an enrolled finger) needs a
	// token with the acfg permission, over 32×0xff || 0x0d || uint8(subCommand) ||
	// subCommandParams. An unprotected key takes the command as it is.
	if k.st.pinSet() || k.st.uvConfigured() || p.PinUvAuthParam != nil {
		msg := slices.Concat(bytes.Repeat([]byte{0xff}, 32),
			[]byte{cborAuthenticatorConfig, byte(sub)}, p.SubCommandParams)
		if err := k.requireToken(p.PinUvAuthProtocol, msg, p.PinUvAuthParam, permAuthenticatorConfig); err != nil {
			return nil, err
		}
	}
	var params minPINLengthParams
	if len(p.SubCommandParams) > 0 {
		if err := decodeParams(p.SubCommandParams, &params); err != nil {
			return nil, err
		}
	}
	return k.setMinPINLength(params)
}

// setMinPINLength (§6.11.4): raise the minimum PIN length and/or ask for a PIN change. The
// minimum never goes down (only authenticatorReset brings back the default). A PIN shorter
// than the new minimum must be changed: forcePINChange is set, and until the PIN is changed
// getPinToken and getPinUvAuthTokenUsingPinWithPermissions answer
// CTAP2_ERR_PIN_POLICY_VIOLATION.
func (k *Key) setMinPINLength(p minPINLengthParams) (any, error) {
	newMin := k.st.minPINLength()
	if p.NewMinPINLength != nil {
		//nolint:gosec // G115: minPINLength() is a stored length or the default, never negative
		if *p.NewMinPINLength < uint64(newMin) || *p.NewMinPINLength > maxPINBytes {
			return nil, statusPinPolicyViolation
		}
		newMin = int(*p.NewMinPINLength)
	}
	// minPinLengthRPIDs: the key keeps no such list (getInfo maxRPIDsForSetMinPINLength is
	// absent, i.e. 0).
	if len(p.MinPINLengthRPIDs) > 0 {
		return nil, statusInvalidParameter
	}
	force := p.ForceChangePin != nil && *p.ForceChangePin
	if force && !k.st.pinSet() {
		return nil, statusPinNotSet
	}
	return nil, k.update(func(next *state) error {
		next.MinPINLength = newMin
		if force || (next.pinSet() && next.PINLength < newMin) {
			next.ForcePINChange = true
		}
		return nil
	})
}
