//go:build e2e

// What the browser saw go wrong, in every browser test: harness.StartChromium (e2e/harness)
// watches each page for
//
//   - an answer of 400 or more to any request (an API call, a file, a page),
//   - a request that failed (the network, CSP, CORS),
//   - console.error, an uncaught exception, and any other error Chromium logs (a CSP refusal),
//
// and the test fails at its end on each one it did not say to expect. A patient never sees
// these, but each is a request that was known to fail or a fault nobody noticed (issue 15,
// "No flashes, no noise"). A test that provokes one on purpose says so first: a wrong
// password is a 401 (harness.ExpectStatus), a service that does not answer a failed request and the
// console error the page writes about it (harness.ExpectFailedRequest, harness.ExpectConsoleError).
package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/nhs-passkeys/companion/e2e/harness"
)

// The watch must catch what it watches for, or a clean result means nothing: each kind of
// problem is planted in a page, then said to be expected, which clears it.
func TestJourneyPageWatchCatchesWhatWentWrong(t *testing.T) {
	origin := harness.StartServe(t)
	ctx := harness.StartChromium(t)
	w := harness.WatchOf(t, ctx)
	harness.Open(t, ctx, origin+"/help")
	harness.Page(t, ctx, "Help with passkeys")
	if got := w.Unexpected(); len(got) > 0 {
		t.Fatalf("the help page has problems before anything is planted: %q", got)
	}

	// A 404, a request the page's Content-Security-Policy blocks (another origin), a console
	// error, an uncaught exception, a rejected promise nobody handles, and a request that gets
	// no answer (the network is down).
	harness.Get(t, ctx, chromedp.Evaluate[bool](`(() => {
		fetch("/api/no-such-thing");
		fetch("http://127.0.0.1:9/").catch(() => {});
		console.error("planted console error");
		setTimeout(() => { throw new Error("planted exception") });
		Promise.reject(new Error("planted rejection"));
		return true;
	})()`))
	harness.HoldRequest(t, ctx, "/api/planted", func() {
		harness.Get(t, ctx, chromedp.Evaluate[bool](`fetch("/api/planted").catch(() => {}), true`))
	}).Fail()
	want := []string{
		"GET /api/no-such-thing 404",
		"GET /api/planted failed: net::ERR_INTERNET_DISCONNECTED",
		"browser error: Connecting to 'http://127.0.0.1:9/' violates the following Content Security Policy directive",
		"console error: planted console error",
		"exception: Uncaught Error: planted exception",
		"exception: Uncaught (in promise) Error: planted rejection",
	}
	harness.WaitFor(t, ctx, `new Promise(r => setTimeout(() => r(true), 300))`, "the planted problems should have happened")
	got := w.Unexpected()
	for _, prefix := range want {
		if !slices.ContainsFunc(got, func(p string) bool { return strings.HasPrefix(p, prefix) }) {
			t.Errorf("the watch did not catch %q; it caught:\n  %s", prefix, strings.Join(got, "\n  "))
		}
	}

	harness.ExpectStatus(t, ctx, "GET /api/*", 404)
	harness.ExpectFailedRequest(t, ctx, "GET /api/planted")
	harness.ExpectConsoleError(t, ctx, "planted console error")
	w.Expect(harness.ExpectedProblem{Kind: harness.ProblemException, Text: "planted"})
	// Chromium's own reports of the blocked request.
	w.Expect(harness.ExpectedProblem{Kind: harness.ProblemBrowser, Text: "Content Security Policy"})
	if left := w.Unexpected(); len(left) > 0 {
		t.Errorf("after saying they are expected, the watch still reports: %q", left)
	}
	// A wrong status or another path is not what was expected.
	for _, p := range []harness.PageProblem{
		{Kind: harness.ProblemStatus, Request: "GET /api/no-such-thing", Status: 500},
		{Kind: harness.ProblemStatus, Request: "POST /api/no-such-thing", Status: 404},
		{Kind: harness.ProblemStatus, Request: "GET /api/a/b", Status: 404},
	} {
		if slices.ContainsFunc(w.Expected, func(e harness.ExpectedProblem) bool { return e.Matches(p) }) {
			t.Errorf("%s should not match what the test expects", p)
		}
	}
}
