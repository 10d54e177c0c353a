package harness

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ErrorsShown waits for the page whose h1 is h1 to show exactly these errors in its error
// summary, with focus on the summary and "Error: " before the title (the NHS error pattern).
func ErrorsShown(t *testing.T, ctx context.Context, h1 string, want ...string) {
	t.Helper()
	wantJSON := "[" + strings.Join(quoteAll(want), ",") + "]"
	WaitFor(t, ctx, fmt.Sprintf(`(() => { const h = document.querySelector("main h1"); const s = document.activeElement;
		if (!h || h.textContent.trim() !== %q || !s || !s.classList.contains("nhsuk-error-summary")) return false;
		const items = [...s.querySelectorAll(".nhsuk-error-summary__list li")].map((li) => li.textContent.trim());
		return JSON.stringify(items) === JSON.stringify(%s) })()`, h1, wantJSON),
		fmt.Sprintf("the page %q should show the errors %q in a focused error summary", h1, want))
	if title := Get(t, ctx, chromedp.Title()); !strings.HasPrefix(title, "Error: "+h1) {
		t.Errorf("document.title = %q, want it to start with %q", title, "Error: "+h1)
	}
}

// Words is s with every run of white space made one space, as a screen reader reads it.
func Words(s string) string { return strings.Join(strings.Fields(s), " ") }

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// LiveRegionSays waits until the page's status region (role=status, aria-live=polite) says
// exactly want: what a screen reader announces while the person waits.
func LiveRegionSays(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	WaitFor(t, ctx, fmt.Sprintf(`(() => { const s = document.querySelector('main [role="status"][aria-live="polite"]');
		return !!s && s.textContent.trim() === %q })()`, want),
		fmt.Sprintf("the status region should say %q", want))
}

// BannerSays waits for the success banner with this heading and body text.
func BannerSays(t *testing.T, ctx context.Context, heading, body string) {
	t.Helper()
	WaitFor(t, ctx, fmt.Sprintf(`(() => { const b = document.querySelector("main .nhsuk-notification-banner--success");
		if (!b) return false;
		const h = b.querySelector(".nhsuk-notification-banner__heading");
		const p = b.querySelector(".nhsuk-notification-banner__content p");
		return !!h && h.textContent.trim() === %q && !!p && p.textContent.trim() === %q })()`, heading, body),
		fmt.Sprintf("the success banner should say %q: %q", heading, body))
}

// SummaryValue is the value of the first summary list row in <main> whose key is key.
func SummaryValue(t *testing.T, ctx context.Context, key string) string {
	t.Helper()
	return Get(t, ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
		const row = [...document.querySelectorAll("main .nhsuk-summary-list__row")]
			.find((r) => r.querySelector(".nhsuk-summary-list__key").textContent.trim() === %q);
		return row ? row.querySelector(".nhsuk-summary-list__value").innerText.trim() : "" })()`, key)))
}

// FieldHint is the hint a screen reader gives with the text box named label: its accessible
// description, without the error message.
func FieldHint(t *testing.T, ctx context.Context, label string) string {
	t.Helper()
	describedBy := Get(t, ctx, chromedp.AttributeValue("", "aria-describedby", fieldNamed(label))).Value
	for _, id := range strings.Fields(describedBy) {
		if strings.HasSuffix(id, "-hint") {
			return Get(t, ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.getElementById(%q).textContent.trim()`, id)))
		}
	}
	return ""
}

// LinkTexts are the texts of the links in <main>.
func LinkTexts(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return Get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("main a")].map((a) => a.textContent.trim())`))
}

// Reloaded waits for the full page load that ends a kiosk visit, to settle at the start page
// with its address put back to "/". (chromedp's Poll stops when the page it polls navigates,
// so this asks again after each load.)
func Reloaded(t *testing.T, ctx context.Context, what string) {
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

// HistoryLength is how many entries the tab's history has.
func HistoryLength(t *testing.T, ctx context.Context) int {
	t.Helper()
	return Get(t, ctx, chromedp.Evaluate[int](`history.length`))
}

// Address is the page's path, query and fragment.
func Address(t *testing.T, ctx context.Context) string {
	t.Helper()
	return Get(t, ctx, chromedp.Evaluate[string](`location.pathname + location.search + location.hash`))
}

// MarkPage leaves a value in the page's JavaScript memory, which only a full page load takes
// away (reloaded waits for it to be gone).
func MarkPage(t *testing.T, ctx context.Context) {
	t.Helper()
	Get(t, ctx, chromedp.Evaluate[bool](`window.kioskTestMark = true`))
}

// ImportantBanner waits for the start page's important banner (role alert, focused) to say want.
func ImportantBanner(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	WaitFor(t, ctx, fmt.Sprintf(`(() => { const b = document.querySelector('main .nhsuk-notification-banner[role="alert"]');
		return !!b && !b.classList.contains("nhsuk-notification-banner--success") && b.textContent.includes(%q) &&
			document.activeElement === b })()`, want),
		fmt.Sprintf("the start page's focused banner should say %q", want))
}

// RadioLabels are the labels of the radios on the page, in order.
func RadioLabels(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return Get(t, ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("main label.nhsuk-radios__label")].map(l => l.textContent.trim())`))
}

// WaitLong is WaitFor with a longer wait: for the idle timeout, whose warning opens 20 seconds
// after the last request and lasts 20 seconds.
func WaitLong(t *testing.T, ctx context.Context, expr, what string, within time.Duration) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if _, err := chromedp.Run(wctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
		t.Fatalf("%s (within %s): %v", what, within, err)
	}
}

// ContainsAll says whether s contains every one of parts.
func ContainsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
