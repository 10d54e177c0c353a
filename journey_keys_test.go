//go:build e2e

// The desktop app's "Security keys" pages, in headless Chromium served as the desktop app
// serves them (journey_device_test.go's startDesktop and newWebview): the page manages the
// virtual key through the device endpoints and the real libfido2.
// Run with `make test` or `go test -tags e2e -run Journey .` after `npm run build`.
package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/nhs-passkeys/companion/app/virtualkey"
)

func TestJourneyDesktopSecurityKeysShowTheAccountsPasskeyAndDeleteItFromTheKey(t *testing.T) {
	key := newVirtualKey(t, virtualkey.Succeed())
	srv := startDesktop(t, key)
	ctx := newWebview(t)
	const email = "patient.six@example.com"
	const pin = "97531"

	// Create an account and set up a passkey on the virtual key (it asks for a new PIN).
	createAccount(t, ctx, srv.origin, email, "a long enough password")
	setUpPasskeyOnNewVirtualKey(t, ctx, pin)
	banner(t, ctx, "Passkey set up")
	if n := len(key.Credentials()); n != 1 {
		t.Fatalf("the virtual key holds %d passkeys, want 1", n)
	}

	// Security keys: the desktop app links to it from the settings.
	click(t, ctx, "Security keys")
	page(t, ctx, "Security keys")
	if body := text(t, ctx, "main"); !strings.Contains(body, "Virtual security key (for testing)") ||
		!strings.Contains(body, "This virtual security key is a test tool for this app.") ||
		!strings.Contains(body, "Set. You have 8 tries left.") {
		t.Fatalf("the list should show the virtual key, as a test tool, with its PIN:\n%s", body)
	}
	click(t, ctx, "Manage this security key: Virtual security key (for testing)")
	page(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Passkeys on this key")

	// The key's PIN, then its passkeys: the one just set up is this account's.
	page(t, ctx, "Enter your security key PIN")
	if ac := get(t, ctx, chromedp.Evaluate[string](`document.querySelector("#pin").getAttribute("autocomplete")`)); ac != "off" {
		t.Errorf("the PIN field should have autocomplete=off, has %q", ac)
	}
	fillIn(t, ctx, "Enter your security key PIN", pin)
	click(t, ctx, "Continue")
	page(t, ctx, "Passkeys on Virtual security key (for testing)")
	row := text(t, ctx, "main .nhsuk-summary-list__row")
	if !strings.Contains(row, email) || !strings.Contains(row, "Used for your NHS login") ||
		!strings.Contains(row, "Your NHS login calls it “Security key”.") {
		t.Fatalf("the passkey should be marked as this account's, in use; the row says %q", row)
	}

	// Delete it from the key: a confirmation page explains what that means, and wants the PIN.
	click(t, ctx, "Delete passkey for "+email+" on NHS login")
	page(t, ctx, "Are you sure you want to delete this passkey?")
	if warning := text(t, ctx, "main .nhsuk-card--warning"); !strings.Contains(warning,
		"You will not be able to log in with this passkey any more. Remove it from your NHS login too.") {
		t.Errorf("the confirmation should explain the consequence first; it says %q", warning)
	}
	fillIn(t, ctx, "Enter your security key PIN to delete it", pin)
	click(t, ctx, "Delete passkey")
	page(t, ctx, "Passkeys on Virtual security key (for testing)")
	banner(t, ctx, "Passkey deleted from your security key")
	if body := text(t, ctx, "main"); !strings.Contains(body, "There are no passkeys on this key.") ||
		strings.Contains(body, "Used for your NHS login") {
		t.Fatalf("after deleting, the key should list nothing:\n%s", body)
	}
	if n := len(key.Credentials()); n != 0 {
		t.Fatalf("the virtual key still holds %d passkeys", n)
	}
	if retries, _ := key.PINRetries(); retries != 8 {
		t.Errorf("every PIN entered was right, yet the key has %d tries left", retries)
	}
	// The account still lists it (removing it there is the account's business).
	if n := passkeyCount(t, ctx); n != 1 {
		t.Errorf("the account lists %d passkeys, want 1", n)
	}
}

func TestJourneyDesktopRemoveAPasskeyThenDeleteItFromTheSecurityKeyToo(t *testing.T) {
	key := newVirtualKey(t, virtualkey.Succeed())
	srv := startDesktop(t, key)
	ctx := newWebview(t)
	const email = "patient.seven@example.com"
	const pin = "97531"

	// An account with a password and a passkey on the virtual key: it can remove its only passkey.
	createAccount(t, ctx, srv.origin, email, "a long enough password")
	setUpPasskeyOnNewVirtualKey(t, ctx, pin)
	banner(t, ctx, "Passkey set up")
	passkeys := listPasskeys(t, ctx)
	if len(passkeys) != 1 || len(key.Credentials()) != 1 {
		t.Fatalf("after setting up a passkey the API lists %d and the key holds %d, want 1 and 1", len(passkeys), len(key.Credentials()))
	}
	name := passkeys[0].Name

	// Remove it in Login and security settings. The login's one change is used up, so the
	// page asks to confirm it's you with the key.
	click(t, ctx, "Remove "+name)
	page(t, ctx, "Are you sure you want to remove “"+name+"”?")
	click(t, ctx, "Remove passkey")
	page(t, ctx, "Confirm it's you")
	click(t, ctx, "Continue")
	page(t, ctx, "Which security key has your passkey?")
	choose(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Continue")
	page(t, ctx, "Enter your security key PIN")
	fillIn(t, ctx, "Enter your security key PIN", pin)
	click(t, ctx, "Continue")

	// The key is plugged in, so the journey offers to delete the passkey from it too.
	page(t, ctx, "Delete the passkey from your security key too?")
	if body := text(t, ctx, "main"); !strings.Contains(body, "“"+name+"” has been removed from your NHS login") ||
		!strings.Contains(body, "The key will keep offering it when you log in") ||
		!strings.Contains(body, "Not now") {
		t.Fatalf("the offer should say why, with a way out:\n%s", body)
	}
	if n := len(listPasskeys(t, ctx)); n != 0 {
		t.Fatalf("the account still lists %d passkeys", n)
	}
	if n := len(key.Credentials()); n != 1 {
		t.Fatalf("before deleting it there, the key should still hold the passkey; it holds %d", n)
	}
	click(t, ctx, "Delete it from the security key")

	// The Security keys flow: the key's PIN, then its passkeys, where this one is a leftover.
	page(t, ctx, "Enter your security key PIN")
	fillIn(t, ctx, "Enter your security key PIN", pin)
	click(t, ctx, "Continue")
	page(t, ctx, "Passkeys on Virtual security key (for testing)")
	row := text(t, ctx, "main .nhsuk-summary-list__row")
	if !strings.Contains(row, email) || !strings.Contains(row, "No longer works") ||
		!strings.Contains(row, "This passkey was removed from your NHS login, so it no longer works.") {
		t.Fatalf("the passkey should be marked as a leftover; the row says %q", row)
	}
	click(t, ctx, "Delete passkey for "+email+" on NHS login")
	page(t, ctx, "Are you sure you want to delete this passkey?")
	fillIn(t, ctx, "Enter your security key PIN to delete it", pin)
	click(t, ctx, "Delete passkey")
	page(t, ctx, "Passkeys on Virtual security key (for testing)")
	banner(t, ctx, "Passkey deleted from your security key")
	if n := len(key.Credentials()); n != 0 {
		t.Fatalf("the virtual key still holds %d passkeys", n)
	}
	if !signedIn(t, ctx) {
		t.Error("the journey should keep the person logged in")
	}

	// Back in the settings, the removal's banner was waiting.
	click(t, ctx, "Back to Virtual security key (for testing)")
	page(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Back to security keys")
	page(t, ctx, "Security keys")
	click(t, ctx, "Back to login and security settings")
	page(t, ctx, "Login and security settings")
	banner(t, ctx, "Passkey removed")
}
