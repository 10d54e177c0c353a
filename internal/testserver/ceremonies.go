package testserver

import (
	"encoding/json"
	"net/http"

	"github.com/nhs-passkeys/companion/internal/softauthn"
)

// Begun is the answer of a begin endpoint.
type Begun struct {
	Ceremony  string          `json:"ceremony"`
	PublicKey json.RawMessage `json:"publicKey"`
}

// Begin posts body to a begin endpoint and fails the test unless it answers 200.
func (c *Client) Begin(path string, body any) Begun {
	c.s.t.Helper()
	res := c.Post(path, body)
	if res.Status != http.StatusOK {
		c.s.t.Fatalf("POST %s: %d %s", path, res.Status, res.Body)
	}
	var b Begun
	res.Decode(c.s.t, &b)
	if len(b.Ceremony) < 22 {
		c.s.t.Fatalf("ceremony id %q is shorter than 128 bits in base64url", b.Ceremony)
	}
	return b
}

// Finish posts a ceremony's credential to a finish endpoint.
func (c *Client) Finish(path, ceremony string, credential []byte) *Response {
	c.s.t.Helper()
	return c.Post(path, map[string]any{"ceremony": ceremony, "credential": json.RawMessage(credential)})
}

// Passkey is the API's Passkey object.
type Passkey struct {
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
}

// RegisterPasskey sets up a passkey on a for the signed-in client, with proof ("" relies on
// the login grace), and fails the test unless it is stored.
func (c *Client) RegisterPasskey(a *softauthn.Authenticator, proof string) Passkey {
	c.s.t.Helper()
	body := map[string]any{}
	if proof != "" {
		body["proof"] = proof
	}
	b := c.Begin("/api/passkeys/register/begin", body)
	cred, err := a.Create(b.PublicKey)
	if err != nil {
		c.s.t.Fatalf("authenticator create: %v", err)
	}
	res := c.Finish("/api/passkeys/register/finish", b.Ceremony, cred)
	if res.Status != http.StatusCreated {
		c.s.t.Fatalf("register finish: %d %s", res.Status, res.Body)
	}
	var out struct {
		Passkey Passkey `json:"passkey"`
	}
	res.Decode(c.s.t, &out)
	return out.Passkey
}

// LoginWithPasskey runs a passkey login on a with email ("" = discoverable) and returns the
// finish answer.
func (c *Client) LoginWithPasskey(a *softauthn.Authenticator, email string) *Response {
	c.s.t.Helper()
	b := c.Begin("/api/login/passkey/begin", map[string]any{"email": email})
	cred, err := a.Get(b.PublicKey)
	if err != nil {
		c.s.t.Fatalf("authenticator get: %v", err)
	}
	return c.Finish("/api/login/passkey/finish", b.Ceremony, cred)
}

// ReauthWithPasskey re-authenticates the signed-in client with a for action and returns the
// proof; the test fails unless it works.
func (c *Client) ReauthWithPasskey(a *softauthn.Authenticator, action string) string {
	c.s.t.Helper()
	b := c.Begin("/api/reauth/passkey/begin", map[string]any{"action": action})
	cred, err := a.Get(b.PublicKey)
	if err != nil {
		c.s.t.Fatalf("authenticator get: %v", err)
	}
	return proofOf(c, c.Finish("/api/reauth/passkey/finish", b.Ceremony, cred))
}

// ReauthWithPassword re-authenticates the signed-in client with password for action and
// returns the proof; the test fails unless it works.
func (c *Client) ReauthWithPassword(password, action string) string {
	c.s.t.Helper()
	return proofOf(c, c.Post("/api/reauth/password", map[string]any{"action": action, "password": password}))
}

func proofOf(c *Client, res *Response) string {
	c.s.t.Helper()
	if res.Status != http.StatusOK {
		c.s.t.Fatalf("re-authentication: %d %s", res.Status, res.Body)
	}
	var out struct {
		Proof string `json:"proof"`
	}
	res.Decode(c.s.t, &out)
	if len(out.Proof) < 43 {
		c.s.t.Fatalf("proof %q is shorter than 256 bits in base64url", out.Proof)
	}
	return out.Proof
}
