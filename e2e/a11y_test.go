//go:build e2e

// Accessibility in headless Chromium, on the real built frontend:
//
//   - every page, and every error and status the app can show, checked with axe-core (WCAG 2.0,
//     2.1 and 2.2, levels A and AA, and axe's best practices: everything in a landmark), with
//     what screen readers are told (Chromium's accessibility tree: page title, one h1,
//     landmarks, names), at 320 CSS px wide and at 200% zoom without scrolling sideways, with
//     reduced motion asked for (nothing may move), and drawn in the design system's font
//     (never a serif; the app's own Arial stand-in loaded where there is no Arial);
//   - the journeys done with the keyboard only, checking at every stop that focus can be seen:
//     create an account, set up a passkey, log out and log in with it, in a browser and with
//     the desktop app's virtual security key; and help from the Log in page and the footer;
//   - that each of these checks does catch a problem planted in a page.
//
// Browser pages run against `serve` with Chromium's virtual authenticator
// (browser_test.go); the desktop app's security key steps against its handler and the
// virtual security key (device_test.go). Each test logs every page and state it
// checked, and fails if one it expects was not reached.
// Run with `make test` (or `make test-a11y`), or `go test -tags e2e -count=1 -run A11y -v ./e2e/`
// after `npm ci && npm run build` in frontend/. README.md, "For accessibility testers".
package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/backend/store"
	"github.com/nhs-passkeys/companion/e2e/harness"
)

// The pages and states the browser test checks, in order.
var browserStates = []string{
	"Start page",
	"Page not found",
	"Accessibility statement",
	"Help: Help with passkeys",
	"Help: What is a passkey?",
	"Help: What you need to set up a passkey",
	"Help: How to set up a passkey",
	"Help: How to log in with a passkey",
	"Help: How to remove a passkey",
	"Help: If you lose your device",
	"Help: If you get a new device",
	"Create an account",
	"Create an account: nothing entered",
	"Login and security settings: no passkeys",
	"Passkeys: no passkeys",
	"Set up a passkey",
	"Set up a passkey: waiting for the device",
	"Passkeys: passkey set up banner",
	"Login and security settings: with a passkey",
	"Passkeys: with a passkey",
	"Rename your passkey",
	"Confirm it's you, before renaming a passkey",
	"Remove a passkey: are you sure",
	"Change your password",
	"Recent activity",
	"Start page: logged out banner",
	"Create an account: email address already used",
	"Log in",
	"Log in: problems logging in opened",
	"Log in: email address in the wrong format",
	"Log in: a passkey for another email address",
	"Log in with your password",
	"Log in with your password: nothing entered",
	"Log in with your password: wrong password",
	"Log in with your password: too many tries",
	"Log in: waiting for the device",
	"Sorry, there is a problem with the service",
	"Set up a passkey: with a passkey already",
	"Set up a passkey: failed, already on this device",
}

