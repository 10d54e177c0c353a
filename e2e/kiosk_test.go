//go:build e2e

// Kiosk mode (issue #7) on the desktop path, in headless Chromium without WebAuthn: the
// handler as internal/cli builds it with --kiosk (backend and device endpoints in kiosk mode, the
// session in the shell's memory-only jar, the watch that ends a session when its security key
// is taken out), a short idle timeout, and the virtual security key.
// Run with `go test -tags e2e -count=1 -run Kiosk -v ./e2e/` after `npm run build` in frontend/.
package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/e2e/harness"
)

// Set up a passkey, log out, log in with it, then take the key out: each visit ends at the
// start page with nothing left of it (no history, no email, no memory), saying why.
func TestJourneyKioskSetUpLogOutLogInAndTakeTheKeyOut(t *testing.T) {
	key := harness.NewVirtualKey(t, virtualkey.Succeed())
	srv := harness.StartKiosk(t, key, 0)
	ctx := harness.NewWebview(t)
	const email = "kiosk.patient@example.com"
	const pin = "7531"

	harness.CreateAccount(t, ctx, srv.Origin, email, "a long enough password")
	entries := harness.HistoryLength(t, ctx)

	// The kiosk flag reaches the page: the config says so, and the footer has the staff link.
	if config := harness.FetchJSON[map[string]any](t, ctx, "/api/config"); config["kiosk"] != true {
		t.Fatalf("GET /api/config should say kiosk: true, says %v", config)
	}
	harness.WaitFor(t, ctx, `[...document.querySelectorAll("footer a")].some(a => a.textContent.trim() === "Staff: close the app")`,
		"the footer should have the staff link in kiosk mode")

	// Set up a passkey: the advice is in kiosk terms, and this computer is never offered.
	harness.OpenSetUpPasskey(t, ctx)
	if body := harness.Text(t, ctx, "main"); !harness.ContainsAll(body,
		"This is a shared computer, so your passkey cannot be saved on it.",
		"Only save a passkey on a security key, phone or tablet that belongs to you.") ||
		strings.Contains(body, "This device") {
		t.Errorf("the set-up page should give the advice for a shared computer; it says:\n%s", body)
	}
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Where do you want to save your passkey?")
	if labels := harness.RadioLabels(t, ctx); len(labels) != 1 || labels[0] != "Virtual security key (for testing)" {
		t.Errorf("kiosk mode should offer only portable authenticators (here the virtual key), offers %q", labels)
	}
	if hint := harness.Text(t, ctx, "#authenticator-hint"); !strings.Contains(hint, "This is a shared computer") {
		t.Errorf("where the person chooses, the hint should say this is a shared computer; it says %q", hint)
	}
	harness.Choose(t, ctx, "Virtual security key (for testing)")
	harness.Click(t, ctx, "Continue")
	harness.CreatePIN(t, ctx, pin)
	harness.Page(t, ctx, "Passkeys")
	harness.Banner(t, ctx, "Passkey set up")
	backToSettings(t, ctx)

	// Log out: a full load of the start page, which says so; the address keeps nothing.
	harness.MarkPage(t, ctx)
	harness.Click(t, ctx, "Log out")
	harness.Reloaded(t, ctx, "logging out should load the page again, so nothing of the visit stays in memory")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	harness.Banner(t, ctx, "You have logged out")
	if a := harness.Address(t, ctx); a != "/" {
		t.Errorf("after logging out the address should be /, is %q", a)
	}
	if n := harness.HistoryLength(t, ctx); n != entries {
		t.Errorf("history grew from %d to %d entries: kiosk mode should leave Back nothing to go back to", entries, n)
	}
	if harness.SignedIn(t, ctx) {
		t.Fatal("still signed in after logging out")
	}

	// Log in: no email is offered; log in with the passkey on the key.
	harness.Click(t, ctx, "Log in")
	harness.Page(t, ctx, "Log in")
	if v := harness.FieldValue(t, ctx, "Email address"); v != "" {
		t.Errorf("the email field should be empty after the last visit, holds %q", v)
	}
	harness.FillIn(t, ctx, "Email address", email)
	harness.Click(t, ctx, "Continue")
	harness.ChooseVirtualKey(t, ctx, "Which security key has your passkey?")
	harness.EnterPIN(t, ctx, pin)
	harness.Page(t, ctx, "Login and security settings")
	if !harness.SignedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the passkey")
	}

	// Take the key out at once: the shell ends the session, and the page goes back to the
	// start.
	harness.MarkPage(t, ctx)
	key.Unplug()
	harness.Reloaded(t, ctx, "taking the key out should end the visit with a new load of the page")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	harness.ImportantBanner(t, ctx, "We logged you out because your security key was taken out of this computer.")
	if a := harness.Address(t, ctx); a != "/" {
		t.Errorf("after the key was taken out the address should be /, is %q", a)
	}
	if harness.SignedIn(t, ctx) {
		t.Fatal("the session should have ended when the key was taken out")
	}
	if n := harness.HistoryLength(t, ctx); n != entries {
		t.Errorf("history grew from %d to %d entries across the visits", entries, n)
	}
	harness.Click(t, ctx, "Log in")
	harness.Page(t, ctx, "Log in")
	if v := harness.FieldValue(t, ctx, "Email address"); v != "" {
		t.Errorf("the email field should be empty after the key was taken out, holds %q", v)
	}
}

