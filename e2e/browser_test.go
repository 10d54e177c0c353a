//go:build e2e

// Browser journeys: the real `serve` command (run() in this process), the real built frontend,
// and headless Chromium as the WebAuthn client with its CDP virtual authenticator.
// Run with `make test` (it builds the frontend first) or `go test -tags e2e -run Journey .`.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/nhs-passkeys/companion/internal/cli"
)

// chromiumPath is Debian's real binary; /usr/bin/chromium is a wrapper script that prints
// shell noise (PLATFORM-NOTES.md).
const chromiumPath = "/usr/lib/chromium/chromium"

// startServe runs `nhs-passkeys serve` in-process on a free loopback port and returns its
// origin. http://localhost is a secure context for WebAuthn; 127.0.0.1 is not.
// extra flags are added to the command line, e.g. "--idle-timeout", "20s".
func startServe(t *testing.T, extra ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	out := &syncBuffer{}
	go func() {
		args := append([]string{"nhs-passkeys", "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--data-dir", t.TempDir()}, extra...)
		program := cli.Program{Frontend: builtFrontend(t)}
		done <- program.Run(ctx, args,
			func(string) string { return "" }, strings.NewReader(""), out, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve ended with an error: %v", err)
		}
	})

	origin := fmt.Sprintf("http://localhost:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(origin + "/api/session")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped before it answered: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer on %s: %v", origin, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(out.String(), origin) {
		t.Errorf("serve should print the URL to open, printed %q", out.String())
	}
	return origin
}

// repoRoot is the repository's top folder, seen from this package's (go test runs a test in
// its package's folder).
var repoRoot = filepath.Join("..")

// builtFrontend is frontend/dist as `npm run build` left it, which main.go embeds in the
// program: the journeys run the same files from the disk.
func builtFrontend(t *testing.T) fs.FS {
	t.Helper()
	frontend := os.DirFS(filepath.Join(repoRoot, "frontend", "dist"))
	if _, err := fs.Stat(frontend, "index.html"); err != nil {
		t.Fatal("the frontend is not built: run `npm run build` in frontend/ first")
	}
	return frontend
}

// newBrowser starts headless Chromium with a virtual platform authenticator that verifies
// the user (as a fingerprint or screen lock would) and holds discoverable credentials.
func newBrowser(t *testing.T) (context.Context, webauthn.AuthenticatorID) {
	t.Helper()
	ctx := startChromium(t)
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("enable the WebAuthn domain: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true, // a false zero value makes create() hang
		},
	})
	if err != nil {
		t.Fatalf("add the virtual authenticator: %v", err)
	}
	return ctx, res.AuthenticatorID
}

// startChromium starts headless Chromium, with no authenticator of its own. Every page it
// loads is watched (journey_pagewatch_test.go): the test fails on an error response, a failed
// request or a console error it did not say to expect.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	// Not t.TempDir(): Chromium's singleton socket path must fit in a sockaddr_un (108 bytes).
	dir, err := os.MkdirTemp("", "cr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(dir),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Env("TMPDIR="+dir),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })

	// The first Run starts the browser and must not carry a timeout (it would end the browser).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return watchPage(t, ctx)
}

func TestJourneyCreateAccountSetUpPasskeyAndLogInWithIt(t *testing.T) {
	origin := startServe(t)
	ctx, authID := newBrowser(t)
	const email = "patient.one@example.com"
	const password = "correct horse battery"

	// Create an account from the start page.
	open(t, ctx, origin+"/")
	page(t, ctx, "Manage passkeys for your NHS login")
	click(t, ctx, "Create an account")
	page(t, ctx, "Create an account")
	fillIn(t, ctx, "Email address", email)
	fillIn(t, ctx, "Create a password", password)
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
	if n := passkeyCount(t, ctx); n != 0 {
		t.Fatalf("a new account should have no passkeys, the API lists %d", n)
	}

	// Set up a passkey, as NHS login's help article says: "Go to Login and security settings,
	// select Passkeys, select Set up a passkey".
	click(t, ctx, "Passkeys")
	page(t, ctx, "Passkeys")
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	click(t, ctx, "Continue")
	page(t, ctx, "Passkeys")
	if n := passkeyCount(t, ctx); n != 1 {
		t.Fatalf("after setting up a passkey the API lists %d passkeys, want 1", n)
	}
	if n := len(authenticatorCredentials(t, ctx, authID)); n != 1 {
		t.Fatalf("the authenticator holds %d credentials, want 1", n)
	}
	mainText := text(t, ctx, "main")
	if !strings.Contains(mainText, "Not used yet") {
		t.Errorf("a passkey that was just set up should say it is not used yet; page says:\n%s", mainText)
	}

	// Back to Login and security settings, log out, then log in with the passkey by email.
	click(t, ctx, "Back to login and security settings")
	page(t, ctx, "Login and security settings")
	click(t, ctx, "Log out")
	page(t, ctx, "Manage passkeys for your NHS login")
	if signedIn(t, ctx) {
		t.Fatal("still signed in after logging out")
	}
	click(t, ctx, "Log in")
	page(t, ctx, "Log in")
	fillIn(t, ctx, "Email address", email)
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
	if !signedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the passkey")
	}
	creds := authenticatorCredentials(t, ctx, authID)
	if len(creds) != 1 || creds[0].SignCount < 1 {
		t.Fatalf("the passkey should have signed a login (sign count >= 1): %+v", creds)
	}
	if n := passkeyCount(t, ctx); n != 1 {
		t.Fatalf("after logging in the API lists %d passkeys, want 1", n)
	}
	if strings.Contains(text(t, ctx, "main"), "Not used yet") {
		t.Error("after logging in with the passkey, the list should show when it was last used")
	}
}