func TestA11yEveryPageAndStateInTheBrowser(t *testing.T) {
	origin := harness.StartServe(t)
	ctx, authID := harness.NewBrowser(t)
	a := harness.NewAudit(t, ctx)
	const email = "a11y.browser@example.com"
	const password = "a long enough password"

	harness.Open(t, ctx, origin+"/")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	a.Check("Start page")
	harness.Open(t, ctx, origin+"/not/a/page")
	harness.Page(t, ctx, "Page not found")
	a.Check("Page not found")

	// The footer's links, then every page of the help guide through its contents list.
	harness.Click(t, ctx, "Accessibility statement")
	harness.Page(t, ctx, "Accessibility statement for NHS login passkeys")
	a.Check("Accessibility statement")
	harness.Click(t, ctx, "Help")
	harness.Page(t, ctx, "Help with passkeys")
	a.Check("Help: Help with passkeys")
	for _, topic := range []struct{ link, h1 string }{
		{"What is a passkey", "What is a passkey?"},
		{"What you need", "What you need to set up a passkey"},
		{"Set up a passkey", "How to set up a passkey"},
		{"Log in with a passkey", "How to log in with a passkey"},
		{"Remove a passkey", "How to remove a passkey"},
		{"If you lose your device", "If you lose your device"},
		{"If you get a new device", "If you get a new device"},
	} {
		harness.Click(t, ctx, topic.link)
		harness.Page(t, ctx, topic.h1)
		a.Check("Help: " + topic.h1)
	}

	// Create an account: errors first.
	harness.Open(t, ctx, origin+"/create-account")
	harness.Page(t, ctx, "Create an account")
	a.Check("Create an account")
	a.CheckRefusal("Continue", "Enter your email address", "Create an account: nothing entered")
	harness.SubmitNewAccount(t, ctx, email, password)
	a.Check("Login and security settings: no passkeys")
	harness.Click(t, ctx, "Passkeys")
	harness.Page(t, ctx, "Passkeys")
	a.Check("Passkeys: no passkeys")

	// Set up a passkey, holding the authenticator back to see the page while it waits.
	harness.Click(t, ctx, "Set up a passkey")
	harness.Page(t, ctx, "Set up a passkey")
	a.Check("Set up a passkey")
	held := harness.HoldRequest(t, ctx, "/api/passkeys/register/begin", func() { harness.Click(t, ctx, "Continue") })
	harness.WaitingStatus(t, ctx)
	a.Check("Set up a passkey: waiting for the device")
	held.Release()
	harness.Page(t, ctx, "Passkeys")
	if n := len(harness.AuthenticatorCredentials(t, ctx, authID)); n != 1 {
		t.Fatalf("the authenticator holds %d passkeys, want 1", n)
	}
	a.Check("Passkeys: passkey set up banner")
	harness.Open(t, ctx, origin+"/account/security")
	harness.Page(t, ctx, "Login and security settings")
	a.Check("Login and security settings: with a passkey")
	harness.Follow(t, ctx, "link", "Passkeys", "/account/passkeys")
	a.Check("Passkeys: with a passkey")

	// The account pages the settings lead to. Setting up the passkey used the one change a
	// login allows, so renaming asks the person to confirm it's them.
	harness.Follow(t, ctx, "link", "Rename "+harness.ListPasskeys(t, ctx)[0].Name, "/account/passkeys/rename")
	a.Check("Rename your passkey")
	harness.ClearField(t, ctx, "New name")
	harness.FillIn(t, ctx, "New name", "My laptop")
	harness.ExpectStatus(t, ctx, "PATCH /api/passkeys/*", http.StatusForbidden) // reauth_required: the page asks
	harness.Click(t, ctx, "Save name")
	harness.Page(t, ctx, "Confirm it's you")
	a.Check("Confirm it's you, before renaming a passkey")
	for _, link := range []struct{ name, href, state string }{
		{"Remove " + harness.ListPasskeys(t, ctx)[0].Name, "/account/passkeys/remove", "Remove a passkey: are you sure"},
		{"Change your password", "/account/password", "Change your password"},
		{"View recent activity", "/account/activity", "Recent activity"},
	} {
		harness.Open(t, ctx, origin+"/account/security")
		harness.Page(t, ctx, "Login and security settings")
		harness.Follow(t, ctx, "link", link.name, link.href)
		a.Check(link.state)
	}
	harness.Open(t, ctx, origin+"/account/security")
	harness.Page(t, ctx, "Login and security settings")

	harness.LogOut(t, ctx)
	a.Check("Start page: logged out banner")

	harness.Open(t, ctx, origin+"/create-account")
	harness.Page(t, ctx, "Create an account")
	harness.FillIn(t, ctx, "Email address", email)
	harness.FillIn(t, ctx, "Create a password", "another long password")
	harness.ExpectStatus(t, ctx, "POST /api/accounts", http.StatusConflict)
	a.CheckRefusal("Continue", "already uses this email address", "Create an account: email address already used")

	// Log in with a passkey: the page, its help, a wrong email, and an email whose passkey
	// this device does not have (the browser says "not allowed", as when the person cancels).
	harness.Open(t, ctx, origin+"/login")
	harness.Page(t, ctx, "Log in")
	a.Check("Log in")
	harness.Must(t, ctx, chromedp.Click(chromedp.Search(`//summary[normalize-space()="Problems logging in with a passkey"]`), chromedp.NodeVisible))
	harness.WaitFor(t, ctx, `document.querySelector("main details").open`, "the details should open")
	a.Check("Log in: problems logging in opened")
	harness.FillIn(t, ctx, "Email address", "not-an-email")
	a.CheckRefusal("Continue", "Enter an email address in the correct format", "Log in: email address in the wrong format")
	// The email step lists no passkeys (docs/api.md, "The email step"), so this browser
	// offers the passkey it holds, which is another account's: the page says so.
	harness.ClearField(t, ctx, "Email address")
	harness.FillIn(t, ctx, "Email address", "nobody.here@example.com")
	harness.ExpectStatus(t, ctx, "POST /api/login/passkey/finish", http.StatusUnauthorized)
	a.CheckRefusal("Continue", "This passkey is not for the email address you entered", "Log in: a passkey for another email address")

	// Log in with a password: nothing entered, a wrong password, then too many tries (the
	// 5th failure for an email locks it: docs/api.md, "Lockouts").
	harness.Click(t, ctx, "Log in with your password instead")
	harness.Page(t, ctx, "Log in with your password")
	a.Check("Log in with your password")
	harness.ClearField(t, ctx, "Email address")
	a.CheckRefusal("Log in", "Enter your email address", "Log in with your password: nothing entered")
	const locked = "a11y.locked@example.com"
	harness.ExpectStatus(t, ctx, "POST /api/login/password", http.StatusUnauthorized)
	harness.ExpectStatus(t, ctx, "POST /api/login/password", http.StatusTooManyRequests)
	harness.FillIn(t, ctx, "Email address", locked)
	for try := 1; try <= 5; try++ {
		harness.FillIn(t, ctx, "Password", fmt.Sprintf("wrong password %d", try))
		harness.Click(t, ctx, "Log in")
		if try == 1 {
			harness.ErrorSummaryFocused(t, ctx, "")
			a.Check("Log in with your password: wrong password")
		}
		if try < 5 {
			harness.WaitFor(t, ctx, `!document.querySelector("main form button[type=submit]").disabled && document.querySelector("#password").value === ""`,
				"the form should be ready for another try")
		}
	}
	harness.ErrorSummaryFocused(t, ctx, "Logging in with your password is paused until")
	a.Check("Log in with your password: too many tries")

	// Log in with the passkey, looking at the page while it waits.
	harness.Open(t, ctx, origin+"/login")
	harness.Page(t, ctx, "Log in")
	harness.FillIn(t, ctx, "Email address", email)
	held = harness.HoldRequest(t, ctx, "/api/login/passkey/begin", func() { harness.Click(t, ctx, "Continue") })
	harness.WaitingStatus(t, ctx)
	a.Check("Log in: waiting for the device")
	held.Release()
	harness.Page(t, ctx, "Login and security settings")

	// The service does not answer: the request fails, and the page logs why before it says so.
	harness.ExpectFailedRequest(t, ctx, "GET /api/session")
	harness.ExpectConsoleError(t, ctx, "Sorry, we could not connect to the service")
	held = harness.HoldRequest(t, ctx, "/api/session", func() { harness.Open(t, ctx, origin+"/account/security") })
	held.Fail()
	harness.Page(t, ctx, "Sorry, there is a problem with the service")
	a.Check("Sorry, there is a problem with the service")

	// A failure: setting up a second passkey on the device that already has one.
	harness.Click(t, ctx, "Go to the start page")
	harness.Page(t, ctx, "Login and security settings")
	harness.LogOut(t, ctx)
	harness.LogInWithPassword(t, ctx, origin, email, password)
	harness.OpenSetUpPasskey(t, ctx)
	a.Check("Set up a passkey: with a passkey already")
	a.CheckRefusal("Continue", "This device already has a passkey for your NHS login", "Set up a passkey: failed, already on this device")

	a.RequireAll(browserStates)
}

// The pages and states checked in a browser that cannot use passkeys, in order.
var noPasskeyBrowserStates = []string{
	"Browser without passkeys: Log in",
	"Browser without passkeys: Log in: Continue selected",
	"Browser without passkeys: Set up a passkey",
	"Browser without passkeys: Set up a passkey: Continue selected",
}

func TestA11yABrowserThatCannotUsePasskeys(t *testing.T) {
	origin := harness.StartServe(t)
	ctx := harness.NewWebview(t) // Chromium without WebAuthn, as an old browser
	a := harness.NewAudit(t, ctx)

	harness.Open(t, ctx, origin+"/login")
	harness.Page(t, ctx, "Log in")
	harness.WaitFor(t, ctx, `(document.querySelector("main .nhsuk-inset-text") || {}).textContent.includes("This browser cannot use passkeys")`,
		"the Log in page should say this browser cannot use passkeys")
	a.Check("Browser without passkeys: Log in")
	a.CheckRefusal("Continue", "This browser cannot use passkeys", "Browser without passkeys: Log in: Continue selected")

	harness.CreateAccount(t, ctx, origin, "a11y.oldbrowser@example.com", "a long enough password")
	harness.OpenSetUpPasskey(t, ctx)
	a.Check("Browser without passkeys: Set up a passkey")
	a.CheckRefusal("Continue", "This browser cannot set up passkeys", "Browser without passkeys: Set up a passkey: Continue selected")

	a.RequireAll(noPasskeyBrowserStates)
}

