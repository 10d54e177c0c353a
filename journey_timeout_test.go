//go:build e2e

package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp/kb"
)

// The idle timeout warns first and can be put off from the keyboard (WCAG 2.2.1 Timing
// Adjustable): `serve --idle-timeout 20s`, so the warning opens after 10 seconds idle.
func TestJourneyIdleTimeoutWarnsCanBeExtendedByKeyboardThenLogsOut(t *testing.T) {
	origin := startServe(t, "--idle-timeout", "20s")
	ctx, _ := newBrowser(t)
	a := newAudit(t, ctx)
	k := keyboard{t, ctx}

	open(t, ctx, origin+"/create-account")
	page(t, ctx, "Create an account")
	fillIn(t, ctx, "Email address", "idle.patient@example.com")
	fillIn(t, ctx, "Create a password", "correct horse battery")
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")

	// The warning: a modal dialog, its heading focused, its words announced politely.
	warning := func() {
		t.Helper()
		waitFor(t, ctx, `(() => { const d = document.querySelector("dialog.app-timeout-dialog"); return !!d && d.open &&
			document.activeElement === d.querySelector("h2") })()`, "the warning should open with focus on its heading")
		waitFor(t, ctx, `document.querySelector("dialog [aria-live=polite]").textContent.startsWith("For your security, we will log you out in ")`,
			"the warning's live region should say when the person will be logged out")
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
	page(t, ctx, "You have been logged out")
	if body := text(t, ctx, "main"); !containsAll(body,
		"We logged you out because you had not done anything for 20 seconds.",
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

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