func TestJourneyPasswordLoginWithAWrongThenTheRightPassword(t *testing.T) {
	origin := startServe(t)
	ctx, _ := newBrowser(t)
	const email = "patient.two@example.com"
	const password = "another good password"

	open(t, ctx, origin+"/create-account")
	page(t, ctx, "Create an account")
	fillIn(t, ctx, "Email address", email)
	fillIn(t, ctx, "Create a password", password)
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
	click(t, ctx, "Log out")
	page(t, ctx, "Manage passkeys for your NHS login")

	click(t, ctx, "Log in")
	page(t, ctx, "Log in")
	fillIn(t, ctx, "Email address", email)
	click(t, ctx, "Log in with your password instead")
	page(t, ctx, "Log in with your password")
	carried := fieldValue(t, ctx, "Email address")
	if carried != email {
		t.Errorf("the email typed on the previous page should be carried over, got %q", carried)
	}

	// A wrong password: NHS error pattern (title prefixed, summary focused), still signed out.
	expectStatus(t, ctx, "POST /api/login/password", http.StatusUnauthorized)
	fillIn(t, ctx, "Password", "not the password")
	click(t, ctx, "Log in")
	waitFor(t, ctx, `document.activeElement && document.activeElement.classList.contains("nhsuk-error-summary")`,
		"the error summary should receive focus after a failed login")
	if title := get(t, ctx, chromedp.Title()); !strings.HasPrefix(title, "Error: ") {
		t.Errorf("page title after an error should start with \"Error: \", got %q", title)
	}
	if signedIn(t, ctx) {
		t.Fatal("a wrong password signed the person in")
	}

	clearField(t, ctx, "Password")
	fillIn(t, ctx, "Password", password)
	click(t, ctx, "Log in")
	page(t, ctx, "Login and security settings")
	if !signedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the right password")
	}
}