// The pages and states the desktop app's test checks, in order.
var desktopStates = []string{
	"Desktop: Set up a passkey",
	"Desktop: choose a key to save the passkey on",
	"Desktop: choose a key: nothing chosen",
	"Desktop: create a PIN",
	"Desktop: create a PIN: nothing entered",
	"Desktop: create a PIN: PINs do not match",
	"Desktop: setting up, waiting for a touch",
	"Desktop: Passkeys: passkey set up banner",
	"Desktop: Security keys",
	"Desktop: Security keys: the virtual key",
	"Desktop: Test tools",
	"Desktop: Test tools: what the key does next",
	"Desktop: Test tools: what the key does next: nothing chosen",
	"Desktop: Test tools: choice saved",
	"Desktop: Test tools: reset the virtual key?",
	"Desktop: Test tools: start again?",
	"Desktop: Log in",
	"Desktop: Log in: problems logging in opened",
	"Desktop: choose the key that has the passkey",
	"Desktop: enter the PIN",
	"Desktop: enter the PIN: nothing entered",
	"Desktop: enter the PIN: wrong PIN",
	"Desktop: logging in, waiting for a touch",
	"Desktop: Log in: cancelled",
	"Desktop: Log in: the key did not respond in time",
	"Desktop: Log in: wrong PIN too many times",
	"Desktop: Log in: no passkey on this key",
	"Desktop: Help: What you need to set up a passkey",
	"Desktop: Help: How to set up a passkey",
	"Desktop: Help: How to log in with a passkey",
	"Desktop: Help: How to remove a passkey",
	"Desktop: Help: If you get a new device",
	"Desktop, no key: insert your security key",
	"Desktop, no key: Set up a passkey: cancelled",
}

func TestA11yEveryStepInTheDesktopApp(t *testing.T) {
	key, srv, ctx := harness.StartDesktopOnVirtualKey(t, virtualkey.WaitForTouch(time.Minute))
	a := harness.NewAudit(t, ctx)
	const email = "a11y.desktop@example.com"
	const password = "a long enough password"
	const pin = "24680"

	harness.CreateAccount(t, ctx, srv.Origin, email, password)
	harness.OpenSetUpPasskey(t, ctx)
	a.Check("Desktop: Set up a passkey")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Where do you want to save your passkey?")
	a.Check("Desktop: choose a key to save the passkey on")
	a.CheckRefusal("Continue", "Select where to save your passkey", "Desktop: choose a key: nothing chosen")
	harness.Choose(t, ctx, "Virtual security key (for testing)")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Create a PIN for your security key")
	a.Check("Desktop: create a PIN")
	a.CheckRefusal("Continue", "Enter a new PIN", "Desktop: create a PIN: nothing entered")
	harness.FillIn(t, ctx, "New PIN", pin)
	harness.FillIn(t, ctx, "Enter the new PIN again", "13579")
	a.CheckRefusal("Continue", "The PINs you entered do not match", "Desktop: create a PIN: PINs do not match")
	harness.FillIn(t, ctx, "New PIN", pin)
	harness.FillIn(t, ctx, "Enter the new PIN again", pin)
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Setting up your passkey")
	harness.DeviceStatus(t, ctx, "Touch your security key")
	a.Check("Desktop: setting up, waiting for a touch")
	key.Touch()
	harness.Page(t, ctx, "Passkeys")
	a.Check("Desktop: Passkeys: passkey set up banner")

	// The Security keys pages (desktop app only): the list, then the virtual key.
	backToSettings(t, ctx)
	harness.Follow(t, ctx, "link", "Security keys", "/security-keys")
	a.Check("Desktop: Security keys")
	// The design system's hidden text is read with a pause before it: "key : Virtual".
	harness.Follow(t, ctx, "link", "Manage this security key : Virtual security key (for testing)", "")
	a.Check("Desktop: Security keys: the virtual key")

	// The test tools (--virtual-key only, tester_test.go), from the footer. The choice
	// saved is "Succeed", so the steps below meet the key as they expect.
	harness.Follow(t, ctx, "link", "Test tools (virtual security key)", "/test-tools")
	a.Check("Desktop: Test tools")
	harness.Follow(t, ctx, "button", "Change what the key does next", "/test-tools/next")
	a.Check("Desktop: Test tools: what the key does next")
	a.CheckRefusal("Save", "Select what the virtual security key should do next", "Desktop: Test tools: what the key does next: nothing chosen")
	harness.Choose(t, ctx, "Succeed")
	harness.Click(t, ctx, "Save")
	harness.Page(t, ctx, "Test tools for the virtual security key")
	harness.Banner(t, ctx, "Saved. Next, the virtual key will ask for its PIN, then succeed")
	a.Check("Desktop: Test tools: choice saved")
	harness.Follow(t, ctx, "button", "Reset the virtual key", "/test-tools/reset")
	a.Check("Desktop: Test tools: reset the virtual key?")
	harness.Click(t, ctx, "Cancel")
	harness.Page(t, ctx, "Test tools for the virtual security key")
	harness.Follow(t, ctx, "button", "Start again with a new account", "/test-tools/start-again")
	a.Check("Desktop: Test tools: start again?")
	harness.Click(t, ctx, "Cancel")
	harness.Page(t, ctx, "Test tools for the virtual security key")
	if n := len(key.Credentials()); n != 1 {
		t.Fatalf("looking at the test tools changed the key: it holds %d passkeys", n)
	}

	harness.Open(t, ctx, srv.Origin+"/account/security")
	harness.Page(t, ctx, "Login and security settings")

	// Log in: the key's steps, a wrong PIN, waiting for a touch, cancelling, and a key that
	// is not touched in time.
	harness.LogOut(t, ctx)
	harness.Click(t, ctx, "Log in")
	harness.Page(t, ctx, "Log in")
	a.Check("Desktop: Log in")
	harness.Must(t, ctx, chromedp.Click(chromedp.Search(`//summary[normalize-space()="Problems logging in with a passkey"]`), chromedp.NodeVisible))
	harness.WaitFor(t, ctx, `document.querySelector("main details").open`, "the details should open")
	a.Check("Desktop: Log in: problems logging in opened")
	harness.FillIn(t, ctx, "Email address", email)
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Which security key has your passkey?")
	a.Check("Desktop: choose the key that has the passkey")
	harness.Choose(t, ctx, "Virtual security key (for testing)")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Enter your security key PIN")
	a.Check("Desktop: enter the PIN")
	a.CheckRefusal("Continue", "Enter your security key PIN", "Desktop: enter the PIN: nothing entered")
	harness.FillIn(t, ctx, "Enter your security key PIN", "11111")
	a.CheckRefusal("Continue", "The PIN is not correct. You have 7 tries left.", "Desktop: enter the PIN: wrong PIN")
	harness.FillIn(t, ctx, "Enter your security key PIN", pin)
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Logging in with your passkey")
	harness.DeviceStatus(t, ctx, "Touch your security key")
	a.Check("Desktop: logging in, waiting for a touch")
	harness.Click(t, ctx, "Cancel")
	harness.Page(t, ctx, "Log in")
	harness.WaitFor(t, ctx, `(document.querySelector("main .nhsuk-inset-text") || {}).textContent.includes("You cancelled logging in with your passkey")`,
		"back on Log in, it should say the person cancelled")
	a.Check("Desktop: Log in: cancelled")

	key.SetBehaviour(virtualkey.TimeOut())
	harness.Click(t, ctx, "Continue")
	harness.ChooseVirtualKey(t, ctx, "Which security key has your passkey?")
	harness.EnterPIN(t, ctx, pin)
	harness.ErrorSummaryFocused(t, ctx, "did not respond in time")
	a.Check("Desktop: Log in: the key did not respond in time")

	// Three wrong PINs in a row: the key wants to be plugged in again.
	harness.Click(t, ctx, "Continue")
	harness.ChooseVirtualKey(t, ctx, "Which security key has your passkey?")
	harness.Page(t, ctx, "Enter your security key PIN")
	for try := 1; try <= 3; try++ {
		harness.FillIn(t, ctx, "Enter your security key PIN", fmt.Sprintf("0000%d", try))
		harness.Click(t, ctx, "Continue")
		if try < 3 {
			harness.ErrorSummaryFocused(t, ctx, fmt.Sprintf("You have %d tries left.", 8-try))
		}
	}
	harness.ErrorSummaryFocused(t, ctx, "The wrong PIN was entered too many times in a row")
	a.Check("Desktop: Log in: wrong PIN too many times")
	if err := key.Replug(); err != nil {
		t.Fatal(err)
	}

	// An email whose passkey is not on this key.
	harness.ClearField(t, ctx, "Email address")
	harness.FillIn(t, ctx, "Email address", "someone.else@example.com")
	harness.Click(t, ctx, "Continue")
	harness.ChooseVirtualKey(t, ctx, "Which security key has your passkey?")
	harness.EnterPIN(t, ctx, pin)
	// The email step lists no passkeys, so the key offers the one it holds (another
	// account's) after a touch, and the app finds none for this email among them.
	harness.DeviceStatus(t, ctx, "Touch your security key")
	key.Touch()
	harness.ErrorSummaryFocused(t, ctx, "There are no passkeys for your NHS login on this security key")
	a.Check("Desktop: Log in: no passkey on this key")

	// The help that differs in the desktop app. On Linux and macOS the app shows its own QR
	// code for "Use a different phone or tablet" where it has a Bluetooth scanner, so the
	// pages that explain it name that choice and say what to do where it is not listed.
	for _, topic := range []struct {
		path, h1 string
		phone    bool
	}{
		{"/help/what-you-need", "What you need to set up a passkey", true},
		{"/help/set-up", "How to set up a passkey", true},
		{"/help/log-in", "How to log in with a passkey", true},
		{"/help/remove", "How to remove a passkey", false},
		{"/help/new-device", "If you get a new device", false},
	} {
		harness.Open(t, ctx, srv.Origin+topic.path)
		harness.Page(t, ctx, topic.h1)
		if topic.phone {
			harness.WaitFor(t, ctx, `document.querySelector("main").innerText.includes("Use a different phone or tablet") &&
				!document.querySelector("main").innerText.includes("cannot show a QR code")`,
				"the desktop app's help should name Use a different phone or tablet, not say the app cannot show a QR code")
		}
		a.Check("Desktop: Help: " + topic.h1)
	}

	// No security key at all: the app asks for one, and the person cancels. Without the virtual
	// key there are no test tools, which the page learns from the 404 of their endpoint.
	harness.ExpectStatus(t, ctx, "GET /api/device/tester", http.StatusNotFound)
	bare := harness.StartDesktop(t, nil)
	harness.CreateAccount(t, ctx, bare.Origin, "a11y.nokey@example.com", password)
	harness.OpenSetUpPasskey(t, ctx)
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Insert your security key")
	harness.DeviceStatus(t, ctx, "Looking for your security key")
	a.Check("Desktop, no key: insert your security key")
	harness.Click(t, ctx, "Cancel")
	harness.Page(t, ctx, "Set up a passkey")
	harness.WaitFor(t, ctx, `(document.querySelector("main .nhsuk-inset-text") || {}).textContent.includes("You cancelled setting up your passkey")`,
		"back on Set up a passkey, it should say the person cancelled")
	a.Check("Desktop, no key: Set up a passkey: cancelled")

	a.RequireAll(desktopStates)
}

