//go:build e2e

// Kiosk mode (issue #7) on the desktop path, in headless Chromium without WebAuthn: the
// handler as run.go builds it with --kiosk (backend and device endpoints in kiosk mode, the
// session in the shell's memory-only jar, the watch that ends a session when its security key
// is taken out), a short idle timeout, and the virtual security key.
// Run with `go test -tags e2e -count=1 -run Kiosk -v .` after `npm run build` in frontend/.
package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/app/virtualkey"
)

// startKiosk is startDesktop with --kiosk, as run.go and app/desktop build it: idle is the
// idle timeout (0 keeps kiosk mode's default).
func startKiosk(t *testing.T, key *virtualkey.Key, idle time.Duration) *desktopServer {
	t.Helper()
	if idle == 0 {
		idle = kiosk.DefaultIdleTimeout
	}
	return startDesktopWith(t, key, desktopOptions{kiosk: true, idle: idle})
}

// reloaded waits for the full page load that ends a kiosk visit, to settle at the start page
// with its address put back to "/". (chromedp's Poll stops when the page it polls navigates,
// so this asks again after each load.)
func reloaded(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	deadline := time.Now().Add(35 * time.Second)
	for {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		done, err := chromedp.Run(actx, chromedp.Evaluate[bool](`!window.kioskTestMark && document.readyState === "complete" &&
			location.pathname === "/" && location.search === "" && !!document.querySelector("main h1")`))
		cancel()
		if err == nil && done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the start page was not loaded again (last error: %v)", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// historyLength is how many entries the tab's history has.
func historyLength(t *testing.T, ctx context.Context) int {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[int](`history.length`))
}

// address is the page's path, query and fragment.
func address(t *testing.T, ctx context.Context) string {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[string](`location.pathname + location.search + location.hash`))
}

// markPage leaves a value in the page's JavaScript memory, which only a full page load takes
// away (reloaded waits for it to be gone).
func markPage(t *testing.T, ctx context.Context) {
	t.Helper()
	get(t, ctx, chromedp.Evaluate[bool](`window.kioskTestMark = true`))
}

// importantBanner waits for the start page's important banner (role alert, focused) to say want.
func importantBanner(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	waitFor(t, ctx, fmt.Sprintf(`(() => { const b = document.querySelector('main .nhsuk-notification-banner[role="alert"]');
		return !!b && !b.classList.contains("nhsuk-notification-banner--success") && b.textContent.includes(%q) &&
			document.activeElement === b })()`, want),
		fmt.Sprintf("the start page's focused banner should say %q", want))
}