func TestJourneyManagePasskeysPasswordAndSessionsWithReauthentication(t *testing.T) {
	origin := startServe(t)
	ctx, authID := newBrowser(t)
	const email = "patient.five@example.com"
	const password = "the first good password"
	const newPassword = "a second, better password"

	// Create an account, then set up a passkey: the fresh login allows this one change without
	// confirming it's you (docs/api.md, "Re-authentication").
	open(t, ctx, origin+"/create-account")
	page(t, ctx, "Create an account")
	fillIn(t, ctx, "Email address", email)
	fillIn(t, ctx, "Create a password", password)
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
	click(t, ctx, "Passkeys")
	page(t, ctx, "Passkeys")
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	click(t, ctx, "Continue")
	page(t, ctx, "Passkeys")
	banner(t, ctx, "Passkey set up")
	first := listPasskeys(t, ctx)
	if len(first) != 1 {
		t.Fatalf("after setting up a passkey the API lists %d, want 1", len(first))
	}
	signCount := authenticatorCredentials(t, ctx, authID)[0].SignCount

	// Rename it. The login's one change is used up, so the page asks to confirm it's you, and
	// Chromium's authenticator signs with the passkey; then the rename goes through. Each change
	// from here on is first answered 403 reauth_required (docs/api.md, "Re-authentication"),
	// which is how the page knows to ask.
	for _, change := range []string{"PATCH /api/passkeys/*", "POST /api/passkeys/register/begin", "DELETE /api/passkeys/*", "POST /api/account/password"} {
		expectStatus(t, ctx, change, http.StatusForbidden)
	}
	click(t, ctx, "Rename "+first[0].Name)
	page(t, ctx, "Rename your passkey")
	if v := fieldValue(t, ctx, "New name"); v != first[0].Name {
		t.Errorf("the name field should hold the current name %q, holds %q", first[0].Name, v)
	}
	if search := get(t, ctx, chromedp.Evaluate[string](`location.search`)); search != "" {
		t.Errorf("the chosen passkey must not be in the address, which has %q", search)
	}
	clearField(t, ctx, "New name")
	fillIn(t, ctx, "New name", "Work laptop")
	click(t, ctx, "Save name")
	page(t, ctx, "Confirm it's you")
	click(t, ctx, "Continue")
	page(t, ctx, "Passkeys")
	banner(t, ctx, "Passkey renamed")
	if got := passkeyNames(listPasskeys(t, ctx)); got != "Work laptop" {
		t.Fatalf("after renaming, the API lists %q, want \"Work laptop\"", got)
	}
	creds := authenticatorCredentials(t, ctx, authID)
	if len(creds) != 1 || creds[0].SignCount <= signCount {
		t.Fatalf("confirming it's you should have signed with the passkey (sign count above %v): %+v", signCount, creds)
	}

	// Set up a second passkey: the page says first what will happen (confirm it's you with the
	// passkey you have, then create the new one); confirm it's you with the first, then, back on
	// the page, select Continue again (a browser wants a fresh click before it creates a passkey).
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	if body := text(t, ctx, "main"); !strings.Contains(body, "First, confirm it's you with a passkey you already have.") ||
		!strings.Contains(body, "Then, create your new passkey.") {
		t.Errorf("before anything pops up, the page should say the person will confirm it's them first, then create the new passkey; it says:\n%s", body)
	}
	click(t, ctx, "Continue")
	page(t, ctx, "Confirm it's you")
	click(t, ctx, "Continue")
	page(t, ctx, "Set up a passkey")
	if inset := text(t, ctx, "main .nhsuk-inset-text"); !strings.Contains(inset, "You have confirmed it's you.") {
		t.Errorf("back on the page, it should say the person has confirmed it's you; it says %q", inset)
	}
	// The second passkey is made on "another device": the server excludes the passkeys the
	// account has, and this authenticator holds the first, so the first is taken off while the
	// second is made; then the second goes (to that other device) and the first comes back.
	held := authenticatorCredentials(t, ctx, authID)[0]
	removeCredential(t, ctx, authID, held.CredentialID)
	click(t, ctx, "Continue")
	page(t, ctx, "Passkeys")
	banner(t, ctx, "Passkey set up")
	made := authenticatorCredentials(t, ctx, authID)
	if len(made) != 1 {
		t.Fatalf("the authenticator should hold just the second passkey, holds %d", len(made))
	}
	removeCredential(t, ctx, authID, made[0].CredentialID)
	putBackCredential(t, ctx, authID, held)
	both := listPasskeys(t, ctx)
	if len(both) != 2 {
		t.Fatalf("after the second set-up the API lists %d passkeys, want 2", len(both))
	}
	second := both[0]
	if second.Name == "Work laptop" {
		second = both[1]
	}

	// Remove the second, as the help article says: "Select Login and security settings, select
	// Remove for the passkey". The confirmation page, confirm it's you, then the banner.
	click(t, ctx, "Back to login and security settings")
	page(t, ctx, "Login and security settings")
	click(t, ctx, "Remove "+second.Name)
	page(t, ctx, "Are you sure you want to remove “"+second.Name+"”?")
	if body := text(t, ctx, "main"); !strings.Contains(body, "you will not be able to use it to log in") {
		t.Errorf("the confirmation should say what removing means; it says:\n%s", body)
	}
	click(t, ctx, "Remove passkey")
	page(t, ctx, "Confirm it's you")
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
	banner(t, ctx, "Passkey removed")
	if got := passkeyNames(listPasskeys(t, ctx)); got != "Work laptop" {
		t.Fatalf("after removing the second passkey the API lists %q, want only \"Work laptop\"", got)
	}

	// Recent activity lists what happened, in plain English.
	click(t, ctx, "View recent activity")
	page(t, ctx, "Recent activity")
	activity := text(t, ctx, "main table")
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
	click(t, ctx, "Back")
	page(t, ctx, "Login and security settings")

	// Change the password, confirming with the passkey.
	click(t, ctx, "Change your password")
	page(t, ctx, "Change your password")
	fillIn(t, ctx, "New password", newPassword)
	click(t, ctx, "Change password")
	page(t, ctx, "Confirm it's you")
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
	banner(t, ctx, "Password changed")
	if !signedIn(t, ctx) {
		t.Fatal("changing the password should keep this session")
	}

	// Another device logs in with the new password (the old one no longer works); then log
	// out of all other devices here: that session ends, this one stays.
	other := newAPIClient(t, origin)
	if status := other.post(t, "/api/login/password", map[string]string{"email": email, "password": password}); status != http.StatusUnauthorized {
		t.Errorf("the old password should be refused (401), got %d", status)
	}
	if status := other.post(t, "/api/login/password", map[string]string{"email": email, "password": newPassword}); status != http.StatusOK {
		t.Fatalf("the new password should log in on another device, got %d", status)
	}
	if !other.signedIn(t) {
		t.Fatal("the other device should be signed in before logging out everywhere else")
	}
	click(t, ctx, "Log out of all other devices")
	page(t, ctx, "Login and security settings")
	banner(t, ctx, "You have been logged out on 1 other device")
	if other.signedIn(t) {
		t.Error("the other device is still signed in after logging out of all other devices")
	}
	if !signedIn(t, ctx) {
		t.Error("logging out of other devices should keep this one signed in")
	}
}

