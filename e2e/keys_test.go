//go:build e2e && cgo && !windows

// The desktop app's "Security keys" pages, in headless Chromium served as the desktop app
// serves them (harness.StartDesktop and harness.NewWebview): the page manages the
// virtual key through the device endpoints and the real libfido2.
// Run with `make test` or `go test -tags e2e -run Journey ./e2e/` after `npm run build`.
package e2e

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/e2e/harness"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

func TestJourneyDesktopSecurityKeysShowTheAccountsPasskeyAndDeleteItFromTheKey(t *testing.T) {
	key, srv, ctx := harness.StartDesktopOnVirtualKey(t, virtualkey.Succeed())
	const email = "patient.six@example.com"
	const pin = "97531"

	// Create an account and set up a passkey on the virtual key (it asks for a new PIN).
	harness.CreateAccount(t, ctx, srv.Origin, email, "a long enough password")
	setUpPasskeyOnNewVirtualKey(t, ctx, pin)
	harness.Banner(t, ctx, "Passkey set up")
	if n := len(key.Credentials()); n != 1 {
		t.Fatalf("the virtual key holds %d passkeys, want 1", n)
	}

	// Security keys: the desktop app links to it from the settings.
	backToSettings(t, ctx)
	harness.Click(t, ctx, "Security keys")
	harness.Page(t, ctx, "Security keys")
	if body := harness.Text(t, ctx, "main"); !strings.Contains(body, "Virtual security key (for testing)") ||
		!strings.Contains(body, "This virtual security key is a test tool for this app.") ||
		!strings.Contains(body, "Set. You have 8 tries left.") {
		t.Fatalf("the list should show the virtual key, as a test tool, with its PIN:\n%s", body)
	}
	// getInfo's remainingDiscoverableCredentials (CTAP 2.1 §6.4): 25 slots, one used.
	if got := harness.SummaryValue(t, ctx, "Passkeys"); got != "Room for 24 more" {
		t.Errorf("the list shows the key's room for passkeys as %q", got)
	}
	harness.Click(t, ctx, "Manage this security key: Virtual security key (for testing)")
	harness.Page(t, ctx, "Virtual security key (for testing)")
	harness.Click(t, ctx, "Passkeys on this key")

	// The key's PIN, then its passkeys: the one just set up is this account's.
	harness.Page(t, ctx, "Enter your security key PIN")
	if ac := harness.Get(t, ctx, chromedp.Evaluate[string](`document.querySelector("#pin").getAttribute("autocomplete")`)); ac != "off" {
		t.Errorf("the PIN field should have autocomplete=off, has %q", ac)
	}
	harness.FillIn(t, ctx, "Enter your security key PIN", pin)
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Passkeys on Virtual security key (for testing)")
	// With the PIN, getCredsMetadata (CTAP 2.1 §6.8.2) gives the slots used and left.
	if body := harness.Words(harness.Text(t, ctx, "main")); !strings.Contains(body, "There is 1 passkey on this key. It has room for 24 more.") {
		t.Errorf("the page should say how many passkeys the key holds and has room for:\n%s", body)
	}
	row := harness.Text(t, ctx, "main .nhsuk-summary-list__row")
	if !strings.Contains(row, email) || !strings.Contains(row, "Used for your NHS login") ||
		!strings.Contains(row, "Your NHS login calls it “Security key”.") {
		t.Fatalf("the passkey should be marked as this account's, in use; the row says %q", row)
	}

	// Delete it from the key: a confirmation page explains what that means, and wants the PIN.
	harness.Click(t, ctx, "Delete passkey for "+email+" on NHS login")
	harness.Page(t, ctx, "Are you sure you want to delete this passkey?")
	if warning := harness.Text(t, ctx, "main .nhsuk-card--warning"); !strings.Contains(warning,
		"You will not be able to log in with this passkey any more. Remove it from your NHS login too.") {
		t.Errorf("the confirmation should explain the consequence first; it says %q", warning)
	}
	harness.FillIn(t, ctx, "Enter your security key PIN to delete it", pin)
	harness.Click(t, ctx, "Delete passkey")
	harness.Page(t, ctx, "Passkeys on Virtual security key (for testing)")
	harness.Banner(t, ctx, "Passkey deleted from your security key")
	if body := harness.Text(t, ctx, "main"); !strings.Contains(body, "There are no passkeys on this key.") ||
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
	if n := harness.PasskeyCount(t, ctx); n != 1 {
		t.Errorf("the account lists %d passkeys, want 1", n)
	}
}

