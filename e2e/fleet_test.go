//go:build e2e

// A fleet (issue #19): two `serve` replicas on one PostgreSQL database behind one TLS front,
// and kiosks that are its clients (--relying-party, app/remoterp), each the desktop app's
// handler in headless Chromium without WebAuthn, with a virtual security key.
// Run with `go test -tags e2e -count=1 -run Fleet -v ./e2e/` after `npm run build` in frontend/.
package e2e

import (
	"context"
	"database/sql"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/backend/store"
	"github.com/nhs-passkeys/companion/e2e/harness"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

// A patient sets up a passkey at one kiosk, carries the security key to another and logs in
// there; the passkey is then removed at the first kiosk, and the second refuses it at once.
// Each kiosk has its own virtual key process on the same key file, and holds nothing of the
// patient: the accounts and passkeys are the fleet's.
func TestJourneyFleetSetUpAtOneKioskLogInAtAnotherRemoveAtTheFirst(t *testing.T) {
	fleet := harness.StartFleet(t, 2)
	keyFile := t.TempDir() + "/key.json"
	first := harness.StartDesktopWith(t, openKey(t, keyFile),
		harness.DesktopOptions{Kiosk: true, RelyingParty: fleet.Origin, RelyingPartyCA: fleet.CAFile})
	ctx := harness.NewWebview(t)
	const email = "fleet.patient@example.com"
	const password = "a long enough password"
	const pin = "7531"

	// At the first kiosk: an account, and a passkey on the security key.
	harness.CreateAccount(t, ctx, first.Origin, email, password)
	if config := harness.FetchJSON[map[string]any](t, ctx, "/api/config"); config["ceremonies"] != "device" || config["kiosk"] != true || config["rpId"] != "localhost" {
		t.Fatalf("the kiosk's config should be its own (device ceremonies, kiosk) for the fleet's RP ID, is %v", config)
	}
	harness.Click(t, ctx, "Passkeys")
	harness.Page(t, ctx, "Passkeys")
	harness.Click(t, ctx, "Set up a passkey")
	harness.Page(t, ctx, "Set up a passkey")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Where do you want to save your passkey?")
	harness.Choose(t, ctx, "Virtual security key (for testing)")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Create a PIN for your security key")
	harness.FillIn(t, ctx, "New PIN", pin)
	harness.FillIn(t, ctx, "Enter the new PIN again", pin)
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Passkeys")
	harness.Banner(t, ctx, "Passkey set up")
	passkeys := harness.ListPasskeys(t, ctx)
	if len(passkeys) != 1 {
		t.Fatalf("after setting up a passkey the fleet lists %d, want 1", len(passkeys))
	}
	name := passkeys[0].Name
	if n := fleetCount(t, fleet, `SELECT count(*) FROM passkeys`); n != 1 {
		t.Fatalf("the fleet's database holds %d passkeys, want 1", n)
	}
	logOutAtKiosk(t, ctx)

	// At the second kiosk, with the same key (its own process, the same key file): log in
	// with the passkey.
	second := harness.StartDesktopWith(t, openKey(t, keyFile),
		harness.DesktopOptions{Kiosk: true, RelyingParty: fleet.Origin, RelyingPartyCA: fleet.CAFile})
	logInWithKey(t, ctx, second.Origin, email, pin)
	harness.Page(t, ctx, "Login and security settings")
	if !harness.SignedIn(t, ctx) {
		t.Fatal("not signed in at the second kiosk after logging in with the passkey")
	}
	logOutAtKiosk(t, ctx)

	// Back at the first kiosk: the patient has lost the key, logs in with their password and
	// removes the passkey (a fresh login allows it without confirming with the passkey).
	harness.Open(t, ctx, first.Origin+"/login/password")
	harness.Page(t, ctx, "Log in with your password")
	harness.FillIn(t, ctx, "Email address", email)
	harness.FillIn(t, ctx, "Password", password)
	harness.Click(t, ctx, "Log in")
	harness.Page(t, ctx, "Login and security settings")
	harness.Click(t, ctx, "Remove "+name)
	harness.Page(t, ctx, "Are you sure you want to remove “"+name+"”?")
	harness.Click(t, ctx, "Remove passkey")
	// The key is plugged in here, so the app may offer to delete the passkey from it too: not
	// now (the second kiosk's refusal must come from the fleet, not the key).
	harness.WaitFor(t, ctx, `["Login and security settings", "Delete the passkey from your security key too?"].includes(document.querySelector("main h1")?.textContent.trim())`,
		"removing the passkey should end on the settings or offer to delete it from the key")
	if harness.Text(t, ctx, "main h1") != "Login and security settings" {
		harness.Click(t, ctx, "Not now")
		harness.Page(t, ctx, "Login and security settings")
	}
	harness.Banner(t, ctx, "Passkey removed")
	if n := fleetCount(t, fleet, `SELECT count(*) FROM passkeys`); n != 0 {
		t.Fatalf("the fleet's database still holds %d passkeys after the removal", n)
	}
	logOutAtKiosk(t, ctx)

	// The second kiosk refuses the removed passkey, though the key still holds it.
	harness.ExpectStatus(t, ctx, "POST /api/login/passkey/finish", http.StatusUnauthorized) // passkey_not_accepted
	logInWithKey(t, ctx, second.Origin, email, pin)
	harness.WaitFor(t, ctx, `!!document.querySelector("main .nhsuk-error-summary")`, "the login with the removed passkey should be refused")
	if summary := harness.Text(t, ctx, "main .nhsuk-error-summary"); !strings.Contains(summary, "We could not check your passkey") {
		t.Errorf("the refusal should say the passkey could not be checked; it says:\n%s", summary)
	}
	if harness.SignedIn(t, ctx) {
		t.Fatal("the second kiosk let the removed passkey log in")
	}

	// Both replicas answered: the ceremonies and sessions crossed between them.
	for i, served := range fleet.Served {
		if served.Load() == 0 {
			t.Errorf("replica %d answered nothing", i)
		}
	}
}

// openKey is a virtual key process on the key file: the same key, carried between kiosks.
func openKey(t *testing.T, file string) *virtualkey.Key {
	t.Helper()
	key, err := virtualkey.Open(file, virtualkey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// logInWithKey logs in at the kiosk at origin with the passkey on the virtual key.
func logInWithKey(t *testing.T, ctx context.Context, origin, email, pin string) {
	t.Helper()
	harness.Open(t, ctx, origin+"/login")
	harness.Page(t, ctx, "Log in")
	harness.FillIn(t, ctx, "Email address", email)
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Which security key has your passkey?")
	harness.Choose(t, ctx, "Virtual security key (for testing)")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Enter your security key PIN")
	harness.FillIn(t, ctx, "Enter your security key PIN", pin)
	harness.Click(t, ctx, "Continue")
}

// logOutAtKiosk ends the visit from the page's Log out: the start page, signed out.
func logOutAtKiosk(t *testing.T, ctx context.Context) {
	t.Helper()
	if harness.Text(t, ctx, "main h1") != "Login and security settings" {
		backToSettings(t, ctx)
	}
	harness.MarkPage(t, ctx)
	harness.Click(t, ctx, "Log out")
	harness.Reloaded(t, ctx, "logging out at a kiosk should load the page again")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	if harness.SignedIn(t, ctx) {
		t.Fatal("still signed in after logging out")
	}
}

// fleetCount runs a count query on the fleet's database.
func fleetCount(t *testing.T, fleet *harness.Fleet, query string) int {
	t.Helper()
	db, err := store.OpenPostgres(t.Context(), fleet.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer func(db *sql.DB) { db.Close() }(db)
	var n int
	if err := db.QueryRowContext(t.Context(), query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// A kiosk whose relying party is down still opens its page, and says what happened and what
// to do when the patient tries to log in, rather than showing a blank window.
func TestJourneyFleetKioskWhoseServerIsDownSaysSo(t *testing.T) {
	ca := testkit.NewCA(t)
	kiosk := harness.StartDesktopWith(t, harness.NewVirtualKey(t, virtualkey.Succeed()),
		harness.DesktopOptions{Kiosk: true, RelyingParty: "https://localhost:" + closedPort(t), RelyingPartyCA: ca.File})
	ctx := harness.NewWebview(t)

	// The page loads from the app itself, and the start page says the service cannot be
	// reached, and what to do.
	const says = "Sorry, this computer cannot connect to the NHS login passkeys service at the moment. Check it is connected to the internet, then try again in a few minutes."
	harness.ExpectStatus(t, ctx, "GET /api/session", http.StatusBadGateway)
	harness.Open(t, ctx, kiosk.Origin+"/")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	harness.ImportantBanner(t, ctx, says)

	// Logging in says it too, in the error summary, and nobody is signed in.
	harness.ExpectStatus(t, ctx, "POST /api/login/password", http.StatusBadGateway)
	harness.Open(t, ctx, kiosk.Origin+"/login/password")
	harness.Page(t, ctx, "Log in with your password")
	harness.FillIn(t, ctx, "Email address", "fleet.patient@example.com")
	harness.FillIn(t, ctx, "Password", "a long enough password")
	harness.Click(t, ctx, "Log in")
	harness.ErrorSummaryFocused(t, ctx, says)
	if config := harness.FetchJSON[map[string]any](t, ctx, "/api/config"); config["kiosk"] != true || config["ceremonies"] != "device" {
		t.Errorf("the kiosk's own config should still answer, says %v", config)
	}
}

// closedPort is a loopback port with nothing listening on it.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}