// A patient whose two devices (each with a passkey) are gone: the passkey login says the
// passkey may not be on this device and offers the password; after the password login they
// remove both lost passkeys from Login and security settings, one after the other, with no
// second login and no passkey asked for (docs/api.md, "Re-authentication").
func TestJourneyAPatientWhoLostTwoDevicesRemovesBothPasskeys(t *testing.T) {
	origin := startServe(t)
	ctx, authID := newBrowser(t)
	const email = "patient.lost@example.com"
	const password = "a password to fall back on"

	open(t, ctx, origin+"/create-account")
	page(t, ctx, "Create an account")
	fillIn(t, ctx, "Email address", email)
	fillIn(t, ctx, "Create a password", password)
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
	click(t, ctx, "Passkeys")
	page(t, ctx, "Passkeys")
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	click(t, ctx, "Continue")
	page(t, ctx, "Passkeys")
	// The second passkey on "another device": confirm it's you with the first (the begin
	// answers 403 reauth_required), then the first is taken off this authenticator while the
	// second is made (the server excludes it).
	expectStatus(t, ctx, "POST /api/passkeys/register/begin", http.StatusForbidden)
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	click(t, ctx, "Continue")
	page(t, ctx, "Confirm it's you")
	click(t, ctx, "Continue")
	page(t, ctx, "Set up a passkey")
	removeCredential(t, ctx, authID, authenticatorCredentials(t, ctx, authID)[0].CredentialID)
	click(t, ctx, "Continue")
	page(t, ctx, "Passkeys")
	lost := listPasskeys(t, ctx)
	if len(lost) != 2 {
		t.Fatalf("the account should have 2 passkeys, the API lists %d", len(lost))
	}
	// Both devices are lost: this authenticator holds neither passkey any more.
	removeCredential(t, ctx, authID, authenticatorCredentials(t, ctx, authID)[0].CredentialID)
	click(t, ctx, "Back to login and security settings")
	page(t, ctx, "Login and security settings")
	click(t, ctx, "Log out")
	page(t, ctx, "Manage passkeys for your NHS login")

	// The passkey login: the browser says only "not allowed"; the page says the passkey may not
	// be on this device, and offers the password.
	click(t, ctx, "Log in")
	page(t, ctx, "Log in")
	fillIn(t, ctx, "Email address", email)
	click(t, ctx, "Continue")
	errorSummaryFocused(t, ctx, "Your passkey may not be on this device.")
	if summary := text(t, ctx, "main .nhsuk-error-summary"); strings.Contains(summary, "You may have cancelled it, or your device took too long") {
		t.Errorf("the error should not lead with cancelling; it says:\n%s", summary)
	}
	click(t, ctx, "Log in with your password")
	page(t, ctx, "Log in with your password")
	fillIn(t, ctx, "Password", password)
	click(t, ctx, "Log in")
	page(t, ctx, "Login and security settings")

	// "Select Remove for the passkey you want to remove", once for each lost passkey.
	for i, pk := range lost {
		click(t, ctx, "Remove "+pk.Name)
		page(t, ctx, "Are you sure you want to remove “"+pk.Name+"”?")
		click(t, ctx, "Remove passkey")
		page(t, ctx, "Login and security settings")
		banner(t, ctx, "You can no longer log in with “"+pk.Name+"”.")
		if n := passkeyCount(t, ctx); n != len(lost)-i-1 {
			t.Fatalf("after removing %d lost passkeys the API lists %d, want %d", i+1, n, len(lost)-i-1)
		}
	}
	if !signedIn(t, ctx) {
		t.Fatal("removing the lost passkeys should not log the person out")
	}

	click(t, ctx, "View recent activity")
	page(t, ctx, "Recent activity")
	activity := text(t, ctx, "main table")
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

// page waits for the page whose h1 is want, then checks the NHS page rules: the title names
// the page and focus has moved to the h1.
func page(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	waitFor(t, ctx, fmt.Sprintf(`(() => { const h = document.querySelector("main h1"); return !!h && h.textContent.trim() === %q })()`, want),
		fmt.Sprintf("expected the page %q", want))
	// The NHS pattern: focus goes to the h1, or to the success banner or error summary when
	// the page opens with one.
	waitFor(t, ctx, `(() => { const a = document.activeElement; return !!a && (a === document.querySelector("main h1") ||
		a.matches(".nhsuk-notification-banner, .nhsuk-error-summary")) })()`,
		fmt.Sprintf("focus should move to the h1 (or banner) of %q", want))
	if title := get(t, ctx, chromedp.Title()); !strings.HasPrefix(title, want) {
		t.Errorf("document.title = %q, want it to start with the page's h1 %q", title, want)
	}
}

func waitFor(t *testing.T, ctx context.Context, expr, what string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(wctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		h1, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("h1")||{}).textContent||""`))
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ""`))
		t.Fatalf("%s: %v\nh1: %q\npage:\n%s", what, err, h1, body)
	}
}