func TestJourneyDesktopRemoveAPasskeyThenDeleteItFromTheSecurityKeyToo(t *testing.T) {
	key, srv, ctx := harness.StartDesktopOnVirtualKey(t, virtualkey.Succeed())
	const email = "patient.seven@example.com"
	const pin = "97531"

	// An account with a password and a passkey on the virtual key: it can remove its only passkey.
	harness.CreateAccount(t, ctx, srv.Origin, email, "a long enough password")
	setUpPasskeyOnNewVirtualKey(t, ctx, pin)
	harness.Banner(t, ctx, "Passkey set up")
	passkeys := harness.ListPasskeys(t, ctx)
	if len(passkeys) != 1 || len(key.Credentials()) != 1 {
		t.Fatalf("after setting up a passkey the API lists %d and the key holds %d, want 1 and 1", len(passkeys), len(key.Credentials()))
	}
	name := passkeys[0].Name

	// Remove it in Login and security settings. The login's one change is used up, so the
	// page asks to confirm it's you with the key (the first answer is 403 reauth_required).
	harness.ExpectStatus(t, ctx, "DELETE /api/passkeys/*", http.StatusForbidden)
	backToSettings(t, ctx)
	harness.Click(t, ctx, "Remove "+name)
	harness.Page(t, ctx, "Are you sure you want to remove “"+name+"”?")
	harness.Click(t, ctx, "Remove passkey")
	harness.Page(t, ctx, "Confirm it's you")
	harness.Click(t, ctx, "Continue")
	harness.ChooseVirtualKey(t, ctx, "Which security key has your passkey?")
	harness.EnterPIN(t, ctx, pin)

	// The key is plugged in, so the journey offers to delete the passkey from it too.
	harness.Page(t, ctx, "Delete the passkey from your security key too?")
	if body := harness.Text(t, ctx, "main"); !strings.Contains(body, "“"+name+"” has been removed from your NHS login") ||
		!strings.Contains(body, "The key will keep offering it when you log in") ||
		!strings.Contains(body, "Not now") {
		t.Fatalf("the offer should say why, with a way out:\n%s", body)
	}
	if n := len(harness.ListPasskeys(t, ctx)); n != 0 {
		t.Fatalf("the account still lists %d passkeys", n)
	}
	if n := len(key.Credentials()); n != 1 {
		t.Fatalf("before deleting it there, the key should still hold the passkey; it holds %d", n)
	}
	harness.Click(t, ctx, "Delete it from the security key")

	// The Security keys flow: the key's PIN, then its passkeys, where this one is a leftover.
	harness.EnterPIN(t, ctx, pin)
	harness.Page(t, ctx, "Passkeys on Virtual security key (for testing)")
	row := harness.Text(t, ctx, "main .nhsuk-summary-list__row")
	if !strings.Contains(row, email) || !strings.Contains(row, "No longer works") ||
		!strings.Contains(row, "This passkey was removed from your NHS login, so it no longer works.") {
		t.Fatalf("the passkey should be marked as a leftover; the row says %q", row)
	}
	harness.Click(t, ctx, "Delete passkey for "+email+" on NHS login")
	harness.Page(t, ctx, "Are you sure you want to delete this passkey?")
	harness.FillIn(t, ctx, "Enter your security key PIN to delete it", pin)
	harness.Click(t, ctx, "Delete passkey")
	harness.Page(t, ctx, "Passkeys on Virtual security key (for testing)")
	harness.Banner(t, ctx, "Passkey deleted from your security key")
	if n := len(key.Credentials()); n != 0 {
		t.Fatalf("the virtual key still holds %d passkeys", n)
	}
	if !harness.SignedIn(t, ctx) {
		t.Error("the journey should keep the person logged in")
	}

	// Back in the settings, the removal's banner was waiting.
	harness.Click(t, ctx, "Back to Virtual security key (for testing)")
	harness.Page(t, ctx, "Virtual security key (for testing)")
	harness.Click(t, ctx, "Back to security keys")
	harness.Page(t, ctx, "Security keys")
	harness.Click(t, ctx, "Back to Login and security settings")
	harness.Page(t, ctx, "Login and security settings")
	harness.Banner(t, ctx, "Passkey removed")
}

