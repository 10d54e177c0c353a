package passkey_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/nhs-passkeys/companion/backend/store"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend/passkey"
	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

// begun is the answer of a begin endpoint.
type begun struct {
	Ceremony  string          `json:"ceremony"`
	PublicKey json.RawMessage `json:"publicKey"`
}

func begin(t *testing.T, c *testserver.Client, path string, body any) begun {
	t.Helper()
	res := c.Post(path, body)
	if res.Status != http.StatusOK {
		t.Fatalf("POST %s: %d %s", path, res.Status, res.Body)
	}
	var b begun
	res.Decode(t, &b)
	if len(b.Ceremony) < 22 {
		t.Fatalf("ceremony id %q is shorter than 128 bits in base64url", b.Ceremony)
	}
	return b
}

func finish(c *testserver.Client, path string, ceremony string, credential []byte) *testserver.Response {
	return c.Post(path, map[string]any{"ceremony": ceremony, "credential": json.RawMessage(credential)})
}

type passkeyJSON = testserver.Passkey

// register sets up a passkey on a for the signed-in client c.
func register(t *testing.T, c *testserver.Client, a *softauthn.Authenticator) passkeyJSON {
	t.Helper()
	b := begin(t, c, "/api/passkeys/register/begin", map[string]any{})
	cred, err := a.Create(b.PublicKey)
	if err != nil {
		t.Fatalf("authenticator create: %v", err)
	}
	res := finish(c, "/api/passkeys/register/finish", b.Ceremony, cred)
	if res.Status != http.StatusCreated {
		t.Fatalf("register finish: %d %s", res.Status, res.Body)
	}
	var out struct {
		Passkey passkeyJSON `json:"passkey"`
	}
	res.Decode(t, &out)
	return out.Passkey
}

// login runs a passkey login with email ("" = discoverable) and returns the finish answer.
func login(t *testing.T, c *testserver.Client, a *softauthn.Authenticator, email string) *testserver.Response {
	t.Helper()
	b := begin(t, c, "/api/login/passkey/begin", map[string]any{"email": email})
	cred, err := a.Get(b.PublicKey)
	if err != nil {
		t.Fatalf("authenticator get: %v", err)
	}
	return finish(c, "/api/login/passkey/finish", b.Ceremony, cred)
}

// newPerson signs up email on a fresh client and sets up one passkey on a fresh
// authenticator.
func newPerson(t *testing.T, s *testserver.Server, email string) (*softauthn.Authenticator, passkeyJSON) {
	t.Helper()
	c := s.Client()
	c.SignUp(email, "correct horse battery")
	a := softauthn.New(testserver.Origin)
	return a, register(t, c, a)
}

func signedInAs(t *testing.T, c *testserver.Client) string {
	t.Helper()
	var st struct {
		SignedIn bool `json:"signedIn"`
		Account  struct {
			Email string `json:"email"`
		} `json:"account"`
	}
	c.Get("/api/session").Decode(t, &st)
	if !st.SignedIn {
		return ""
	}
	return st.Account.Email
}

func credentialID(t *testing.T, p passkeyJSON) []byte {
	t.Helper()
	id, err := base64.RawURLEncoding.DecodeString(p.ID)
	if err != nil {
		t.Fatalf("passkey id %q is not base64url: %v", p.ID, err)
	}
	return id
}

func TestPasskeyJourneys(t *testing.T) { store.ForEachEngine(t, testPasskeyJourneys) }

