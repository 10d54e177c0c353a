//go:build e2e

// Browser journeys: the real `serve` command (cli.Program.Run in this process, e2e/harness.StartServe), the real built frontend,
// and headless Chromium as the WebAuthn client with its CDP virtual authenticator.
// Run with `make test` (it builds the frontend first) or `go test -tags e2e -run Journey ./e2e/`.
package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/nhs-passkeys/companion/e2e/harness"
)

func TestJourneyCreateAccountSetUpPasskeyAndLogInWithIt(t *testing.T) {
	origin := harness.StartServe(t)
	ctx, authID := harness.NewBrowser(t)
	const email = "patient.one@example.com"
	const password = "correct horse battery"

	// Create an account from the start page.
	harness.Open(t, ctx, origin+"/")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	harness.Click(t, ctx, "Create an account")
	harness.Page(t, ctx, "Create an account")
	harness.SubmitNewAccount(t, ctx, email, password)
	if n := harness.PasskeyCount(t, ctx); n != 0 {
		t.Fatalf("a new account should have no passkeys, the API lists %d", n)
	}

	// Set up a passkey, as NHS login's help article says: "Go to Login and security settings,
	// select Passkeys, select Set up a passkey".
	harness.SetUpPasskeyInBrowser(t, ctx)
	if n := harness.PasskeyCount(t, ctx); n != 1 {
		t.Fatalf("after setting up a passkey the API lists %d passkeys, want 1", n)
	}
	if n := len(harness.AuthenticatorCredentials(t, ctx, authID)); n != 1 {
		t.Fatalf("the authenticator holds %d credentials, want 1", n)
	}
	mainText := harness.Text(t, ctx, "main")
	if !strings.Contains(mainText, "Not used yet") {
		t.Errorf("a passkey that was just set up should say it is not used yet; page says:\n%s", mainText)
	}

	// Back to Login and security settings, log out, then log in with the passkey by email.
	harness.Click(t, ctx, "Back to Login and security settings")
	harness.Page(t, ctx, "Login and security settings")
	harness.LogOut(t, ctx)
	if harness.SignedIn(t, ctx) {
		t.Fatal("still signed in after logging out")
	}
	harness.StartLogIn(t, ctx, email)
	harness.Page(t, ctx, "Login and security settings")
	if !harness.SignedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the passkey")
	}
	creds := harness.AuthenticatorCredentials(t, ctx, authID)
	if len(creds) != 1 || creds[0].SignCount < 1 {
		t.Fatalf("the passkey should have signed a login (sign count >= 1): %+v", creds)
	}
	if n := harness.PasskeyCount(t, ctx); n != 1 {
		t.Fatalf("after logging in the API lists %d passkeys, want 1", n)
	}
	if strings.Contains(harness.Text(t, ctx, "main"), "Not used yet") {
		t.Error("after logging in with the passkey, the list should show when it was last used")
	}
}

func TestJourneyPasswordLoginWithAWrongThenTheRightPassword(t *testing.T) {
	origin := harness.StartServe(t)
	ctx, _ := harness.NewBrowser(t)
	const email = "patient.two@example.com"
	const password = "another good password"

	harness.CreateAccountInBrowser(t, ctx, origin, email, password)
	harness.LogOut(t, ctx)

	harness.Click(t, ctx, "Log in")
	harness.Page(t, ctx, "Log in")
	harness.FillIn(t, ctx, "Email address", email)
	harness.Click(t, ctx, "Log in with your password instead")
	harness.Page(t, ctx, "Log in with your password")
	carried := harness.FieldValue(t, ctx, "Email address")
	if carried != email {
		t.Errorf("the email typed on the previous page should be carried over, got %q", carried)
	}

	// A wrong password: NHS error pattern (title prefixed, summary focused), still signed out.
	harness.ExpectStatus(t, ctx, "POST /api/login/password", http.StatusUnauthorized)
	harness.FillIn(t, ctx, "Password", "not the password")
	harness.Click(t, ctx, "Log in")
	harness.WaitFor(t, ctx, `document.activeElement && document.activeElement.classList.contains("nhsuk-error-summary")`,
		"the error summary should receive focus after a failed login")
	if title := harness.Get(t, ctx, chromedp.Title()); !strings.HasPrefix(title, "Error: ") {
		t.Errorf("page title after an error should start with \"Error: \", got %q", title)
	}
	if harness.SignedIn(t, ctx) {
		t.Fatal("a wrong password signed the person in")
	}

	harness.ClearField(t, ctx, "Password")
	harness.FillIn(t, ctx, "Password", password)
	harness.Click(t, ctx, "Log in")
	harness.Page(t, ctx, "Login and security settings")
	if !harness.SignedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the right password")
	}
}

