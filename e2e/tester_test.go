//go:build e2e && cgo && !windows

// The test tools of the desktop app with its virtual security key (README, "For accessibility
// testers"): for every choice of what the key does next, a tester opens the tools from the
// footer with the keyboard, saves the choice, sets up a passkey, and meets the message that
// choice is for; and the key is reset, listed and started again with a new account. Same
// bench as journey_device_test.go: the desktop handler and the virtual key behind the real
// libfido2, headless Chromium without WebAuthn.
// Run with `go test -tags e2e -count=1 -run 'JourneyTester' -v .` after `npm run build`.
package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/nhs-passkeys/companion/app/device"
	"github.com/nhs-passkeys/companion/app/virtualkey"
)

const (
	testToolsLink = "Test tools (virtual security key)"
	testToolsPage = "Test tools for the virtual security key"
	nextQuestion  = "What should the virtual security key do next?"
)

// openTestTools reaches the test tools as a keyboard user does: focus on the footer link
// found by its role and accessible name, then Enter.
func openTestTools(t *testing.T, ctx context.Context) {
	t.Helper()
	must(t, ctx, chromedp.Focus("", byRoleAndName("link", testToolsLink), chromedp.NodeVisible))
	must(t, ctx, chromedp.KeyEvent(kb.Enter))
	page(t, ctx, testToolsPage)
}

// chooseNext saves what the virtual key does next on the test tools and checks the page says
// so (the tag "Next: …").
func chooseNext(t *testing.T, ctx context.Context, label, phrase string) {
	t.Helper()
	click(t, ctx, "Change what the key does next")
	page(t, ctx, nextQuestion)
	choose(t, ctx, label)
	click(t, ctx, "Save")
	page(t, ctx, testToolsPage)
	banner(t, ctx, "Saved. Next, the virtual key will "+phrase)
	if tag := text(t, ctx, "#tester-next .nhsuk-tag"); tag != "Next: "+phrase {
		t.Errorf("the test tools should show what the key does next as %q, show %q", "Next: "+phrase, tag)
	}
}

func TestJourneyTesterEveryChoiceReachesItsMessage(t *testing.T) {
	const pin = "86420"
	// Which PIN step the set-up meets: a key without a PIN asks for a new one; the PIN
	// choices give it the test PIN; a blocked PIN asks for nothing.
	const (
		newPIN = iota
		testPIN
		noPIN
	)
	tests := []struct {
		label, phrase string
		pinStep       int
		// sees waits for what the person must see at the end of the set-up.
		sees func(t *testing.T, ctx context.Context, key *virtualkey.Key)
	}{
		{"Succeed", "succeed", newPIN, passkeySetUp},
		{"Wait for a touch, then succeed", "wait for a touch, then succeed", newPIN, func(t *testing.T, ctx context.Context, key *virtualkey.Key) {
			page(t, ctx, "Setting up your passkey")
			deviceStatus(t, ctx, "Touch your security key")
			key.Touch() // rather than wait the 15 seconds
			passkeySetUp(t, ctx, key)
		}},
		{"Be cancelled", "be cancelled", newPIN, errorSays("You cancelled setting up your passkey.")},
		{"Time out", "time out", newPIN, errorSays("Your security key did not respond in time.")},
		{"Ask for a PIN", "ask for its PIN, then succeed", testPIN, passkeySetUp},
		{"Refuse a PIN as wrong", "refuse the PIN as wrong", testPIN, func(t *testing.T, ctx context.Context, key *virtualkey.Key) {
			errorSummaryFocused(t, ctx, "The PIN is not correct. You have 7 tries left.")
			errorPage(t, ctx, "Enter your security key PIN")
			// The refusal was one-shot: the same PIN now works.
			fillIn(t, ctx, "Enter your security key PIN", device.TestPIN)
			click(t, ctx, "Continue")
			passkeySetUp(t, ctx, key)
		}},
		{"Be blocked", "be blocked, until you reset it", noPIN,
			errorSays("Your security key's PIN is blocked because the wrong PIN was entered too many times.")},
		{"Be full", "be full", newPIN, errorSays("Your security key is full.")},
		{"Say the passkey is already on it", "say the passkey is already on it", newPIN,
			errorSays("This security key is already set up for your NHS login.")},
		{"Be unplugged", "be unplugged", newPIN, errorSays("Your security key was removed before it finished.")},
	}
	ctx := newWebview(t)
	for i, tt := range tests {
		t.Run(strings.ToLower(tt.label)+" reaches its message", func(t *testing.T) {
			key := newVirtualKey(t, virtualkey.Succeed())
			srv := startDesktop(t, key)
			createAccount(t, ctx, srv.origin, "tester."+string(rune('a'+i))+"@example.com", "a long enough password")

			openTestTools(t, ctx)
			chooseNext(t, ctx, tt.label, tt.phrase)

			open(t, ctx, srv.origin+"/account/passkeys/set-up")
			page(t, ctx, "Set up a passkey")
			click(t, ctx, "Continue")
			page(t, ctx, "Where do you want to save your passkey?")
			choose(t, ctx, "Virtual security key (for testing)")
			click(t, ctx, "Continue")
			switch tt.pinStep {
			case newPIN:
				page(t, ctx, "Create a PIN for your security key")
				fillIn(t, ctx, "New PIN", pin)
				fillIn(t, ctx, "Enter the new PIN again", pin)
				click(t, ctx, "Continue")
			case testPIN:
				page(t, ctx, "Enter your security key PIN")
				fillIn(t, ctx, "Enter your security key PIN", device.TestPIN)
				click(t, ctx, "Continue")
			}
			tt.sees(t, ctx, key)
		})
	}
}