func open(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	must(t, ctx, chromedp.Navigate(url))
}

// click activates the link or button in <main> whose visible text is label.
func click(t *testing.T, ctx context.Context, label string) {
	t.Helper()
	sel := fmt.Sprintf(`//*[self::a or self::button][normalize-space()=%q]`, label)
	must(t, ctx, chromedp.Click(chromedp.Search(sel), chromedp.NodeVisible))
}

// fillIn types value into the text box whose accessible name is label: the name Chromium's
// accessibility tree computes, which is what a screen reader announces. A field whose label
// is missing or points elsewhere is not found, so the test fails as the person would.
func fillIn(t *testing.T, ctx context.Context, label, value string) {
	t.Helper()
	must(t, ctx, chromedp.SendKeys("", value, fieldNamed(label), chromedp.NodeVisible))
}

// clearField empties the text box whose accessible name is label.
func clearField(t *testing.T, ctx context.Context, label string) {
	t.Helper()
	must(t, ctx, chromedp.Clear("", fieldNamed(label)))
}

// fieldValue is the current value of the text box whose accessible name is label.
func fieldValue(t *testing.T, ctx context.Context, label string) string {
	t.Helper()
	return get(t, ctx, chromedp.Value("", fieldNamed(label)))
}

// fieldNamed selects, by accessible name, the one text box (role textbox) with that name.
func fieldNamed(label string) chromedp.QueryOption {
	return byRoleAndName("textbox", label)
}

// byRoleAndName selects the element whose computed ARIA role and accessible name are those
// given (CDP Accessibility.queryAXTree), then finds its DOM node. Names are compared with
// their white space collapsed, as a screen reader speaks them: the design system's hidden
// text brings non-breaking spaces into a name ("Rename\u00a0 This device\u00a0").
func byRoleAndName(role, name string) chromedp.QueryOption {
	want := strings.Join(strings.Fields(name), " ")
	return chromedp.ByFunc(func(ctx context.Context, tg *chromedp.Target, n *chromedp.Node) ([]cdp.NodeID, error) {
		res, err := cdp.Call(ctx, tg, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{NodeID: n.NodeID, Role: role})
		if err != nil {
			return nil, err
		}
		var backend []cdp.BackendNodeID
		for _, ax := range res.Nodes {
			if !ax.Ignored && ax.BackendDOMNodeID != 0 && strings.Join(strings.Fields(axText(ax.Name)), " ") == want {
				backend = append(backend, ax.BackendDOMNodeID)
			}
		}
		if len(backend) == 0 {
			return []cdp.NodeID{}, nil // not there (yet): the query waits and asks again
		}
		if len(backend) > 1 {
			return nil, fmt.Errorf("%d elements have the role %s and the name %q; a person could not tell them apart", len(backend), role, name)
		}
		pushed, err := cdp.Call(ctx, tg, dom.PushNodesByBackendIDsToFrontend, dom.PushNodesByBackendIDsToFrontendParams{BackendNodeIDs: backend})
		return pushed.NodeIDs, err
	})
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return get(t, ctx, chromedp.Text(chromedp.CSS(sel)))
}

