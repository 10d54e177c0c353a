//go:build e2e

package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/nhs-passkeys/companion/e2e/harness"
)

// The idle timeout warns first and can be put off from the keyboard (WCAG 2.2.1 Timing
// Adjustable): `serve --idle-timeout 40s`, the shortest allowed, so the warning opens after
// 20 seconds idle and gives the 20 seconds WCAG asks for.
func TestJourneyIdleTimeoutWarnsCanBeExtendedByKeyboardThenLogsOut(t *testing.T) {
	origin := harness.StartServe(t, "--idle-timeout", "40s")
	ctx, _ := harness.NewBrowser(t)
	a := harness.NewAudit(t, ctx)
	k := harness.NewKeyboard(t, ctx)

	harness.CreateAccountInBrowser(t, ctx, origin, "idle.patient@example.com", "correct horse battery")

	// The warning: a modal dialog, its heading focused, the time left in the dialog's
	// description (read with the heading), and the polite live region kept for later changes.
	warning := func() {
		t.Helper()
		harness.WaitLong(t, ctx, `(() => { const d = document.querySelector("dialog.app-timeout-dialog"); return !!d && d.open &&
			document.activeElement === d.querySelector("h2") })()`, "the warning should open with focus on its heading", 35*time.Second)
		if said := harness.Get(t, ctx, chromedp.Evaluate[string](`(() => {
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
		harness.WaitFor(t, ctx, `!document.querySelector("dialog.app-timeout-dialog")`, what)
		harness.WaitFor(t, ctx, `document.activeElement && document.activeElement.textContent.trim() === "Login and security settings"`,
			"focus should go back where it was (the h1) when the warning closes")
	}

	warning()
	a.AxeOnly("Idle timeout warning")
	k.TabTo("Stay logged in", harness.ButtonNamed("Stay logged in"), false)
	k.Press(kb.Enter)
	closed("Enter on Stay logged in should close the warning")
	if !harness.SignedIn(t, ctx) {
		t.Fatal("Stay logged in should keep the person logged in")
	}

	// Escape means "I'm still here".
	warning()
	k.Press(kb.Escape)
	closed("Escape should close the warning and keep the person logged in")
	if !harness.SignedIn(t, ctx) {
		t.Fatal("Escape should keep the person logged in")
	}

	// Nothing done: logged out, told why, and nothing of the session is left.
	warning()
	harness.WaitLong(t, ctx, `(() => { const h = document.querySelector("main h1"); return !!h && h.textContent.trim() === "You have been logged out" })()`,
		"the idle timeout should end the session at the end of the warning", 30*time.Second)
	harness.Page(t, ctx, "You have been logged out")
	if body := harness.Text(t, ctx, "main"); !harness.ContainsAll(body,
		"We logged you out because you had not done anything for 40 seconds.",
		"Log in again") {
		t.Errorf("the logged-out page should say why and how to carry on; it says:\n%s", body)
	}
	a.Check("Logged out after the idle timeout")
	if harness.SignedIn(t, ctx) {
		t.Fatal("the session should have ended on the server")
	}
}