func TestJourneyDesktopSecurityKeyGetsAFirstPINThenAChangedOneWithTheKeysRules(t *testing.T) {
	key, srv, ctx := harness.StartDesktopOnVirtualKey(t, virtualkey.Succeed())
	const first, second = "2468", "13579"

	harness.CreateAccount(t, ctx, srv.Origin, "patient.eight@example.com", "a long enough password")
	harness.Click(t, ctx, "Security keys")
	harness.Page(t, ctx, "Security keys")
	if got := harness.SummaryValue(t, ctx, "PIN"); got != "Not set" {
		t.Errorf("a new key's PIN is shown as %q, want \"Not set\"", got)
	}
	harness.Click(t, ctx, "Manage this security key: Virtual security key (for testing)")
	harness.Page(t, ctx, "Virtual security key (for testing)")
	harness.Click(t, ctx, "Create a PIN")
	harness.Page(t, ctx, "Create a PIN for your security key")
	if hint := harness.FieldHint(t, ctx, "New PIN"); hint != "Use 4 characters or more. You can use numbers, letters and symbols." {
		t.Errorf("the new PIN's hint should give the key's minimum length; it says %q", hint)
	}

	// CTAP 2.1 §6.5.1: at least 4 characters, at most 63 bytes of UTF-8; and typed twice alike.
	for _, tt := range []struct {
		name, pin, again, want string
	}{
		{"a PIN shorter than the key's minimum", "123", "123", "PIN must be 4 characters or more"},
		{"two different PINs", "1234", "1243", "The PINs you entered do not match"},
		{"a PIN over 63 bytes though under 63 characters", strings.Repeat("é", 32), strings.Repeat("é", 32),
			"PIN is too long. Letters with accents and some symbols take up more space, so use fewer of them"},
		{"a PIN over 63 characters", strings.Repeat("7", 64), strings.Repeat("7", 64), "PIN must be 63 characters or fewer"},
	} {
		harness.FillIn(t, ctx, "New PIN", tt.pin)
		harness.FillIn(t, ctx, "Enter the new PIN again", tt.again)
		harness.Click(t, ctx, "Save PIN")
		harness.ErrorsShown(t, ctx, "Create a PIN for your security key", tt.want)
		if _, set := key.PINRetries(); set {
			t.Fatalf("after %s the key has a PIN", tt.name)
		}
	}
	harness.FillIn(t, ctx, "New PIN", first)
	harness.FillIn(t, ctx, "Enter the new PIN again", first)
	harness.Click(t, ctx, "Save PIN")
	harness.Page(t, ctx, "Virtual security key (for testing)")
	harness.BannerSays(t, ctx, "PIN created", "Your security key now has a PIN. You will enter it each time you use the key.")
	if got := harness.SummaryValue(t, ctx, "PIN"); got != "Set. You have 8 tries left." {
		t.Errorf("after creating it the PIN is shown as %q", got)
	}

	// Change it: a wrong current PIN costs a try, and the page says how many are left.
	harness.ExpectStatus(t, ctx, "POST /api/device/keys/virtual/pin", http.StatusForbidden)
	harness.Click(t, ctx, "Change the PIN")
	harness.Page(t, ctx, "Change your security key PIN")
	harness.FillIn(t, ctx, "Current PIN", "9999")
	harness.FillIn(t, ctx, "New PIN", second)
	harness.FillIn(t, ctx, "Enter the new PIN again", second)
	harness.Click(t, ctx, "Save PIN")
	harness.ErrorsShown(t, ctx, "Change your security key PIN", "The PIN is not correct. You have 7 tries left.")
	if retries, _ := key.PINRetries(); retries != 7 {
		t.Errorf("the key has %d tries left after one wrong PIN, want 7", retries)
	}
	harness.FillIn(t, ctx, "Current PIN", first)
	harness.FillIn(t, ctx, "New PIN", second)
	harness.FillIn(t, ctx, "Enter the new PIN again", second)
	harness.Click(t, ctx, "Save PIN")
	harness.Page(t, ctx, "Virtual security key (for testing)")
	harness.BannerSays(t, ctx, "PIN changed", "Use your new PIN from now on.")
	if got := harness.SummaryValue(t, ctx, "PIN"); got != "Set. You have 8 tries left." {
		t.Errorf("after the change the PIN is shown as %q", got)
	}
	// The key itself now takes the new PIN (through libfido2), and a right PIN gave back the tries.
	withKey(t, key, func(dev *fido2.Device) {
		if _, err := dev.CredentialsMetadata(t.Context(), []byte(second)); err != nil {
			t.Errorf("the key does not take the new PIN: %v", err)
		}
	})
}

