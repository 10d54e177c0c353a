//go:build linux

package backend_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/backend/store"
)

// Two served backends (separate processes, as two `serve` replicas behind one proxy) on one
// PostgreSQL database with one origin: what one does, the other knows at once.
func TestTwoReplicasOnOnePostgresDatabaseShareEverything(t *testing.T) {
	database := store.PostgresForTest(t)
	env := []string{childDatabaseEnv + "=" + database, childOriginEnv + "=http://localhost:8443"}
	a := startChild(t, t.TempDir(), env...)
	b := startChild(t, t.TempDir(), env...)

	// A session made on one works on the other.
	pat := newBrowser(t, a)
	if status, body, err := pat.signUp("pat@example.com"); err != nil || status != http.StatusCreated {
		t.Fatalf("sign up on A: %d %s %v", status, body, err)
	}
	pat.c = b
	if got := pat.signedInAs(); got != "pat@example.com" {
		t.Fatalf("on B the session from A is signed in as %q", got)
	}

	// A ceremony begun on one finishes on the other: set up a passkey from A to B.
	status, body, err := pat.across(a, b, "/api/passkeys/register/begin", "/api/passkeys/register/finish", map[string]any{}, pat.passes.Create)
	if err != nil || status != http.StatusCreated {
		t.Fatalf("set up on A, finished on B: %d %s %v", status, body, err)
	}
	var made struct{ Passkey struct{ ID string } }
	if err := json.Unmarshal(body, &made); err != nil || made.Passkey.ID == "" {
		t.Fatalf("set-up answer %s: %v", body, err)
	}

	// Log in with it elsewhere: begun on B, finished on A.
	kiosk := newBrowser(t, b)
	kiosk.passes = pat.passes // the same security key, carried to another machine
	status, body, err = kiosk.across(b, a, "/api/login/passkey/begin", "/api/login/passkey/finish", map[string]any{"email": ""}, kiosk.passes.Get)
	if err != nil || status != http.StatusOK {
		t.Fatalf("login begun on B, finished on A: %d %s %v", status, body, err)
	}

	// A proof made on one is used on the other; the passkey removed on A is refused by B at once.
	pat.c = b
	proof := pat.reauthWithPasskey("remove-passkey")
	pat.c = a
	raw, _ := json.Marshal(map[string]string{"proof": proof})
	if status, body, err := pat.do(http.MethodDelete, "/api/passkeys/"+made.Passkey.ID, strings.NewReader(string(raw))); err != nil || status != http.StatusOK {
		t.Fatalf("remove on A with B's proof: %d %s %v", status, body, err)
	}
	late := newBrowser(t, b)
	late.passes = pat.passes
	if status, body, err := late.loginWithPasskey(); err != nil || status != http.StatusUnauthorized {
		t.Errorf("B let the removed passkey log in: %d %s %v", status, body, err)
	}

	// Lockouts (and so the server secret their keys are made with) are shared: five wrong
	// passwords on A pause the password on B, even the right one.
	guesser := newBrowser(t, a)
	for range 5 {
		status, body, err = guesser.post("/api/login/password", map[string]string{"email": "pat@example.com", "password": "wrong"})
	}
	if err != nil || status != http.StatusTooManyRequests {
		t.Fatalf("5th wrong password on A: %d %s %v", status, body, err)
	}
	onB := newBrowser(t, b)
	if status, body, err := onB.post("/api/login/password", map[string]string{"email": "pat@example.com", "password": "correct horse battery staple"}); err != nil || status != http.StatusTooManyRequests {
		t.Errorf("the right password on B during A's lockout: %d %s %v", status, body, err)
	}

	// One server secret, made by whichever replica started first and read by the other.
	db, err := store.OpenPostgres(t.Context(), database)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var secrets int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM server_secrets`).Scan(&secrets); err != nil || secrets != 1 {
		t.Errorf("server secrets = %d (%v), want the one both replicas share", secrets, err)
	}
}

// across runs a ceremony's begin on one replica and its finish on another.
func (b *browser) across(from, to *child, begin, finish string, beginBody any, sign func([]byte) ([]byte, error)) (int, []byte, error) {
	b.c = from
	status, body, err := b.post(begin, beginBody)
	if err != nil || status != http.StatusOK {
		return status, body, err
	}
	var begun struct {
		Ceremony  string          `json:"ceremony"`
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(body, &begun); err != nil {
		b.t.Fatalf("begin answer %s: %v", body, err)
	}
	cred, err := sign(begun.PublicKey)
	if err != nil {
		b.t.Fatalf("authenticator: %v", err)
	}
	b.c = to
	return b.post(finish, map[string]any{"ceremony": begun.Ceremony, "credential": json.RawMessage(cred)})
}