// The idle timeout, with a short test value: the warning counts down, then the visit ends at
// the start page saying why; and staff (only they) close the app with the administrator secret.
func TestJourneyKioskIdleTimeoutThenStaffCloseTheApp(t *testing.T) {
	srv := harness.StartKiosk(t, harness.NewVirtualKey(t, virtualkey.Succeed()), 40*time.Second)
	ctx := harness.NewWebview(t)

	harness.CreateAccount(t, ctx, srv.Origin, "kiosk.idle@example.com", "a long enough password")
	entries := harness.HistoryLength(t, ctx)
	harness.MarkPage(t, ctx)
	harness.WaitLong(t, ctx, `(() => { const d = document.querySelector("dialog.app-timeout-dialog"); return !!d && d.open })()`,
		"the warning should open before the idle timeout ends the session", 35*time.Second)
	harness.Reloaded(t, ctx, "the idle timeout should end the visit with a new load of the page")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	harness.ImportantBanner(t, ctx, "We logged you out because you had not done anything for 40 seconds.")
	if a := harness.Address(t, ctx); a != "/" {
		t.Errorf("after the timeout the address should be /, is %q", a)
	}
	if n := harness.HistoryLength(t, ctx); n != entries {
		t.Errorf("history grew from %d to %d entries", entries, n)
	}
	if harness.SignedIn(t, ctx) {
		t.Fatal("the session should have ended on the server")
	}

	// Staff: close the app. An empty secret, a wrong one, then the right one.
	harness.ExpectStatus(t, ctx, "POST /api/device/kiosk/exit", http.StatusUnprocessableEntity) // nothing entered
	harness.ExpectStatus(t, ctx, "POST /api/device/kiosk/exit", http.StatusForbidden)           // the wrong secret
	harness.Click(t, ctx, "Staff: close the app")
	harness.Page(t, ctx, "Close the app")
	harness.Click(t, ctx, "Close the app")
	harness.ErrorSummaryFocused(t, ctx, "Enter the administrator secret")
	if title := harness.Get(t, ctx, chromedp.Title()); !strings.HasPrefix(title, "Error: Close the app") {
		t.Errorf("page title after an error = %q", title)
	}
	if inline := strings.Join(strings.Fields(harness.Text(t, ctx, "#secret-error")), " "); inline != "Error: Enter the administrator secret" {
		t.Errorf("the inline message says %q", inline)
	}
	harness.FillIn(t, ctx, "Administrator secret", "a patient's guess")
	harness.Click(t, ctx, "Close the app")
	harness.ErrorSummaryFocused(t, ctx, "The administrator secret is not correct. Check it and try again.")
	if v := harness.FieldValue(t, ctx, "Administrator secret"); v != "" {
		t.Errorf("the secret field should be emptied after a try, holds %q", v)
	}
	select {
	case <-srv.Quit:
		t.Fatal("a wrong secret closed the app")
	default:
	}
	harness.FillIn(t, ctx, "Administrator secret", harness.KioskAdminSecret)
	harness.Click(t, ctx, "Close the app")
	harness.Page(t, ctx, "The app is closing")
	select {
	case <-srv.Quit:
	case <-time.After(5 * time.Second):
		t.Fatal("the right secret should close the app")
	}
}

