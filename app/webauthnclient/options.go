package webauthnclient

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The JSON forms of the options (WebAuthn L3 §5.1.3's PublicKeyCredentialCreationOptionsJSON
// and §5.1.4's PublicKeyCredentialRequestOptionsJSON), as parse*OptionsFromJSON reads them:
// binary members are base64url strings, unknown members are ignored.

type creationOptionsJSON struct {
	RP struct {
		ID   *string `json:"id"` // absent: the origin's effective domain
		Name string  `json:"name"`
	} `json:"rp"`
	User struct {
		ID          base64URL `json:"id"`
		Name        string    `json:"name"`
		DisplayName string    `json:"displayName"`
	} `json:"user"`
	Challenge              base64URL                  `json:"challenge"`
	PubKeyCredParams       []credentialParameter      `json:"pubKeyCredParams"`
	Timeout                *uint32                    `json:"timeout"` // milliseconds
	ExcludeCredentials     []credentialDescriptorJSON `json:"excludeCredentials"`
	AuthenticatorSelection *struct {
		AuthenticatorAttachment string `json:"authenticatorAttachment"`
		ResidentKey             string `json:"residentKey"`
		RequireResidentKey      bool   `json:"requireResidentKey"`
		UserVerification        string `json:"userVerification"`
	} `json:"authenticatorSelection"`
}

type requestOptionsJSON struct {
	Challenge        base64URL                  `json:"challenge"`
	Timeout          *uint32                    `json:"timeout"` // milliseconds
	RPID             *string                    `json:"rpId"`    // absent: the origin's effective domain
	AllowCredentials []credentialDescriptorJSON `json:"allowCredentials"`
	UserVerification string                     `json:"userVerification"`
}

type credentialParameter struct {
	Type string `json:"type"`
	Alg  int64  `json:"alg"`
}

type credentialDescriptorJSON struct {
	Type string    `json:"type"`
	ID   base64URL `json:"id"`
}

// base64URL is a binary member: a base64url string (padding tolerated, as browsers do).
type base64URL []byte

func (b *base64URL) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return errors.New("not a base64url string")
	}
	out, err := base64.RawURLEncoding.DecodeString(string(bytes.TrimRight([]byte(s), "=")))
	if err != nil {
		return fmt.Errorf("not base64url: %w", err)
	}
	*b = out
	return nil
}

// decodeOptions reads options JSON into v: one JSON object, no trailing data.
func decodeOptions(options []byte, v any) error {
	if trimmed := bytes.TrimLeft(options, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return fmt.Errorf("%w: not a JSON object", ErrInvalidOptions)
	}
	if err := json.Unmarshal(options, v); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	return nil
}

// Requirement is a WebAuthn requirement level (§5.4.6 ResidentKeyRequirement, §5.8.6
// UserVerificationRequirement).
type Requirement string

const (
	Required    Requirement = "required"
	Preferred   Requirement = "preferred"
	Discouraged Requirement = "discouraged"
)

// requirement reads a requirement member: unknown values are ignored (§5.4.6, §5.8.6 "client
// platforms MUST ignore unknown values"), giving def.
func requirement(s string, def Requirement) Requirement {
	switch r := Requirement(s); r {
	case Required, Preferred, Discouraged:
		return r
	}
	return def
}

// credentialIDs are the ids of the descriptors of type "public-key" (others are ignored, as
// §5.1.3 and §5.1.4 do for unknown types).
func credentialIDs(list []credentialDescriptorJSON) ([][]byte, error) {
	var ids [][]byte
	for _, d := range list {
		if d.Type != publicKeyType {
			continue
		}
		if len(d.ID) == 0 {
			return nil, fmt.Errorf("%w: a credential descriptor has no id", ErrInvalidOptions)
		}
		ids = append(ids, d.ID)
	}
	return ids, nil
}

// timeout turns the options' timeout hint (milliseconds) into a duration; 0 when absent.
func timeout(ms *uint32) time.Duration {
	if ms == nil {
		return 0
	}
	return time.Duration(*ms) * time.Millisecond
}
