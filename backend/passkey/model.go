// The passkey as stored and as the API shows it, and the account as go-webauthn wants it.

package passkey

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
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
	transports := storedTransports(c.Transport)
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

// maxTransports is how many transport hints a passkey keeps: AuthenticatorTransport has six
// values today (WebAuthn L3 §5.8.4), and a client lists each one its authenticator has once.
const maxTransports = 8

// storedTransports is what is kept of a new credential's transports (getTransports(), WebAuthn
// L3 §5.2.1.1): hints that are passed back in allowCredentials and name the passkey. A value
// the spec does not know yet is kept (a client ignores one it does not know, §5.8.4), but only
// written as the spec writes its values (lower-case letters and hyphens, at most 32), each
// once, and at most maxTransports of them. Anything else came from no client: a made-up list
// of thousands, or text with control characters, is dropped rather than stored and shown.
func storedTransports(in []protocol.AuthenticatorTransport) []string {
	out := make([]string, 0, min(len(in), maxTransports))
	for _, t := range in {
		if len(out) == maxTransports {
			break
		}
		if transportLike(string(t)) && !slices.Contains(out, string(t)) {
			out = append(out, string(t))
		}
	}
	return out
}

// transportLike: a non-empty run of at most 32 lower-case ASCII letters and hyphens, as
// every AuthenticatorTransport value is ("usb", "smart-card").
func transportLike(t string) bool {
	if t == "" || len(t) > 32 {
		return false
	}
	for _, r := range t {
		if (r < 'a' || r > 'z') && r != '-' {
			return false
		}
	}
	return true
}
