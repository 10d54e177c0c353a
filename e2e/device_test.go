//go:build e2e

// Desktop journeys: the same built frontend in headless Chromium, but served as the desktop
// app serves it (internal/cli without `serve`): the backend with device ceremonies, and the shell's
// device endpoints (app/device) in front of it on the virtual security key. Chromium's own
// WebAuthn is taken away, as the Linux webview has none, so every passkey goes through the
// device endpoints and the virtual key, driven by the page's steps (which key, its PIN, touch).
// Run with `make test` or `go test -tags e2e -run Journey ./e2e/` after `npm run build`.
package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/e2e/harness"
)

func TestJourneyDesktopSetUpPasskeyOnVirtualKeyAndLogInWithItsPIN(t *testing.T) {
	key, srv, ctx := harness.StartDesktopOnVirtualKey(t, virtualkey.Succeed())
	const email = "patient.three@example.com"
	const pin = "2468"

	harness.CreateAccount(t, ctx, srv.Origin, email, "a long enough password")

	// Set up a passkey on the virtual key. It has no PIN yet, so the page asks for a new one
	// (the key then verifies the person with it, which this RP requires).
	setUpPasskeyOnNewVirtualKey(t, ctx, pin)
	if banner := harness.Text(t, ctx, ".nhsuk-notification-banner--success"); !strings.Contains(banner, "Passkey set up") {
		t.Errorf("Passkeys should confirm the new passkey, banner says %q", banner)
	}
	if n := harness.PasskeyCount(t, ctx); n != 1 {
		t.Fatalf("after setting up a passkey the API lists %d passkeys, want 1", n)
	}
	creds := key.Credentials()
	if len(creds) != 1 || creds[0].RPID != "localhost" {
		t.Fatalf("the virtual key should hold one passkey for localhost, holds %+v", creds)
	}
	if retries, pinSet := key.PINRetries(); !pinSet || retries != 8 {
		t.Fatalf("the key should now have the PIN the person chose (set %v, %d tries left)", pinSet, retries)
	}
	signCount := creds[0].SignCount

	// Log out, then log in with the passkey: a wrong PIN first, then the right one.
	backToSettings(t, ctx)
	harness.LogOut(t, ctx)
	harness.StartLogIn(t, ctx, email)
	harness.ChooseVirtualKey(t, ctx, "Which security key has your passkey?")
	harness.Page(t, ctx, "Enter your security key PIN")
	if ac := harness.Get(t, ctx, chromedp.Evaluate[string](`document.querySelector("#pin").getAttribute("autocomplete")`)); ac != "off" {
		t.Errorf("the PIN field should have autocomplete=off, has %q", ac)
	}

	harness.FillIn(t, ctx, "Enter your security key PIN", "1357")
	harness.Click(t, ctx, "Continue")
	harness.WaitFor(t, ctx, `(() => { const a = document.activeElement;
		return !!a && a.classList.contains("nhsuk-error-summary") && a.textContent.includes("The PIN is not correct. You have 7 tries left.") })()`,
		"after a wrong PIN the focused error summary should say how many tries are left")
	if title := harness.Get(t, ctx, chromedp.Title()); !strings.HasPrefix(title, "Error: Enter your security key PIN") {
		t.Errorf("page title after a wrong PIN = %q", title)
	}
	if harness.SignedIn(t, ctx) {
		t.Fatal("a wrong PIN signed the person in")
	}
	if retries, _ := key.PINRetries(); retries != 7 {
		t.Fatalf("the key should count the wrong PIN: %d tries left, want 7", retries)
	}

	harness.FillIn(t, ctx, "Enter your security key PIN", pin)
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Login and security settings")
	if !harness.SignedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the passkey on the virtual key")
	}
	if creds := key.Credentials(); len(creds) != 1 || creds[0].SignCount <= signCount {
		t.Fatalf("the virtual key should have signed the login (sign count above %d): %+v", signCount, creds)
	}
	if retries, _ := key.PINRetries(); retries != 8 {
		t.Errorf("the right PIN should reset the key's tries to 8, %d left", retries)
	}
	if strings.Contains(harness.Text(t, ctx, "main"), "Not used yet") {
		t.Error("after logging in with the passkey, the list should show when it was last used")
	}
	if n := srv.Ceremonies.Load(); n != 2 {
		t.Errorf("the page should have run 2 ceremonies through the device endpoints, ran %d", n)
	}
}

