//go:build e2e && cgo && !windows

// The test tools of the desktop app with its virtual security key (README, "For accessibility
// testers"): for every choice of what the key does next, a tester opens the tools from the
// footer with the keyboard, saves the choice, sets up a passkey, and meets the message that
// choice is for; and the key is reset, listed and started again with a new account. Same
// bench as device_test.go: the desktop handler and the virtual key behind the real
// libfido2, headless Chromium without WebAuthn.
// Run with `go test -tags e2e -count=1 -run 'JourneyTester' -v ./e2e/` after `npm run build`.
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
	"github.com/nhs-passkeys/companion/e2e/harness"
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
	harness.Must(t, ctx, chromedp.Focus("", harness.ByRoleAndName("link", testToolsLink), chromedp.NodeVisible))
	harness.Must(t, ctx, chromedp.KeyEvent(kb.Enter))
	harness.Page(t, ctx, testToolsPage)
}

// chooseNext saves what the virtual key does next on the test tools and checks the page says
// so (the tag "Next: …").
func chooseNext(t *testing.T, ctx context.Context, label, phrase string) {
	t.Helper()
	harness.Click(t, ctx, "Change what the key does next")
	harness.Page(t, ctx, nextQuestion)
	harness.Choose(t, ctx, label)
	harness.Click(t, ctx, "Save")
	harness.Page(t, ctx, testToolsPage)
	harness.Banner(t, ctx, "Saved. Next, the virtual key will "+phrase)
	if tag := harness.Text(t, ctx, "#tester-next .nhsuk-tag"); tag != "Next: "+phrase {
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
			harness.Page(t, ctx, "Setting up your passkey")
			harness.DeviceStatus(t, ctx, "Touch your security key")
			key.Touch() // rather than wait the 15 seconds
			passkeySetUp(t, ctx, key)
		}},
		{"Be cancelled", "be cancelled", newPIN, errorSays("You cancelled setting up your passkey.")},
		{"Time out", "time out", newPIN, errorSays("Your security key did not respond in time.")},
		{"Ask for a PIN", "ask for its PIN, then succeed", testPIN, passkeySetUp},
		{"Refuse a PIN as wrong", "refuse the PIN as wrong", testPIN, func(t *testing.T, ctx context.Context, key *virtualkey.Key) {
			harness.ErrorSummaryFocused(t, ctx, "The PIN is not correct. You have 7 tries left.")
			errorPage(t, ctx, "Enter your security key PIN")
			// The refusal was one-shot: the same PIN now works.
			harness.FillIn(t, ctx, "Enter your security key PIN", device.TestPIN)
			harness.Click(t, ctx, "Continue")
			passkeySetUp(t, ctx, key)
		}},
		{"Be blocked", "be blocked, until you reset it", noPIN,
			errorSays("Your security key's PIN is blocked because the wrong PIN was entered too many times.")},
		{"Be full", "be full", newPIN, errorSays("Your security key is full.")},
		{"Say the passkey is already on it", "say the passkey is already on it", newPIN,
			errorSays("This security key is already set up for your NHS login.")},
		{"Be unplugged", "be unplugged", newPIN, errorSays("Your security key was removed before it finished.")},
	}
	ctx := harness.NewWebview(t)
	for i, tt := range tests {
		t.Run(strings.ToLower(tt.label)+" reaches its message", func(t *testing.T) {
			key := harness.NewVirtualKey(t, virtualkey.Succeed())
			srv := harness.StartDesktop(t, key)
			harness.CreateAccount(t, ctx, srv.Origin, "tester."+string(rune('a'+i))+"@example.com", "a long enough password")

			openTestTools(t, ctx)
			chooseNext(t, ctx, tt.label, tt.phrase)

			harness.Open(t, ctx, srv.Origin+"/account/passkeys/set-up")
			harness.Page(t, ctx, "Set up a passkey")
			harness.Click(t, ctx, "Continue")
			harness.ChooseVirtualKey(t, ctx, "Where do you want to save your passkey?")
			switch tt.pinStep {
			case newPIN:
				harness.CreatePIN(t, ctx, pin)
			case testPIN:
				harness.EnterPIN(t, ctx, device.TestPIN)
			}
			tt.sees(t, ctx, key)
		})
	}
}

// passkeySetUp waits for the Passkeys page with the "Passkey set up" banner, and checks the
// passkey is on the key.
func passkeySetUp(t *testing.T, ctx context.Context, key *virtualkey.Key) {
	t.Helper()
	harness.Page(t, ctx, "Passkeys")
	harness.Banner(t, ctx, "Passkey set up")
	if n := len(key.Credentials()); n != 1 {
		t.Errorf("after the set-up the key holds %d passkeys, want 1", n)
	}
}

