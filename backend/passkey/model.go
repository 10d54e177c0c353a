// The passkey as stored and as the API shows it, and the account as go-webauthn wants it.

package passkey

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/passkey/aaguid"
)

// Passkey is a registered WebAuthn credential.
type Passkey struct {
	ID                int64
	AccountID         int64
	CredentialID      []byte
	PublicKey         []byte // COSE_Key
	AAGUID            []byte
	SignCount         uint32
	CloneWarning      bool // flagged: its signature counter went backwards; refused from then on
	UserPresent       bool
	UserVerified      bool
	BackupEligible    bool
	BackupState       bool
	Transports        []string
	Attachment        string
	AttestationType   string
	AttestationFormat string
	Name              string
	CreatedAt         time.Time
	LastUsedAt        *time.Time
}

// MarshalJSON writes the API's Passkey object (docs/api.md).
func (p Passkey) MarshalJSON() ([]byte, error) {
	var lastUsed *string
	if p.LastUsedAt != nil {
		s := p.LastUsedAt.UTC().Format(time.RFC3339)
		lastUsed = &s
	}
	transports := p.Transports
	if transports == nil {
		transports = []string{}
	}
	var provider *string
	if info, ok := lookupAAGUID(p.AAGUID); ok {
		provider = &info.Name
	}
	return json.Marshal(struct {
		ID             string   `json:"id"`
		Name           string   `json:"name"`
		CreatedAt      string   `json:"createdAt"`
		LastUsedAt     *string  `json:"lastUsedAt"`
		BackupEligible bool     `json:"backupEligible"`
		BackedUp       bool     `json:"backedUp"`
		Transports     []string `json:"transports"`
		AAGUID         string   `json:"aaguid"`
		Provider       *string  `json:"provider"`
		StoredOn       string   `json:"storedOn"`
		Flagged        bool     `json:"flagged"`
	}{
		ID:             base64.RawURLEncoding.EncodeToString(p.CredentialID),
		Name:           p.Name,
		CreatedAt:      p.CreatedAt.UTC().Format(time.RFC3339),
		LastUsedAt:     lastUsed,
		BackupEligible: p.BackupEligible,
		BackedUp:       p.BackupState,
		Transports:     transports,
		AAGUID:         aaguid.Format(p.AAGUID),
		Provider:       provider,
		StoredOn:       storedOn(p),
		Flagged:        p.CloneWarning,
	})
}

// credential is the go-webauthn form of p.
func (p Passkey) credential() webauthn.Credential {
	transports := make([]protocol.AuthenticatorTransport, len(p.Transports))
	for i, t := range p.Transports {
		transports[i] = protocol.AuthenticatorTransport(t)
	}
	var flags protocol.AuthenticatorFlags
	for _, f := range []struct {
		set  bool
		flag protocol.AuthenticatorFlags
	}{
		{p.UserPresent, protocol.FlagUserPresent},
		{p.UserVerified, protocol.FlagUserVerified},
		{p.BackupEligible, protocol.FlagBackupEligible},
		{p.BackupState, protocol.FlagBackupState},
	} {
		if f.set {
			flags |= f.flag
		}
	}
	return webauthn.Credential{
		ID:                p.CredentialID,
		PublicKey:         p.PublicKey,
		AttestationType:   p.AttestationType,
		AttestationFormat: p.AttestationFormat,
		Transport:         transports,
		Flags:             webauthn.NewCredentialFlags(flags),
		Authenticator: webauthn.Authenticator{
			AAGUID:       p.AAGUID,
			SignCount:    p.SignCount,
			CloneWarning: p.CloneWarning,
			Attachment:   protocol.AuthenticatorAttachment(p.Attachment),
		},
	}
}

// usable drops flagged passkeys: they cannot log in, so they are neither offered nor counted
// as a way to log in.
func usable(passkeys []Passkey) []Passkey {
	out := make([]Passkey, 0, len(passkeys))
	for _, p := range passkeys {
		if !p.CloneWarning {
			out = append(out, p)
		}
	}
	return out
}

func findPasskey(passkeys []Passkey, credentialID []byte) (Passkey, bool) {
	for _, p := range passkeys {
		if bytes.Equal(p.CredentialID, credentialID) {
			return p, true
		}
	}
	return Passkey{}, false
}

// user is an account with passkeys, as go-webauthn wants it.
type user struct {
	account  account.Account
	passkeys []Passkey
}

func (u *user) WebAuthnID() []byte          { return u.account.UserHandle }
func (u *user) WebAuthnName() string        { return u.account.Email }
func (u *user) WebAuthnDisplayName() string { return u.account.Email }
func (u *user) WebAuthnCredentials() []webauthn.Credential {
	out := make([]webauthn.Credential, len(u.passkeys))
	for i, p := range u.passkeys {
		out[i] = p.credential()
	}
	return out
}

func newPasskey(accountID int64, c *webauthn.Credential, now time.Time) Passkey {
	transports := make([]string, len(c.Transport))
	for i, t := range c.Transport {
		transports[i] = string(t)
	}
	return Passkey{
		AccountID:         accountID,
		CredentialID:      c.ID,
		PublicKey:         c.PublicKey,
		AAGUID:            c.Authenticator.AAGUID,
		SignCount:         c.Authenticator.SignCount,
		UserPresent:       c.Flags.UserPresent,
		UserVerified:      c.Flags.UserVerified,
		BackupEligible:    c.Flags.BackupEligible,
		BackupState:       c.Flags.BackupState,
		Transports:        transports,
		Attachment:        string(c.Authenticator.Attachment),
		AttestationType:   c.AttestationType,
		AttestationFormat: c.AttestationFormat,
		CreatedAt:         now.UTC(),
	}
}
