//go:build e2e

// What the browser saw go wrong, in every browser test: startChromium (journey_browser_test.go)
// watches each page for
//
//   - an answer of 400 or more to any request (an API call, a file, a page),
//   - a request that failed (the network, CSP, CORS),
//   - console.error, an uncaught exception, and any other error Chromium logs (a CSP refusal),
//
// and the test fails at its end on each one it did not say to expect. A patient never sees
// these, but each is a request that was known to fail or a fault nobody noticed (issue 15,
// "No flashes, no noise"). A test that provokes one on purpose says so first: a wrong
// password is a 401 (expectStatus), a service that does not answer a failed request and the
// console error the page writes about it (expectFailedRequest, expectConsoleError).
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// pageProblem is one thing that went wrong in the page.
type pageProblem struct {
	kind    problemKind
	request string // "GET /api/session": responses and failed requests
	status  int64  // responses
	text    string // what the console, the exception or Chromium said; the error of a failed request
}

type problemKind string

const (
	problemStatus    problemKind = "answered"       // a response with status >= 400
	problemFailed    problemKind = "failed request" // no response at all
	problemConsole   problemKind = "console error"  // console.error
	problemException problemKind = "exception"      // uncaught, in a script or a promise
	problemBrowser   problemKind = "browser error"  // an error Chromium logged itself (CSP, ...)
)

func (p pageProblem) String() string {
	switch p.kind {
	case problemStatus:
		return fmt.Sprintf("%s %d", p.request, p.status)
	case problemFailed:
		return fmt.Sprintf("%s failed: %s", p.request, p.text)
	default:
		return fmt.Sprintf("%s: %s", p.kind, p.text)
	}
}

// expectedProblem is what a test says its page will do on purpose. request is a method and a
// path pattern (path.Match: "*" is one path segment); text is part of a console message.
type expectedProblem struct {
	kind    problemKind
	request string
	status  int64
	text    string
}

func (e expectedProblem) matches(p pageProblem) bool {
	if e.kind != p.kind {
		return false
	}
	switch e.kind {
	case problemStatus:
		return e.status == p.status && requestMatches(e.request, p.request)
	case problemFailed:
		return requestMatches(e.request, p.request)
	default:
		return strings.Contains(p.text, e.text)
	}
}

func requestMatches(pattern, request string) bool {
	wantMethod, wantPath, _ := strings.Cut(pattern, " ")
	method, p, _ := strings.Cut(request, " ")
	ok, err := path.Match(wantPath, p)
	return method == wantMethod && err == nil && ok
}

// pageWatch collects the problems of one browser (every page it loads) for one test.
type pageWatch struct {
	mu       sync.Mutex
	requests map[network.RequestID]string // "GET /path", from requestWillBeSent
	seen     []pageProblem
	expected []expectedProblem
}

type pageWatchKey struct{}

// watchPage starts watching the browser of ctx and returns the context the test uses, which
// carries the watch (for the expect... helpers). At the test's end it fails the test on every
// problem it was not told to expect.
func watchPage(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	w := &pageWatch{requests: map[network.RequestID]string{}}
	// The listener runs on chromedp's reading goroutine: it only records, under the lock.
	if err := chromedp.Listen(ctx, w.record); err != nil {
		t.Fatalf("watch the page for errors: %v", err)
	}
	t.Cleanup(func() {
		if unexpected := w.unexpected(); len(unexpected) > 0 {
			t.Errorf("the page did %d things a test did not expect (a test that provokes one on purpose says so with expectStatus, expectFailedRequest or expectConsoleError):\n  %s",
				len(unexpected), strings.Join(unexpected, "\n  "))
		}
	})
	return context.WithValue(ctx, pageWatchKey{}, w)
}

func (w *pageWatch) record(ev any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		w.requests[ev.RequestID] = ev.Request.Method + " " + urlPath(ev.Request.URL)
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			w.seen = append(w.seen, pageProblem{kind: problemStatus, request: w.request(ev.RequestID, ev.Response.URL), status: ev.Response.Status})
		}
	case *network.EventLoadingFailed:
		// A request abandoned, not failed: the test loaded another page (which ends the
		// requests of the one before) or the page aborted it. Nothing was known to fail.
		if ev.Canceled && ev.BlockedReason == "" {
			return
		}
		reason := ev.ErrorText
		if ev.BlockedReason != "" {
			reason += " (blocked: " + string(ev.BlockedReason) + ")"
		}
		w.seen = append(w.seen, pageProblem{kind: problemFailed, request: w.request(ev.RequestID, ""), text: reason})
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			w.seen = append(w.seen, pageProblem{kind: problemConsole, text: consoleText(ev.Args)})
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + firstLine(d.Exception.Description) // an Error's description goes on with its stack
		}
		w.seen = append(w.seen, pageProblem{kind: problemException, text: text})
	case *cdplog.EventEntryAdded:
		// Chromium's own line for a failed request ("Failed to load resource: ... 404") is
		// the response or the failure above, with its method and path.
		if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source != cdplog.EntrySourceNetwork {
			w.seen = append(w.seen, pageProblem{kind: problemBrowser, text: ev.Entry.Text})
		}
	}
}