func testPasskeyJourneys(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	owner := s.Client()
	owner.SignUp("Pat@Example.com ", "correct horse battery")
	a := softauthn.New(testserver.Origin)

	var pk passkeyJSON
	t.Run("a signed-in person sets up a passkey and it is stored with its flags", func(t *testing.T) {
		pk = register(t, owner, a)
		if pk.Name != "This device" || pk.StoredOn != "this-device" || pk.Flagged || pk.Provider != nil || pk.LastUsedAt != nil || pk.BackupEligible || pk.BackedUp ||
			!slices.Equal(pk.Transports, []string{"internal"}) || pk.AAGUID != "5f0f7a1e-5066-4b1a-9e3f-736f66746175" {
			t.Errorf("passkey answer = %+v", pk)
		}
		if _, err := time.Parse(time.RFC3339, pk.CreatedAt); err != nil {
			t.Errorf("createdAt %q is not RFC 3339: %v", pk.CreatedAt, err)
		}
		if got := s.Count(`SELECT count(*) FROM passkeys WHERE credential_id = $1 AND user_verified = 1
			AND user_present = 1 AND sign_count = 0 AND attestation_format = 'none' AND length(public_key) > 64`, credentialID(t, pk)); got != 1 {
			t.Errorf("stored passkeys matching the registration = %d, want 1", got)
		}
		if got := s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'passkey_added'`); got != 1 {
			t.Errorf("passkey_added events = %d, want 1", got)
		}
		if got := s.Count(`SELECT count(*) FROM ceremonies WHERE used_at IS NULL`); got != 0 {
			t.Errorf("ceremonies left open after finish = %d, want 0", got)
		}
		// A used ceremony is remembered for a second finish's answer, without its challenge,
		// lockout key or proof.
		if got := s.Count(`SELECT count(*) FROM ceremonies WHERE used_at IS NOT NULL AND succeeded = 1
			AND session_data = '' AND subject IS NULL AND reauth_proof IS NULL`); got != 1 {
			t.Errorf("used ceremonies remembered as succeeded with nothing else kept = %d, want 1", got)
		}
	})

	t.Run("the passkey list shows the new passkey", func(t *testing.T) {
		res := owner.Get("/api/passkeys")
		var out struct {
			Passkeys []passkeyJSON `json:"passkeys"`
		}
		res.Decode(t, &out)
		if res.Status != http.StatusOK || len(out.Passkeys) != 1 || out.Passkeys[0].ID != pk.ID {
			t.Errorf("GET /api/passkeys = %d %s", res.Status, res.Body)
		}
	})

	t.Run("registration options exclude the passkeys the account already has", func(t *testing.T) {
		proof := owner.ReauthWithPasskey(a, "add-passkey")
		b := begin(t, owner, "/api/passkeys/register/begin", map[string]any{"proof": proof})
		var opts struct {
			RP struct {
				ID string `json:"id"`
			} `json:"rp"`
			Exclude []struct {
				ID string `json:"id"`
			} `json:"excludeCredentials"`
			Selection struct {
				ResidentKey      string `json:"residentKey"`
				UserVerification string `json:"userVerification"`
			} `json:"authenticatorSelection"`
			Attestation string `json:"attestation"`
			Timeout     int    `json:"timeout"`
			Params      []struct {
				Alg int `json:"alg"`
			} `json:"pubKeyCredParams"`
		}
		if err := json.Unmarshal(b.PublicKey, &opts); err != nil {
			t.Fatal(err)
		}
		var algs []int
		for _, p := range opts.Params {
			algs = append(algs, p.Alg)
		}
		if !slices.Equal(algs, []int{-7, -8, -257}) {
			t.Errorf("pubKeyCredParams algorithms = %v, want ES256, EdDSA, RS256 only", algs)
		}
		if opts.RP.ID != "localhost" || len(opts.Exclude) != 1 || opts.Exclude[0].ID != pk.ID ||
			opts.Selection.ResidentKey != "required" || opts.Selection.UserVerification != "required" ||
			opts.Attestation != "none" || opts.Timeout != 300000 {
			t.Errorf("creation options = %s", b.PublicKey)
		}
		if _, err := a.Create(b.PublicKey); !errors.Is(err, softauthn.ErrExcluded) {
			t.Errorf("the authenticator made a second credential: %v", err)
		}
	})

	t.Run("email-first login lists no passkeys and signs in with the account's own", func(t *testing.T) {
		c := s.Client()
		b := begin(t, c, "/api/login/passkey/begin", map[string]any{"email": " PAT@example.com"})
		var opts struct {
			RPID  string `json:"rpId"`
			UV    string `json:"userVerification"`
			Allow []struct {
				ID string `json:"id"`
			} `json:"allowCredentials"`
			Challenge string `json:"challenge"`
		}
		if err := json.Unmarshal(b.PublicKey, &opts); err != nil {
			t.Fatal(err)
		}
		if opts.RPID != "localhost" || opts.UV != "required" || len(opts.Allow) != 0 || len(opts.Challenge) < 22 {
			t.Errorf("request options = %s", b.PublicKey)
		}
		cred, err := a.Get(b.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		res := finish(c, "/api/login/passkey/finish", b.Ceremony, cred)
		if res.Status != http.StatusOK || c.Cookie == nil {
			t.Fatalf("finish = %d %s (cookie %v)", res.Status, res.Body, c.Cookie)
		}
		if got := signedInAs(t, c); got != "pat@example.com" {
			t.Errorf("signed in as %q", got)
		}
		// 1 for the re-authentication above, 2 for this login.
		if got := s.Count(`SELECT count(*) FROM passkeys WHERE sign_count = 2 AND last_used_at IS NOT NULL`); got != 1 {
			t.Errorf("passkeys with the new sign count and a last use = %d, want 1", got)
		}
		if got := s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'signed_in' AND detail = 'passkey'`); got != 1 {
			t.Errorf("passkey sign-in events = %d, want 1", got)
		}
	})

	t.Run("discoverable login signs in without an email", func(t *testing.T) {
		c := s.Client()
		b := begin(t, c, "/api/login/passkey/begin", map[string]any{})
		var opts map[string]any
		if err := json.Unmarshal(b.PublicKey, &opts); err != nil {
			t.Fatal(err)
		}
		if _, ok := opts["allowCredentials"]; ok || opts["userVerification"] != "required" || opts["rpId"] != "localhost" {
			t.Errorf("discoverable options = %s", b.PublicKey)
		}
		cred, err := a.Get(b.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if res := finish(c, "/api/login/passkey/finish", b.Ceremony, cred); res.Status != http.StatusOK {
			t.Fatalf("finish = %d %s", res.Status, res.Body)
		}
		if got := signedInAs(t, c); got != "pat@example.com" {
			t.Errorf("signed in as %q", got)
		}
	})

	t.Run("the sign count is written back at every login", func(t *testing.T) {
		// A re-authentication and two logins so far: the counter is 3 on the authenticator
		// and in the database.
		if got := s.Count(`SELECT sign_count FROM passkeys`); got != 3 {
			t.Errorf("stored sign count = %d, want 3", got)
		}
		if res := login(t, s.Client(), a, ""); res.Status != http.StatusOK {
			t.Fatalf("third login = %d %s", res.Status, res.Body)
		}
		if got := s.Count(`SELECT sign_count FROM passkeys`); got != 4 {
			t.Errorf("stored sign count = %d, want 4", got)
		}
	})

	t.Run("a new backup state is written back", func(t *testing.T) {
		// BE must stay the same (go-webauthn refuses a change); BS may change.
		b := softauthn.New(testserver.Origin)
		b.BackupEligible = true
		c := s.Client()
		c.SignUp("synced@example.com", "correct horse battery")
		p := register(t, c, b)
		if !p.BackupEligible || p.BackedUp {
			t.Fatalf("registered passkey = %+v", p)
		}
		b.BackupState = true
		if res := login(t, s.Client(), b, "synced@example.com"); res.Status != http.StatusOK {
			t.Fatalf("login = %d %s", res.Status, res.Body)
		}
		if got := s.Count(`SELECT count(*) FROM passkeys WHERE credential_id = $1 AND backup_state = 1`, credentialID(t, p)); got != 1 {
			t.Errorf("backup state not written back")
		}
	})
}

func TestSecurityKeyIsNamedSo(t *testing.T) { store.ForEachEngine(t, testSecurityKeyIsNamedSo) }

func testSecurityKeyIsNamedSo(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	c := s.Client()
	c.SignUp("key@example.com", "correct horse battery")
	a := softauthn.New(testserver.Origin)
	a.Transports = []string{"usb", "nfc"}
	a.Attachment = "cross-platform"
	if p := register(t, c, a); p.Name != "Security key" {
		t.Errorf("name = %q, want Security key", p.Name)
	}
}

func TestPasskeyRefusals(t *testing.T) { store.ForEachEngine(t, testPasskeyRefusals) }