func radioLabels(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("main label.nhsuk-radios__label")].map(l => l.textContent.trim())`))
}

// Set up a passkey, log out, log in with it, then take the key out: each visit ends at the
// start page with nothing left of it (no history, no email, no memory), saying why.
func TestJourneyKioskSetUpLogOutLogInAndTakeTheKeyOut(t *testing.T) {
	key := newVirtualKey(t, virtualkey.Succeed())
	srv := startKiosk(t, key, 0)
	ctx := newWebview(t)
	const email = "kiosk.patient@example.com"
	const pin = "7531"

	createAccount(t, ctx, srv.origin, email, "a long enough password")
	entries := historyLength(t, ctx)

	// The kiosk flag reaches the page: the config says so, and the footer has the staff link.
	if config := fetchJSON[map[string]any](t, ctx, "/api/config"); config["kiosk"] != true {
		t.Fatalf("GET /api/config should say kiosk: true, says %v", config)
	}
	waitFor(t, ctx, `[...document.querySelectorAll("footer a")].some(a => a.textContent.trim() === "Staff: close the app")`,
		"the footer should have the staff link in kiosk mode")

	// Set up a passkey: the advice is in kiosk terms, and this computer is never offered.
	click(t, ctx, "Passkeys")
	page(t, ctx, "Passkeys")
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	if body := text(t, ctx, "main"); !containsAll(body,
		"This is a shared computer, so your passkey cannot be saved on it.",
		"Only save a passkey on a security key, phone or tablet that belongs to you.") ||
		strings.Contains(body, "This device") {
		t.Errorf("the set-up page should give the advice for a shared computer; it says:\n%s", body)
	}
	click(t, ctx, "Continue")
	page(t, ctx, "Where do you want to save your passkey?")
	if labels := radioLabels(t, ctx); len(labels) != 1 || labels[0] != "Virtual security key (for testing)" {
		t.Errorf("kiosk mode should offer only portable authenticators (here the virtual key), offers %q", labels)
	}
	if hint := text(t, ctx, "#authenticator-hint"); !strings.Contains(hint, "This is a shared computer") {
		t.Errorf("where the person chooses, the hint should say this is a shared computer; it says %q", hint)
	}
	choose(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Continue")
	page(t, ctx, "Create a PIN for your security key")
	fillIn(t, ctx, "New PIN", pin)
	fillIn(t, ctx, "Enter the new PIN again", pin)
	click(t, ctx, "Continue")
	page(t, ctx, "Passkeys")
	banner(t, ctx, "Passkey set up")
	backToSettings(t, ctx)

	// Log out: a full load of the start page, which says so; the address keeps nothing.
	markPage(t, ctx)
	click(t, ctx, "Log out")
	reloaded(t, ctx, "logging out should load the page again, so nothing of the visit stays in memory")
	page(t, ctx, "Manage passkeys for your NHS login")
	banner(t, ctx, "You have logged out")
	if a := address(t, ctx); a != "/" {
		t.Errorf("after logging out the address should be /, is %q", a)
	}
	if n := historyLength(t, ctx); n != entries {
		t.Errorf("history grew from %d to %d entries: kiosk mode should leave Back nothing to go back to", entries, n)
	}
	if signedIn(t, ctx) {
		t.Fatal("still signed in after logging out")
	}

	// Log in: no email is offered; log in with the passkey on the key.
	click(t, ctx, "Log in")
	page(t, ctx, "Log in")
	if v := fieldValue(t, ctx, "Email address"); v != "" {
		t.Errorf("the email field should be empty after the last visit, holds %q", v)
	}
	fillIn(t, ctx, "Email address", email)
	click(t, ctx, "Continue")
	page(t, ctx, "Which security key has your passkey?")
	choose(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Continue")
	page(t, ctx, "Enter your security key PIN")
	fillIn(t, ctx, "Enter your security key PIN", pin)
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
	if !signedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the passkey")
	}

	// Take the key out at once: the shell ends the session, and the page goes back to the
	// start.
	markPage(t, ctx)
	key.Unplug()
	reloaded(t, ctx, "taking the key out should end the visit with a new load of the page")
	page(t, ctx, "Manage passkeys for your NHS login")
	importantBanner(t, ctx, "We logged you out because your security key was taken out of this computer.")
	if a := address(t, ctx); a != "/" {
		t.Errorf("after the key was taken out the address should be /, is %q", a)
	}
	if signedIn(t, ctx) {
		t.Fatal("the session should have ended when the key was taken out")
	}
	if n := historyLength(t, ctx); n != entries {
		t.Errorf("history grew from %d to %d entries across the visits", entries, n)
	}
	click(t, ctx, "Log in")
	page(t, ctx, "Log in")
	if v := fieldValue(t, ctx, "Email address"); v != "" {
		t.Errorf("the email field should be empty after the key was taken out, holds %q", v)
	}
}

// The idle timeout, with a short test value: the warning counts down, then the visit ends at
// the start page saying why; and staff (only they) close the app with the administrator secret.
func TestJourneyKioskIdleTimeoutThenStaffCloseTheApp(t *testing.T) {
	srv := startKiosk(t, newVirtualKey(t, virtualkey.Succeed()), 40*time.Second)
	ctx := newWebview(t)

	createAccount(t, ctx, srv.origin, "kiosk.idle@example.com", "a long enough password")
	entries := historyLength(t, ctx)
	markPage(t, ctx)
	waitLong(t, ctx, `(() => { const d = document.querySelector("dialog.app-timeout-dialog"); return !!d && d.open })()`,
		"the warning should open before the idle timeout ends the session", 35*time.Second)
	reloaded(t, ctx, "the idle timeout should end the visit with a new load of the page")
	page(t, ctx, "Manage passkeys for your NHS login")
	importantBanner(t, ctx, "We logged you out because you had not done anything for 40 seconds.")
	if a := address(t, ctx); a != "/" {
		t.Errorf("after the timeout the address should be /, is %q", a)
	}
	if n := historyLength(t, ctx); n != entries {
		t.Errorf("history grew from %d to %d entries", entries, n)
	}
	if signedIn(t, ctx) {
		t.Fatal("the session should have ended on the server")
	}

	// Staff: close the app. An empty secret, a wrong one, then the right one.
	expectStatus(t, ctx, "POST /api/device/kiosk/exit", http.StatusUnprocessableEntity) // nothing entered
	expectStatus(t, ctx, "POST /api/device/kiosk/exit", http.StatusForbidden)           // the wrong secret
	click(t, ctx, "Staff: close the app")
	page(t, ctx, "Close the app")
	click(t, ctx, "Close the app")
	errorSummaryFocused(t, ctx, "Enter the administrator secret")
	if title := get(t, ctx, chromedp.Title()); !strings.HasPrefix(title, "Error: Close the app") {
		t.Errorf("page title after an error = %q", title)
	}
	if inline := strings.Join(strings.Fields(text(t, ctx, "#secret-error")), " "); inline != "Error: Enter the administrator secret" {
		t.Errorf("the inline message says %q", inline)
	}
	fillIn(t, ctx, "Administrator secret", "a patient's guess")
	click(t, ctx, "Close the app")
	errorSummaryFocused(t, ctx, "The administrator secret is not correct. Check it and try again.")
	if v := fieldValue(t, ctx, "Administrator secret"); v != "" {
		t.Errorf("the secret field should be emptied after a try, holds %q", v)
	}
	select {
	case <-srv.quit:
		t.Fatal("a wrong secret closed the app")
	default:
	}
	fillIn(t, ctx, "Administrator secret", kioskAdminSecret)
	click(t, ctx, "Close the app")
	page(t, ctx, "The app is closing")
	select {
	case <-srv.quit:
	case <-time.After(5 * time.Second):
		t.Fatal("the right secret should close the app")
	}
}

// A tester reaches "your security key was taken out" from the test tools: Take the key out
// while logged in ends the visit as taking out a real key does.
func TestJourneyKioskTesterTakesTheKeyOutFromTheTestTools(t *testing.T) {
	key := newVirtualKey(t, virtualkey.Succeed())
	srv := startKiosk(t, key, 0)
	ctx := newWebview(t)

	createAccount(t, ctx, srv.origin, "kiosk.tester@example.com", "a long enough password")
	click(t, ctx, "Test tools (virtual security key)")
	page(t, ctx, "Test tools for the virtual security key")
	markPage(t, ctx)
	must(t, ctx, chromedp.Click("", byRoleAndName("button", "Take the key out"), chromedp.NodeVisible))
	reloaded(t, ctx, "taking the key out from the test tools should end the visit")
	page(t, ctx, "Manage passkeys for your NHS login")
	importantBanner(t, ctx, "We logged you out because your security key was taken out of this computer.")
	if signedIn(t, ctx) {
		t.Fatal("the session should have ended when the key was taken out")
	}
	if key.Plugged() {
		t.Fatal("the virtual key should still be out")
	}
}