func TestJourneyDesktopSecurityKeyWhosePINIsBlockedIsExplainedAndCanBeReset(t *testing.T) {
	key := harness.NewVirtualKey(t, virtualkey.Succeed())
	const pin = "24680"

	// A key whose PIN has one try left: 7 wrong PINs through libfido2. CTAP 2.1 §6.5.5: after 3
	// wrong in a row the key refuses every PIN until it is plugged in again. All of it before
	// the app starts, as a key plugged in before the app: the app cannot know when its reset
	// window began, so the reset below asks for it to be taken out and put back (with the
	// app already running, the test's own replugs here would open the window, and whether it
	// was still open at the reset would depend on the machine's speed).
	withKey(t, key, func(dev *fido2.Device) {
		if err := dev.SetPIN(t.Context(), []byte(pin)); err != nil {
			t.Fatal(err)
		}
	})
	for i := 1; i <= 7; i++ {
		withKey(t, key, func(dev *fido2.Device) {
			if _, err := dev.CredentialsMetadata(t.Context(), []byte("0000")); err == nil {
				t.Fatal("a wrong PIN was taken")
			}
		})
		if i%3 == 0 {
			if err := key.Replug(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if retries, _ := key.PINRetries(); retries != 1 {
		t.Fatalf("the key has %d tries left, want 1", retries)
	}
	srv := harness.StartDesktop(t, key)
	ctx := harness.NewWebview(t)

	harness.CreateAccount(t, ctx, srv.Origin, "patient.nine@example.com", "a long enough password")
	harness.Click(t, ctx, "Security keys")
	harness.Page(t, ctx, "Security keys")
	if got := harness.SummaryValue(t, ctx, "PIN"); got != "Set. You have 1 try left." {
		t.Errorf("the list shows the PIN as %q", got)
	}
	harness.Click(t, ctx, "Manage this security key: Virtual security key (for testing)")
	harness.Page(t, ctx, "Virtual security key (for testing)")
	harness.Click(t, ctx, "Passkeys on this key")
	harness.Page(t, ctx, "Enter your security key PIN")
	if hint := harness.FieldHint(t, ctx, "Enter your security key PIN"); !strings.HasSuffix(hint, "You have 1 try left.") {
		t.Errorf("with one try left the hint should warn; it says %q", hint)
	}
	harness.ExpectStatus(t, ctx, "POST /api/device/keys/virtual/passkeys/list", http.StatusConflict) // the PIN that blocks it
	harness.FillIn(t, ctx, "Enter your security key PIN", "1111")
	harness.Click(t, ctx, "Continue")

	// The last wrong PIN blocks it: the key's page says why and that only a reset helps.
	harness.Page(t, ctx, "Virtual security key (for testing)")
	if got := harness.Words(harness.Text(t, ctx, "main .nhsuk-card--warning")); got != "Important: The PIN of this security key is blocked "+
		"The wrong PIN was entered too many times. To use the key again, you need to reset it. Resetting deletes all the passkeys and fingerprints on it. "+
		"Reset this security key" {
		t.Errorf("the blocked PIN should be explained; the warning says %q", got)
	}
	if got := harness.SummaryValue(t, ctx, "PIN"); got != "Blocked. Reset the key to use it again. This deletes all the passkeys on it." {
		t.Errorf("the PIN is shown as %q", got)
	}
	if links := harness.LinkTexts(t, ctx); slices.Contains(links, "Passkeys on this key") || slices.Contains(links, "Change the PIN") {
		t.Errorf("a blocked key should offer nothing that needs its PIN; the links are %q", links)
	}
	if retries, set := key.PINRetries(); retries != 0 || !set {
		t.Fatalf("the key has %d tries left (PIN set %v), want 0", retries, set)
	}

	// The reset cannot ask the key what it holds, so it warns about every passkey that may be on it.
	harness.Click(t, ctx, "Reset this security key")
	harness.Page(t, ctx, "Reset Virtual security key (for testing)")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Are you sure you want to reset Virtual security key (for testing)?")
	harness.Click(t, ctx, "Reset security key")
	harness.Page(t, ctx, "Remove your security key and insert it again")
	harness.Click(t, ctx, "Remove and insert the virtual key")
	harness.Page(t, ctx, "Your security key has been reset")
	if _, set := key.PINRetries(); set {
		t.Error("the key kept its PIN after the reset")
	}
	harness.Click(t, ctx, "Back to security keys")
	harness.Page(t, ctx, "Security keys")
	if got := harness.SummaryValue(t, ctx, "PIN"); got != "Not set" {
		t.Errorf("after the reset the PIN is shown as %q", got)
	}
}

func TestJourneyDesktopSecurityKeyThatAsksForANewPINGetsOneFirst(t *testing.T) {
	key, srv, ctx := harness.StartDesktopOnVirtualKey(t, virtualkey.Succeed())
	const pin, newPIN = "135790", "246802"

	// An administrator raised the key's minimum PIN length and asked for a new PIN (CTAP 2.1
	// §6.11.4 setMinPINLength with forceChangePin), through libfido2.
	withKey(t, key, func(dev *fido2.Device) {
		if err := dev.SetPIN(t.Context(), []byte(pin)); err != nil {
			t.Fatal(err)
		}
		if err := dev.SetMinPINLength(t.Context(), 6, true, []byte(pin)); err != nil {
			t.Fatal(err)
		}
	})

	harness.CreateAccount(t, ctx, srv.Origin, "patient.ten@example.com", "a long enough password")
	// Setting up a passkey on it does not ask for a PIN the key would refuse: it says why, and where
	// to change the PIN.
	harness.OpenSetUpPasskey(t, ctx)
	harness.Click(t, ctx, "Continue")
	harness.ChooseVirtualKey(t, ctx, "Where do you want to save your passkey?")
	harness.ErrorsShown(t, ctx, "Set up a passkey", "Your security key needs a new PIN before it can be used.")
	if summary := harness.Words(harness.Text(t, ctx, "main .nhsuk-error-summary")); !strings.Contains(summary,
		"Change its PIN in Security keys, in Login and security settings, then set up your passkey again.") {
		t.Errorf("the error should say where to change the PIN; it says %q", summary)
	}
	if retries, _ := key.PINRetries(); retries != 8 {
		t.Errorf("no PIN should have been tried, yet the key has %d tries left", retries)
	}
	harness.Click(t, ctx, "Go back to your passkeys")
	harness.Page(t, ctx, "Passkeys")
	backToSettings(t, ctx)
	harness.Click(t, ctx, "Security keys")
	harness.Page(t, ctx, "Security keys")
	if got := harness.SummaryValue(t, ctx, "PIN"); got != "Must be changed before the key can be used" {
		t.Errorf("the list shows the PIN as %q", got)
	}
	// The key's own page asks for the new PIN before anything else.
	harness.Click(t, ctx, "Manage this security key: Virtual security key (for testing)")
	harness.Page(t, ctx, "Change your security key PIN")
	if body := harness.Text(t, ctx, "main"); !strings.Contains(body, "Your security key Virtual security key (for testing) needs a new PIN before you can use it again.") {
		t.Errorf("the page should say why it asks for a new PIN:\n%s", body)
	}
	if hint := harness.FieldHint(t, ctx, "New PIN"); hint != "Use 6 characters or more. You can use numbers, letters and symbols." {
		t.Errorf("the hint should give the key's new minimum; it says %q", hint)
	}
	for _, tt := range []struct{ newPIN, want string }{
		{"24680", "PIN must be 6 characters or more"},
		// The PIN the key wants changed is refused before the key is asked (no try used).
		{pin, "Your new PIN must be different from your current PIN"},
	} {
		harness.FillIn(t, ctx, "Current PIN", pin)
		harness.FillIn(t, ctx, "New PIN", tt.newPIN)
		harness.FillIn(t, ctx, "Enter the new PIN again", tt.newPIN)
		harness.Click(t, ctx, "Save PIN")
		harness.ErrorsShown(t, ctx, "Change your security key PIN", tt.want)
	}
	harness.FillIn(t, ctx, "Current PIN", pin)
	harness.FillIn(t, ctx, "New PIN", newPIN)
	harness.FillIn(t, ctx, "Enter the new PIN again", newPIN)
	harness.Click(t, ctx, "Save PIN")
	harness.Page(t, ctx, "Virtual security key (for testing)")
	harness.BannerSays(t, ctx, "PIN changed", "Use your new PIN from now on.")
	if got := harness.SummaryValue(t, ctx, "PIN"); got != "Set. You have 8 tries left." {
		t.Errorf("after the change the PIN is shown as %q", got)
	}
	harness.Click(t, ctx, "Passkeys on this key")
	harness.EnterPIN(t, ctx, newPIN)
	harness.Page(t, ctx, "Passkeys on Virtual security key (for testing)")
}

func TestJourneyDesktopSecurityKeyFingerprintIsAddedTouchByTouchRenamedAndDeleted(t *testing.T) {
	// Every touch waits for the test, so each step of the progress can be seen.
	key, srv, ctx := harness.StartDesktopOnVirtualKey(t, virtualkey.WaitForTouch(time.Minute))
	const pin = "97531"
	withKey(t, key, func(dev *fido2.Device) {
		if err := dev.SetPIN(t.Context(), []byte(pin)); err != nil {
			t.Fatal(err)
		}
	})

	harness.CreateAccount(t, ctx, srv.Origin, "patient.eleven@example.com", "a long enough password")
	harness.Click(t, ctx, "Security keys")
	harness.Page(t, ctx, "Security keys")
	if got := harness.SummaryValue(t, ctx, "Fingerprints"); got != "None added yet" {
		t.Errorf("the list shows fingerprints as %q", got)
	}
	harness.Click(t, ctx, "Manage this security key: Virtual security key (for testing)")
	harness.Page(t, ctx, "Virtual security key (for testing)")
	harness.Click(t, ctx, "Fingerprints")
	harness.EnterPIN(t, ctx, pin)
	harness.Page(t, ctx, "Fingerprints on Virtual security key (for testing)")
	harness.Click(t, ctx, "Add a fingerprint")
	harness.Page(t, ctx, "Add a fingerprint")
	harness.FillIn(t, ctx, "Enter your security key PIN", pin)
	harness.Click(t, ctx, "Continue")

	// CTAP 2.1 §6.7.4: four good samples; one too quick does not count, and says why.
	harness.Page(t, ctx, "Add a fingerprint")
	for _, step := range []struct {
		says   string
		sample virtualkey.SampleStatus
	}{
		{"Touch the sensor on your security key with the finger you want to add", virtualkey.SampleGood},
		{"Touch the sensor again, 3 more times", virtualkey.SampleTooFast},
		{"You moved your finger too quickly. Keep it still on the sensor. Touch the sensor again, 3 more times", virtualkey.SampleGood},
		{"Touch the sensor again, 2 more times", virtualkey.SampleGood},
		{"Touch the sensor again, 1 more time", virtualkey.SampleGood},
	} {
		harness.LiveRegionSays(t, ctx, step.says)
		key.BioNextSample(step.sample)
		touchOnce(t, key)
	}
	harness.Page(t, ctx, "Give your fingerprint a name")
	harness.BannerSays(t, ctx, "Fingerprint added", "You can now touch Virtual security key (for testing) instead of entering its PIN.")
	if n := len(key.Enrollments()); n != 1 {
		t.Fatalf("the key holds %d fingerprints, want 1", n)
	}
	harness.FillIn(t, ctx, "Name", "Right thumb")
	harness.FillIn(t, ctx, "Enter your security key PIN to save the name", pin)
	harness.Click(t, ctx, "Save name")
	harness.Page(t, ctx, "Fingerprints on Virtual security key (for testing)")
	harness.BannerSays(t, ctx, "Fingerprint added", "It is called “Right thumb”.")

	harness.Click(t, ctx, "Rename Right thumb")
	harness.Page(t, ctx, "Rename Right thumb")
	harness.ClearField(t, ctx, "New name")
	harness.FillIn(t, ctx, "New name", "Left index finger")
	harness.FillIn(t, ctx, "Enter your security key PIN", pin)
	harness.Click(t, ctx, "Save name")
	harness.Page(t, ctx, "Fingerprints on Virtual security key (for testing)")
	harness.BannerSays(t, ctx, "Fingerprint renamed", "It is now called “Left index finger”.")
	if e := key.Enrollments(); len(e) != 1 || e[0].Name != "Left index finger" {
		t.Fatalf("the key holds %+v", e)
	}

	harness.Click(t, ctx, "Delete Left index finger")
	harness.Page(t, ctx, "Are you sure you want to delete Left index finger?")
	harness.FillIn(t, ctx, "Enter your security key PIN to delete it", pin)
	harness.Click(t, ctx, "Delete fingerprint")
	harness.Page(t, ctx, "Fingerprints on Virtual security key (for testing)")
	harness.BannerSays(t, ctx, "Fingerprint deleted", "Left index finger has been deleted from Virtual security key (for testing).")
	if n := len(key.Enrollments()); n != 0 {
		t.Fatalf("the key still holds %d fingerprints", n)
	}
}

func TestJourneyDesktopSecurityKeyIsResetOnlyInItsWindowAfterNamingWhatStopsWorking(t *testing.T) {
	clock := testkit.NewClock(time.Now())
	key, err := virtualkey.New(virtualkey.Options{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := harness.StartDesktop(t, key)
	ctx := harness.NewWebview(t)
	const pin = "97531"

	harness.CreateAccount(t, ctx, srv.Origin, "patient.twelve@example.com", "a long enough password")
	setUpPasskeyOnNewVirtualKey(t, ctx, pin)
	harness.Banner(t, ctx, "Passkey set up")
	// The key was plugged in long ago: CTAP 2.1 §6.6 allows a reset only in its first 10 seconds.
	clock.Advance(time.Minute)

	backToSettings(t, ctx)
	harness.Click(t, ctx, "Security keys")
	harness.Page(t, ctx, "Security keys")
	harness.Click(t, ctx, "Manage this security key: Virtual security key (for testing)")
	harness.Page(t, ctx, "Virtual security key (for testing)")
	harness.Click(t, ctx, "Reset this security key")
	harness.Page(t, ctx, "Reset Virtual security key (for testing)")
	harness.FillIn(t, ctx, "Enter your security key PIN", pin)
	harness.Click(t, ctx, "Continue")

	// The check: which of the account's passkeys are on the key, and the way in the account keeps.
	harness.Page(t, ctx, "Are you sure you want to reset Virtual security key (for testing)?")
	if got := harness.Words(harness.Text(t, ctx, "main .nhsuk-card--warning")); got != "Important: Everything on the key will be deleted "+
		"These NHS login passkeys are on this key and will stop working: Security key "+
		"Remove them from your NHS login afterwards, in Login and security settings. "+
		"You can still log in to your NHS login with your password." {
		t.Errorf("the warning should name the account's passkeys and the way in it keeps; it says %q", got)
	}

	// Outside the window the app does not start a reset: it asks for the key to be reinserted.
	harness.Click(t, ctx, "Reset security key")
	harness.Page(t, ctx, "Remove your security key and insert it again")
	if n := len(key.Credentials()); n != 1 {
		t.Fatalf("outside its window the key lost its passkey: it holds %d", n)
	}

	// Reinserted, but the person is slow: by the time the reset reaches the key, the key's own
	// window has passed and it refuses (the page's fetch of the reset is held while the key's
	// clock moves on).
	holdNextReset(t, ctx)
	harness.Click(t, ctx, "Remove and insert the virtual key")
	harness.WaitFor(t, ctx, `window.__resetHeld === true`, "the page should ask for the reset after reinserting the key")
	clock.Advance(11 * time.Second)
	harness.Must(t, ctx, chromedp.Evaluate[chromedp.Void](`window.__releaseReset()`))
	harness.ErrorsShown(t, ctx, "Remove your security key and insert it again",
		"Your security key can only be reset in the first few seconds after it is plugged in. Remove it, insert it again, then try again straight away.")
	if n := len(key.Credentials()); n != 1 {
		t.Fatalf("the key refused the reset, yet holds %d passkeys", n)
	}

	// In time: the key asks for a touch, then it is empty.
	key.SetBehaviour(virtualkey.WaitForTouch(time.Minute))
	harness.Click(t, ctx, "Remove and insert the virtual key")
	harness.LiveRegionSays(t, ctx, "Touch your security key to reset it")
	touchOnce(t, key)
	harness.Page(t, ctx, "Your security key has been reset")
	if body := harness.Words(harness.Text(t, ctx, "main")); !strings.Contains(body, "It has no passkeys, fingerprints or PIN now.") ||
		!strings.Contains(body, "Remove these passkeys from your NHS login, as they no longer work: Security key Go to Login and security settings") {
		t.Errorf("the page should say what to do next:\n%s", body)
	}
	if n := len(key.Credentials()); n != 0 {
		t.Errorf("after the reset the key holds %d passkeys", n)
	}
	if _, set := key.PINRetries(); set {
		t.Error("after the reset the key still has a PIN")
	}
	if !harness.SignedIn(t, ctx) {
		t.Error("the reset should keep the person logged in")
	}
}

// withKey opens the virtual key through the real libfido2, as another app on the computer
// would, while the page is not using it.
func withKey(t *testing.T, key *virtualkey.Key, use func(dev *fido2.Device)) {
	t.Helper()
	dev, err := fido2.OpenTransport(key)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	use(dev)
}

// touchOnce touches the key once, when it is waiting for a touch: a touch too early is lost,
// and two would answer the next check too.
func touchOnce(t *testing.T, key *virtualkey.Key) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !key.Waiting() {
		if time.Now().After(deadline) {
			t.Fatal("the key never asked for a touch")
		}
		time.Sleep(10 * time.Millisecond)
	}
	key.Touch()
}

// holdNextReset makes the page's next POST .../reset wait until window.__releaseReset() is
// called; window.__resetHeld says it is waiting. Only that one request is held.
func holdNextReset(t *testing.T, ctx context.Context) {
	t.Helper()
	harness.Must(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const original = window.fetch;
		let release;
		const released = new Promise((resolve) => { release = resolve; });
		window.__releaseReset = () => release();
		window.fetch = async (input, init) => {
			if (String(input).endsWith("/reset") && init && init.method === "POST") {
				window.fetch = original;
				window.__resetHeld = true;
				await released;
			}
			return original(input, init);
		};
	})()`))
}