// request names a request by its method and path; the path alone if it was never seen sent.
func (w *pageWatch) request(id network.RequestID, fallbackURL string) string {
	if r, ok := w.requests[id]; ok {
		return r
	}
	return "? " + urlPath(fallbackURL)
}

func urlPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Path == "" {
		return raw
	}
	return u.Path
}

func consoleText(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		var s any
		if len(a.Value) > 0 && json.Unmarshal([]byte(a.Value), &s) == nil {
			parts = append(parts, fmt.Sprint(s))
		} else {
			parts = append(parts, firstLine(a.Description)) // an Error: its message, not its stack
		}
	}
	return strings.Join(parts, " ")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// unexpected lists the problems no expectation matches.
func (w *pageWatch) unexpected() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, p := range w.seen {
		if !slices.ContainsFunc(w.expected, func(e expectedProblem) bool { return e.matches(p) }) {
			out = append(out, p.String())
		}
	}
	return out
}

func (w *pageWatch) expect(e expectedProblem) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expected = append(w.expected, e)
}

func watchOf(t *testing.T, ctx context.Context) *pageWatch {
	t.Helper()
	w, ok := ctx.Value(pageWatchKey{}).(*pageWatch)
	if !ok {
		t.Fatal("this context has no page watch: use the one startChromium returns")
	}
	return w
}

// expectStatus says the test provokes answers with this status to request ("POST
// /api/login/password"; "*" matches one path segment), any number of times.
func expectStatus(t *testing.T, ctx context.Context, request string, status int64) {
	t.Helper()
	watchOf(t, ctx).expect(expectedProblem{kind: problemStatus, request: request, status: status})
}

// expectFailedRequest says the test makes request fail on purpose (no answer at all).
func expectFailedRequest(t *testing.T, ctx context.Context, request string) {
	t.Helper()
	watchOf(t, ctx).expect(expectedProblem{kind: problemFailed, request: request})
}

// expectConsoleError says the page writes a console error containing text, on purpose.
func expectConsoleError(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	watchOf(t, ctx).expect(expectedProblem{kind: problemConsole, text: text})
}

// The watch must catch what it watches for, or a clean result means nothing: each kind of
// problem is planted in a page, then said to be expected, which clears it.
func TestJourneyPageWatchCatchesWhatWentWrong(t *testing.T) {
	origin := startServe(t)
	ctx := startChromium(t)
	w := watchOf(t, ctx)
	open(t, ctx, origin+"/help")
	page(t, ctx, "Help with passkeys")
	if got := w.unexpected(); len(got) > 0 {
		t.Fatalf("the help page has problems before anything is planted: %q", got)
	}

	// A 404, a request the page's Content-Security-Policy blocks (another origin), a console
	// error, an uncaught exception, a rejected promise nobody handles, and a request that gets
	// no answer (the network is down).
	get(t, ctx, chromedp.Evaluate[bool](`(() => {
		fetch("/api/no-such-thing");
		fetch("http://127.0.0.1:9/").catch(() => {});
		console.error("planted console error");
		setTimeout(() => { throw new Error("planted exception") });
		Promise.reject(new Error("planted rejection"));
		return true;
	})()`))
	holdRequest(t, ctx, "/api/planted", func() {
		get(t, ctx, chromedp.Evaluate[bool](`fetch("/api/planted").catch(() => {}), true`))
	}).fail()
	want := []string{
		"GET /api/no-such-thing 404",
		"GET /api/planted failed: net::ERR_INTERNET_DISCONNECTED",
		"browser error: Connecting to 'http://127.0.0.1:9/' violates the following Content Security Policy directive",
		"console error: planted console error",
		"exception: Uncaught Error: planted exception",
		"exception: Uncaught (in promise) Error: planted rejection",
	}
	waitFor(t, ctx, `new Promise(r => setTimeout(() => r(true), 300))`, "the planted problems should have happened")
	got := w.unexpected()
	for _, prefix := range want {
		if !slices.ContainsFunc(got, func(p string) bool { return strings.HasPrefix(p, prefix) }) {
			t.Errorf("the watch did not catch %q; it caught:\n  %s", prefix, strings.Join(got, "\n  "))
		}
	}

	expectStatus(t, ctx, "GET /api/*", 404)
	expectFailedRequest(t, ctx, "GET /api/planted")
	expectConsoleError(t, ctx, "planted console error")
	w.expect(expectedProblem{kind: problemException, text: "planted"})
	// Chromium's own reports of the blocked request.
	w.expect(expectedProblem{kind: problemBrowser, text: "Content Security Policy"})
	if left := w.unexpected(); len(left) > 0 {
		t.Errorf("after saying they are expected, the watch still reports: %q", left)
	}
	// A wrong status or another path is not what was expected.
	for _, p := range []pageProblem{
		{kind: problemStatus, request: "GET /api/no-such-thing", status: 500},
		{kind: problemStatus, request: "POST /api/no-such-thing", status: 404},
		{kind: problemStatus, request: "GET /api/a/b", status: 404},
	} {
		if slices.ContainsFunc(w.expected, func(e expectedProblem) bool { return e.matches(p) }) {
			t.Errorf("%s should not match what the test expects", p)
		}
	}
}