func TestJourneyDesktopCancelWhileTheKeyWaitsForATouchThenTryAgain(t *testing.T) {
	// Nobody touches the key unless the test does.
	key, srv, ctx := harness.StartDesktopOnVirtualKey(t, virtualkey.WaitForTouch(time.Minute))
	const email = "patient.four@example.com"
	const password = "a long enough password"
	const pin = "864213"

	harness.CreateAccount(t, ctx, srv.Origin, email, password)
	harness.OpenSetUpPasskey(t, ctx)
	harness.Click(t, ctx, "Continue")
	harness.ChooseVirtualKey(t, ctx, "Where do you want to save your passkey?")
	harness.CreatePIN(t, ctx, pin)
	harness.Page(t, ctx, "Setting up your passkey")
	harness.DeviceStatus(t, ctx, "Touch your security key")
	harness.DeviceStatus(t, ctx, "It may flash or light up.")

	harness.Click(t, ctx, "Cancel")
	harness.Page(t, ctx, "Set up a passkey")
	if inset := harness.Text(t, ctx, "main .nhsuk-inset-text"); !strings.Contains(inset, "You cancelled setting up your passkey.") {
		t.Errorf("back on the page, it should say the person cancelled; first inset text says %q", inset)
	}
	if has := harness.Get(t, ctx, chromedp.Evaluate[bool](`!!document.querySelector("main .nhsuk-error-summary")`)); has {
		t.Error("cancelling is not an error: no error summary expected")
	}
	if n := len(key.Credentials()); n != 0 {
		t.Fatalf("a cancelled set-up left %d passkeys on the key", n)
	}
	if n := harness.PasskeyCount(t, ctx); n != 0 {
		t.Fatalf("a cancelled set-up left %d passkeys on the account", n)
	}

	// Come back later (a fresh login allows one change without confirming it is you again)
	// and try again: the key kept the PIN chosen before the cancel, so it asks for it, then
	// waits for the touch.
	harness.Click(t, ctx, "Back")
	harness.Page(t, ctx, "Passkeys")
	backToSettings(t, ctx)
	harness.LogOut(t, ctx)
	harness.LogInWithPassword(t, ctx, srv.Origin, email, password)
	harness.OpenSetUpPasskey(t, ctx)
	harness.Click(t, ctx, "Continue")
	harness.ChooseVirtualKey(t, ctx, "Where do you want to save your passkey?")
	harness.EnterPIN(t, ctx, pin)
	harness.Page(t, ctx, "Setting up your passkey")
	harness.DeviceStatus(t, ctx, "Touch your security key")
	key.Touch()
	harness.Page(t, ctx, "Passkeys")
	if n := len(key.Credentials()); n != 1 {
		t.Fatalf("after the touch the key holds %d passkeys, want 1", n)
	}
	if n := harness.PasskeyCount(t, ctx); n != 1 {
		t.Fatalf("after the touch the API lists %d passkeys, want 1", n)
	}
}

func TestJourneyDesktopRemoveAPasskeyConfirmingItsYouWithTheVirtualKey(t *testing.T) {
	key, srv, ctx := harness.StartDesktopOnVirtualKey(t, virtualkey.Succeed())
	const email = "patient.six@example.com"
	const pin = "97531"

	// Set up a passkey on the virtual key: the fresh login allows this one change.
	harness.CreateAccount(t, ctx, srv.Origin, email, "a long enough password")
	setUpPasskeyOnNewVirtualKey(t, ctx, pin)
	harness.Banner(t, ctx, "Passkey set up")
	passkeys := harness.ListPasskeys(t, ctx)
	if len(passkeys) != 1 {
		t.Fatalf("after setting up a passkey the API lists %d, want 1", len(passkeys))
	}
	name := passkeys[0].Name
	signCount := key.Credentials()[0].SignCount

	// Remove it, as the help article says: select Login and security settings, select Remove
	// for the passkey. The login's one change is used up, so the page asks to confirm it's you,
	// and the key's steps run inside the page: which key, its PIN, then the key signs.
	backToSettings(t, ctx)
	harness.Click(t, ctx, "Remove "+name)
	harness.Page(t, ctx, "Are you sure you want to remove “"+name+"”?")
	if body := harness.Text(t, ctx, "main"); !strings.Contains(body, "Security keys") {
		t.Errorf("in the desktop app, removing a passkey on a security key should point to Security keys; the page says:\n%s", body)
	}
	harness.ExpectStatus(t, ctx, "DELETE /api/passkeys/*", http.StatusForbidden) // reauth_required: the page asks
	harness.Click(t, ctx, "Remove passkey")
	harness.Page(t, ctx, "Confirm it's you")
	if body := harness.Text(t, ctx, "main"); !strings.Contains(body, "choose the security key that has your passkey") {
		t.Errorf("the step should say what the desktop app will ask; it says:\n%s", body)
	}
	harness.Click(t, ctx, "Continue")
	harness.ChooseVirtualKey(t, ctx, "Which security key has your passkey?")
	harness.EnterPIN(t, ctx, pin)
	// The key is still plugged in, so the app offers to delete the passkey from it too
	// (keys_test.go goes on to do that); not now.
	harness.Page(t, ctx, "Delete the passkey from your security key too?")
	harness.Click(t, ctx, "Not now")
	harness.Page(t, ctx, "Login and security settings")
	harness.Banner(t, ctx, "Passkey removed")

	if n := len(harness.ListPasskeys(t, ctx)); n != 0 {
		t.Fatalf("after removing it the API lists %d passkeys, want 0", n)
	}
	creds := key.Credentials()
	if len(creds) != 1 || creds[0].SignCount <= signCount {
		t.Fatalf("the key should have signed to confirm it's you (sign count above %d) and still hold the passkey (deleting it from the key is the Security keys section's job): %+v", signCount, creds)
	}
	if n := srv.Ceremonies.Load(); n != 2 {
		t.Errorf("the page should have run 2 ceremonies on the shell (set up, confirm it's you), ran %d", n)
	}
	if !harness.SignedIn(t, ctx) {
		t.Error("removing a passkey should keep the person logged in")
	}
}

// setUpPasskeyOnNewVirtualKey walks the help article's steps from Login and security settings
// (select Passkeys, select Set up a passkey) onto the virtual key, which has no PIN yet, so the
// page asks for a new one (entered twice); it ends on Passkeys, with the banner.
func setUpPasskeyOnNewVirtualKey(t *testing.T, ctx context.Context, pin string) {
	t.Helper()
	harness.OpenSetUpPasskey(t, ctx)
	harness.Click(t, ctx, "Continue")
	harness.ChooseVirtualKey(t, ctx, "Where do you want to save your passkey?")
	harness.CreatePIN(t, ctx, pin)
	harness.Page(t, ctx, "Passkeys")
}

// backToSettings follows the Passkeys page's back link to Login and security settings.
func backToSettings(t *testing.T, ctx context.Context) {
	t.Helper()
	harness.Click(t, ctx, "Back to Login and security settings")
	harness.Page(t, ctx, "Login and security settings")
}