func TestJourneyManagePasskeysPasswordAndSessionsWithReauthentication(t *testing.T) {
	origin := harness.StartServe(t)
	ctx, authID := harness.NewBrowser(t)
	const email = "patient.five@example.com"
	const password = "the first good password"
	const newPassword = "a second, better password"

	// Create an account, then set up a passkey: the fresh login allows this one change without
	// confirming it's you (docs/api.md, "Re-authentication").
	harness.CreateAccountInBrowser(t, ctx, origin, email, password)
	harness.SetUpPasskeyInBrowser(t, ctx)
	harness.Banner(t, ctx, "Passkey set up")
	first := harness.ListPasskeys(t, ctx)
	if len(first) != 1 {
		t.Fatalf("after setting up a passkey the API lists %d, want 1", len(first))
	}
	signCount := harness.AuthenticatorCredentials(t, ctx, authID)[0].SignCount

	// Rename it. The login's one change is used up, so the page asks to confirm it's you, and
	// Chromium's authenticator signs with the passkey; then the rename goes through. Each change
	// from here on is first answered 403 reauth_required (docs/api.md, "Re-authentication"),
	// which is how the page knows to ask.
	for _, change := range []string{"PATCH /api/passkeys/*", "POST /api/passkeys/register/begin", "DELETE /api/passkeys/*", "POST /api/account/password"} {
		harness.ExpectStatus(t, ctx, change, http.StatusForbidden)
	}
	harness.Click(t, ctx, "Rename "+first[0].Name)
	harness.Page(t, ctx, "Rename your passkey")
	if v := harness.FieldValue(t, ctx, "New name"); v != first[0].Name {
		t.Errorf("the name field should hold the current name %q, holds %q", first[0].Name, v)
	}
	if search := harness.Get(t, ctx, chromedp.Evaluate[string](`location.search`)); search != "" {
		t.Errorf("the chosen passkey must not be in the address, which has %q", search)
	}
	harness.ClearField(t, ctx, "New name")
	harness.FillIn(t, ctx, "New name", "Work laptop")
	harness.Click(t, ctx, "Save name")
	harness.Page(t, ctx, "Confirm it's you")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Passkeys")
	harness.Banner(t, ctx, "Passkey renamed")
	if got := harness.PasskeyNames(harness.ListPasskeys(t, ctx)); got != "Work laptop" {
		t.Fatalf("after renaming, the API lists %q, want \"Work laptop\"", got)
	}
	creds := harness.AuthenticatorCredentials(t, ctx, authID)
	if len(creds) != 1 || creds[0].SignCount <= signCount {
		t.Fatalf("confirming it's you should have signed with the passkey (sign count above %v): %+v", signCount, creds)
	}

	// Set up a second passkey: the page says first what will happen (confirm it's you with the
	// passkey you have, then create the new one); confirm it's you with the first, then, back on
	// the page, select Continue again (a browser wants a fresh click before it creates a passkey).
	harness.Click(t, ctx, "Set up a passkey")
	harness.Page(t, ctx, "Set up a passkey")
	if body := harness.Text(t, ctx, "main"); !strings.Contains(body, "First, confirm it's you with a passkey you already have.") ||
		!strings.Contains(body, "Then, create your new passkey.") {
		t.Errorf("before anything pops up, the page should say the person will confirm it's them first, then create the new passkey; it says:\n%s", body)
	}
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Confirm it's you")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Set up a passkey")
	if inset := harness.Text(t, ctx, "main .nhsuk-inset-text"); !strings.Contains(inset, "You have confirmed it's you.") {
		t.Errorf("back on the page, it should say the person has confirmed it's you; it says %q", inset)
	}
	// The second passkey is made on "another device": the server excludes the passkeys the
	// account has, and this authenticator holds the first, so the first is taken off while the
	// second is made; then the second goes (to that other device) and the first comes back.
	held := harness.AuthenticatorCredentials(t, ctx, authID)[0]
	harness.RemoveCredential(t, ctx, authID, held.CredentialID)
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Passkeys")
	harness.Banner(t, ctx, "Passkey set up")
	made := harness.AuthenticatorCredentials(t, ctx, authID)
	if len(made) != 1 {
		t.Fatalf("the authenticator should hold just the second passkey, holds %d", len(made))
	}
	harness.RemoveCredential(t, ctx, authID, made[0].CredentialID)
	harness.PutBackCredential(t, ctx, authID, held)
	both := harness.ListPasskeys(t, ctx)
	if len(both) != 2 {
		t.Fatalf("after the second set-up the API lists %d passkeys, want 2", len(both))
	}
	second := both[0]
	if second.Name == "Work laptop" {
		second = both[1]
	}

	// Remove the second, as the help article says: "Select Login and security settings, select
	// Remove for the passkey". The confirmation page, confirm it's you, then the banner.
	harness.Click(t, ctx, "Back to Login and security settings")
	harness.Page(t, ctx, "Login and security settings")
	harness.Click(t, ctx, "Remove "+second.Name)
	harness.Page(t, ctx, "Are you sure you want to remove “"+second.Name+"”?")
	if body := harness.Text(t, ctx, "main"); !strings.Contains(body, "you will not be able to use it to log in") {
		t.Errorf("the confirmation should say what removing means; it says:\n%s", body)
	}
	harness.Click(t, ctx, "Remove passkey")
	harness.Page(t, ctx, "Confirm it's you")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Login and security settings")
	harness.Banner(t, ctx, "Passkey removed")
	if got := harness.PasskeyNames(harness.ListPasskeys(t, ctx)); got != "Work laptop" {
		t.Fatalf("after removing the second passkey the API lists %q, want only \"Work laptop\"", got)
	}

	// Recent activity lists what happened, in plain English.
	harness.Click(t, ctx, "View recent activity")
	harness.Page(t, ctx, "Recent activity")
	activity := harness.Text(t, ctx, "main table")
	for _, want := range []string{
		"Account created",
		"Passkey set up",
		"Passkey renamed to Work laptop",
		"Confirmed it's you with a passkey",
		"Passkey removed (" + second.Name + ")",
	} {
		if !strings.Contains(activity, want) {
			t.Errorf("recent activity should list %q; it says:\n%s", want, activity)
		}
	}
	harness.Click(t, ctx, "Back")
	harness.Page(t, ctx, "Login and security settings")

	// Change the password, confirming with the passkey.
	harness.Click(t, ctx, "Change your password")
	harness.Page(t, ctx, "Change your password")
	harness.FillIn(t, ctx, "New password", newPassword)
	harness.Click(t, ctx, "Change password")
	harness.Page(t, ctx, "Confirm it's you")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Login and security settings")
	harness.Banner(t, ctx, "Password changed")
	if !harness.SignedIn(t, ctx) {
		t.Fatal("changing the password should keep this session")
	}

	// Another device logs in with the new password (the old one no longer works); then log
	// out of all other devices here: that session ends, this one stays.
	other := harness.NewAPIClient(t, origin)
	if status := other.Post(t, "/api/login/password", map[string]string{"email": email, "password": password}); status != http.StatusUnauthorized {
		t.Errorf("the old password should be refused (401), got %d", status)
	}
	if status := other.Post(t, "/api/login/password", map[string]string{"email": email, "password": newPassword}); status != http.StatusOK {
		t.Fatalf("the new password should log in on another device, got %d", status)
	}
	if !other.SignedIn(t) {
		t.Fatal("the other device should be signed in before logging out everywhere else")
	}
	harness.Click(t, ctx, "Log out of all other devices")
	harness.Page(t, ctx, "Login and security settings")
	harness.Banner(t, ctx, "You have been logged out on 1 other device")
	if other.SignedIn(t) {
		t.Error("the other device is still signed in after logging out of all other devices")
	}
	if !harness.SignedIn(t, ctx) {
		t.Error("logging out of other devices should keep this one signed in")
	}
}