// passkeySetUp waits for the Passkeys page with the "Passkey set up" banner, and checks the
// passkey is on the key.
func passkeySetUp(t *testing.T, ctx context.Context, key *virtualkey.Key) {
	t.Helper()
	page(t, ctx, "Passkeys")
	banner(t, ctx, "Passkey set up")
	if n := len(key.Credentials()); n != 1 {
		t.Errorf("after the set-up the key holds %d passkeys, want 1", n)
	}
}

// errorSays waits for Set up a passkey with its error summary focused, saying want, and
// checks nothing was saved on the key.
func errorSays(want string) func(t *testing.T, ctx context.Context, key *virtualkey.Key) {
	return func(t *testing.T, ctx context.Context, key *virtualkey.Key) {
		t.Helper()
		errorSummaryFocused(t, ctx, want)
		errorPage(t, ctx, "Set up a passkey")
		if got := text(t, ctx, "main .nhsuk-error-summary li"); got != want {
			t.Errorf("the error summary says %q, want exactly %q", got, want)
		}
		// The app's message (what happened) and the page's advice (what to do) are written
		// in two places; together they must not say the same thing twice.
		if all := text(t, ctx, "main .nhsuk-error-summary"); strings.Count(strings.ToLower(all), "try again") > 1 {
			t.Errorf("the error summary says \"try again\" more than once: %q", all)
		}
		if n := len(key.Credentials()); n != 0 {
			t.Errorf("a failed set-up left %d passkeys on the key", n)
		}
	}
}

// errorPage checks that the page showing an error summary has the h1 h1, and a title that
// starts "Error: " and the h1.
func errorPage(t *testing.T, ctx context.Context, h1 string) {
	t.Helper()
	if got := text(t, ctx, "main h1"); got != h1 {
		t.Errorf("the page with the error is %q, want %q", got, h1)
	}
	if title := get(t, ctx, chromedp.Title()); !strings.HasPrefix(title, "Error: "+h1) {
		t.Errorf("document.title = %q, want \"Error: %s …\"", title, h1)
	}
}

