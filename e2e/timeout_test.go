//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The idle timeout warns first and can be put off from the keyboard (WCAG 2.2.1 Timing
// Adjustable): `serve --idle-timeout 40s`, the shortest allowed, so the warning opens after
// 20 seconds idle and gives the 20 seconds WCAG asks for.
func TestJourneyIdleTimeoutWarnsCanBeExtendedByKeyboardThenLogsOut(t *testing.T) {
	origin := startServe(t, "--idle-timeout", "40s")
	ctx, _ := newBrowser(t)
	a := newAudit(t, ctx)
	k := keyboard{t, ctx}

	open(t, ctx, origin+"/create-account")
	page(t, ctx, "Create an account")
	fillIn(t, ctx, "Email address", "idle.patient@example.com")
	fillIn(t, ctx, "Create a password", "correct horse battery")
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")

	// The warning: a modal dialog, its heading focused, the time left in the dialog's
	// description (read with the heading), and the polite live region kept for later changes.
	warning := func() {
		t.Helper()
		waitLong(t, ctx, `(() => { const d = document.querySelector("dialog.app-timeout-dialog"); return !!d && d.open &&
			document.activeElement === d.querySelector("h2") })()`, "the warning should open with focus on its heading", 35*time.Second)
		if said := get(t, ctx, chromedp.Evaluate[string](`(() => {
			const d = document.querySelector("dialog.app-timeout-dialog");
			const message = document.getElementById(d.getAttribute("aria-describedby")).cloneNode(true);
			message.querySelectorAll("[aria-hidden=true]").forEach((hidden) => hidden.remove());
			return message.textContent.replace(/\s+/g, " ").trim() + " | live: " + d.querySelector("[aria-live=polite]").textContent })()`)); said !=
			"For your security, we will log you out in 20 seconds. Anything you have not saved will be lost. | live: " {
			t.Errorf("the warning's description should say when the person will be logged out, and nothing be announced yet; it says %q", said)
		}
	}
	closed := func(what string) {
		t.Helper()
		waitFor(t, ctx, `!document.querySelector("dialog.app-timeout-dialog")`, what)
		waitFor(t, ctx, `document.activeElement && document.activeElement.textContent.trim() === "Login and security settings"`,
			"focus should go back where it was (the h1) when the warning closes")
	}

	warning()
	a.axeOnly("Idle timeout warning")
	k.tabTo("Stay logged in", buttonNamed("Stay logged in"), false)
	k.press(kb.Enter)
	closed("Enter on Stay logged in should close the warning")
	if !signedIn(t, ctx) {
		t.Fatal("Stay logged in should keep the person logged in")
	}

	// Escape means "I'm still here".
	warning()
	k.press(kb.Escape)
	closed("Escape should close the warning and keep the person logged in")
	if !signedIn(t, ctx) {
		t.Fatal("Escape should keep the person logged in")
	}

	// Nothing done: logged out, told why, and nothing of the session is left.
	warning()
	waitLong(t, ctx, `(() => { const h = document.querySelector("main h1"); return !!h && h.textContent.trim() === "You have been logged out" })()`,
		"the idle timeout should end the session at the end of the warning", 30*time.Second)
	page(t, ctx, "You have been logged out")
	if body := text(t, ctx, "main"); !containsAll(body,
		"We logged you out because you had not done anything for 40 seconds.",
		"Log in again") {
		t.Errorf("the logged-out page should say why and how to carry on; it says:\n%s", body)
	}
	a.check("Logged out after the idle timeout")
	if signedIn(t, ctx) {
		t.Fatal("the session should have ended on the server")
	}
}

// axeOnly runs axe-core and the reflow check on a modal state (a dialog over the page): the
// page's own landmark and title rules do not apply while the modal hides the page.
func (a *audit) axeOnly(state string) {
	a.t.Helper()
	problems := append(a.axe(), a.reflow()...)
	if len(problems) > 0 {
		a.t.Errorf("%s: %d accessibility problems:\n  %s", state, len(problems), strings.Join(problems, "\n  "))
	}
	a.t.Logf("checked %s (axe, reflow)", state)
}

// waitLong is waitFor with a longer wait: for the idle timeout, whose warning opens 20 seconds
// after the last request and lasts 20 seconds.
func waitLong(t *testing.T, ctx context.Context, expr, what string, within time.Duration) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if _, err := chromedp.Run(wctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Fatalf("%s (within %s): %v", what, within, err)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