func TestA11yKeyboardOnlyCreateAccountSetUpPasskeyLogOutAndLogIn(t *testing.T) {
	origin := harness.StartServe(t)
	ctx, authID := harness.NewBrowser(t)
	k := harness.NewKeyboard(t, ctx)
	const email = "a11y.keyboard@example.com"
	const password = "typed with keys only"

	harness.Open(t, ctx, origin+"/")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")

	// Focus starts on the h1; back up with Shift+Tab to the skip link, which moves focus to
	// the main content.
	k.TabTo("the skip link", harness.LinkNamed("Skip to main content"), true)
	k.Press(kb.Enter)
	harness.WaitFor(t, ctx, `document.activeElement === document.querySelector("main#maincontent")`, "the skip link should move focus to <main>")

	k.TabTo("Create an account", harness.ButtonNamed("Create an account"), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Create an account")
	k.HeadingFocusShowsNoBox("Create an account")
	k.TabTo("the email field", harness.FieldLabelled("Email address"), false)
	k.TypeText(email)
	k.TabTo("the password field", harness.FieldLabelled("Create a password"), false)
	k.TypeText(password)
	// Show the password and hide it again with Space, going back with Shift+Tab.
	k.TabTo("Continue", harness.ButtonNamed("Continue"), false)
	k.TabTo("Show (the password)", harness.ButtonNamed("Show"), true)
	k.Press(" ")
	harness.WaitFor(t, ctx, `document.querySelector("#password").type === "text"`, "Space on Show should show the password")
	k.Press(" ")
	harness.WaitFor(t, ctx, `document.querySelector("#password").type === "password"`, "Space on Hide should hide the password")
	k.TabTo("Continue", harness.ButtonNamed("Continue"), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Login and security settings")

	// Set up a passkey, as the help article says (select Passkeys, select Set up a passkey):
	// Enter on a link, Space on a link styled as a button, then on a button.
	k.TabTo("Passkeys", harness.LinkNamed("Passkeys"), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Passkeys")
	k.TabTo("Set up a passkey", harness.ButtonNamed("Set up a passkey"), false)
	k.Press(" ")
	harness.Page(t, ctx, "Set up a passkey")
	k.TabTo("Continue", harness.ButtonNamed("Continue"), false)
	k.Press(" ")
	harness.Page(t, ctx, "Passkeys")
	if n := len(harness.AuthenticatorCredentials(t, ctx, authID)); n != 1 {
		t.Fatalf("after setting up a passkey with the keyboard the authenticator holds %d, want 1", n)
	}
	k.TabTo("the back link", harness.LinkNamed("Back to Login and security settings"), true)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Login and security settings")

	k.TabTo("Log out", harness.ButtonNamed("Log out"), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	if harness.SignedIn(t, ctx) {
		t.Fatal("still signed in after logging out with the keyboard")
	}

	// Log in with the passkey: Enter in the email field sends the form.
	k.TabTo("Log in", harness.ButtonNamed("Log in"), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Log in")
	k.TabTo("the email field", harness.FieldLabelled("Email address"), false)
	k.TypeText(email)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Login and security settings")
	if !harness.SignedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the passkey using the keyboard")
	}
}

// A button pressed from the keyboard is disabled while its request runs: the focus it had must
// not fall to <body> (a screen reader then starts again from the top of the page, and the next
// Tab from the start of it), but stay in the form, on the status that says what is happening.
// When the answer is a refusal, the error summary takes it.
func TestA11yKeyboardFocusStaysInTheFormWhileItsButtonWorks(t *testing.T) {
	origin := harness.StartServe(t)
	ctx, _ := harness.NewBrowser(t)
	k := harness.NewKeyboard(t, ctx)
	// Where focus is once the form's submit handler has marked the button busy (disabled), and
	// the status then. A mutation observer's callback runs just after the code that disabled
	// the button, before anything the page waits for can answer, so the reading does not
	// depend on how fast the refusal comes (sampling two frames later did: on a busy machine
	// the passkey refusal sometimes came first). Focus left on the disabled button reads as
	// that button here; HTML's focus fixup would move it to <body> at the next rendering.
	const watch = `(() => { const b = document.querySelector("main form button[type=submit]");
		new MutationObserver((_, o) => { if (!b.disabled) return; o.disconnect();
			const a = document.activeElement;
			window.focusWhileBusy = (a === document.body ? "<body>" : a.tagName.toLowerCase() + (a.id ? "#" + a.id : "") + (a.getAttribute("role") ? "[role=" + a.getAttribute("role") + "]" : "")) +
				" (button disabled: " + b.disabled + ", status: " + JSON.stringify((document.querySelector("main form [role=status]") || {}).textContent || "") + ")";
		}).observe(b, { attributes: true, attributeFilter: ["disabled"] }); return true })()`
	for _, c := range []struct {
		page, h1, button, key, focus string
		fill                         func()
		refused                      string
	}{
		{
			page: "/login/password", h1: "Log in with your password", button: "Log in", key: kb.Enter,
			fill: func() {
				k.TabTo("the email field", harness.FieldLabelled("Email address"), false)
				k.TypeText("nobody.here@example.com")
				k.TabTo("the password field", harness.FieldLabelled("Password"), false)
				k.TypeText("not the password")
			},
			focus:   `div#form-status[role=status] (button disabled: true, status: "Checking your email address and password…")`,
			refused: "The email address or password is not correct",
		},
		{
			// This browser holds no passkey: the page says it may not be on this device.
			page: "/login", h1: "Log in", button: "Continue", key: " ",
			focus:   `div#passkey-status[role=status] (button disabled: true, status: "Follow the instructions on your device.")`,
			refused: "Your passkey may not be on this device",
		},
	} {
		harness.Open(t, ctx, origin+c.page)
		harness.Page(t, ctx, c.h1)
		if c.fill != nil {
			c.fill()
		}
		k.TabTo(c.button, harness.ButtonNamed(c.button), false)
		harness.Get(t, ctx, chromedp.Evaluate[any](watch))
		if c.page == "/login/password" {
			harness.ExpectStatus(t, ctx, "POST /api/login/password", http.StatusUnauthorized)
		}
		k.Press(c.key)
		harness.ErrorSummaryFocused(t, ctx, c.refused)
		if got := harness.Get(t, ctx, chromedp.Evaluate[string](`window.focusWhileBusy || "(the form was not sent)"`)); got != c.focus {
			t.Errorf("%s: while %s worked, focus was on %s, want %s", c.h1, c.button, got, c.focus)
		}
	}
}

func TestA11yKeyboardOnlyDesktopSetUpAndLogInWithASecurityKey(t *testing.T) {
	key, srv, ctx := harness.StartDesktopOnVirtualKey(t, virtualkey.Succeed())
	k := harness.NewKeyboard(t, ctx)
	const email = "a11y.desktop.keyboard@example.com"
	const pin = "97531"

	harness.Open(t, ctx, srv.Origin+"/create-account")
	harness.Page(t, ctx, "Create an account")
	k.TabTo("the email field", harness.FieldLabelled("Email address"), false)
	k.TypeText(email)
	k.TabTo("the password field", harness.FieldLabelled("Create a password"), false)
	k.TypeText("a long enough password")
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Login and security settings")

	// Set up a passkey on the virtual key: a radio chosen with Space, a new PIN typed twice.
	k.TabTo("Passkeys", harness.LinkNamed("Passkeys"), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Passkeys")
	k.TabTo("Set up a passkey", harness.ButtonNamed("Set up a passkey"), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Set up a passkey")
	k.TabTo("Continue", harness.ButtonNamed("Continue"), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Where do you want to save your passkey?")
	k.TabTo("the virtual key", `el.matches("input[type=radio][value=virtual]")`, false)
	k.Press(" ")
	harness.WaitFor(t, ctx, `document.querySelector("input[type=radio][value=virtual]").checked`, "Space should choose the radio")
	k.TabTo("Continue", harness.ButtonNamed("Continue"), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Create a PIN for your security key")
	k.TabTo("the new PIN", harness.FieldLabelled("New PIN"), false)
	k.TypeText(pin)
	k.TabTo("the new PIN again", harness.FieldLabelled("Enter the new PIN again"), false)
	k.TypeText(pin)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Passkeys")
	if n := len(key.Credentials()); n != 1 {
		t.Fatalf("after setting up a passkey with the keyboard the key holds %d, want 1", n)
	}
	k.TabTo("the back link", harness.LinkNamed("Back to Login and security settings"), true)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Login and security settings")

	k.TabTo("Log out", harness.ButtonNamed("Log out"), false)
	k.Press(" ")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	k.TabTo("Log in", harness.ButtonNamed("Log in"), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Log in")
	k.TabTo("the email field", harness.FieldLabelled("Email address"), false)
	k.TypeText(email)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Which security key has your passkey?")
	k.TabTo("the virtual key", `el.matches("input[type=radio][value=virtual]")`, false)
	k.Press(" ")
	k.TabTo("Continue", harness.ButtonNamed("Continue"), false)
	k.Press(" ")
	harness.Page(t, ctx, "Enter your security key PIN")
	// Focus is on the h1, which is the PIN field's label: one Tab reaches the field.
	k.TabTo("the PIN", harness.FieldLabelled("Enter your security key PIN"), false)
	k.TypeText(pin)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Login and security settings")
	if !harness.SignedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the security key using the keyboard")
	}
}

func TestA11yKeyboardOnlyHelpFromTheFooter(t *testing.T) {
	origin := harness.StartServe(t)
	ctx := harness.StartChromium(t)
	k := harness.NewKeyboard(t, ctx)

	harness.Open(t, ctx, origin+"/login")
	harness.Page(t, ctx, "Log in")

	// The help on the Log in page: open it with Space, follow its link with Enter.
	k.TabTo("Problems logging in with a passkey", `el.matches("summary")`, false)
	k.Press(" ")
	harness.WaitFor(t, ctx, `document.querySelector("main details").open`, "Space should open the details")
	k.TabTo("the help link in it", harness.LinkNamed("Get help with logging in with a passkey"), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "How to log in with a passkey")
	k.HeadingFocusShowsNoBox("How to log in with a passkey")

	// The footer's Help link, then through the guide with its contents list and its Next link.
	k.TabTo("Help in the footer", `el.matches("footer a") && el.textContent.trim() === "Help"`, false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Help with passkeys")
	k.TabTo("If you lose your device", harness.LinkNamed("If you lose your device"), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "If you lose your device")
	k.TabTo("Next page", `el.matches("a[rel=next]")`, false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "If you get a new device")
	k.TabTo("Previous page", `el.matches("a[rel=prev]")`, false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "If you lose your device")

	// The accessibility statement from the footer, then back up with Shift+Tab to the
	// header's link home.
	k.TabTo("Accessibility statement in the footer", `el.matches("footer a") && el.textContent.trim() === "Accessibility statement"`, false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Accessibility statement for NHS login passkeys")
	k.TabTo("the service name in the header", `el.matches("header a")`, true)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
}

// The pages and states only kiosk mode has (issue #7; kiosk_test.go walks them).
var kioskStates = []string{
	"Kiosk: Set up a passkey on a shared computer",
	"Kiosk: choose a key to save the passkey on",
	"Kiosk: start page: logged out banner",
	"Kiosk: start page: timed out banner",
	"Kiosk: start page: key taken out banner",
	"Kiosk: a link out of the app",
	"Kiosk: Close the app",
	"Kiosk: Close the app: nothing entered",
	"Kiosk: Close the app: wrong secret",
	"Kiosk: The app is closing",
}

func TestA11yKioskPagesAndStates(t *testing.T) {
	srv := harness.StartKiosk(t, harness.NewVirtualKey(t, virtualkey.Succeed()), 0)
	ctx := harness.NewWebview(t)
	a := harness.NewAudit(t, ctx)

	harness.CreateAccount(t, ctx, srv.Origin, "a11y.kiosk@example.com", "a long enough password")
	harness.OpenSetUpPasskey(t, ctx)
	a.Check("Kiosk: Set up a passkey on a shared computer")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Where do you want to save your passkey?")
	a.Check("Kiosk: choose a key to save the passkey on")
	harness.Click(t, ctx, "Cancel")
	harness.Page(t, ctx, "Set up a passkey")
	harness.Click(t, ctx, "Back")
	harness.Page(t, ctx, "Passkeys")
	backToSettings(t, ctx)
	harness.Click(t, ctx, "Log out")
	harness.Reloaded(t, ctx, "logging out should load the start page again")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	harness.Banner(t, ctx, "You have logged out")
	a.Check("Kiosk: start page: logged out banner")

	// How the other endings look (kiosk_test.go reaches them for real).
	harness.Open(t, ctx, srv.Origin+"/?ended=timed-out&idle=300")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	harness.ImportantBanner(t, ctx, "you had not done anything for 5 minutes")
	a.Check("Kiosk: start page: timed out banner")
	harness.Open(t, ctx, srv.Origin+"/?ended=key-removed")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	harness.ImportantBanner(t, ctx, "your security key was taken out of this computer")
	a.Check("Kiosk: start page: key taken out banner")

	// The app has no links out; one is planted to see what kiosk mode does with it.
	harness.Get(t, ctx, chromedp.Evaluate[bool](`(() => { const a = document.createElement("a"); a.href = "https://www.nhs.uk/";
		a.textContent = "NHS website"; document.querySelector("main p").append(" ", a); return true })()`))
	harness.Click(t, ctx, "NHS website")
	harness.Page(t, ctx, "This link cannot be opened on this computer")
	if a := harness.Address(t, ctx); a != "/" {
		t.Errorf("a link out of the app should not change the address, which is %q", a)
	}
	a.Check("Kiosk: a link out of the app")

	harness.Click(t, ctx, "Staff: close the app")
	harness.Page(t, ctx, "Close the app")
	a.Check("Kiosk: Close the app")
	harness.ExpectStatus(t, ctx, "POST /api/device/kiosk/exit", http.StatusUnprocessableEntity) // nothing entered
	harness.ExpectStatus(t, ctx, "POST /api/device/kiosk/exit", http.StatusForbidden)           // the wrong secret
	a.CheckRefusal("Close the app", "Enter the administrator secret", "Kiosk: Close the app: nothing entered")
	harness.FillIn(t, ctx, "Administrator secret", "not the secret")
	a.CheckRefusal("Close the app", "The administrator secret is not correct", "Kiosk: Close the app: wrong secret")
	harness.FillIn(t, ctx, "Administrator secret", harness.KioskAdminSecret)
	harness.Click(t, ctx, "Close the app")
	harness.Page(t, ctx, "The app is closing")
	a.Check("Kiosk: The app is closing")

	a.RequireAll(kioskStates)
}

// A desktop app whose saved information was written by a newer version of the app: the
// start page says so in an important banner with the store's message (the file, and what to
// do), offers no way in that would fail, and is as accessible as every other state.
func TestA11yDesktopAppThatCannotOpenItsSavedInformation(t *testing.T) {
	dir := t.TempDir()
	store.PrepareForTest(t, dir)
	store.MarkNewerVersionForTest(t, filepath.Join(dir, store.FileName))
	srv := harness.StartDesktopWith(t, harness.NewVirtualKey(t, virtualkey.Succeed()), harness.DesktopOptions{DataDir: dir})
	ctx := harness.NewWebview(t)
	a := harness.NewAudit(t, ctx)
	// The page's API requests are answered 503 data_unusable (the banner below is that answer).
	harness.ExpectStatus(t, ctx, "GET /api/config", http.StatusServiceUnavailable)
	harness.ExpectStatus(t, ctx, "GET /api/session", http.StatusServiceUnavailable)
	harness.Open(t, ctx, srv.Origin+"/")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	harness.ImportantBanner(t, ctx, "was saved by a newer version of NHS login passkeys")
	if links := harness.Get(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('main a[href="/login"], main a[href="/create-account"]').length`)); links != 0 {
		t.Errorf("the start page offers %d ways in that cannot work", links)
	}
	a.Check("Desktop: start page: saved information it cannot open")
}

// What a patient types is shown back to them whole, however long, and must wrap rather than
// push the page sideways at 320 CSS px (WCAG 1.4.10): an email address of 200 characters
// without a space, and a passkey name of 64 (the longest allowed) without one, on every page
// that shows them, and in the banners that repeat them.
func TestA11yALongEmailAddressAndPasskeyNameWrapAt320Pixels(t *testing.T) {
	origin := harness.StartServe(t)
	ctx, _ := harness.NewBrowser(t)
	a := harness.NewAudit(t, ctx)
	email := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + ".example.com"
	name := strings.Repeat("N", 64)

	harness.CreateAccountInBrowser(t, ctx, origin, email, "a long enough password")
	a.Check("Login and security settings: a long email address")
	harness.SetUpPasskeyInBrowser(t, ctx)
	first := harness.ListPasskeys(t, ctx)[0].Name
	harness.Click(t, ctx, "Rename "+first)
	harness.Page(t, ctx, "Rename your passkey")
	harness.ClearField(t, ctx, "New name")
	harness.FillIn(t, ctx, "New name", name)
	harness.ExpectStatus(t, ctx, "PATCH /api/passkeys/*", http.StatusForbidden) // reauth_required: the page asks
	harness.Click(t, ctx, "Save name")
	harness.Page(t, ctx, "Confirm it's you")
	harness.Click(t, ctx, "Continue")
	harness.Page(t, ctx, "Passkeys")
	harness.Banner(t, ctx, "Passkey renamed")
	a.Check("Passkeys: renamed to a long name")
	harness.Click(t, ctx, "Rename "+name)
	harness.Page(t, ctx, "Rename your passkey")
	a.Check("Rename your passkey: a long name")
	harness.Open(t, ctx, origin+"/account/security")
	harness.Page(t, ctx, "Login and security settings")
	a.Check("Login and security settings: a long email address and passkey name")
	harness.Follow(t, ctx, "link", "View recent activity", "/account/activity")
	a.Check("Recent activity: a passkey renamed to a long name")
	harness.Open(t, ctx, origin+"/account/security")
	harness.Page(t, ctx, "Login and security settings")
	harness.Follow(t, ctx, "link", "Remove "+name, "/account/passkeys/remove")
	a.Check("Remove a passkey: a long name")
}

// The checks above must catch what they look for, or a clean result means nothing: each is
// run on a page with a problem of its kind planted in it.
func TestA11yChecksFindPlantedProblems(t *testing.T) {
	origin := harness.StartServe(t)
	ctx := harness.StartChromium(t)
	a := harness.NewAudit(t, ctx)
	harness.Open(t, ctx, origin+"/help")
	harness.Page(t, ctx, "Help with passkeys")
	for _, check := range []struct {
		name, plant string
		run         func() []string
		want        string
	}{
		{"axe", `main.insertAdjacentHTML("beforeend", '<img src="/x.png"><a href="/help"></a>')`, a.Axe, "axe image-alt"},
		// Style set through the CSSOM: the page's Content-Security-Policy ignores style attributes.
		{"axe contrast", `const p = main.appendChild(document.createElement("p")); p.textContent = "Pale text"; p.style.color = "#bbb"`, a.Axe, "axe color-contrast"},
		{"screen reader", `main.insertAdjacentHTML("beforeend", '<h1>A second h1</h1>')`, func() []string { return a.ScreenReader(a.Page()) }, "one level 1 heading"},
		{"reflow", `main.insertAdjacentHTML("beforeend", '<pre>` + strings.Repeat("x", 200) + `</pre>')`, a.Reflow, "at 320 CSS px wide"},
		{"motion", `const p = main.appendChild(document.createElement("p")); p.textContent = "Fades"; p.style.transition = "opacity 1s"`, a.Motion, "transition of opacity"},
		{"font", `main.querySelector("h1").style.fontFamily = "serif"`, a.Font, "characters of a <h1> are drawn in"},
		{"font stack", `document.body.style.fontFamily = "Georgia, serif"`, a.Font, "the body's font stack is"},
	} {
		harness.Open(t, ctx, origin+"/help")
		harness.Page(t, ctx, "Help with passkeys")
		if problems := check.run(); len(problems) > 0 {
			t.Fatalf("%s: the page has problems before anything is planted: %q", check.name, problems)
		}
		harness.Get(t, ctx, chromedp.Evaluate[bool](`(main => { `+check.plant+`; return true })(document.querySelector("main"))`))
		problems := check.run()
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, check.want) }) {
			t.Errorf("%s: the planted problem was not found (want %q), found %q", check.name, check.want, problems)
		}
	}

	// A link whose focus cannot be seen, right after the h1 that has focus.
	harness.Open(t, ctx, origin+"/help")
	harness.Page(t, ctx, "Help with passkeys")
	harness.Get(t, ctx, chromedp.Evaluate[bool](`(() => { const a = document.createElement("a"); a.href = "/help"; a.textContent = "Unseen";
		a.style.outline = "none"; a.style.boxShadow = "none"; document.querySelector("main h1").after(a); return true })()`))
	harness.Must(t, ctx, chromedp.KeyEvent(kb.Tab))
	if got := harness.Get(t, ctx, chromedp.Evaluate[string](harness.FocusCheckJS)); got != "no focus indicator can be seen" {
		t.Errorf("focus: a link with no focus style was not caught, the check says %q", got)
	}
}

// The help article's last steps, with the keyboard alone: "Select Login and security settings",
// "Select Remove for the passkey you want to remove", "Follow the on-screen instructions to
// confirm removing your passkey"; and renaming a passkey from Passkeys. Each change asks
// "Confirm it's you" (the fresh login's one change went on setting up the passkey), answered with
// the keyboard too; the database is checked after each.
func TestA11yKeyboardOnlyRenameThenRemoveAPasskey(t *testing.T) {
	origin := harness.StartServe(t)
	ctx, authID := harness.NewBrowser(t)
	k := harness.NewKeyboard(t, ctx)
	const email = "a11y.keyboard.remove@example.com"
	const password = "removed with keys only"

	harness.CreateAccountInBrowser(t, ctx, origin, email, password)
	harness.SetUpPasskeyInBrowser(t, ctx)
	listed := harness.ListPasskeys(t, ctx)
	if len(listed) != 1 {
		t.Fatalf("the account should have 1 passkey, the API lists %d", len(listed))
	}
	const newName = "Kitchen laptop"
	// Each change is first answered 403 reauth_required: the page then asks "Confirm it's you".
	harness.ExpectStatus(t, ctx, "PATCH /api/passkeys/"+listed[0].ID, http.StatusForbidden)
	harness.ExpectStatus(t, ctx, "DELETE /api/passkeys/"+listed[0].ID, http.StatusForbidden)

	// Rename, from Passkeys: Enter on the Rename link (its name says which passkey).
	k.TabTo("Rename "+listed[0].Name, harness.LinkNamed("Rename "+listed[0].Name), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Rename your passkey")
	k.HeadingFocusShowsNoBox("Rename your passkey")
	k.TabTo("the name field", harness.FieldLabelled("New name"), false)
	k.Press("a", chromedp.ModifierCtrl)
	k.Press(kb.Delete)
	k.Press(kb.Enter)
	harness.ErrorSummaryFocused(t, ctx, "Enter a name for your passkey")
	// The summary's link takes focus to the field it names, and only that: the Enter that
	// followed the link must not also send the form from the field it lands in (the page would
	// be refused again, and focus thrown back to a new error summary).
	k.TabTo("the summary's link", harness.LinkNamed("Enter a name for your passkey"), false)
	harness.Get(t, ctx, chromedp.Evaluate[bool](`(window.summaryBeforeEnter = document.querySelector("main .nhsuk-error-summary"), true)`))
	k.Press(kb.Enter)
	harness.WaitFor(t, ctx, `document.activeElement === document.querySelector("#name")`, "the error summary's link should move focus to the name field")
	time.Sleep(300 * time.Millisecond)
	if !harness.Get(t, ctx, chromedp.Evaluate[bool](`document.querySelector("main .nhsuk-error-summary") === window.summaryBeforeEnter && document.activeElement === document.querySelector("#name")`)) {
		t.Fatal("Enter on the error summary's link also sent the form: the page was refused again and focus left the field")
	}
	k.TypeText(newName)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Confirm it's you")
	k.TabTo("Continue", harness.ButtonNamed("Continue"), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Passkeys")
	harness.Banner(t, ctx, "Your passkey is now called “"+newName+"”.")
	if got := harness.ListPasskeys(t, ctx); len(got) != 1 || got[0].Name != newName {
		t.Fatalf("after renaming with the keyboard the API lists %+v, want one passkey called %q", got, newName)
	}

	// "Select Login and security settings", then "Select Remove for the passkey".
	k.TabTo("the back link", harness.LinkNamed("Back to Login and security settings"), true)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Login and security settings")
	k.TabTo("Remove "+newName, harness.LinkNamed("Remove "+newName), false)
	k.Press(kb.Enter)
	harness.Page(t, ctx, "Are you sure you want to remove “"+newName+"”?")
	k.HeadingFocusShowsNoBox("Are you sure you want to remove “" + newName + "”?")
	k.TabTo("Remove passkey", harness.ButtonNamed("Remove passkey"), false)
	k.Press(" ")
	harness.Page(t, ctx, "Confirm it's you")
	k.TabTo("Continue", harness.ButtonNamed("Continue"), false)
	k.Press(" ")
	harness.Page(t, ctx, "Login and security settings")
	harness.Banner(t, ctx, "You can no longer log in with “"+newName+"”.")
	if n := harness.PasskeyCount(t, ctx); n != 0 {
		t.Fatalf("after removing the passkey with the keyboard the API lists %d, want 0", n)
	}
	if n := len(harness.AuthenticatorCredentials(t, ctx, authID)); n != 1 {
		t.Errorf("removing from the account leaves the device's own copy (the page says how to remove it there); the authenticator holds %d, want 1", n)
	}
}

// The error states of the signed-in forms that TestA11yEveryPageAndStateInTheBrowser does not
// reach, each checked as the person meets it (error summary focused, the field's own message,
// "Error: " in the title, axe, reflow): a new password too short and too long, a passkey name
// empty and too long, and confirming it's you with the password left empty and wrong. After
// each refusal the database is checked: nothing changed.
func TestA11yEveryFormErrorStateWhenSignedIn(t *testing.T) {
	origin := harness.StartServe(t)
	ctx, _ := harness.NewBrowser(t)
	a := harness.NewAudit(t, ctx)
	const email = "a11y.form.errors@example.com"
	const password = "the only right password"

	harness.CreateAccountInBrowser(t, ctx, origin, email, password)
	harness.SetUpPasskeyInBrowser(t, ctx)
	passkey := harness.ListPasskeys(t, ctx)[0]
	fieldWired := func(id, message string) {
		t.Helper()
		// nhsuk-frontend's input: the group marked, the field described by its own message.
		harness.WaitFor(t, ctx, fmt.Sprintf(`(() => { const f = document.getElementById(%q), m = document.getElementById(%q + "-error");
			return !!f && !!m && m.textContent.includes(%q) && f.getAttribute("aria-describedby").split(" ").includes(m.id)
				&& f.classList.contains("nhsuk-input--error") && !!f.closest(".nhsuk-form-group--error")
				&& !!document.querySelector('.nhsuk-error-summary a[href="#' + f.id + '"]') })()`, id, id, message),
			fmt.Sprintf("the field #%s should carry its own message %q, linked from the summary", id, message))
	}

	// Change your password.
	harness.Click(t, ctx, "Back to Login and security settings")
	harness.Page(t, ctx, "Login and security settings")
	harness.Follow(t, ctx, "link", "Change your password", "/account/password")
	a.CheckRefusal("Change password", "Enter a password", "Change your password: nothing entered")
	fieldWired("newPassword", "Enter a password")
	harness.FillIn(t, ctx, "New password", "short")
	a.CheckRefusal("Change password", "Your password must be 8 characters or more", "Change your password: too short")
	fieldWired("newPassword", "Your password must be 8 characters or more")
	harness.ClearField(t, ctx, "New password")
	harness.FillIn(t, ctx, "New password", strings.Repeat("p", 257))
	a.CheckRefusal("Change password", "Your password must be 256 characters or fewer", "Change your password: too long")
	fieldWired("newPassword", "Your password must be 256 characters or fewer")

	// Rename your passkey.
	harness.Open(t, ctx, origin+"/account/passkeys")
	harness.Page(t, ctx, "Passkeys")
	harness.Follow(t, ctx, "link", "Rename "+passkey.Name, "/account/passkeys/rename")
	harness.ClearField(t, ctx, "New name")
	a.CheckRefusal("Save name", "Enter a name for your passkey", "Rename your passkey: nothing entered")
	fieldWired("name", "Enter a name for your passkey")
	harness.FillIn(t, ctx, "New name", strings.Repeat("n", 65))
	a.CheckRefusal("Save name", "Passkey name must be 64 characters or fewer", "Rename your passkey: too long")
	fieldWired("name", "Passkey name must be 64 characters or fewer")

	// Remove it, confirming it's you with the password: left empty, then wrong.
	harness.Open(t, ctx, origin+"/account/security")
	harness.Page(t, ctx, "Login and security settings")
	harness.Follow(t, ctx, "link", "Remove "+passkey.Name, "/account/passkeys/remove")
	harness.ExpectStatus(t, ctx, "DELETE /api/passkeys/"+passkey.ID, http.StatusForbidden)
	harness.Click(t, ctx, "Remove passkey")
	harness.Page(t, ctx, "Confirm it's you")
	harness.Click(t, ctx, "Confirm it's you with your password instead")
	harness.WaitFor(t, ctx, `!!document.querySelector("main #password")`, "the password step should ask for the password")
	a.Check("Confirm it's you: with your password")
	a.CheckRefusal("Continue", "Enter your password", "Confirm it's you: nothing entered")
	fieldWired("password", "Enter your password")
	harness.FillIn(t, ctx, "Password", "not the password")
	harness.ExpectStatus(t, ctx, "POST /api/reauth/password", http.StatusUnauthorized)
	a.CheckRefusal("Continue", "The password is not correct", "Confirm it's you: wrong password")

	if got := harness.ListPasskeys(t, ctx); len(got) != 1 || got[0].Name != passkey.Name {
		t.Fatalf("after every refusal the account should still have its one passkey, unchanged; the API lists %+v", got)
	}
	a.RequireAll([]string{
		"Change your password: nothing entered",
		"Change your password: too short",
		"Change your password: too long",
		"Rename your passkey: nothing entered",
		"Rename your passkey: too long",
		"Confirm it's you: with your password",
		"Confirm it's you: nothing entered",
		"Confirm it's you: wrong password",
	})
}