func testPasskeyRefusals(t *testing.T, engine store.Engine) {
	tests := []struct {
		name string
		run  func(t *testing.T, s *testserver.Server)
	}{
		{"a replayed assertion is refused and nothing is written", func(t *testing.T, s *testserver.Server) {
			a, _ := newPerson(t, s, "pat@example.com")
			c := s.Client()
			b := begin(t, c, "/api/login/passkey/begin", map[string]any{"email": "pat@example.com"})
			cred, err := a.Get(b.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			if res := finish(c, "/api/login/passkey/finish", b.Ceremony, cred); res.Status != http.StatusOK {
				t.Fatalf("first finish = %d %s", res.Status, res.Body)
			}
			sessions := s.Count(`SELECT count(*) FROM sessions`)
			attacker := s.Client()
			res := finish(attacker, "/api/login/passkey/finish", b.Ceremony, cred)
			if res.Status != http.StatusConflict || res.Code() != "ceremony_used" {
				t.Errorf("replay = %d %s", res.Status, res.Body)
			}
			if attacker.Cookie != nil || s.Count(`SELECT count(*) FROM sessions`) != sessions {
				t.Errorf("the replay created a session")
			}
			if got := s.Count(`SELECT sign_count FROM passkeys`); got != 1 {
				t.Errorf("sign count after replay = %d, want 1", got)
			}
		}},
		{"a failed finish uses up the ceremony too", func(t *testing.T, s *testserver.Server) {
			a, _ := newPerson(t, s, "pat@example.com")
			c := s.Client()
			b := begin(t, c, "/api/login/passkey/begin", map[string]any{"email": "pat@example.com"})
			good, err := a.Get(b.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			bad := tamperSignature(t, good)
			if res := finish(c, "/api/login/passkey/finish", b.Ceremony, bad); res.Status != http.StatusUnauthorized || res.Code() != "passkey_not_accepted" {
				t.Fatalf("bad signature = %d %s", res.Status, res.Body)
			}
			if res := finish(c, "/api/login/passkey/finish", b.Ceremony, good); res.Status != http.StatusBadRequest || res.Code() != "ceremony_expired" ||
				res.Err().Error.Message != "This has already been tried and it did not work. Go back and try again." {
				t.Errorf("good assertion on the used ceremony = %d %s", res.Status, res.Body)
			}
			if c.Cookie != nil || s.Count(`SELECT count(*) FROM sessions WHERE account_id = 1`) != 1 {
				t.Errorf("a session was created (only the sign-up one may exist)")
			}
			if got := s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'login_failed' AND account_id = 1`); got != 1 {
				t.Errorf("failed passkey logins audited = %d, want 1", got)
			}
		}},
		{"an expired ceremony is refused", func(t *testing.T, s *testserver.Server) {
			a, _ := newPerson(t, s, "pat@example.com")
			c := s.Client()
			b := begin(t, c, "/api/login/passkey/begin", map[string]any{"email": "pat@example.com"})
			cred, err := a.Get(b.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			s.Clock.Advance(passkey.CeremonyTimeout)
			res := finish(c, "/api/login/passkey/finish", b.Ceremony, cred)
			if res.Status != http.StatusBadRequest || res.Code() != "ceremony_expired" || res.Err().Error.Message != "This took too long, so it was stopped. Try again." {
				t.Errorf("expired = %d %s", res.Status, res.Body)
			}
			if c.Cookie != nil || s.Count(`SELECT count(*) FROM ceremonies WHERE used_at IS NULL`) != 0 || s.Count(`SELECT sign_count FROM passkeys`) != 0 {
				t.Errorf("an expired ceremony changed something")
			}
			// Finished again: still too long, not "already tried" (the first finish was
			// refused for its lateness, not for its passkey).
			again := finish(c, "/api/login/passkey/finish", b.Ceremony, cred)
			if again.Status != http.StatusBadRequest || again.Err().Error.Message != "This took too long, so it was stopped. Try again." {
				t.Errorf("expired, finished again = %d %s", again.Status, again.Body)
			}
		}},
		{"an expired registration ceremony is refused and stores no passkey", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			b := begin(t, c, "/api/passkeys/register/begin", map[string]any{})
			cred, err := softauthn.New(testserver.Origin).Create(b.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			s.Clock.Advance(passkey.CeremonyTimeout + time.Second)
			// The session is still live (idle timeout is 30 minutes).
			res := finish(c, "/api/passkeys/register/finish", b.Ceremony, cred)
			if res.Status != http.StatusBadRequest || res.Code() != "ceremony_expired" {
				t.Errorf("expired registration = %d %s", res.Status, res.Body)
			}
			if s.Count(`SELECT count(*) FROM passkeys`) != 0 {
				t.Errorf("a passkey was stored")
			}
		}},
		{"a credential registered to one account cannot be registered to another", func(t *testing.T, s *testserver.Server) {
			a, first := newPerson(t, s, "pat@example.com")
			other := s.Client()
			other.SignUp("sam@example.com", "correct horse battery")
			b := begin(t, other, "/api/passkeys/register/begin", map[string]any{})
			cred, err := a.CreateWith(b.PublicKey, a.Credentials[0])
			if err != nil {
				t.Fatal(err)
			}
			res := finish(other, "/api/passkeys/register/finish", b.Ceremony, cred)
			if res.Status != http.StatusConflict || res.Code() != "passkey_already_registered" ||
				res.Err().Error.Message != "This passkey is already set up. Use a different device or security key." {
				t.Errorf("second registration = %d %s", res.Status, res.Body)
			}
			if got := s.Count(`SELECT count(*) FROM passkeys`); got != 1 {
				t.Errorf("passkeys = %d, want 1", got)
			}
			if got := s.Count(`SELECT account_id FROM passkeys WHERE credential_id = $1`, credentialID(t, first)); got != 1 {
				t.Errorf("the passkey moved to account %d", got)
			}
			if s.Count(`SELECT count(*) FROM ceremonies WHERE used_at IS NULL`) != 0 {
				t.Errorf("the refused ceremony was not used up")
			}
		}},
		{"a credential registered twice to the same account is refused", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			a := softauthn.New(testserver.Origin)
			register(t, c, a)
			b := begin(t, c, "/api/passkeys/register/begin", map[string]any{"proof": c.ReauthWithPasskey(a, "add-passkey")})
			cred, err := a.CreateWith(b.PublicKey, a.Credentials[0])
			if err != nil {
				t.Fatal(err)
			}
			if res := finish(c, "/api/passkeys/register/finish", b.Ceremony, cred); res.Status != http.StatusConflict || res.Code() != "passkey_already_registered" {
				t.Errorf("second registration = %d %s", res.Status, res.Body)
			}
			if got := s.Count(`SELECT count(*) FROM passkeys`); got != 1 {
				t.Errorf("passkeys = %d, want 1", got)
			}
		}},
		{"a login without user verification is refused", func(t *testing.T, s *testserver.Server) {
			a, _ := newPerson(t, s, "pat@example.com")
			a.UserVerified = false
			c := s.Client()
			res := login(t, c, a, "pat@example.com")
			if res.Status != http.StatusUnauthorized || res.Code() != "passkey_not_accepted" ||
				res.Err().Error.Message != "We could not check your passkey. Try again, or log in another way." {
				t.Errorf("login without UV = %d %s", res.Status, res.Body)
			}
			if c.Cookie != nil || s.Count(`SELECT sign_count FROM passkeys`) != 0 {
				t.Errorf("a refused login changed something")
			}
		}},
		{"a registration without user verification is refused", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			a := softauthn.New(testserver.Origin)
			a.UserVerified = false
			b := begin(t, c, "/api/passkeys/register/begin", map[string]any{})
			cred, err := a.Create(b.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			if res := finish(c, "/api/passkeys/register/finish", b.Ceremony, cred); res.Status != http.StatusBadRequest || res.Code() != "passkey_not_accepted" {
				t.Errorf("registration without UV = %d %s", res.Status, res.Body)
			}
			if s.Count(`SELECT count(*) FROM passkeys`) != 0 {
				t.Errorf("a passkey was stored")
			}
		}},
		{"user verification is server policy: a login without it is refused whatever the stored ceremony says", func(t *testing.T, s *testserver.Server) {
			a, _ := newPerson(t, s, "pat@example.com")
			a.UserVerified = false
			c := s.Client()
			b := begin(t, c, "/api/login/passkey/begin", map[string]any{"email": "pat@example.com"})
			weakenCeremony(t, s, b.Ceremony)
			cred, err := a.Get(b.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			res := finish(c, "/api/login/passkey/finish", b.Ceremony, cred)
			if res.Status != http.StatusUnauthorized || res.Code() != "passkey_not_accepted" || !strings.Contains(s.Logs(), "UV required by server policy") {
				t.Errorf("login without UV = %d %s", res.Status, res.Body)
			}
			if c.Cookie != nil || s.Count(`SELECT sign_count FROM passkeys`) != 0 {
				t.Errorf("a refused login changed something")
			}
		}},
		{"user verification is server policy: a registration without it is refused whatever the stored ceremony says", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			a := softauthn.New(testserver.Origin)
			a.UserVerified = false
			b := begin(t, c, "/api/passkeys/register/begin", map[string]any{})
			weakenCeremony(t, s, b.Ceremony)
			cred, err := a.Create(b.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			res := finish(c, "/api/passkeys/register/finish", b.Ceremony, cred)
			if res.Status != http.StatusBadRequest || res.Code() != "passkey_not_accepted" || !strings.Contains(s.Logs(), "UV required by server policy") {
				t.Errorf("registration without UV = %d %s", res.Status, res.Body)
			}
			if s.Count(`SELECT count(*) FROM passkeys`) != 0 {
				t.Errorf("a passkey was stored")
			}
		}},
		{"only the server's algorithms are accepted, whatever the stored ceremony says", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			a := softauthn.New(testserver.Origin)
			a.Algorithm = softauthn.AlgES384
			b := begin(t, c, "/api/passkeys/register/begin", map[string]any{})
			editCeremony(t, s, b.Ceremony, "credParams", json.RawMessage(`[{"type":"public-key","alg":-7},{"type":"public-key","alg":-35}]`))
			cred, err := a.Create(b.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			res := finish(c, "/api/passkeys/register/finish", b.Ceremony, cred)
			if res.Status != http.StatusBadRequest || res.Code() != "passkey_not_accepted" || !strings.Contains(s.Logs(), "algorithm -35 was not requested") {
				t.Errorf("an ES384 key = %d %s", res.Status, res.Body)
			}
			if s.Count(`SELECT count(*) FROM passkeys`) != 0 {
				t.Errorf("a passkey was stored")
			}
		}},
		{"an assertion made for another origin is refused", func(t *testing.T, s *testserver.Server) {
			a, _ := newPerson(t, s, "pat@example.com")
			a.Origin = "http://localhost:9999"
			if res := login(t, s.Client(), a, ""); res.Status != http.StatusUnauthorized || res.Code() != "passkey_not_accepted" {
				t.Errorf("login from another origin = %d %s", res.Status, res.Body)
			}
			if s.Count(`SELECT sign_count FROM passkeys`) != 0 {
				t.Errorf("the sign count moved")
			}
		}},
		{"a sign count that goes backwards is refused and the passkey stays refused", func(t *testing.T, s *testserver.Server) {
			a, _ := newPerson(t, s, "pat@example.com")
			for range 2 {
				if res := login(t, s.Client(), a, ""); res.Status != http.StatusOK {
					t.Fatalf("login = %d %s", res.Status, res.Body)
				}
			}
			a.Credentials[0].SignCount = 0 // a clone that started from an old copy
			c := s.Client()
			sessions := s.Count(`SELECT count(*) FROM sessions`)
			res := login(t, c, a, "")
			if res.Status != http.StatusUnauthorized || res.Code() != "passkey_flagged" ||
				!strings.Contains(res.Err().Error.Message, "remove this passkey and set up a new one") {
				t.Errorf("login with a lower count = %d %s", res.Status, res.Body)
			}
			if s.Count(`SELECT count(*) FROM passkeys WHERE clone_warning = 1 AND sign_count = 2`) != 1 {
				t.Errorf("the passkey was not flagged, or its count changed")
			}
			if s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'passkey_flagged' AND passkey_name = 'This device'`) != 1 {
				t.Errorf("the flagging was not audited with the passkey's name")
			}
			a.Credentials[0].SignCount = 10
			if res := login(t, c, a, ""); res.Status != http.StatusUnauthorized || res.Code() != "passkey_flagged" {
				t.Errorf("a flagged passkey logged in: %d %s", res.Status, res.Body)
			}
			// The two logins before the flag may have been the copy's: their sessions ended
			// with it, and no session was created.
			if c.Cookie != nil || s.Count(`SELECT count(*) FROM sessions`) != sessions-2 {
				t.Errorf("a session was created, or the flagged passkey's sessions were not ended")
			}
			if s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'passkey_flagged'`) != 1 {
				t.Errorf("an already flagged passkey was flagged again")
			}
			var list struct {
				Passkeys []passkeyJSON `json:"passkeys"`
			}
			owner := s.Client()
			owner.Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": "correct horse battery"})
			owner.Get("/api/passkeys").Decode(t, &list)
			if len(list.Passkeys) != 1 || !list.Passkeys[0].Flagged {
				t.Errorf("the passkey list does not show the passkey as flagged: %+v", list.Passkeys)
			}
		}},
		{"an unknown email gets the same shape of options and cannot log in", func(t *testing.T, s *testserver.Server) {
			a, _ := newPerson(t, s, "pat@example.com")
			c := s.Client()
			b := begin(t, c, "/api/login/passkey/begin", map[string]any{"email": "nobody@example.com"})
			var opts map[string]any
			if err := json.Unmarshal(b.PublicKey, &opts); err != nil {
				t.Fatal(err)
			}
			if opts["rpId"] != "localhost" || opts["userVerification"] != "required" || opts["challenge"] == "" || opts["timeout"] != float64(300000) {
				t.Errorf("options for an unknown email = %s", b.PublicKey)
			}
			// Someone else's passkey must not log in on a ceremony begun for this email.
			cred, err := a.GetWith(b.PublicKey, a.Credentials[0])
			if err != nil {
				t.Fatal(err)
			}
			if res := finish(c, "/api/login/passkey/finish", b.Ceremony, cred); res.Status != http.StatusUnauthorized || res.Code() != "passkey_not_accepted" {
				t.Errorf("finish = %d %s", res.Status, res.Body)
			}
			if c.Cookie != nil || s.Count(`SELECT sign_count FROM passkeys`) != 0 {
				t.Errorf("the refused login changed something")
			}
		}},
		{"an email-first login refuses a passkey of another account", func(t *testing.T, s *testserver.Server) {
			newPerson(t, s, "pat@example.com")
			other, _ := newPerson(t, s, "sam@example.com")
			c := s.Client()
			b := begin(t, c, "/api/login/passkey/begin", map[string]any{"email": "pat@example.com"})
			cred, err := other.GetWith(b.PublicKey, other.Credentials[0])
			if err != nil {
				t.Fatal(err)
			}
			if res := finish(c, "/api/login/passkey/finish", b.Ceremony, cred); res.Status != http.StatusUnauthorized || res.Code() != "passkey_not_accepted" {
				t.Errorf("finish = %d %s", res.Status, res.Body)
			}
			if c.Cookie != nil {
				t.Errorf("signed in with another account's passkey")
			}
		}},
		{"a registration ceremony cannot be used to log in", func(t *testing.T, s *testserver.Server) {
			a, _ := newPerson(t, s, "pat@example.com")
			owner := s.Client()
			if res := login(t, owner, a, ""); res.Status != http.StatusOK {
				t.Fatal("login failed")
			}
			b := begin(t, owner, "/api/passkeys/register/begin", map[string]any{})
			c := s.Client()
			lb := begin(t, c, "/api/login/passkey/begin", map[string]any{})
			cred, err := a.Get(lb.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			if res := finish(c, "/api/login/passkey/finish", b.Ceremony, cred); res.Status != http.StatusBadRequest || res.Code() != "ceremony_expired" {
				t.Errorf("finish with a registration ceremony = %d %s", res.Status, res.Body)
			}
		}},
		{"one account cannot finish another account's registration", func(t *testing.T, s *testserver.Server) {
			pat := s.Client()
			pat.SignUp("pat@example.com", "correct horse battery")
			sam := s.Client()
			sam.SignUp("sam@example.com", "correct horse battery")
			b := begin(t, pat, "/api/passkeys/register/begin", map[string]any{})
			cred, err := softauthn.New(testserver.Origin).Create(b.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			if res := finish(sam, "/api/passkeys/register/finish", b.Ceremony, cred); res.Status != http.StatusBadRequest || res.Code() != "ceremony_expired" {
				t.Errorf("finish by another account = %d %s", res.Status, res.Body)
			}
			if s.Count(`SELECT count(*) FROM passkeys`) != 0 {
				t.Errorf("a passkey was stored")
			}
		}},
		{"a credential that is not a credential is refused", func(t *testing.T, s *testserver.Server) {
			newPerson(t, s, "pat@example.com")
			c := s.Client()
			b := begin(t, c, "/api/login/passkey/begin", map[string]any{"email": "pat@example.com"})
			if res := finish(c, "/api/login/passkey/finish", b.Ceremony, []byte(`{"id":"AAAA","type":"public-key"}`)); res.Status != http.StatusUnauthorized || res.Code() != "passkey_not_accepted" {
				t.Errorf("finish = %d %s", res.Status, res.Body)
			}
			if s.Count(`SELECT count(*) FROM ceremonies WHERE used_at IS NULL`) != 0 {
				t.Errorf("the ceremony survived a failed finish")
			}
		}},
		{"an unknown ceremony is refused", func(t *testing.T, s *testserver.Server) {
			res := s.Client().Post("/api/login/passkey/finish", map[string]any{"ceremony": "bm9wZQ", "credential": map[string]any{}})
			if res.Status != http.StatusBadRequest || res.Code() != "ceremony_expired" {
				t.Errorf("finish = %d %s", res.Status, res.Body)
			}
		}},
		{"setting up or listing passkeys needs a signed-in account", func(t *testing.T, s *testserver.Server) {
			c := s.Client()
			for _, res := range []*testserver.Response{
				c.Get("/api/passkeys"),
				c.Post("/api/passkeys/register/begin", map[string]any{}),
				c.Post("/api/passkeys/register/finish", map[string]any{"ceremony": "x", "credential": map[string]any{}}),
			} {
				if res.Status != http.StatusUnauthorized || res.Code() != "not_signed_in" {
					t.Errorf("signed out = %d %s", res.Status, res.Body)
				}
			}
			if s.Count(`SELECT count(*) FROM ceremonies`) != 0 {
				t.Errorf("a ceremony was stored for nobody")
			}
		}},
		{"a badly formatted email at login is an input error", func(t *testing.T, s *testserver.Server) {
			res := s.Client().Post("/api/login/passkey/begin", map[string]any{"email": "pat at example"})
			if res.Status != http.StatusUnprocessableEntity || res.Code() != "invalid_input" ||
				res.Err().Error.Fields["email"] != "Enter an email address in the correct format, like name@example.com" {
				t.Errorf("begin = %d %s", res.Status, res.Body)
			}
			if s.Count(`SELECT count(*) FROM ceremonies`) != 0 {
				t.Errorf("a ceremony was stored")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, testserver.New(t, testserver.OnEngine(engine)))
		})
	}
}

// tamperSignature flips a bit in the assertion signature.
func tamperSignature(t *testing.T, credential []byte) []byte {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(credential, &v); err != nil {
		t.Fatal(err)
	}
	resp := v["response"].(map[string]any)
	sig, err := base64.RawURLEncoding.DecodeString(resp["signature"].(string))
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)-1] ^= 0x01
	resp["signature"] = base64.RawURLEncoding.EncodeToString(sig)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The email step of a passkey login reveals nothing to someone who knows none of an
// account's passkeys: an unknown email, a password-only account, and accounts with one,
// several or only flagged passkeys get answers that differ only in their random challenge
// and ceremony id, now, later and after a restart, in about the same time.
func TestTheEmailStepOfAPasskeyLoginRevealsNothing(t *testing.T) {
	store.ForEachEngine(t, testTheEmailStepOfAPasskeyLoginRevealsNothing)
}

func testTheEmailStepOfAPasskeyLoginRevealsNothing(t *testing.T, engine store.Engine) {
	onDir := testserver.SameStorage(t, engine)
	s := testserver.New(t, onDir)
	kinds := map[string][]string{}
	for i := range 4 {
		unknown := fmt.Sprintf("nobody%d@example.com", i)
		kinds["an unknown email"] = append(kinds["an unknown email"], unknown)

		passwordOnly := fmt.Sprintf("sam%d@example.com", i)
		s.Client().SignUp(passwordOnly, "correct horse battery")
		kinds["a password-only account"] = append(kinds["a password-only account"], passwordOnly)

		one := fmt.Sprintf("pat%d@example.com", i)
		newPerson(t, s, one)
		kinds["an account with one passkey"] = append(kinds["an account with one passkey"], one)

		several := fmt.Sprintf("kim%d@example.com", i)
		a, _ := newPerson(t, s, several)
		c := s.Client()
		if res := c.LoginWithPasskey(a, several); res.Status != http.StatusOK {
			t.Fatalf("login = %d %s", res.Status, res.Body)
		}
		for range i + 1 {
			c.RegisterPasskey(softauthn.New(testserver.Origin), c.ReauthWithPasskey(a, "add-passkey"))
		}
		kinds["an account with several passkeys"] = append(kinds["an account with several passkeys"], several)

		flagged := fmt.Sprintf("lee%d@example.com", i)
		newPerson(t, s, flagged)
		if _, err := s.DB.ExecContext(t.Context(), `UPDATE passkeys SET clone_warning = 1
			WHERE account_id = (SELECT id FROM accounts WHERE email = $1)`, flagged); err != nil {
			t.Fatal(err)
		}
		kinds["an account whose only passkey is flagged"] = append(kinds["an account whose only passkey is flagged"], flagged)
	}

	// answer is the whole begin answer with its random parts (the challenge and the ceremony
	// id) replaced by their lengths: all that someone without the secret could compare.
	answer := func(s *testserver.Server, email string) string {
		res := s.Client().Post("/api/login/passkey/begin", map[string]any{"email": email})
		if res.Status != http.StatusOK {
			t.Fatalf("begin for %s = %d %s", email, res.Status, res.Body)
		}
		var v map[string]any
		if err := json.Unmarshal(res.Body, &v); err != nil {
			t.Fatal(err)
		}
		v["ceremony"] = len(v["ceremony"].(string))
		pk := v["publicKey"].(map[string]any)
		pk["challenge"] = len(pk["challenge"].(string))
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	want := answer(s, "")
	if strings.Contains(want, "allowCredentials") || strings.Contains(want, "transports") {
		t.Fatalf("the options list credentials: %s", want)
	}
	for kind, emails := range kinds {
		t.Run(kind+" gets the same answer as every other email", func(t *testing.T) {
			for _, email := range emails {
				for range 2 {
					if got := answer(s, email); got != want {
						t.Errorf("answer for %s:\n%s\nwant:\n%s", email, got, want)
					}
				}
			}
		})
	}
	t.Run("a day later the answers are still the same", func(t *testing.T) {
		s.Clock.Advance(24 * time.Hour)
		for _, emails := range kinds {
			if got := answer(s, emails[0]); got != want {
				t.Errorf("answer for %s a day later: %s", emails[0], got)
			}
		}
	})
	t.Run("the answer takes about the same time for every kind of email", func(t *testing.T) {
		// Every email does the same work (one account query, one BeginDiscoverableLogin, one
		// ceremony write). The kinds are timed in turns, round after round, so that a busy
		// machine slows them alike, and compared by their lower quartile (the least noisy
		// estimate of the work itself); a generous bound still catches, say, a passkey query
		// or a password hash on one path only.
		names := slices.Sorted(maps.Keys(kinds))
		times := map[string][]time.Duration{}
		for round := range 41 {
			for i := range names {
				kind := names[(i+round)%len(names)]
				start := time.Now()
				answer(s, kinds[kind][0])
				times[kind] = append(times[kind], time.Since(start))
			}
		}
		quartile := func(kind string) time.Duration {
			ds := slices.Sorted(slices.Values(times[kind]))
			return ds[len(ds)/4]
		}
		base := quartile("an unknown email")
		for _, kind := range names {
			if d := quartile(kind); d > 3*base || base > 3*d {
				t.Errorf("lower-quartile begin time for %s: %v, for an unknown email %v", kind, d, base)
			}
		}
	})
	t.Run("the answers are the same after a restart", func(t *testing.T) {
		s.Backend.Close() // one process per data folder (store.LockDir): stop it first, as a restart does
		restarted := testserver.New(t, onDir)
		for _, emails := range kinds {
			if got := answer(restarted, emails[1]); got != want {
				t.Errorf("answer for %s after a restart: %s", emails[1], got)
			}
		}
	})
}

// With no allow list, the email still decides whose passkey may log in: the answer's user
// handle and credential must be that email's account's (WebAuthn L3 §7.2 step 6).
func TestTheEmailStepAcceptsOnlyThatAccountsPasskey(t *testing.T) {
	store.ForEachEngine(t, testTheEmailStepAcceptsOnlyThatAccountsPasskey)
}

func testTheEmailStepAcceptsOnlyThatAccountsPasskey(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	pat, _ := newPerson(t, s, "pat@example.com")
	kim, _ := newPerson(t, s, "kim@example.com")
	tests := []struct {
		name  string
		email string
		key   *softauthn.Authenticator
		want  int
	}{
		{"the account's own passkey logs in", "pat@example.com", pat, http.StatusOK},
		{"another account's passkey is refused", "pat@example.com", kim, http.StatusUnauthorized},
		{"any passkey is refused for an unknown email", "nobody@example.com", pat, http.StatusUnauthorized},
		{"the same email typed with capitals and spaces logs in", " PAT@Example.com ", pat, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.Client()
			before := s.Count(`SELECT count(*) FROM sessions`)
			res := c.LoginWithPasskey(tt.key, tt.email)
			if res.Status != tt.want {
				t.Fatalf("finish = %d %s, want %d", res.Status, res.Body, tt.want)
			}
			if tt.want != http.StatusOK {
				if res.Code() != "passkey_not_accepted" || c.Cookie != nil || s.Count(`SELECT count(*) FROM sessions`) != before {
					t.Errorf("refusal = %s, cookie %v; a session was started", res.Body, c.Cookie)
				}
				// The same words whether or not the email has an account: only what the
				// person can see (the passkey they chose is not for the email they typed).
				if msg := res.Err().Error.Message; !strings.HasPrefix(msg, "This passkey is not for the email address you entered.") {
					t.Errorf("refusal says %q", msg)
				}
			}
		})
	}
}

// weakenCeremony rewrites a stored ceremony as if it had asked for user verification only
// as "preferred" (a bug, or a row from an older version): the server must still require it.
func weakenCeremony(t *testing.T, s *testserver.Server, id string) {
	t.Helper()
	editCeremony(t, s, id, "userVerification", "preferred")
}

// editCeremony sets one field of a stored ceremony's session data (in Go: JSON functions
// differ between the engines).
func editCeremony(t *testing.T, s *testserver.Server, id, field string, value any) {
	t.Helper()
	var text string
	if err := s.DB.QueryRowContext(t.Context(), `SELECT session_data FROM ceremonies WHERE id = $1`, id).Scan(&text); err != nil {
		t.Fatalf("ceremony %s: %v", id, err)
	}
	data := map[string]any{}
	if err := json.Unmarshal([]byte(text), &data); err != nil {
		t.Fatal(err)
	}
	data[field] = value
	edited, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.ExecContext(t.Context(), `UPDATE ceremonies SET session_data = $1 WHERE id = $2`, string(edited), id); err != nil {
		t.Fatal(err)
	}
}

// A used ceremony is remembered only for the answer to a second finish: whatever the
// ceremony was for, its challenge, the proof that allowed it and the action it confirmed are
// emptied in the statement that uses it.
func TestUsedCeremoniesKeepNoSecrets(t *testing.T) {
	store.ForEachEngine(t, testUsedCeremoniesKeepNoSecrets)
}

func testUsedCeremoniesKeepNoSecrets(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	a, _ := newPerson(t, s, "pat@example.com")
	owner := s.Client()
	if res := owner.LoginWithPasskey(a, "pat@example.com"); res.Status != http.StatusOK {
		t.Fatalf("login = %d %s", res.Status, res.Body)
	}

	// A set-up allowed by a proof (itself from a re-authentication ceremony).
	b := begin(t, owner, "/api/passkeys/register/begin", map[string]any{"proof": owner.ReauthWithPasskey(a, "add-passkey")})
	if n := s.Count(`SELECT count(*) FROM ceremonies WHERE id = $1 AND reauth_proof IS NOT NULL`, b.Ceremony); n != 1 {
		t.Fatalf("the open set-up ceremony does not hold its proof (%d), so this test shows nothing", n)
	}
	cred, err := softauthn.New(testserver.Origin).Create(b.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if res := finish(owner, "/api/passkeys/register/finish", b.Ceremony, cred); res.Status != http.StatusCreated {
		t.Fatalf("set-up with a proof = %d %s", res.Status, res.Body)
	}
	// Logins by email and discoverable, and one refused.
	for _, email := range []string{"pat@example.com", ""} {
		if res := s.Client().LoginWithPasskey(a, email); res.Status != http.StatusOK {
			t.Fatalf("login %q = %d %s", email, res.Status, res.Body)
		}
	}
	stranger := s.Client()
	refused := begin(t, stranger, "/api/login/passkey/begin", map[string]any{"email": ""})
	if res := finish(stranger, "/api/login/passkey/finish", refused.Ceremony, []byte(`{"id":"AAAA","type":"public-key"}`)); res.Status != http.StatusUnauthorized {
		t.Fatalf("refused login = %d %s", res.Status, res.Body)
	}

	if n := s.Count(`SELECT count(*) FROM ceremonies WHERE used_at IS NULL`); n != 0 {
		t.Errorf("%d ceremonies left open", n)
	}
	// The first set-up, the owner's login, the re-authentication, the set-up with its
	// proof, the two logins and the refused one.
	if n := s.Count(`SELECT count(*) FROM ceremonies WHERE used_at IS NOT NULL`); n != 7 {
		t.Errorf("%d used ceremonies remembered, want 7", n)
	}
	if n := s.Count(`SELECT count(*) FROM ceremonies WHERE used_at IS NOT NULL
		AND (session_data != '' OR subject IS NOT NULL OR reauth_proof IS NOT NULL OR action != '')`); n != 0 {
		t.Errorf("%d used ceremonies still hold a challenge, a lockout key, a proof or an action", n)
	}
}

// TestAClientDataJSONThatCanBeReadTwoWaysIsRefused: clientDataJSON is held to the same "one
// meaning only" rule as the request around it. A member given twice (a wrong challenge or
// another site's origin first, which go-webauthn's encoding/json would pass over for the
// last), a name twice in another case, invalid UTF-8 or a lone surrogate: the set-up,
// login or re-authentication is refused as unreadable, and nothing is stored or started.
// A member a browser adds of its own accord is fine.
func TestAClientDataJSONThatCanBeReadTwoWaysIsRefused(t *testing.T) {
	store.ForEachEngine(t, testAClientDataJSONThatCanBeReadTwoWaysIsRefused)
}

func testAClientDataJSONThatCanBeReadTwoWaysIsRefused(t *testing.T, engine store.Engine) {
	// insert puts member (one or more "name":value pairs and a comma) first in the object.
	insert := func(member string) func([]byte) []byte {
		return func(b []byte) []byte { return append([]byte("{"+member), b[1:]...) }
	}
	tests := []struct {
		name     string
		edit     func([]byte) []byte
		accepted bool
	}{
		{"a challenge given twice, a wrong one first, is refused", insert(`"challenge":"AAAAAAAAAAAAAAAAAAAAAA",`), false},
		{"an origin given twice, another site's first, is refused", insert(`"origin":"http://attacker.example",`), false},
		{"a type given twice, in another case, is refused", insert(`"TYPE":"webauthn.other",`), false},
		{"invalid UTF-8 in a member is refused", insert("\"hint\":\"\xff\","), false},
		{"a lone surrogate in a member is refused", insert(`"hint":"\ud800",`), false},
		{"a member a browser adds is accepted",
			insert(`"other_keys_can_be_added_here":"do not compare clientDataJSON against a template. See https://goo.gl/yabPex",`), true},
	}
	for _, tt := range tests {
		t.Run("set-up: "+tt.name, func(t *testing.T) {
			s := testserver.New(t, testserver.OnEngine(engine))
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			before := s.Dump(testserver.StateTables...)
			a := softauthn.New(testserver.Origin)
			a.EditClientData = tt.edit
			b := begin(t, c, "/api/passkeys/register/begin", map[string]any{})
			cred, err := a.Create(b.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			res := finish(c, "/api/passkeys/register/finish", b.Ceremony, cred)
			if tt.accepted {
				if res.Status != http.StatusCreated {
					t.Fatalf("finish = %d %s", res.Status, res.Body)
				}
				return
			}
			if res.Status != http.StatusBadRequest || res.Code() != "passkey_not_accepted" {
				t.Fatalf("finish = %d %s, want 400 passkey_not_accepted", res.Status, res.Body)
			}
			if after := s.Dump(testserver.StateTables...); after != before {
				t.Errorf("a refused set-up changed what is stored:\nbefore %s\nafter  %s", before, after)
			}
			if n := s.Count(`SELECT count(*) FROM passkeys`); n != 0 {
				t.Errorf("passkeys stored = %d", n)
			}
		})
		for _, email := range []string{"pat@example.com", ""} {
			t.Run(fmt.Sprintf("login (email %q): %s", email, tt.name), func(t *testing.T) {
				s := testserver.New(t, testserver.OnEngine(engine))
				a, _ := newPerson(t, s, "pat@example.com")
				a.EditClientData = tt.edit
				c := s.Client()
				res := login(t, c, a, email)
				if tt.accepted {
					if res.Status != http.StatusOK || signedInAs(t, c) != "pat@example.com" {
						t.Fatalf("login = %d %s", res.Status, res.Body)
					}
					return
				}
				if res.Status != http.StatusUnauthorized || res.Code() != "passkey_not_accepted" {
					t.Fatalf("login = %d %s, want 401 passkey_not_accepted", res.Status, res.Body)
				}
				if signedInAs(t, c) != "" || res.Header.Get("Set-Cookie") != "" {
					t.Errorf("a refused login signed in")
				}
				if n := s.Count(`SELECT count(*) FROM passkeys WHERE last_used_at IS NOT NULL OR sign_count <> 0`); n != 0 {
					t.Errorf("a refused login recorded a use of the passkey")
				}
			})
		}
	}
}

// TestTheClientDataOriginIsTheRPOriginWrittenExactly: clientDataJSON's origin must be the
// RP origin as a browser writes it (RFC 6454 §6.2), as the Origin header must. Another
// spelling of it (upper case, a trailing slash, the default port) is no client's, and the
// set-up, login or re-authentication is refused with nothing stored, started or issued.
func TestTheClientDataOriginIsTheRPOriginWrittenExactly(t *testing.T) {
	store.ForEachEngine(t, testTheClientDataOriginIsTheRPOriginWrittenExactly)
}

func testTheClientDataOriginIsTheRPOriginWrittenExactly(t *testing.T, engine store.Engine) {
	for _, tt := range []struct {
		name, origin string
		accepted     bool
	}{
		{"the origin in upper case is refused", "HTTP://LOCALHOST:8080", false},
		{"the host in mixed case is refused", "http://LocalHost:8080", false},
		{"a trailing slash is refused", "http://localhost:8080/", false},
		{"a path is refused", "http://localhost:8080/account", false},
		{"the origin as a browser writes it is accepted", testserver.Origin, true},
	} {
		spell := func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `"origin":"`+testserver.Origin+`"`, `"origin":"`+tt.origin+`"`, 1))
		}
		t.Run("set-up: "+tt.name, func(t *testing.T) {
			s := testserver.New(t, testserver.OnEngine(engine))
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			a := softauthn.New(testserver.Origin)
			a.EditClientData = spell
			b := begin(t, c, "/api/passkeys/register/begin", map[string]any{})
			cred, err := a.Create(b.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			res := finish(c, "/api/passkeys/register/finish", b.Ceremony, cred)
			want, wantCode := http.StatusCreated, ""
			if !tt.accepted {
				want, wantCode = http.StatusBadRequest, "passkey_not_accepted"
			}
			if res.Status != want || res.Code() != wantCode {
				t.Fatalf("finish = %d %s, want %d %s", res.Status, res.Body, want, wantCode)
			}
			if n := s.Count(`SELECT count(*) FROM passkeys`); (n == 1) != tt.accepted {
				t.Errorf("passkeys stored = %d", n)
			}
		})
		t.Run("login and re-authentication: "+tt.name, func(t *testing.T) {
			s := testserver.New(t, testserver.OnEngine(engine))
			a, _ := newPerson(t, s, "pat@example.com")
			a.EditClientData = spell
			for _, email := range []string{"pat@example.com", ""} {
				c := s.Client()
				res := login(t, c, a, email)
				if tt.accepted != (res.Status == http.StatusOK) || (!tt.accepted && res.Code() != "passkey_not_accepted") {
					t.Errorf("login (email %q) = %d %s", email, res.Status, res.Body)
				}
				if signedIn := signedInAs(t, c) != ""; signedIn != tt.accepted {
					t.Errorf("login (email %q) signed in: %v", email, signedIn)
				}
			}
			c := s.Client()
			a.EditClientData = nil
			if res := login(t, c, a, "pat@example.com"); res.Status != http.StatusOK {
				t.Fatalf("login = %d %s", res.Status, res.Body)
			}
			a.EditClientData = spell
			b := begin(t, c, "/api/reauth/passkey/begin", map[string]any{"action": "add-passkey"})
			cred, err := a.Get(b.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			res := finish(c, "/api/reauth/passkey/finish", b.Ceremony, cred)
			if tt.accepted != (res.Status == http.StatusOK) || (!tt.accepted && res.Code() != "passkey_not_accepted") {
				t.Errorf("re-authentication = %d %s", res.Status, res.Body)
			}
			if n := s.Count(`SELECT count(*) FROM reauth_proofs`); (n == 1) != tt.accepted {
				t.Errorf("proofs issued = %d", n)
			}
		})
	}
}

// TestWhoseAPasskeyIsIsToldOnlyToWhoeverHoldsIt: after the email step, a passkey of another
// account is refused as "not for the email address you entered" only once its signature is
// checked. Someone with a credential ID and no key (a bad signature) gets the same answer for
// every email, the right one included, as for a credential ID that does not exist: nothing
// tells them whose passkey it is.
func TestWhoseAPasskeyIsIsToldOnlyToWhoeverHoldsIt(t *testing.T) {
	store.ForEachEngine(t, testWhoseAPasskeyIsIsToldOnlyToWhoeverHoldsIt)
}

func testWhoseAPasskeyIsIsToldOnlyToWhoeverHoldsIt(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	pat, _ := newPerson(t, s, "pat@example.com")
	kim, _ := newPerson(t, s, "kim@example.com")
	stranger := softauthn.New(testserver.Origin) // a passkey this server has never seen
	stranger.Credentials = []*softauthn.Credential{{ID: []byte("not a registered credential"), Key: pat.Credentials[0].Key,
		RPID: "localhost", UserHandle: pat.Credentials[0].UserHandle}}
	attempt := func(a *softauthn.Authenticator, email string, forge bool) *testserver.Response {
		c := s.Client()
		b := begin(t, c, "/api/login/passkey/begin", map[string]any{"email": email})
		cred, err := a.Get(b.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if forge {
			cred = tamperSignature(t, cred)
		}
		return finish(c, "/api/login/passkey/finish", b.Ceremony, cred)
	}
	const couldNotCheck = "We could not check your passkey. Try again, or log in another way."
	for _, tt := range []struct {
		name  string
		key   *softauthn.Authenticator
		email string
		forge bool
		want  string
	}{
		{"Kim's credential ID without Kim's key, for Kim's email", kim, "kim@example.com", true, couldNotCheck},
		{"Kim's credential ID without Kim's key, for Pat's email", kim, "pat@example.com", true, couldNotCheck},
		{"Kim's credential ID without Kim's key, for an unknown email", kim, "nobody@example.com", true, couldNotCheck},
		{"a credential ID nobody has, for Pat's email", stranger, "pat@example.com", false, couldNotCheck},
		{"a credential ID nobody has, for an unknown email", stranger, "nobody@example.com", false, couldNotCheck},
		{"Kim's passkey itself, for Pat's email", kim, "pat@example.com", false,
			"This passkey is not for the email address you entered. Check the email address, choose a different passkey, or log in with your password."},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Count(`SELECT count(*) FROM sessions`)
			res := attempt(tt.key, tt.email, tt.forge)
			if res.Status != http.StatusUnauthorized || res.Code() != "passkey_not_accepted" || res.Err().Error.Message != tt.want {
				t.Errorf("finish = %d %s, want 401 passkey_not_accepted %q", res.Status, res.Body, tt.want)
			}
			if s.Count(`SELECT count(*) FROM sessions`) != before {
				t.Errorf("a refused login started a session")
			}
		})
	}
}

// A passkey keeps what a client could send as its transports (WebAuthn L3 §5.8.4): spec-like
// values, each once, at most 8. Transports are hints passed back to the client and shown by
// the passkey's name, so a made-up list of thousands or text with control characters is not
// stored, while a value the spec may add later is.
func TestAPasskeyKeepsOnlyTransportsAClientCouldSend(t *testing.T) {
	store.ForEachEngine(t, testAPasskeyKeepsOnlyTransportsAClientCouldSend)
}

func testAPasskeyKeepsOnlyTransportsAClientCouldSend(t *testing.T, engine store.Engine) {
	many := make([]string, 2000)
	for i := range many {
		many[i] = fmt.Sprintf("made-up-%c%c", 'a'+i%26, 'a'+i/26%26)
	}
	tests := []struct {
		name string
		sent []string
		want []string
	}{
		{"the usual values are kept as sent", []string{"usb", "nfc"}, []string{"usb", "nfc"}},
		{"a value the spec does not have yet is kept", []string{"hybrid", "internal", "future-radio"}, []string{"hybrid", "internal", "future-radio"}},
		{"a value sent twice is kept once", []string{"usb", "usb", "nfc", "usb"}, []string{"usb", "nfc"}},
		{"2000 made-up values are cut to the first 8", many, many[:8]},
		{"text no client writes is dropped", []string{"USB", "usb\u202e", "", "u s b", "ble\n", strings.Repeat("a", 33), "smart-card"}, []string{"smart-card"}},
		{"none at all is kept as none", []string{}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testserver.New(t, testserver.OnEngine(engine))
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			a := softauthn.New(testserver.Origin)
			a.EditResponse = func(m map[string]any) { m["response"].(map[string]any)["transports"] = tt.sent }
			p := register(t, c, a)
			var stored string
			if err := s.DB.QueryRowContext(t.Context(), `SELECT transports FROM passkeys`).Scan(&stored); err != nil {
				t.Fatal(err)
			}
			var got []string
			if err := json.Unmarshal([]byte(stored), &got); err != nil {
				t.Fatalf("stored transports %q: %v", stored, err)
			}
			if !slices.Equal(got, tt.want) || !slices.Equal(p.Transports, tt.want) {
				t.Errorf("stored %q, shown %q; want %q", got, p.Transports, tt.want)
			}
		})
	}
}