// errorSays waits for Set up a passkey with its error summary focused, saying want, and
// checks nothing was saved on the key.
func errorSays(want string) func(t *testing.T, ctx context.Context, key *virtualkey.Key) {
	return func(t *testing.T, ctx context.Context, key *virtualkey.Key) {
		t.Helper()
		harness.ErrorSummaryFocused(t, ctx, want)
		errorPage(t, ctx, "Set up a passkey")
		if got := harness.Text(t, ctx, "main .nhsuk-error-summary li"); got != want {
			t.Errorf("the error summary says %q, want exactly %q", got, want)
		}
		// The app's message (what happened) and the page's advice (what to do) are written
		// in two places; together they must not say the same thing twice.
		if all := harness.Text(t, ctx, "main .nhsuk-error-summary"); strings.Count(strings.ToLower(all), "try again") > 1 {
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
	if got := harness.Text(t, ctx, "main h1"); got != h1 {
		t.Errorf("the page with the error is %q, want %q", got, h1)
	}
	if title := harness.Get(t, ctx, chromedp.Title()); !strings.HasPrefix(title, "Error: "+h1) {
		t.Errorf("document.title = %q, want \"Error: %s …\"", title, h1)
	}
}

func TestJourneyTesterListsResetsTheKeyAndStartsAgain(t *testing.T) {
	key, srv, ctx := harness.StartDesktopOnVirtualKey(t, virtualkey.Succeed())
	const email = "tester.holds@example.com"
	const pin = "97531"

	harness.CreateAccount(t, ctx, srv.Origin, email, "a long enough password")
	setUpPasskeyOnNewVirtualKey(t, ctx, pin)

	// What the key holds: the passkey (site, account, when), and the PIN the tester chose.
	openTestTools(t, ctx)
	if cells := harness.Text(t, ctx, "main .nhsuk-summary-list + h3 + .nhsuk-summary-list"); !strings.Contains(cells, "Website: localhost") || !strings.Contains(cells, email) {
		t.Errorf("the list of passkeys on the key should name the site and the account, says %q", cells)
	}
	if v := harness.Text(t, ctx, "main .nhsuk-summary-list__row:first-child .nhsuk-summary-list__value"); v != "Set. It is the PIN you chose." {
		t.Errorf("the PIN row says %q", v)
	}
	if tag := harness.Text(t, ctx, "#tester-next .nhsuk-tag"); tag != "Next: ask for its PIN, then succeed" {
		t.Errorf("a key with a PIN asks for it next; the page says %q", tag)
	}

	// Reset, after being asked.
	harness.Click(t, ctx, "Reset the virtual key")
	harness.Page(t, ctx, "Are you sure you want to reset the virtual security key?")
	if len(key.Credentials()) != 1 {
		t.Fatal("asking if you are sure must not reset the key")
	}
	harness.Click(t, ctx, "Reset the virtual key")
	harness.Page(t, ctx, testToolsPage)
	harness.Banner(t, ctx, "The virtual key has been reset")
	if n := len(key.Credentials()); n != 0 {
		t.Fatalf("after the reset the key holds %d passkeys", n)
	}
	if _, set := key.PINRetries(); set {
		t.Fatal("after the reset the key still has a PIN")
	}
	if body := harness.Text(t, ctx, "main"); !strings.Contains(body, "The virtual key has no passkeys on it.") || !strings.Contains(body, "Next: succeed") {
		t.Errorf("after the reset the page should say the key is empty and will succeed:\n%s", body)
	}

	// Start again: the key is reset and the tester logged out, on Create an account.
	chooseNext(t, ctx, "Be cancelled", "be cancelled")
	harness.Click(t, ctx, "Start again with a new account")
	harness.Page(t, ctx, "Are you sure you want to start again with a new account?")
	harness.Click(t, ctx, "Reset the key and log out")
	harness.Page(t, ctx, "Create an account")
	if harness.SignedIn(t, ctx) {
		t.Fatal("starting again should log the tester out")
	}
	if a := key.Armed(); a.HasBehaviour {
		t.Errorf("starting again should drop what was armed: %+v", a)
	}
	// A new account on the fresh key: the key asks for a new PIN again, and works.
	harness.CreateAccount(t, ctx, srv.Origin, "tester.again@example.com", "another long password")
	setUpPasskeyOnNewVirtualKey(t, ctx, pin)
	harness.Banner(t, ctx, "Passkey set up")
}

func TestJourneyTesterToolsAreOnlyThereWithTheVirtualKey(t *testing.T) {
	ctx := harness.NewWebview(t)
	// The desktop app without --virtual-key has device endpoints but no tester ones: the page
	// asks once, and that 404 is how it learns there are no test tools.
	harness.ExpectStatus(t, ctx, "GET /api/device/tester", http.StatusNotFound)
	for _, c := range []struct {
		name, origin string
		// serve has no device endpoints at all (GET /api/config says "browser"), so the page
		// never asks them: a request known to fail is not made.
		asks bool
	}{
		{"the desktop app without --virtual-key", harness.StartDesktop(t, nil).Origin, true},
		{"serve", harness.StartServe(t), false},
	} {
		harness.Open(t, ctx, c.origin+"/")
		harness.Page(t, ctx, "Manage passkeys for your NHS login")
		const asked = `performance.getEntriesByType("resource").some((e) => e.name.endsWith("/api/device/tester"))`
		if c.asks {
			// The footer link would be added once the tester endpoints answered; by the time
			// they have been asked, the page has no such link.
			harness.WaitFor(t, ctx, asked, c.name+": the page should ask the tester endpoints once")
		} else {
			// The test tools are asked for as soon as the config has answered.
			harness.WaitFor(t, ctx, `performance.getEntriesByType("resource").some((e) => e.name.endsWith("/api/config"))`,
				c.name+": the page should ask for its config")
			harness.WaitFor(t, ctx, `new Promise((r) => setTimeout(() => r(true), 500))`, "a moment for any request after the config")
			if harness.Get(t, ctx, chromedp.Evaluate[bool](`performance.getEntriesByType("resource").some((e) => e.name.includes("/api/device/"))`)) {
				t.Errorf("%s: the page asked the device endpoints, which serve does not have", c.name)
			}
		}
		if has := harness.Get(t, ctx, chromedp.Evaluate[bool](`!!document.querySelector('footer a[href="/test-tools"]')`)); has {
			t.Errorf("%s: the footer links to the test tools", c.name)
		}
		harness.Open(t, ctx, c.origin+"/test-tools")
		harness.Page(t, ctx, "Page not found")
	}
}