// A tester reaches "your security key was taken out" from the test tools: Take the key out
// while logged in ends the visit as taking out a real key does.
func TestJourneyKioskTesterTakesTheKeyOutFromTheTestTools(t *testing.T) {
	key := harness.NewVirtualKey(t, virtualkey.Succeed())
	srv := harness.StartKiosk(t, key, 0)
	ctx := harness.NewWebview(t)

	harness.CreateAccount(t, ctx, srv.Origin, "kiosk.tester@example.com", "a long enough password")
	harness.Click(t, ctx, "Test tools (virtual security key)")
	harness.Page(t, ctx, "Test tools for the virtual security key")
	harness.MarkPage(t, ctx)
	harness.Must(t, ctx, chromedp.Click("", harness.ByRoleAndName("button", "Take the key out"), chromedp.NodeVisible))
	harness.Reloaded(t, ctx, "taking the key out from the test tools should end the visit")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	harness.ImportantBanner(t, ctx, "We logged you out because your security key was taken out of this computer.")
	if harness.SignedIn(t, ctx) {
		t.Fatal("the session should have ended when the key was taken out")
	}
	if key.Plugged() {
		t.Fatal("the virtual key should still be out")
	}
}

// A patient types their email on Log in and walks away without logging in: there is no
// session to time out, yet nothing of theirs may wait there for the next person. After the
// kiosk's idle timeout (with its warning) the page goes back to the start, the email gone.
func TestJourneyKioskAVisitNobodyLoggedInToEndsAfterTheIdleTimeout(t *testing.T) {
	srv := harness.StartKiosk(t, harness.NewVirtualKey(t, virtualkey.Succeed()), 40*time.Second)
	ctx := harness.NewWebview(t)
	const email = "walked.away@example.com"

	harness.Must(t, ctx, chromedp.Navigate(srv.Origin+"/"))
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	entries := harness.HistoryLength(t, ctx)
	harness.Click(t, ctx, "Log in")
	harness.Page(t, ctx, "Log in")
	harness.FillIn(t, ctx, "Email address", email)
	harness.MarkPage(t, ctx)
	harness.WaitLong(t, ctx, `(() => { const d = document.querySelector("dialog.app-timeout-dialog"); return !!d && d.open && d.textContent.includes("Are you still there?") })()`,
		"a warning should open before the visit nobody logged in to ends", 35*time.Second)
	// The page behind a modal dialog is out of the accessibility tree, so read it directly.
	if typed := harness.Get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("main input")].map(i => i.value)`)); harness.Address(t, ctx) != "/login" || !slices.Contains(typed, email) {
		t.Fatalf("the warning should leave the page as it is until its time is up (at %s, fields %q)", harness.Address(t, ctx), typed)
	}
	harness.Reloaded(t, ctx, "the end of a visit nobody logged in to should load the start page again")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	if a := harness.Address(t, ctx); a != "/" {
		t.Errorf("after the visit ended the address should be /, is %q", a)
	}
	if n := harness.HistoryLength(t, ctx); n != entries {
		t.Errorf("history grew from %d to %d entries: Back must not lead to the last patient's page", entries, n)
	}
	harness.Click(t, ctx, "Log in")
	harness.Page(t, ctx, "Log in")
	if v := harness.FieldValue(t, ctx, "Email address"); v != "" {
		t.Errorf("the next patient sees the last one's email: the field holds %q", v)
	}
}
