package backend_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/backend/passkey"
	"github.com/nhs-passkeys/companion/backend/store"
	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

// world is where each hostile case starts: Pat signed in (login grace spent) with one
// passkey, and a signed-out stranger. Sam, a second person like Pat, joins when a case asks
// (withSam): making people is most of a case's time under -race.
type world struct {
	s                *testserver.Server
	pat, sam         *testserver.Client
	patAuth, samAuth *softauthn.Authenticator
	patKey, samKey   testserver.Passkey
	stranger         *testserver.Client
}

const (
	patEmail = "pat@example.com"
	password = "correct horse battery"
)

func newWorld(t *testing.T, opts ...testserver.Option) *world {
	t.Helper()
	s := testserver.New(t, opts...)
	w := &world{s: s, pat: s.Client(), stranger: s.Client(), patAuth: softauthn.New(testserver.Origin)}
	w.pat.SignUp(patEmail, password)
	w.patKey = w.pat.RegisterPasskey(w.patAuth, "")
	return w
}

// withSam adds Sam, signed in with one passkey, and returns the world.
func (w *world) withSam(t *testing.T) *world {
	t.Helper()
	w.sam, w.samAuth = w.s.Client(), softauthn.New(testserver.Origin)
	w.sam.SignUp("sam@example.com", password)
	w.samKey = w.sam.RegisterPasskey(w.samAuth, "")
	return w
}

func randomB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// request is one request, made later.
type request func() *testserver.Response

// login begins an email-first (email != "") or discoverable login on c and has a answer it
// with cred (nil: whichever credential a picks); the request finishes it.
func (w *world) login(t *testing.T, c *testserver.Client, a *softauthn.Authenticator, cred *softauthn.Credential, email string) request {
	t.Helper()
	b := c.Begin("/api/login/passkey/begin", map[string]any{"email": email})
	var (
		response []byte
		err      error
	)
	if cred != nil {
		response, err = a.GetWith(b.PublicKey, cred)
	} else {
		response, err = a.Get(b.PublicKey)
	}
	if err != nil {
		t.Fatalf("authenticator get: %v", err)
	}
	return func() *testserver.Response { return c.Finish("/api/login/passkey/finish", b.Ceremony, response) }
}

// register begins a passkey set-up for Pat (re-authenticated with Pat's passkey) and has a
// create the credential (with cred: reuse that one); the request finishes it.
func (w *world) register(t *testing.T, a *softauthn.Authenticator, cred *softauthn.Credential) request {
	t.Helper()
	proof := w.pat.ReauthWithPasskey(w.patAuth, "add-passkey")
	b := w.pat.Begin("/api/passkeys/register/begin", map[string]any{"proof": proof})
	var (
		response []byte
		err      error
	)
	if cred != nil {
		response, err = a.CreateWith(b.PublicKey, cred)
	} else {
		response, err = a.Create(b.PublicKey)
	}
	if err != nil {
		t.Fatalf("authenticator create: %v", err)
	}
	return func() *testserver.Response {
		return w.pat.Finish("/api/passkeys/register/finish", b.Ceremony, response)
	}
}

// reauth begins a re-authentication of Pat for remove-passkey and has a answer it with cred
// (nil: Pat's); the request finishes it.
func (w *world) reauth(t *testing.T, a *softauthn.Authenticator, cred *softauthn.Credential) request {
	t.Helper()
	b := w.pat.Begin("/api/reauth/passkey/begin", map[string]any{"action": "remove-passkey"})
	if cred == nil {
		cred = w.patAuth.Credentials[0]
	}
	response, err := a.GetWith(b.PublicKey, cred)
	if err != nil {
		t.Fatalf("authenticator get: %v", err)
	}
	return func() *testserver.Response { return w.pat.Finish("/api/reauth/passkey/finish", b.Ceremony, response) }
}

// twice makes the request once as set-up (it must succeed) and returns it for a replay.
func twice(t *testing.T, r request) request {
	t.Helper()
	if res := r(); res.Status >= 300 {
		t.Fatalf("the genuine request was refused: %d %s", res.Status, res.Body)
	}
	return r
}

func setResponse(field, value string) func(map[string]any) {
	return func(m map[string]any) { m["response"].(map[string]any)[field] = value }
}

