package harness

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

// PageProblem is one thing that went wrong in the page.
type PageProblem struct {
	Kind    ProblemKind
	Request string // "GET /api/session": responses and failed requests
	Status  int64  // responses
	Text    string // what the console, the exception or Chromium said; the error of a failed request
}

// ProblemKind is the kind of thing that went wrong.
type ProblemKind string

const (
	ProblemStatus    ProblemKind = "answered"       // a response with status >= 400
	ProblemFailed    ProblemKind = "failed request" // no response at all
	ProblemConsole   ProblemKind = "console error"  // console.error
	ProblemException ProblemKind = "exception"      // uncaught, in a script or a promise
	ProblemBrowser   ProblemKind = "browser error"  // an error Chromium logged itself (CSP, ...)
)

// String says what went wrong, as a failed test reports it.
func (p PageProblem) String() string {
	switch p.Kind {
	case ProblemStatus:
		return fmt.Sprintf("%s %d", p.Request, p.Status)
	case ProblemFailed:
		return fmt.Sprintf("%s failed: %s", p.Request, p.Text)
	default:
		return fmt.Sprintf("%s: %s", p.Kind, p.Text)
	}
}

// ExpectedProblem is what a test says its page will do on purpose. Request is a method and a
// path pattern (path.Match: "*" is one path segment); Text is part of a console message.
type ExpectedProblem struct {
	Kind    ProblemKind
	Request string
	Status  int64
	Text    string
}

// Matches says whether p is the problem e expects.
func (e ExpectedProblem) Matches(p PageProblem) bool {
	if e.Kind != p.Kind {
		return false
	}
	switch e.Kind {
	case ProblemStatus:
		return e.Status == p.Status && requestMatches(e.Request, p.Request)
	case ProblemFailed:
		return requestMatches(e.Request, p.Request)
	default:
		return strings.Contains(p.Text, e.Text)
	}
}

func requestMatches(pattern, request string) bool {
	wantMethod, wantPath, _ := strings.Cut(pattern, " ")
	method, p, _ := strings.Cut(request, " ")
	ok, err := path.Match(wantPath, p)
	return method == wantMethod && err == nil && ok
}

// PageWatch collects the problems of one browser (every page it loads) for one test.
type PageWatch struct {
	mu       sync.Mutex
	requests map[network.RequestID]string // "GET /path", from requestWillBeSent
	seen     []PageProblem
	Expected []ExpectedProblem
}

type pageWatchKey struct{}

// watchPage starts watching the browser of ctx and returns the context the test uses, which
// carries the watch (for the expect... helpers). At the test's end it fails the test on every
// problem it was not told to expect.
func watchPage(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	w := &PageWatch{requests: map[network.RequestID]string{}}
	// The listener runs on chromedp's reading goroutine: it only records, under the lock.
	if err := chromedp.Listen(ctx, w.record); err != nil {
		t.Fatalf("watch the page for errors: %v", err)
	}
	t.Cleanup(func() {
		if unexpected := w.Unexpected(); len(unexpected) > 0 {
			t.Errorf("the page did %d things a test did not expect (a test that provokes one on purpose says so with expectStatus, expectFailedRequest or expectConsoleError):\n  %s",
				len(unexpected), strings.Join(unexpected, "\n  "))
		}
	})
	return context.WithValue(ctx, pageWatchKey{}, w)
}

func (w *PageWatch) record(ev any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		w.requests[ev.RequestID] = ev.Request.Method + " " + urlPath(ev.Request.URL)
	case *network.EventResponseReceived:
		if ev.Response.Status >= 400 {
			w.seen = append(w.seen, PageProblem{Kind: ProblemStatus, Request: w.request(ev.RequestID, ev.Response.URL), Status: ev.Response.Status})
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
		w.seen = append(w.seen, PageProblem{Kind: ProblemFailed, Request: w.request(ev.RequestID, ""), Text: reason})
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			w.seen = append(w.seen, PageProblem{Kind: ProblemConsole, Text: consoleText(ev.Args)})
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + firstLine(d.Exception.Description) // an Error's description goes on with its stack
		}
		w.seen = append(w.seen, PageProblem{Kind: ProblemException, Text: text})
	case *cdplog.EventEntryAdded:
		// Chromium's own line for a failed request ("Failed to load resource: ... 404") is
		// the response or the failure above, with its method and path.
		if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source != cdplog.EntrySourceNetwork {
			w.seen = append(w.seen, PageProblem{Kind: ProblemBrowser, Text: ev.Entry.Text})
		}
	}
}

// request names a request by its method and path; the path alone if it was never seen sent.
func (w *PageWatch) request(id network.RequestID, fallbackURL string) string {
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

// Unexpected lists the problems no expectation matches.
func (w *PageWatch) Unexpected() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, p := range w.seen {
		if !slices.ContainsFunc(w.Expected, func(e ExpectedProblem) bool { return e.Matches(p) }) {
			out = append(out, p.String())
		}
	}
	return out
}

// Expect says the page will have problem e on purpose: it is not counted against the test.
func (w *PageWatch) Expect(e ExpectedProblem) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.Expected = append(w.Expected, e)
}

// WatchOf is the page watch of the page in ctx (StartChromium starts one for every page).
func WatchOf(t *testing.T, ctx context.Context) *PageWatch {
	t.Helper()
	w, ok := ctx.Value(pageWatchKey{}).(*PageWatch)
	if !ok {
		t.Fatal("this context has no page watch: use the one startChromium returns")
	}
	return w
}

// ExpectStatus says the test provokes answers with this status to request ("POST
// /api/login/password"; "*" matches one path segment), any number of times.
func ExpectStatus(t *testing.T, ctx context.Context, request string, status int64) {
	t.Helper()
	WatchOf(t, ctx).Expect(ExpectedProblem{Kind: ProblemStatus, Request: request, Status: status})
}

// ExpectFailedRequest says the test makes request fail on purpose (no answer at all).
func ExpectFailedRequest(t *testing.T, ctx context.Context, request string) {
	t.Helper()
	WatchOf(t, ctx).Expect(ExpectedProblem{Kind: ProblemFailed, Request: request})
}

// ExpectConsoleError says the page writes a console error containing text, on purpose.
func ExpectConsoleError(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	WatchOf(t, ctx).Expect(ExpectedProblem{Kind: ProblemConsole, Text: text})
}