// A patient whose two devices (each with a passkey) are gone: the passkey login says the
// passkey may not be on this device and offers the password; after the password login they
// remove both lost passkeys from Login and security settings, one after the other, with no
// second login and no passkey asked for (docs/api.md, "Re-authentication").
func TestJourneyAPatientWhoLostTwoDevicesRemovesBothPasskeys(t *testing.T) {
	origin := harness.StartServe(t)
	ctx, authID := harness.NewBrowser(t)
	const email = "patient.lost@example.com"
	const password = "a password to fall back on"

	harness.CreateAccountInBrowser(t, ctx, origin, email, password)
	harness.SetUpPasskeyInBrowser(t, ctx)
	// The second passkey on "another device": confirm it's you with the first (the begin
	// answers 403 reauth_required), then the first is taken off this authenticator while the
	// second is made (the server excludes it).
	harness.ExpectStatus(t, ctx, "POST /api/passkeys/register/begin", http.StatusForbidden)
	harness.Click(t, ctx, "Set up a passkey")
	harness.Page(t, ctx, "Set up a passkey")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Confirm it's you")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Set up a passkey")
	harness.RemoveCredential(t, ctx, authID, harness.AuthenticatorCredentials(t, ctx, authID)[0].CredentialID)
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Passkeys")
	lost := harness.ListPasskeys(t, ctx)
	if len(lost) != 2 {
		t.Fatalf("the account should have 2 passkeys, the API lists %d", len(lost))
	}
	// Both devices are lost: this authenticator holds neither passkey any more.
	harness.RemoveCredential(t, ctx, authID, harness.AuthenticatorCredentials(t, ctx, authID)[0].CredentialID)
	harness.Click(t, ctx, "Back to Login and security settings")
	harness.Page(t, ctx, "Login and security settings")
	harness.LogOut(t, ctx)

	// The passkey login: the browser says only "not allowed"; the page says the passkey may not
	// be on this device, and offers the password.
	harness.StartLogIn(t, ctx, email)
	harness.ErrorSummaryFocused(t, ctx, "Your passkey may not be on this device.")
	if summary := harness.Text(t, ctx, "main .nhsuk-error-summary"); strings.Contains(summary, "You may have cancelled it, or your device took too long") {
		t.Errorf("the error should not lead with cancelling; it says:\n%s", summary)
	}
	harness.Click(t, ctx, "Log in with your password")
	harness.Page(t, ctx, "Log in with your password")
	harness.FillIn(t, ctx, "Password", password)
	harness.Click(t, ctx, "Log in")
	harness.Page(t, ctx, "Login and security settings")

	// "Select Remove for the passkey you want to remove", once for each lost passkey.
	for i, pk := range lost {
		harness.Click(t, ctx, "Remove "+pk.Name)
		harness.Page(t, ctx, "Are you sure you want to remove “"+pk.Name+"”?")
		harness.Click(t, ctx, "Remove passkey")
		harness.Page(t, ctx, "Login and security settings")
		harness.Banner(t, ctx, "You can no longer log in with “"+pk.Name+"”.")
		if n := harness.PasskeyCount(t, ctx); n != len(lost)-i-1 {
			t.Fatalf("after removing %d lost passkeys the API lists %d, want %d", i+1, n, len(lost)-i-1)
		}
	}
	if !harness.SignedIn(t, ctx) {
		t.Fatal("removing the lost passkeys should not log the person out")
	}

	harness.Click(t, ctx, "View recent activity")
	harness.Page(t, ctx, "Recent activity")
	activity := harness.Text(t, ctx, "main table")
	for _, pk := range lost {
		if want := "Passkey removed (" + pk.Name + ")"; !strings.Contains(activity, want) {
			t.Errorf("recent activity should list %q; it says:\n%s", want, activity)
		}
	}
	// The only confirmation is the one before the second set-up: none for the removals.
	if n := strings.Count(activity, "Confirmed it's you"); n != 1 {
		t.Errorf("recent activity lists %d confirmations, want only the set-up's; it says:\n%s", n, activity)
	}
}