// fetchJSON runs fetch(path) inside the page, with the page's own session cookie.
func fetchJSON[T any](t *testing.T, ctx context.Context, path string) T {
	t.Helper()
	expr := fmt.Sprintf(`fetch(%q, {credentials: "same-origin"}).then(r => r.json())`, path)
	return get(t, ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

func signedIn(t *testing.T, ctx context.Context) bool {
	t.Helper()
	return fetchJSON[struct {
		SignedIn bool `json:"signedIn"`
	}](t, ctx, "/api/session").SignedIn
}

func passkeyCount(t *testing.T, ctx context.Context) int {
	t.Helper()
	return len(fetchJSON[struct {
		Passkeys []map[string]any `json:"passkeys"`
	}](t, ctx, "/api/passkeys").Passkeys)
}

func authenticatorCredentials(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID) []*webauthn.Credential {
	t.Helper()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		t.Fatalf("read the authenticator's credentials: %v", err)
	}
	return res.Credentials
}

func must(t *testing.T, ctx context.Context, action chromedp.Action[chromedp.Void]) {
	t.Helper()
	get(t, ctx, action)
}

// get runs one action with a time limit and returns its value.
func get[T any](t *testing.T, ctx context.Context, action chromedp.Action[T]) T {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(actx, action)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func removeCredential(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID, credentialID []byte) {
	t.Helper()
	if _, err := chromedp.Call(ctx, webauthn.RemoveCredential, webauthn.RemoveCredentialParams{AuthenticatorID: id, CredentialID: credentialID}); err != nil {
		t.Fatalf("take a passkey off the authenticator: %v", err)
	}
}

// putBackCredential adds a credential read with GetCredentials back to the authenticator.
// cdproto's Credential always sends generateCmtgKeyOnNextOperation, which Chromium refuses
// from an authenticator without CMTG, so the command goes with only the fields it needs.
func putBackCredential(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID, c *webauthn.Credential) {
	t.Helper()
	addCredential := cdp.Command[map[string]any, cdp.Empty]{Method: webauthn.CommandAddCredential}
	_, err := chromedp.Call(ctx, addCredential, map[string]any{
		"authenticatorId": id,
		"credential": map[string]any{
			"credentialId":         c.CredentialID,
			"isResidentCredential": c.IsResidentCredential,
			"rpId":                 c.RpID,
			"privateKey":           c.PrivateKey,
			"userHandle":           c.UserHandle,
			"signCount":            c.SignCount,
		},
	})
	if err != nil {
		t.Fatalf("put the passkey back on the authenticator: %v", err)
	}
}

// banner waits for the success banner to say want.
func banner(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	waitFor(t, ctx, fmt.Sprintf(`(() => { const b = document.querySelector("main .nhsuk-notification-banner--success");
		return !!b && b.textContent.includes(%q) })()`, want),
		fmt.Sprintf("the success banner should say %q", want))
}

type listedPasskey struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func listPasskeys(t *testing.T, ctx context.Context) []listedPasskey {
	t.Helper()
	return fetchJSON[struct {
		Passkeys []listedPasskey `json:"passkeys"`
	}](t, ctx, "/api/passkeys").Passkeys
}

func passkeyNames(passkeys []listedPasskey) string {
	names := make([]string, len(passkeys))
	for i, p := range passkeys {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// apiClient is another device: its own cookie jar, speaking to the API directly.
type apiClient struct {
	origin string
	http   *http.Client
}

func newAPIClient(t *testing.T, origin string) *apiClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &apiClient{origin: origin, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (c *apiClient) post(t *testing.T, path string, body any) int {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.origin+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", c.origin) // state-changing requests must come from the RP origin
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (c *apiClient) signedIn(t *testing.T) bool {
	t.Helper()
	resp, err := c.http.Get(c.origin + "/api/session")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var session struct {
		SignedIn bool `json:"signedIn"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&session); err != nil {
		t.Fatal(err)
	}
	return session.SignedIn
}

// syncBuffer is an io.Writer safe for the serve goroutine and the test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