func setIDs(value string) func(map[string]any) {
	return func(m map[string]any) { m["id"], m["rawId"] = value, value }
}

// fromOrigin returns a request that sends body to path with origin ("" sends none) from c.
func fromOrigin(c *testserver.Client, origin, method, path string, body any) request {
	return func() *testserver.Response {
		saved := c.Origin
		c.Origin = origin
		defer func() { c.Origin = saved }()
		return c.Do(method, path, body)
	}
}

// hostile is one attack: set-up that a genuine client could do, then one request that must
// be refused with a specific code, for the reason given, with the database unchanged.
type hostile struct {
	name   string
	attack func(t *testing.T, w *world) request
	status int
	code   string
	cause  string // in the logged cause: refused for this reason, not by accident
	// changes lists state tables that the refusal must change (a cloned passkey gets
	// flagged); they are checked by check instead of being compared.
	changes []string
	check   func(t *testing.T, w *world)
}

func TestHostileInputIsRefusedAndChangesNothing(t *testing.T) {
	evil := func(edit func(a *softauthn.Authenticator)) *softauthn.Authenticator {
		a := softauthn.New(testserver.Origin)
		edit(a)
		return a
	}
	flagged := func(t *testing.T, w *world) {
		if w.s.Count(`SELECT count(*) FROM passkeys WHERE clone_warning = 1 AND credential_id = $1`, w.patAuth.Credentials[0].ID) != 1 ||
			w.s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'passkey_flagged'`) != 1 {
			t.Errorf("the cloned passkey was not flagged and audited")
		}
	}
	tests := []hostile{
		// Origin and RP ID.
		{"login: an assertion made for another origin", func(t *testing.T, w *world) request {
			w.patAuth.Origin = "http://evil.example"
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 401, "passkey_not_accepted", "origin", nil, nil},
		{"registration: a credential made for another origin", func(t *testing.T, w *world) request {
			return w.register(t, evil(func(a *softauthn.Authenticator) { a.Origin = "http://localhost:9999" }), nil)
		}, 400, "passkey_not_accepted", "origin", nil, nil},
		{"re-authentication: an assertion made for another origin", func(t *testing.T, w *world) request {
			w.patAuth.Origin = "http://evil.example"
			return w.reauth(t, w.patAuth, nil)
		}, 401, "passkey_not_accepted", "origin", nil, nil},
		{"login: the wrong rpIdHash", func(t *testing.T, w *world) request {
			w.patAuth.RPID = "evil.example"
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 401, "passkey_not_accepted", "RP Hash", nil, nil},
		{"registration: the wrong rpIdHash", func(t *testing.T, w *world) request {
			return w.register(t, evil(func(a *softauthn.Authenticator) { a.RPID = "evil.example" }), nil)
		}, 400, "passkey_not_accepted", "RP Hash", nil, nil},

		// Client data.
		{"login: clientData of type webauthn.create", func(t *testing.T, w *world) request {
			w.patAuth.ClientDataType = "webauthn.create"
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 401, "passkey_not_accepted", "type", nil, nil},
		{"registration: clientData of type webauthn.get", func(t *testing.T, w *world) request {
			return w.register(t, evil(func(a *softauthn.Authenticator) { a.ClientDataType = "webauthn.get" }), nil)
		}, 400, "passkey_not_accepted", "type", nil, nil},
		{"login: a challenge that is not the ceremony's", func(t *testing.T, w *world) request {
			w.patAuth.Challenge = randomB64(32)
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 401, "passkey_not_accepted", "hallenge", nil, nil},
		{"registration: a challenge that is not the ceremony's", func(t *testing.T, w *world) request {
			return w.register(t, evil(func(a *softauthn.Authenticator) { a.Challenge = randomB64(32) }), nil)
		}, 400, "passkey_not_accepted", "hallenge", nil, nil},
		{"re-authentication: a challenge that is not the ceremony's", func(t *testing.T, w *world) request {
			w.patAuth.Challenge = randomB64(32)
			return w.reauth(t, w.patAuth, nil)
		}, 401, "passkey_not_accepted", "hallenge", nil, nil},

		// Challenge reuse and expiry.
		{"login: a replayed assertion", func(t *testing.T, w *world) request {
			return twice(t, w.login(t, w.stranger, w.patAuth, nil, patEmail))
		}, 409, "ceremony_used", "ceremony that succeeded", nil, nil},
		{"registration: a replayed registration", func(t *testing.T, w *world) request {
			return twice(t, w.register(t, softauthn.New(testserver.Origin), nil))
		}, 409, "ceremony_used", "ceremony that succeeded", nil, nil},
		{"re-authentication: a replayed assertion", func(t *testing.T, w *world) request {
			return twice(t, w.reauth(t, w.patAuth, nil))
		}, 409, "ceremony_used", "ceremony that succeeded", nil, nil},
		{"login: an expired ceremony", func(t *testing.T, w *world) request {
			r := w.login(t, w.stranger, w.patAuth, nil, patEmail)
			w.s.Clock.Advance(passkey.CeremonyTimeout)
			return r
		}, 400, "ceremony_expired", "ceremony expired", nil, nil},
		{"registration: an expired ceremony", func(t *testing.T, w *world) request {
			r := w.register(t, softauthn.New(testserver.Origin), nil)
			w.s.Clock.Advance(passkey.CeremonyTimeout)
			return r
		}, 400, "ceremony_expired", "ceremony expired", nil, nil},
		{"re-authentication: an expired ceremony", func(t *testing.T, w *world) request {
			r := w.reauth(t, w.patAuth, nil)
			w.s.Clock.Advance(passkey.CeremonyTimeout)
			return r
		}, 400, "ceremony_expired", "ceremony expired", nil, nil},

		// Flags.
		{"login: user presence cleared", func(t *testing.T, w *world) request {
			w.patAuth.UserPresent = false
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 401, "passkey_not_accepted", "presen", nil, nil},
		{"registration: user presence cleared", func(t *testing.T, w *world) request {
			return w.register(t, evil(func(a *softauthn.Authenticator) { a.UserPresent = false }), nil)
		}, 400, "passkey_not_accepted", "presen", nil, nil},
		{"login: user verification cleared", func(t *testing.T, w *world) request {
			w.patAuth.UserVerified = false
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 401, "passkey_not_accepted", "verif", nil, nil},
		{"registration: user verification cleared", func(t *testing.T, w *world) request {
			return w.register(t, evil(func(a *softauthn.Authenticator) { a.UserVerified = false }), nil)
		}, 400, "passkey_not_accepted", "verif", nil, nil},
		{"re-authentication: user verification cleared", func(t *testing.T, w *world) request {
			w.patAuth.UserVerified = false
			return w.reauth(t, w.patAuth, nil)
		}, 401, "passkey_not_accepted", "verif", nil, nil},
		{"registration: BE=0 with BS=1", func(t *testing.T, w *world) request {
			return w.register(t, evil(func(a *softauthn.Authenticator) { a.BackupState = true }), nil)
		}, 400, "passkey_not_accepted", "Backup", nil, nil},
		{"login: BE=0 with BS=1", func(t *testing.T, w *world) request {
			w.patAuth.BackupState = true
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 401, "passkey_not_accepted", "Backup", nil, nil},

		// WebAuthn L3 §7.2 step 19: backup eligibility is fixed when the credential is made.
		{"login: BE set on a passkey registered without it", func(t *testing.T, w *world) request {
			w.patAuth.BackupEligible = true
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 401, "passkey_not_accepted", "Backup Eligible", nil, nil},
		{"re-authentication: BE set on a passkey registered without it", func(t *testing.T, w *world) request {
			w.patAuth.BackupEligible = true
			return w.reauth(t, w.patAuth, nil)
		}, 401, "passkey_not_accepted", "Backup Eligible", nil, nil},

		// Attested credential data is made at registration only (WebAuthn L3 §6.1: AT is
		// set only for attestation): an assertion carrying it, even a signed one, is refused.
		{"login: attested credential data in an assertion", func(t *testing.T, w *world) request {
			w.patAuth.AssertionFlags, w.patAuth.AssertionExtra = softauthn.FlagAT, w.patAuth.AttestedData(w.patAuth.Credentials[0])
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 401, "passkey_not_accepted", "attested credential data", nil, nil},
		{"re-authentication: attested credential data in an assertion", func(t *testing.T, w *world) request {
			w.patAuth.AssertionFlags, w.patAuth.AssertionExtra = softauthn.FlagAT, w.patAuth.AttestedData(w.patAuth.Credentials[0])
			return w.reauth(t, w.patAuth, nil)
		}, 401, "passkey_not_accepted", "attested credential data", nil, nil},

		// Counters.
		{"login: a signature counter that went backwards", func(t *testing.T, w *world) request {
			twice(t, w.login(t, w.stranger, w.patAuth, nil, patEmail))
			w.patAuth.Credentials[0].SignCount = 0
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 401, "passkey_flagged", "signature counter did not increase", []string{"passkeys", "sessions"}, func(t *testing.T, w *world) {
			flagged(t, w)
			// The genuine-looking login before it may have been the copy's: its session ends.
			if w.s.Count(`SELECT count(*) FROM sessions WHERE passkey_id IS NOT NULL`) != 0 || w.s.Count(`SELECT count(*) FROM sessions`) != 1 {
				t.Errorf("the session the flagged passkey logged in was not the one ended")
			}
		}},
		{"re-authentication: a signature counter that went backwards", func(t *testing.T, w *world) request {
			twice(t, w.reauth(t, w.patAuth, nil))
			w.patAuth.Credentials[0].SignCount = 0
			return w.reauth(t, w.patAuth, nil)
		}, 401, "passkey_flagged", "signature counter did not increase", []string{"passkeys"}, flagged},

		// Credentials and user handles of other accounts.
		{"login: another account's passkey for Pat's email", func(t *testing.T, w *world) request {
			w.withSam(t)
			return w.login(t, w.stranger, w.samAuth, w.samAuth.Credentials[0], patEmail)
		}, 401, "passkey_not_accepted", "not one of the account of the email typed", nil, nil},
		{"login: another account's passkey with Pat's user handle", func(t *testing.T, w *world) request {
			w.withSam(t)
			w.samAuth.UserHandle = w.patAuth.Credentials[0].UserHandle
			return w.login(t, w.stranger, w.samAuth, w.samAuth.Credentials[0], "")
		}, 401, "passkey_not_accepted", "no passkey with this credential id and user handle", nil, nil},
		{"login: a user handle that does not match (email-first)", func(t *testing.T, w *world) request {
			w.patAuth.UserHandle = []byte("someone else entirely, 32 bytes")
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 401, "passkey_not_accepted", "no passkey with this credential id and user handle", nil, nil},
		{"login: a user handle that does not match (discoverable)", func(t *testing.T, w *world) request {
			w.withSam(t)
			w.patAuth.UserHandle = w.samAuth.Credentials[0].UserHandle
			return w.login(t, w.stranger, w.patAuth, nil, "")
		}, 401, "passkey_not_accepted", "no passkey with this credential id and user handle", nil, nil},
		{"re-authentication: another account's passkey", func(t *testing.T, w *world) request {
			w.withSam(t)
			return w.reauth(t, w.samAuth, w.samAuth.Credentials[0])
		}, 401, "passkey_not_accepted", "not owned by the user", nil, nil},
		{"registration: a credential ID registered to another account", func(t *testing.T, w *world) request {
			w.withSam(t)
			return w.register(t, w.samAuth, w.samAuth.Credentials[0])
		}, 409, "passkey_already_registered", "credential id already registered", nil, nil},

		// Sizes.
		{"registration: a credential ID over 1023 bytes", func(t *testing.T, w *world) request {
			return w.register(t, evil(func(a *softauthn.Authenticator) { a.IDLength = 1024 }), nil)
		}, 400, "passkey_not_accepted", "credential id over 1023 bytes", nil, nil},
		{"login: a credential ID over 1023 bytes", func(t *testing.T, w *world) request {
			w.patAuth.EditResponse = setIDs(randomB64(1024))
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 401, "passkey_not_accepted", "credential id over 1023 bytes", nil, nil},
		{"login: a body over 64 KiB", func(t *testing.T, w *world) request {
			w.patAuth.EditResponse = func(m map[string]any) { m["padding"] = strings.Repeat("x", 64<<10) }
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 413, "request_too_large", "Content-Length", nil, nil},
		{"registration: a body over 64 KiB", func(t *testing.T, w *world) request {
			return w.register(t, evil(func(a *softauthn.Authenticator) {
				a.EditResponse = func(m map[string]any) { m["padding"] = strings.Repeat("x", 64<<10) }
			}), nil)
		}, 413, "request_too_large", "Content-Length", nil, nil},

		// Malformed CBOR and JSON.
		{"registration: an attestation object that is not CBOR", func(t *testing.T, w *world) request {
			return w.register(t, evil(func(a *softauthn.Authenticator) {
				a.EditResponse = setResponse("attestationObject", base64.RawURLEncoding.EncodeToString([]byte{0xa3, 0x63, 0x66, 0x6d, 0xff, 0x00}))
			}), nil)
		}, 400, "passkey_not_accepted", "Error parsing attestation response", nil, nil},
		{"registration: a COSE key that is not CBOR", func(t *testing.T, w *world) request {
			return w.register(t, evil(func(a *softauthn.Authenticator) {
				a.EditResponse = func(m map[string]any) {
					// Cut the attestation object short, inside the credential public key.
					resp := m["response"].(map[string]any)
					raw, _ := base64.RawURLEncoding.DecodeString(resp["attestationObject"].(string))
					resp["attestationObject"] = base64.RawURLEncoding.EncodeToString(raw[:len(raw)-20])
				}
			}), nil)
		}, 400, "passkey_not_accepted", "Error parsing attestation response", nil, nil},
		{"login: authenticator data that is too short", func(t *testing.T, w *world) request {
			w.patAuth.EditResponse = setResponse("authenticatorData", base64.RawURLEncoding.EncodeToString([]byte{1, 2, 3}))
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 401, "passkey_not_accepted", "Error unmarshalling auth data", nil, nil},
		{"login: clientDataJSON that is not JSON", func(t *testing.T, w *world) request {
			w.patAuth.EditResponse = setResponse("clientDataJSON", base64.RawURLEncoding.EncodeToString([]byte("{not json")))
			return w.login(t, w.stranger, w.patAuth, nil, patEmail)
		}, 401, "passkey_not_accepted", "invalid character", nil, nil},
		{"login: a credential that is not an object", func(t *testing.T, w *world) request {
			b := w.stranger.Begin("/api/login/passkey/begin", map[string]any{"email": patEmail})
			return func() *testserver.Response {
				return w.stranger.Post("/api/login/passkey/finish", `{"ceremony": "`+b.Ceremony+`", "credential": "AAAA"}`)
			}
		}, 401, "passkey_not_accepted", "credential is not a JSON object", nil, nil},
		{"login: a finish body that is not JSON", func(t *testing.T, w *world) request {
			b := w.stranger.Begin("/api/login/passkey/begin", map[string]any{"email": patEmail})
			return func() *testserver.Response {
				return w.stranger.Post("/api/login/passkey/finish", `{"ceremony": "`+b.Ceremony+`", "credential": {`)
			}
		}, 400, "invalid_request", "decode body", nil, nil},
		{"registration: an unknown field in the finish body", func(t *testing.T, w *world) request {
			return func() *testserver.Response {
				return w.pat.Post("/api/passkeys/register/finish", map[string]any{"ceremony": "x", "credential": map[string]any{}, "userVerified": true})
			}
		}, 400, "invalid_request", "unknown field", nil, nil},

		// Algorithms.
		{"registration: a key of an algorithm that was not asked for (ES384)", func(t *testing.T, w *world) request {
			return w.register(t, evil(func(a *softauthn.Authenticator) { a.Algorithm = softauthn.AlgES384 }), nil)
		}, 400, "passkey_not_accepted", "algorithm", nil, nil},

		// Ceremonies used for another purpose.
		{"a re-authentication ceremony cannot log in", func(t *testing.T, w *world) request {
			b := w.pat.Begin("/api/reauth/passkey/begin", map[string]any{"action": "remove-passkey"})
			cred, _ := w.patAuth.Get(b.PublicKey)
			return func() *testserver.Response { return w.stranger.Finish("/api/login/passkey/finish", b.Ceremony, cred) }
		}, 400, "ceremony_expired", "ceremony is for reauth", nil, nil},
		{"a login ceremony cannot re-authenticate", func(t *testing.T, w *world) request {
			b := w.pat.Begin("/api/login/passkey/begin", map[string]any{"email": patEmail})
			cred, _ := w.patAuth.Get(b.PublicKey)
			return func() *testserver.Response { return w.pat.Finish("/api/reauth/passkey/finish", b.Ceremony, cred) }
		}, 400, "ceremony_expired", "ceremony belongs to another", nil, nil},

		// Origin checks and cross-site requests.
		{"a request without Origin", func(t *testing.T, w *world) request {
			return fromOrigin(w.pat, "", http.MethodPost, "/api/passkeys/register/begin", map[string]any{})
		}, 403, "origin_not_allowed", `origin \"\" not allowed`, nil, nil},
		{"a cross-site rename", func(t *testing.T, w *world) request {
			return fromOrigin(w.pat, "http://evil.example", http.MethodPatch, "/api/passkeys/"+w.patKey.ID, map[string]any{"name": "pwned"})
		}, 403, "origin_not_allowed", "evil.example", nil, nil},
		{"a cross-site removal", func(t *testing.T, w *world) request {
			return fromOrigin(w.pat, "http://evil.example", http.MethodDelete, "/api/passkeys/"+w.patKey.ID, map[string]any{})
		}, 403, "origin_not_allowed", "evil.example", nil, nil},
		{"a cross-site password change", func(t *testing.T, w *world) request {
			return fromOrigin(w.pat, "null", http.MethodPost, "/api/account/password", map[string]any{"newPassword": "pwned pwned pwned"})
		}, 403, "origin_not_allowed", `origin \"null\" not allowed`, nil, nil},
		{"a cross-site sign out everywhere else", func(t *testing.T, w *world) request {
			return fromOrigin(w.pat, "http://localhost:8081", http.MethodPost, "/api/sessions/others/logout", map[string]any{})
		}, 403, "origin_not_allowed", "localhost:8081", nil, nil},

		// Brute force.
		{"brute force: the fifth wrong password locks the account", func(t *testing.T, w *world) request {
			for range 4 {
				w.stranger.Post("/api/login/password", map[string]string{"email": patEmail, "password": "guess"})
			}
			return func() *testserver.Response {
				return w.stranger.Post("/api/login/password", map[string]string{"email": patEmail, "password": "guess"})
			}
		}, 429, "too_many_attempts", "too many password failures", nil, nil},
		{"brute force: the right password during a lockout", func(t *testing.T, w *world) request {
			for range 5 {
				w.stranger.Post("/api/login/password", map[string]string{"email": patEmail, "password": "guess"})
			}
			return func() *testserver.Response {
				return w.stranger.Post("/api/login/password", map[string]string{"email": patEmail, "password": password})
			}
		}, 429, "too_many_attempts", "locked out until", nil, nil},
		{"brute force: the twentieth bad assertion from one client pauses its passkey logins", func(t *testing.T, w *world) request {
			forged := *w.patAuth
			forged.UserVerified = false
			for range 19 {
				w.stranger.LoginWithPasskey(&forged, patEmail)
			}
			return w.login(t, w.stranger, &forged, nil, "")
		}, 429, "too_many_attempts", "too many passkey failures", nil, nil},

		// Re-authentication and ownership.
		{"a change without a re-authentication", func(t *testing.T, w *world) request {
			return func() *testserver.Response {
				return w.pat.Do(http.MethodDelete, "/api/passkeys/"+w.patKey.ID, map[string]any{})
			}
		}, 403, "reauth_required", "no proof", nil, nil},
		{"a proof for another action", func(t *testing.T, w *world) request {
			proof := w.pat.ReauthWithPasskey(w.patAuth, "rename-passkey")
			return func() *testserver.Response {
				return w.pat.Do(http.MethodDelete, "/api/passkeys/"+w.patKey.ID, map[string]any{"proof": proof})
			}
		}, 403, "reauth_required", "no live proof for remove-passkey", nil, nil},
		{"a proof from another account's session", func(t *testing.T, w *world) request {
			w.withSam(t)
			proof := w.sam.ReauthWithPasskey(w.samAuth, "remove-passkey")
			return func() *testserver.Response {
				return w.pat.Do(http.MethodDelete, "/api/passkeys/"+w.patKey.ID, map[string]any{"proof": proof})
			}
		}, 403, "reauth_required", "no live proof", nil, nil},
		{"removing someone else's passkey", func(t *testing.T, w *world) request {
			w.withSam(t)
			proof := w.sam.ReauthWithPasskey(w.samAuth, "remove-passkey")
			return func() *testserver.Response {
				return w.sam.Do(http.MethodDelete, "/api/passkeys/"+w.patKey.ID, map[string]any{"proof": proof})
			}
		}, 404, "not_found", "no such passkey in this account", nil, nil},
		{"removing the last way to log in", func(t *testing.T, w *world) request {
			if _, err := w.s.DB.ExecContext(t.Context(), `UPDATE accounts SET password_hash = NULL WHERE email = $1`, patEmail); err != nil {
				t.Fatal(err)
			}
			proof := w.pat.ReauthWithPasskey(w.patAuth, "remove-passkey")
			return func() *testserver.Response {
				return w.pat.Do(http.MethodDelete, "/api/passkeys/"+w.patKey.ID, map[string]any{"proof": proof})
			}
		}, 409, "last_way_to_log_in", "last usable passkey", nil, nil},
	}

	// On each engine: the refusals and what they leave are the same on PostgreSQL.
	store.ForEachEngine(t, func(t *testing.T, engine store.Engine) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel() // each case has its own server and database
				w := newWorld(t, testserver.OnEngine(engine))
				attack := tt.attack(t, w)
				// Requests record activity (last_seen_at, at most once a minute); make them
				// record the time now, so the attack's own request writes nothing new.
				for _, c := range []*testserver.Client{w.pat, w.sam} {
					if c != nil {
						c.Get("/api/session")
					}
				}
				compared := slices.DeleteFunc(slices.Clone(testserver.StateTables), func(table string) bool { return slices.Contains(tt.changes, table) })
				before := w.s.Dump(compared...)
				mark := len(w.s.Logs())
				strangerCookie := w.stranger.Cookie

				res := attack()

				if res.Status != tt.status || res.Code() != tt.code {
					t.Fatalf("answer = %d %s, want %d %s", res.Status, res.Body, tt.status, tt.code)
				}
				if e := res.Err().Error; e.Message == "" || strings.Contains(e.Message, "webauthn") || strings.Contains(e.Message, "go-") {
					t.Errorf("the message is not one for a person: %q", e.Message)
				}
				if logs := w.s.Logs()[mark:]; !strings.Contains(logs, tt.cause) {
					t.Errorf("the logged cause does not mention %q:\n%s", tt.cause, logs)
				}
				if after := w.s.Dump(compared...); after != before {
					t.Errorf("the refused request changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
				}
				if w.stranger.Cookie != strangerCookie {
					t.Errorf("the refused request set a session cookie")
				}
				if tt.check != nil {
					tt.check(t, w)
				}
			})
		}
	})
}

// A credential whose JSON fields are of the wrong types never reaches go-webauthn's checks.
func TestCredentialJSONOfTheWrongShapeIsRefused(t *testing.T) {
	w := newWorld(t)
	for _, credential := range []string{`null`, `[]`, `{"id": 1, "rawId": 2}`, `{"id": "", "rawId": ""}`, `{"id": "AAAA", "rawId": "AAAA", "response": 7}`} {
		b := w.stranger.Begin("/api/login/passkey/begin", map[string]any{})
		body, _ := json.Marshal(map[string]any{"ceremony": b.Ceremony, "credential": json.RawMessage(credential)})
		before := w.s.Dump(testserver.StateTables...)
		if res := w.stranger.Post("/api/login/passkey/finish", body); res.Status != http.StatusUnauthorized || res.Code() != "passkey_not_accepted" {
			t.Errorf("credential %s = %d %s", credential, res.Status, res.Body)
		}
		if w.s.Dump(testserver.StateTables...) != before {
			t.Errorf("credential %s changed the database", credential)
		}
	}
}