func TestJourneyTesterListsResetsTheKeyAndStartsAgain(t *testing.T) {
	key := newVirtualKey(t, virtualkey.Succeed())
	srv := startDesktop(t, key)
	ctx := newWebview(t)
	const email = "tester.holds@example.com"
	const pin = "97531"

	createAccount(t, ctx, srv.origin, email, "a long enough password")
	setUpPasskeyOnNewVirtualKey(t, ctx, pin)

	// What the key holds: the passkey (site, account, when), and the PIN the tester chose.
	openTestTools(t, ctx)
	if cells := text(t, ctx, "main .nhsuk-summary-list + h3 + .nhsuk-summary-list"); !strings.Contains(cells, "Website: localhost") || !strings.Contains(cells, email) {
		t.Errorf("the list of passkeys on the key should name the site and the account, says %q", cells)
	}
	if v := text(t, ctx, "main .nhsuk-summary-list__row:first-child .nhsuk-summary-list__value"); v != "Set. It is the PIN you chose." {
		t.Errorf("the PIN row says %q", v)
	}
	if tag := text(t, ctx, "#tester-next .nhsuk-tag"); tag != "Next: ask for its PIN, then succeed" {
		t.Errorf("a key with a PIN asks for it next; the page says %q", tag)
	}

	// Reset, after being asked.
	click(t, ctx, "Reset the virtual key")
	page(t, ctx, "Are you sure you want to reset the virtual security key?")
	if len(key.Credentials()) != 1 {
		t.Fatal("asking if you are sure must not reset the key")
	}
	click(t, ctx, "Reset the virtual key")
	page(t, ctx, testToolsPage)
	banner(t, ctx, "The virtual key has been reset")
	if n := len(key.Credentials()); n != 0 {
		t.Fatalf("after the reset the key holds %d passkeys", n)
	}
	if _, set := key.PINRetries(); set {
		t.Fatal("after the reset the key still has a PIN")
	}
	if body := text(t, ctx, "main"); !strings.Contains(body, "The virtual key has no passkeys on it.") || !strings.Contains(body, "Next: succeed") {
		t.Errorf("after the reset the page should say the key is empty and will succeed:\n%s", body)
	}

	// Start again: the key is reset and the tester logged out, on Create an account.
	chooseNext(t, ctx, "Be cancelled", "be cancelled")
	click(t, ctx, "Start again with a new account")
	page(t, ctx, "Are you sure you want to start again with a new account?")
	click(t, ctx, "Reset the key and log out")
	page(t, ctx, "Create an account")
	if signedIn(t, ctx) {
		t.Fatal("starting again should log the tester out")
	}
	if a := key.Armed(); a.HasBehaviour {
		t.Errorf("starting again should drop what was armed: %+v", a)
	}
	// A new account on the fresh key: the key asks for a new PIN again, and works.
	createAccount(t, ctx, srv.origin, "tester.again@example.com", "another long password")
	setUpPasskeyOnNewVirtualKey(t, ctx, pin)
	banner(t, ctx, "Passkey set up")
}

func TestJourneyTesterToolsAreOnlyThereWithTheVirtualKey(t *testing.T) {
	ctx := newWebview(t)
	// The desktop app without --virtual-key has device endpoints but no tester ones: the page
	// asks once, and that 404 is how it learns there are no test tools.
	expectStatus(t, ctx, "GET /api/device/tester", http.StatusNotFound)
	for _, c := range []struct {
		name, origin string
		// serve has no device endpoints at all (GET /api/config says "browser"), so the page
		// never asks them: a request known to fail is not made.
		asks bool
	}{
		{"the desktop app without --virtual-key", startDesktop(t, nil).origin, true},
		{"serve", startServe(t), false},
	} {
		open(t, ctx, c.origin+"/")
		page(t, ctx, "Manage passkeys for your NHS login")
		const asked = `performance.getEntriesByType("resource").some((e) => e.name.endsWith("/api/device/tester"))`
		if c.asks {
			// The footer link would be added once the tester endpoints answered; by the time
			// they have been asked, the page has no such link.
			waitFor(t, ctx, asked, c.name+": the page should ask the tester endpoints once")
		} else {
			// The test tools are asked for as soon as the config has answered.
			waitFor(t, ctx, `performance.getEntriesByType("resource").some((e) => e.name.endsWith("/api/config"))`,
				c.name+": the page should ask for its config")
			waitFor(t, ctx, `new Promise((r) => setTimeout(() => r(true), 500))`, "a moment for any request after the config")
			if get(t, ctx, chromedp.Evaluate[bool](`performance.getEntriesByType("resource").some((e) => e.name.includes("/api/device/"))`)) {
				t.Errorf("%s: the page asked the device endpoints, which serve does not have", c.name)
			}
		}
		if has := get(t, ctx, chromedp.Evaluate[bool](`!!document.querySelector('footer a[href="/test-tools"]')`)); has {
			t.Errorf("%s: the footer links to the test tools", c.name)
		}
		open(t, ctx, c.origin+"/test-tools")
		page(t, ctx, "Page not found")
	}
}
