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
// (journey_browser_test.go); the desktop app's security key steps against its handler and the
// virtual security key (journey_device_test.go). Each test logs every page and state it
// checked, and fails if one it expects was not reached.
// Run with `make test` (or `make test-a11y`), or `go test -tags e2e -count=1 -run A11y -v .`
// after `npm ci && npm run build` in frontend/. README.md, "For accessibility testers".
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/css"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/nhs-passkeys/companion/app/virtualkey"
)

// axeTags are the rule sets run: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best
// practices (all content in landmarks, heading order, unique landmarks, ...), with no rule
// turned off.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// axePath is axe-core as the frontend pins it (package.json devDependencies).
const axePath = "frontend/node_modules/axe-core/axe.min.js"

// serviceName ends every page title (frontend/src/layout.ts).
const serviceName = "NHS login passkeys"

// audit runs every check on the page in front of it and remembers what it checked.
type audit struct {
	t         *testing.T
	ctx       context.Context
	axeSource string
	scanned   []scan
}

type scan struct {
	State string `json:"-"`
	Path  string `json:"path"`
	Title string `json:"title"`
	H1    string `json:"h1"`
}

// newAudit asks the page for reduced motion for the rest of the session, as a person who
// has turned animations off in their device's settings would.
func newAudit(t *testing.T, ctx context.Context) *audit {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	}); err != nil {
		t.Fatalf("emulate prefers-reduced-motion: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(repoRoot, axePath))
	if err != nil {
		t.Fatalf("axe-core is not installed: run `npm ci` in frontend/ (%v)", err)
	}
	return &audit{t: t, ctx: ctx, axeSource: string(src)}
}

// check runs every check on the page as it is now, naming it state in the log.
func (a *audit) check(state string) {
	t := a.t
	t.Helper()
	page := a.page()
	page.State = state

	var problems []string
	problems = append(problems, a.axe()...)
	problems = append(problems, a.font()...)
	problems = append(problems, a.screenReader(page)...)
	problems = append(problems, a.reflow()...)
	problems = append(problems, a.motion()...)
	if want := page.H1 + " – " + serviceName; page.H1 == "" || (page.Title != want && page.Title != "Error: "+want) {
		problems = append(problems, fmt.Sprintf("title %q should be the h1 and the service name (with \"Error: \" first when there are errors)", page.Title))
	}
	if len(problems) > 0 {
		t.Errorf("%s (%s, %q): %d accessibility problems:\n  %s", state, page.Path, page.Title, len(problems), strings.Join(problems, "\n  "))
	}
	a.scanned = append(a.scanned, page)
	t.Logf("checked %-58s %-26s %q", state, page.Path, page.Title)
}

// page is the address, title and h1 of the page in front of the audit.
func (a *audit) page() scan {
	a.t.Helper()
	return get(a.t, a.ctx, chromedp.Evaluate[scan](`({path: location.pathname, title: document.title,
		h1: ((document.querySelector("main h1") || {}).textContent || "").replace(/\s+/g, " ").trim()})`))
}

// requireAll fails the test if a state it expects was not checked, and checks that different
// pages never share a title.
func (a *audit) requireAll(want []string) {
	t := a.t
	t.Helper()
	var got []string
	for _, s := range a.scanned {
		got = append(got, s.State)
	}
	var missing []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	if len(got) < len(want) || len(missing) > 0 {
		t.Errorf("checked %d pages and states, expected %d; not reached: %q", len(got), len(want), missing)
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("checked %q, which is not in the test's list of expected states: add it", g)
		}
	}
	// Every page has a title of its own: a title seen at two addresses means two pages share
	// it. (One address can have several titles: the steps of a page each have their own h1.)
	byTitle := map[string]scan{}
	for _, s := range a.scanned {
		title := strings.TrimPrefix(s.Title, "Error: ")
		if other, ok := byTitle[title]; ok && other.Path != s.Path {
			t.Errorf("%q (%s) and %q (%s) share the title %q", other.State, other.Path, s.State, s.Path, title)
		}
		byTitle[title] = s
	}
	t.Logf("%d pages and states checked, %d different page titles", len(a.scanned), len(byTitle))
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axe injects axe-core into the document (once per document) and runs it.
func (a *audit) axe() []string {
	t := a.t
	t.Helper()
	if !get(t, a.ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`)) {
		get(t, a.ctx, chromedp.Evaluate[bool](a.axeSource+";\ntypeof window.axe === \"object\""))
	}
	tags, _ := json.Marshal(axeTags)
	violations := get(t, a.ctx, chromedp.Evaluate[[]axeViolation](fmt.Sprintf(`axe.run(document, {
		runOnly: {type: "tag", values: %s}, resultTypes: ["violations"]
	}).then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
		nodes: v.nodes.map(n => n.target.join(" ") + ": " + (n.failureSummary || "").replace(/\s+/g, " "))})))`, tags),
		chromedp.EvalAwaitPromise))
	var problems []string
	for _, v := range violations {
		problems = append(problems, fmt.Sprintf("axe %s (%s): %s\n    %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n    ")))
	}
	return problems
}

// screenReader checks what Chromium gives assistive technology: the page's name is its title,
// there is one level 1 heading (the h1), one banner, main and contentinfo landmark, every
// control has a name, and status messages are polite live regions.
func (a *audit) screenReader(page scan) []string {
	t := a.t
	t.Helper()
	tree, err := chromedp.Call(a.ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		t.Fatalf("read the accessibility tree: %v", err)
	}
	var problems []string
	var h1s []string
	landmarks := map[string]int{}
	for _, n := range tree.Nodes {
		if n.Ignored {
			continue
		}
		role, name := axText(n.Role), strings.Join(strings.Fields(axText(n.Name)), " ")
		switch role {
		case "RootWebArea":
			if name != page.Title {
				problems = append(problems, fmt.Sprintf("the document is named %q, not its title %q", name, page.Title))
			}
		case "heading":
			if axProperty(n, accessibility.PropertyNameLevel) == "1" {
				h1s = append(h1s, name)
			}
		case "banner", "main", "contentinfo":
			landmarks[role]++
		case "link", "button", "textbox", "radio", "checkbox", "combobox", "DisclosureTriangle":
			if name == "" {
				problems = append(problems, fmt.Sprintf("a %s has no name (DOM node %d)", role, n.BackendDOMNodeID))
			}
		case "status":
			if live := axProperty(n, accessibility.PropertyNameLive); live != "polite" {
				problems = append(problems, fmt.Sprintf("a status region is aria-live %q, not polite", live))
			}
		}
	}
	if len(h1s) != 1 || h1s[0] != page.H1 {
		problems = append(problems, fmt.Sprintf("screen readers should find one level 1 heading, %q; they find %q", page.H1, h1s))
	}
	for _, l := range []string{"banner", "main", "contentinfo"} {
		if landmarks[l] != 1 {
			problems = append(problems, fmt.Sprintf("%d %s landmarks, want 1", landmarks[l], l))
		}
	}
	return problems
}

func axText(v *accessibility.Value) string {
	if v == nil || len(v.Value) == 0 {
		return ""
	}
	var x any
	if err := json.Unmarshal(v.Value, &x); err != nil {
		return string(v.Value)
	}
	return fmt.Sprint(x)
}

func axProperty(n *accessibility.Node, name accessibility.PropertyName) string {
	for _, p := range n.Properties {
		if p.Name == name {
			return axText(p.Value)
		}
	}
	return ""
}

// fontJS waits for the page's fonts, then gives its font stack and the app's own Arial faces
// (frontend/src/styles.scss: the real Arial where the machine has it, Arimo from the app's
// assets where it does not).
const fontJS = `document.fonts.ready.then(() => ({
	stack: getComputedStyle(document.body).fontFamily,
	faces: [...document.fonts].filter(f => f.family.replace(/["']/g, "").toLowerCase() === "arial")
		.map(f => ({weight: f.weight, style: f.style, status: f.status})),
}))`

// nhsFontStack is the design system's $nhsuk-font-family, as getComputedStyle gives it.
var nhsFontStack = []string{"frutiger w01", "arial", "sans-serif"}

// drawnIn are the fonts text may be drawn in: Frutiger, a real Arial, or the app's Arimo.
var drawnIn = []string{"frutiger w01", "arial", "arimo"}

// font checks the issue 15 rule: the page's text is in the design system's font stack, never
// a serif, and the app's own Arial faces (regular and bold) have loaded, so a machine without
// Arial looks like one with it. What Chromium actually drew the h1 and the first paragraphs
// in (CSS.getPlatformFontsForNode) must be one of drawnIn.
func (a *audit) font() []string {
	t := a.t
	t.Helper()
	type face struct{ Weight, Style, Status string }
	got := get(t, a.ctx, chromedp.Evaluate[struct {
		Stack string
		Faces []face
	}](fontJS, chromedp.EvalAwaitPromise))
	var problems []string
	var stack []string
	for _, f := range strings.Split(got.Stack, ",") {
		stack = append(stack, strings.ToLower(strings.Trim(strings.TrimSpace(f), `"'`)))
	}
	if !slices.Equal(stack, nhsFontStack) {
		problems = append(problems, fmt.Sprintf("the body's font stack is %q, not the design system's %q", got.Stack, strings.Join(nhsFontStack, ", ")))
	}
	for _, weight := range []string{"400", "700"} {
		i := slices.IndexFunc(got.Faces, func(f face) bool { return f.Weight == weight && f.Style == "normal" })
		switch {
		case i < 0:
			problems = append(problems, fmt.Sprintf("the app's Arial face of weight %s is missing (styles.scss)", weight))
		case got.Faces[i].Status != "loaded":
			problems = append(problems, fmt.Sprintf("the app's Arial face of weight %s did not load: %s", weight, got.Faces[i].Status))
		}
	}
	// Code (the test tools' PIN) is in the design system's monospace stack, on purpose.
	nodes := get(t, a.ctx, chromedp.Nodes(chromedp.CSSAll("main h1, main p:not(:has(code))")))
	for _, n := range nodes[:min(len(nodes), 4)] {
		used, err := chromedp.Call(a.ctx, css.GetPlatformFontsForNode, css.GetPlatformFontsForNodeParams{NodeID: n.NodeID})
		if err != nil {
			t.Fatalf("ask which fonts drew the page: %v", err)
		}
		for _, f := range used.Fonts {
			if !slices.Contains(drawnIn, strings.ToLower(f.FamilyName)) {
				problems = append(problems, fmt.Sprintf("%d characters of a <%s> are drawn in %s, not Arial or the app's Arimo", int(f.GlyphCount), strings.ToLower(n.NodeName), f.FamilyName))
			}
		}
	}
	return problems
}

// overflowJS lists what sticks out sideways once the new size has been laid out.
const overflowJS = `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))).then(() => {
	const width = document.documentElement.clientWidth;
	if (document.documentElement.scrollWidth <= width) return [];
	const wide = [...document.querySelectorAll("body *")]
		.filter(el => el.getBoundingClientRect().right > width + 1)
		.slice(0, 5)
		.map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : ""));
	return ["the page is " + document.documentElement.scrollWidth + " CSS px wide in a " + width + " px window: " + wide.join(", ")];
})`

// reflow checks WCAG 1.4.10 and 1.4.4: at 320 CSS px wide (a 1280 px window at 400%) and at
// 200% zoom (a 1280 by 900 window shows 640 by 450 CSS px, each 2 device pixels), nothing makes
// the page scroll sideways. The window goes back to 1280 by 900 afterwards.
func (a *audit) reflow() []string {
	t := a.t
	t.Helper()
	var problems []string
	for _, size := range []struct {
		what          string
		width, height int64
		scale         float64
	}{
		{"at 320 CSS px wide", 320, 256, 1},
		{"at 200% zoom", 640, 450, 2},
	} {
		must(t, a.ctx, chromedp.EmulateViewport(size.width, size.height, chromedp.EmulateScale(size.scale)))
		for _, p := range get(t, a.ctx, chromedp.Evaluate[[]string](overflowJS, chromedp.EvalAwaitPromise)) {
			problems = append(problems, size.what+": "+p)
		}
	}
	must(t, a.ctx, chromedp.EmulateViewport(1280, 900))
	return problems
}

// motionJS lists what moves: running animations, and any element (or ::before, ::after) with
// a CSS transition or animation that lasts, or smooth scrolling.
const motionJS = `(() => {
	if (!matchMedia("(prefers-reduced-motion: reduce)").matches) return ["the page does not see prefers-reduced-motion: reduce"];
	const name = el => el ? el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (typeof el.className === "string" && el.className ? "." + el.className.trim().split(/\s+/).join(".") : "") : "?";
	const lasts = list => list.split(",").some(d => parseFloat(d) > 0);
	const moving = document.getAnimations().map(an => "running: " + (an.animationName || an.transitionProperty || "animation") + " on " + name(an.effect && an.effect.target));
	for (const el of document.querySelectorAll("*")) {
		for (const pseudo of [null, "::before", "::after"]) {
			const s = getComputedStyle(el, pseudo);
			if (s.animationName !== "none" && lasts(s.animationDuration)) moving.push("animation " + s.animationName + " on " + name(el) + (pseudo || ""));
			if (s.transitionProperty !== "none" && lasts(s.transitionDuration)) moving.push("transition of " + s.transitionProperty + " on " + name(el) + (pseudo || ""));
		}
	}
	if (getComputedStyle(document.documentElement).scrollBehavior === "smooth") moving.push("smooth scrolling");
	return moving.slice(0, 10);
})()`

// motion checks WCAG 2.3.3 as the design system means it: with reduced motion asked for,
// nothing on the page animates or transitions.
func (a *audit) motion() []string {
	a.t.Helper()
	var problems []string
	for _, p := range get(a.t, a.ctx, chromedp.Evaluate[[]string](motionJS)) {
		problems = append(problems, "with reduced motion: "+p)
	}
	return problems
}

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
	origin := startServe(t)
	ctx, authID := newBrowser(t)
	a := newAudit(t, ctx)
	const email = "a11y.browser@example.com"
	const password = "a long enough password"

	open(t, ctx, origin+"/")
	page(t, ctx, "Manage passkeys for your NHS login")
	a.check("Start page")
	open(t, ctx, origin+"/not/a/page")
	page(t, ctx, "Page not found")
	a.check("Page not found")

	// The footer's links, then every page of the help guide through its contents list.
	click(t, ctx, "Accessibility statement")
	page(t, ctx, "Accessibility statement for NHS login passkeys")
	a.check("Accessibility statement")
	click(t, ctx, "Help")
	page(t, ctx, "Help with passkeys")
	a.check("Help: Help with passkeys")
	for _, topic := range []struct{ link, h1 string }{
		{"What is a passkey", "What is a passkey?"},
		{"What you need", "What you need to set up a passkey"},
		{"Set up a passkey", "How to set up a passkey"},
		{"Log in with a passkey", "How to log in with a passkey"},
		{"Remove a passkey", "How to remove a passkey"},
		{"If you lose your device", "If you lose your device"},
		{"If you get a new device", "If you get a new device"},
	} {
		click(t, ctx, topic.link)
		page(t, ctx, topic.h1)
		a.check("Help: " + topic.h1)
	}

	// Create an account: errors first.
	open(t, ctx, origin+"/create-account")
	page(t, ctx, "Create an account")
	a.check("Create an account")
	click(t, ctx, "Continue")
	errorSummaryFocused(t, ctx, "Enter an email address")
	a.check("Create an account: nothing entered")
	fillIn(t, ctx, "Email address", email)
	fillIn(t, ctx, "Create a password", password)
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
	a.check("Login and security settings: no passkeys")
	click(t, ctx, "Passkeys")
	page(t, ctx, "Passkeys")
	a.check("Passkeys: no passkeys")

	// Set up a passkey, holding the authenticator back to see the page while it waits.
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	a.check("Set up a passkey")
	held := holdRequest(t, ctx, "/api/passkeys/register/begin", func() { click(t, ctx, "Continue") })
	waitingStatus(t, ctx)
	a.check("Set up a passkey: waiting for the device")
	held.release()
	page(t, ctx, "Passkeys")
	if n := len(authenticatorCredentials(t, ctx, authID)); n != 1 {
		t.Fatalf("the authenticator holds %d passkeys, want 1", n)
	}
	a.check("Passkeys: passkey set up banner")
	open(t, ctx, origin+"/account/security")
	page(t, ctx, "Login and security settings")
	a.check("Login and security settings: with a passkey")
	follow(t, ctx, "link", "Passkeys", "/account/passkeys")
	a.check("Passkeys: with a passkey")

	// The account pages the settings lead to. Setting up the passkey used the one change a
	// login allows, so renaming asks the person to confirm it's them.
	follow(t, ctx, "link", "Rename "+listPasskeys(t, ctx)[0].Name, "/account/passkeys/rename")
	a.check("Rename your passkey")
	clearField(t, ctx, "New name")
	fillIn(t, ctx, "New name", "My laptop")
	expectStatus(t, ctx, "PATCH /api/passkeys/*", http.StatusForbidden) // reauth_required: the page asks
	click(t, ctx, "Save name")
	page(t, ctx, "Confirm it's you")
	a.check("Confirm it's you, before renaming a passkey")
	for _, link := range []struct{ name, href, state string }{
		{"Remove " + listPasskeys(t, ctx)[0].Name, "/account/passkeys/remove", "Remove a passkey: are you sure"},
		{"Change your password", "/account/password", "Change your password"},
		{"View recent activity", "/account/activity", "Recent activity"},
	} {
		open(t, ctx, origin+"/account/security")
		page(t, ctx, "Login and security settings")
		follow(t, ctx, "link", link.name, link.href)
		a.check(link.state)
	}
	open(t, ctx, origin+"/account/security")
	page(t, ctx, "Login and security settings")

	click(t, ctx, "Log out")
	page(t, ctx, "Manage passkeys for your NHS login")
	a.check("Start page: logged out banner")

	open(t, ctx, origin+"/create-account")
	page(t, ctx, "Create an account")
	fillIn(t, ctx, "Email address", email)
	fillIn(t, ctx, "Create a password", "another long password")
	expectStatus(t, ctx, "POST /api/accounts", http.StatusConflict)
	click(t, ctx, "Continue")
	errorSummaryFocused(t, ctx, "already uses this email address")
	a.check("Create an account: email address already used")

	// Log in with a passkey: the page, its help, a wrong email, and an email whose passkey
	// this device does not have (the browser says "not allowed", as when the person cancels).
	open(t, ctx, origin+"/login")
	page(t, ctx, "Log in")
	a.check("Log in")
	must(t, ctx, chromedp.Click(chromedp.Search(`//summary[normalize-space()="Problems logging in with a passkey"]`), chromedp.NodeVisible))
	waitFor(t, ctx, `document.querySelector("main details").open`, "the details should open")
	a.check("Log in: problems logging in opened")
	fillIn(t, ctx, "Email address", "not-an-email")
	click(t, ctx, "Continue")
	errorSummaryFocused(t, ctx, "Enter an email address in the correct format")
	a.check("Log in: email address in the wrong format")
	// The email step lists no passkeys (docs/api.md, "The email step"), so this browser
	// offers the passkey it holds, which is another account's: the page says so.
	clearField(t, ctx, "Email address")
	fillIn(t, ctx, "Email address", "nobody.here@example.com")
	expectStatus(t, ctx, "POST /api/login/passkey/finish", http.StatusUnauthorized)
	click(t, ctx, "Continue")
	errorSummaryFocused(t, ctx, "This passkey is not for the email address you entered")
	a.check("Log in: a passkey for another email address")

	// Log in with a password: nothing entered, a wrong password, then too many tries (the
	// 5th failure for an email locks it: docs/api.md, "Lockouts").
	click(t, ctx, "Log in with your password instead")
	page(t, ctx, "Log in with your password")
	a.check("Log in with your password")
	clearField(t, ctx, "Email address")
	click(t, ctx, "Log in")
	errorSummaryFocused(t, ctx, "Enter an email address")
	a.check("Log in with your password: nothing entered")
	const locked = "a11y.locked@example.com"
	expectStatus(t, ctx, "POST /api/login/password", http.StatusUnauthorized)
	expectStatus(t, ctx, "POST /api/login/password", http.StatusTooManyRequests)
	fillIn(t, ctx, "Email address", locked)
	for try := 1; try <= 5; try++ {
		fillIn(t, ctx, "Password", fmt.Sprintf("wrong password %d", try))
		click(t, ctx, "Log in")
		if try == 1 {
			errorSummaryFocused(t, ctx, "")
			a.check("Log in with your password: wrong password")
		}
		if try < 5 {
			waitFor(t, ctx, `!document.querySelector("main form button[type=submit]").disabled && document.querySelector("#password").value === ""`,
				"the form should be ready for another try")
		}
	}
	errorSummaryFocused(t, ctx, "Logging in with your password is paused until")
	a.check("Log in with your password: too many tries")

	// Log in with the passkey, looking at the page while it waits.
	open(t, ctx, origin+"/login")
	page(t, ctx, "Log in")
	fillIn(t, ctx, "Email address", email)
	held = holdRequest(t, ctx, "/api/login/passkey/begin", func() { click(t, ctx, "Continue") })
	waitingStatus(t, ctx)
	a.check("Log in: waiting for the device")
	held.release()
	page(t, ctx, "Login and security settings")

	// The service does not answer: the request fails, and the page logs why before it says so.
	expectFailedRequest(t, ctx, "GET /api/session")
	expectConsoleError(t, ctx, "Sorry, we could not connect to the service")
	held = holdRequest(t, ctx, "/api/session", func() { open(t, ctx, origin+"/account/security") })
	held.fail()
	page(t, ctx, "Sorry, there is a problem with the service")
	a.check("Sorry, there is a problem with the service")

	// A failure: setting up a second passkey on the device that already has one.
	click(t, ctx, "Go to the start page")
	page(t, ctx, "Login and security settings")
	click(t, ctx, "Log out")
	page(t, ctx, "Manage passkeys for your NHS login")
	open(t, ctx, origin+"/login/password")
	page(t, ctx, "Log in with your password")
	fillIn(t, ctx, "Email address", email)
	fillIn(t, ctx, "Password", password)
	click(t, ctx, "Log in")
	page(t, ctx, "Login and security settings")
	click(t, ctx, "Passkeys")
	page(t, ctx, "Passkeys")
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	a.check("Set up a passkey: with a passkey already")
	click(t, ctx, "Continue")
	errorSummaryFocused(t, ctx, "This device already has a passkey for your NHS login")
	a.check("Set up a passkey: failed, already on this device")

	a.requireAll(browserStates)
}

// follow activates the link (or button) with that role and accessible name, as a person would,
// and waits for the page it leads to (at path, if given): its h1 is there and has focus (or
// its banner or error summary).
func follow(t *testing.T, ctx context.Context, role, name, path string) {
	t.Helper()
	before := get(t, ctx, chromedp.Evaluate[string](`location.pathname`))
	must(t, ctx, chromedp.Click("", byRoleAndName(role, name), chromedp.NodeVisible))
	arrived := fmt.Sprintf(`location.pathname !== %q`, before)
	if path != "" {
		arrived = fmt.Sprintf(`location.pathname === %q`, path)
	}
	waitFor(t, ctx, `(() => { const h = document.querySelector("main h1"), a = document.activeElement;
		return `+arrived+` && !!h && !!a && (a === h || a.matches(".nhsuk-notification-banner, .nhsuk-error-summary")) })()`,
		fmt.Sprintf("following the %s %q should lead to a page with its h1 focused", role, name))
}

// waitingStatus waits for the status message that says what to do while the device works.
func waitingStatus(t *testing.T, ctx context.Context) {
	t.Helper()
	waitFor(t, ctx, `(() => { const s = document.querySelector("main #passkey-status[role=status]");
		return !!s && s.textContent.includes("Follow the instructions on your device") })()`,
		"while the device works, the status should say what to do")
}

// errorSummaryFocused waits for the error summary to have focus (and to say want, if given).
func errorSummaryFocused(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	waitFor(t, ctx, fmt.Sprintf(`(() => { const a = document.activeElement;
		return !!a && a.classList.contains("nhsuk-error-summary") && a.textContent.includes(%q) })()`, want),
		fmt.Sprintf("the error summary should have focus and say %q", want))
}

// heldRequest is a request of the page's that the test holds back.
type heldRequest struct {
	t    *testing.T
	ctx  context.Context
	path string
	id   fetch.RequestID
}

// holdRequest runs trigger and holds the page's request to path (an API call it makes) until
// release or fail is called, so that the page can be checked while it waits.
func holdRequest(t *testing.T, ctx context.Context, path string, trigger func()) heldRequest {
	t.Helper()
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: "*" + path}},
	}); err != nil {
		t.Fatalf("intercept %s: %v", path, err)
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	events := chromedp.Events(wctx, fetch.RequestPaused)
	trigger()
	for ev, err := range events {
		if err != nil {
			t.Fatalf("waiting for the request to %s: %v", path, err)
		}
		return heldRequest{t: t, ctx: ctx, path: path, id: ev.RequestID}
	}
	t.Fatalf("the page made no request to %s", path)
	return heldRequest{}
}

// release lets the request go on to the server.
func (h heldRequest) release() {
	h.t.Helper()
	if _, err := chromedp.Call(h.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: h.id}); err != nil {
		h.t.Fatalf("let the request to %s go: %v", h.path, err)
	}
	h.stop()
}

// fail makes the request fail as if the network were down.
func (h heldRequest) fail() {
	h.t.Helper()
	if _, err := chromedp.Call(h.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: h.id, ErrorReason: network.ErrorReasonInternetDisconnected}); err != nil {
		h.t.Fatalf("fail the request to %s: %v", h.path, err)
	}
	h.stop()
}

func (h heldRequest) stop() {
	h.t.Helper()
	if _, err := chromedp.Call(h.ctx, fetch.Disable, cdp.Empty{}); err != nil {
		h.t.Fatalf("stop intercepting requests: %v", err)
	}
}

// The pages and states checked in a browser that cannot use passkeys, in order.
var noPasskeyBrowserStates = []string{
	"Browser without passkeys: Log in",
	"Browser without passkeys: Log in: Continue selected",
	"Browser without passkeys: Set up a passkey",
	"Browser without passkeys: Set up a passkey: Continue selected",
}

func TestA11yABrowserThatCannotUsePasskeys(t *testing.T) {
	origin := startServe(t)
	ctx := newWebview(t) // Chromium without WebAuthn, as an old browser
	a := newAudit(t, ctx)

	open(t, ctx, origin+"/login")
	page(t, ctx, "Log in")
	waitFor(t, ctx, `(document.querySelector("main .nhsuk-inset-text") || {}).textContent.includes("This browser cannot use passkeys")`,
		"the Log in page should say this browser cannot use passkeys")
	a.check("Browser without passkeys: Log in")
	click(t, ctx, "Continue")
	errorSummaryFocused(t, ctx, "This browser cannot use passkeys")
	a.check("Browser without passkeys: Log in: Continue selected")

	createAccount(t, ctx, origin, "a11y.oldbrowser@example.com", "a long enough password")
	click(t, ctx, "Passkeys")
	page(t, ctx, "Passkeys")
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	a.check("Browser without passkeys: Set up a passkey")
	click(t, ctx, "Continue")
	errorSummaryFocused(t, ctx, "This browser cannot set up passkeys")
	a.check("Browser without passkeys: Set up a passkey: Continue selected")

	a.requireAll(noPasskeyBrowserStates)
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
	key := newVirtualKey(t, virtualkey.WaitForTouch(time.Minute))
	srv := startDesktop(t, key)
	ctx := newWebview(t)
	a := newAudit(t, ctx)
	const email = "a11y.desktop@example.com"
	const password = "a long enough password"
	const pin = "24680"

	createAccount(t, ctx, srv.origin, email, password)
	click(t, ctx, "Passkeys")
	page(t, ctx, "Passkeys")
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	a.check("Desktop: Set up a passkey")
	click(t, ctx, "Continue")
	page(t, ctx, "Where do you want to save your passkey?")
	a.check("Desktop: choose a key to save the passkey on")
	click(t, ctx, "Continue")
	errorSummaryFocused(t, ctx, "Select where to save your passkey")
	a.check("Desktop: choose a key: nothing chosen")
	choose(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Continue")
	page(t, ctx, "Create a PIN for your security key")
	a.check("Desktop: create a PIN")
	click(t, ctx, "Continue")
	errorSummaryFocused(t, ctx, "Enter a new PIN")
	a.check("Desktop: create a PIN: nothing entered")
	fillIn(t, ctx, "New PIN", pin)
	fillIn(t, ctx, "Enter the new PIN again", "13579")
	click(t, ctx, "Continue")
	errorSummaryFocused(t, ctx, "The PINs you entered do not match")
	a.check("Desktop: create a PIN: PINs do not match")
	fillIn(t, ctx, "New PIN", pin)
	fillIn(t, ctx, "Enter the new PIN again", pin)
	click(t, ctx, "Continue")
	page(t, ctx, "Setting up your passkey")
	deviceStatus(t, ctx, "Touch your security key")
	a.check("Desktop: setting up, waiting for a touch")
	key.Touch()
	page(t, ctx, "Passkeys")
	a.check("Desktop: Passkeys: passkey set up banner")

	// The Security keys pages (desktop app only): the list, then the virtual key.
	backToSettings(t, ctx)
	follow(t, ctx, "link", "Security keys", "/security-keys")
	a.check("Desktop: Security keys")
	// The design system's hidden text is read with a pause before it: "key : Virtual".
	follow(t, ctx, "link", "Manage this security key : Virtual security key (for testing)", "")
	a.check("Desktop: Security keys: the virtual key")

	// The test tools (--virtual-key only, journey_tester_test.go), from the footer. The choice
	// saved is "Succeed", so the steps below meet the key as they expect.
	follow(t, ctx, "link", "Test tools (virtual security key)", "/test-tools")
	a.check("Desktop: Test tools")
	follow(t, ctx, "button", "Change what the key does next", "/test-tools/next")
	a.check("Desktop: Test tools: what the key does next")
	click(t, ctx, "Save")
	errorSummaryFocused(t, ctx, "Select what the virtual security key should do next")
	a.check("Desktop: Test tools: what the key does next: nothing chosen")
	choose(t, ctx, "Succeed")
	click(t, ctx, "Save")
	page(t, ctx, "Test tools for the virtual security key")
	banner(t, ctx, "Saved. Next, the virtual key will ask for its PIN, then succeed")
	a.check("Desktop: Test tools: choice saved")
	follow(t, ctx, "button", "Reset the virtual key", "/test-tools/reset")
	a.check("Desktop: Test tools: reset the virtual key?")
	click(t, ctx, "Cancel")
	page(t, ctx, "Test tools for the virtual security key")
	follow(t, ctx, "button", "Start again with a new account", "/test-tools/start-again")
	a.check("Desktop: Test tools: start again?")
	click(t, ctx, "Cancel")
	page(t, ctx, "Test tools for the virtual security key")
	if n := len(key.Credentials()); n != 1 {
		t.Fatalf("looking at the test tools changed the key: it holds %d passkeys", n)
	}

	open(t, ctx, srv.origin+"/account/security")
	page(t, ctx, "Login and security settings")

	// Log in: the key's steps, a wrong PIN, waiting for a touch, cancelling, and a key that
	// is not touched in time.
	click(t, ctx, "Log out")
	page(t, ctx, "Manage passkeys for your NHS login")
	click(t, ctx, "Log in")
	page(t, ctx, "Log in")
	a.check("Desktop: Log in")
	must(t, ctx, chromedp.Click(chromedp.Search(`//summary[normalize-space()="Problems logging in with a passkey"]`), chromedp.NodeVisible))
	waitFor(t, ctx, `document.querySelector("main details").open`, "the details should open")
	a.check("Desktop: Log in: problems logging in opened")
	fillIn(t, ctx, "Email address", email)
	click(t, ctx, "Continue")
	page(t, ctx, "Which security key has your passkey?")
	a.check("Desktop: choose the key that has the passkey")
	choose(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Continue")
	page(t, ctx, "Enter your security key PIN")
	a.check("Desktop: enter the PIN")
	click(t, ctx, "Continue")
	errorSummaryFocused(t, ctx, "Enter your security key PIN")
	a.check("Desktop: enter the PIN: nothing entered")
	fillIn(t, ctx, "Enter your security key PIN", "11111")
	click(t, ctx, "Continue")
	errorSummaryFocused(t, ctx, "The PIN is not correct. You have 7 tries left.")
	a.check("Desktop: enter the PIN: wrong PIN")
	fillIn(t, ctx, "Enter your security key PIN", pin)
	click(t, ctx, "Continue")
	page(t, ctx, "Logging in with your passkey")
	deviceStatus(t, ctx, "Touch your security key")
	a.check("Desktop: logging in, waiting for a touch")
	click(t, ctx, "Cancel")
	page(t, ctx, "Log in")
	waitFor(t, ctx, `(document.querySelector("main .nhsuk-inset-text") || {}).textContent.includes("You cancelled logging in with your passkey")`,
		"back on Log in, it should say the person cancelled")
	a.check("Desktop: Log in: cancelled")

	key.SetBehaviour(virtualkey.TimeOut())
	click(t, ctx, "Continue")
	page(t, ctx, "Which security key has your passkey?")
	choose(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Continue")
	page(t, ctx, "Enter your security key PIN")
	fillIn(t, ctx, "Enter your security key PIN", pin)
	click(t, ctx, "Continue")
	errorSummaryFocused(t, ctx, "did not respond in time")
	a.check("Desktop: Log in: the key did not respond in time")

	// Three wrong PINs in a row: the key wants to be plugged in again.
	click(t, ctx, "Continue")
	page(t, ctx, "Which security key has your passkey?")
	choose(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Continue")
	page(t, ctx, "Enter your security key PIN")
	for try := 1; try <= 3; try++ {
		fillIn(t, ctx, "Enter your security key PIN", fmt.Sprintf("0000%d", try))
		click(t, ctx, "Continue")
		if try < 3 {
			errorSummaryFocused(t, ctx, fmt.Sprintf("You have %d tries left.", 8-try))
		}
	}
	errorSummaryFocused(t, ctx, "The wrong PIN was entered too many times in a row")
	a.check("Desktop: Log in: wrong PIN too many times")
	if err := key.Replug(); err != nil {
		t.Fatal(err)
	}

	// An email whose passkey is not on this key.
	clearField(t, ctx, "Email address")
	fillIn(t, ctx, "Email address", "someone.else@example.com")
	click(t, ctx, "Continue")
	page(t, ctx, "Which security key has your passkey?")
	choose(t, ctx, "Virtual security key (for testing)")
	click(t, ctx, "Continue")
	page(t, ctx, "Enter your security key PIN")
	fillIn(t, ctx, "Enter your security key PIN", pin)
	click(t, ctx, "Continue")
	// The email step lists no passkeys, so the key offers the one it holds (another
	// account's) after a touch, and the app finds none for this email among them.
	deviceStatus(t, ctx, "Touch your security key")
	key.Touch()
	errorSummaryFocused(t, ctx, "There are no passkeys for your NHS login on this security key")
	a.check("Desktop: Log in: no passkey on this key")

	// The help that differs in the desktop app.
	for _, topic := range []struct{ path, h1 string }{
		{"/help/what-you-need", "What you need to set up a passkey"},
		{"/help/set-up", "How to set up a passkey"},
		{"/help/log-in", "How to log in with a passkey"},
		{"/help/remove", "How to remove a passkey"},
		{"/help/new-device", "If you get a new device"},
	} {
		open(t, ctx, srv.origin+topic.path)
		page(t, ctx, topic.h1)
		waitFor(t, ctx, `!document.body.innerText.includes("Scan the QR code")`, "the desktop app's help should not ask for a QR code")
		a.check("Desktop: Help: " + topic.h1)
	}

	// No security key at all: the app asks for one, and the person cancels. Without the virtual
	// key there are no test tools, which the page learns from the 404 of their endpoint.
	expectStatus(t, ctx, "GET /api/device/tester", http.StatusNotFound)
	bare := startDesktop(t, nil)
	createAccount(t, ctx, bare.origin, "a11y.nokey@example.com", password)
	click(t, ctx, "Passkeys")
	page(t, ctx, "Passkeys")
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	click(t, ctx, "Continue")
	page(t, ctx, "Insert your security key")
	deviceStatus(t, ctx, "Looking for your security key")
	a.check("Desktop, no key: insert your security key")
	click(t, ctx, "Cancel")
	page(t, ctx, "Set up a passkey")
	waitFor(t, ctx, `(document.querySelector("main .nhsuk-inset-text") || {}).textContent.includes("You cancelled setting up your passkey")`,
		"back on Set up a passkey, it should say the person cancelled")
	a.check("Desktop, no key: Set up a passkey: cancelled")

	a.requireAll(desktopStates)
}

// keyboard drives the page with key events only (Tab, Shift+Tab, Enter, Space and typing),
// as a person who uses no mouse would, and checks that focus can always be seen.
type keyboard struct {
	t   *testing.T
	ctx context.Context
}

func (k keyboard) press(key string, modifiers ...chromedp.Modifier) {
	k.t.Helper()
	must(k.t, k.ctx, chromedp.KeyEvent(key, chromedp.KeyModifiers(modifiers...)))
}

// typeText types into the focused field.
func (k keyboard) typeText(text string) {
	k.t.Helper()
	must(k.t, k.ctx, chromedp.KeyEvent(text))
}

// focusCheckJS says what is wrong with the focus, or "" when the focused element shows it can
// be seen (the design system draws it on the element, a radio's label or a summary's text)
// and is on the screen (WCAG 2.4.7 and 2.4.11).
const focusCheckJS = `(() => {
	const el = document.activeElement;
	if (!el || el === document.body) return "nothing has focus";
	if (!el.matches(":focus-visible")) return "the focus is not shown (:focus-visible does not match)";
	const shows = (node, pseudo) => {
		if (!node) return false;
		const s = getComputedStyle(node, pseudo);
		return s.boxShadow !== "none" || (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0 && s.outlineColor !== "rgba(0, 0, 0, 0)");
	};
	const label = el.labels && el.labels[0];
	if (!(shows(el) || shows(label, "::before") || shows(el.querySelector(".nhsuk-details__summary-text")))) return "no focus indicator can be seen";
	const box = (el.matches("input[type=radio], input[type=checkbox]") && label ? label : el).getBoundingClientRect();
	if (box.bottom <= 0 || box.top >= innerHeight) return "the focused element is off the screen";
	return "";
})()`

// headingFocusJS says what is wrong with how the h1 looks when the router has moved focus to
// it after a page change, or "". The h1 is not a control (tabindex="-1"), so it shows no box:
// no browser-default outline, no design system focus style (frontend/src/styles.scss).
const headingFocusJS = `(() => {
	const h = document.activeElement;
	if (!h || !h.matches("main h1")) return "the h1 does not have focus";
	if (!h.matches(":focus-visible")) return "the browser would not show this focus anyway (:focus-visible does not match): the check would mean nothing";
	const s = getComputedStyle(h);
	// An outline of style none is not drawn, whatever its width (outline: none leaves it "medium").
	if (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) return "the focused h1 has a box around it: outline " + s.outlineStyle + " " + s.outlineWidth;
	if (s.boxShadow !== "none") return "the focused h1 has a box around it: box-shadow " + s.boxShadow;
	return "";
})()`

// headingFocusShowsNoBox checks the h1 that has just been given focus by a page change the
// keyboard made (so the browser means to show it: :focus-visible).
func (k keyboard) headingFocusShowsNoBox(h1 string) {
	k.t.Helper()
	if problem := get(k.t, k.ctx, chromedp.Evaluate[string](headingFocusJS)); problem != "" {
		k.t.Errorf("on %q, after a page change: %s", h1, problem)
	}
}

// tabTo presses Tab (or Shift+Tab when back) until the focused element is the one match (a
// JavaScript expression about `el`) describes, checking the focus at every stop.
func (k keyboard) tabTo(what, match string, back bool) {
	k.t.Helper()
	var mods []chromedp.Modifier
	if back {
		mods = append(mods, chromedp.ModifierShift)
	}
	var stops []string
	for range 60 {
		k.press(kb.Tab, mods...)
		if get(k.t, k.ctx, chromedp.Evaluate[bool](`document.activeElement === document.body && !document.hasFocus()`)) {
			// Past the last (or first) element, focus goes to the browser's own controls; the
			// next Tab comes back to the page from the other end.
			stops = append(stops, "(the browser)")
			continue
		}
		if problem := get(k.t, k.ctx, chromedp.Evaluate[string](focusCheckJS)); problem != "" {
			k.t.Fatalf("tabbing to %s: at %s, %s", what, k.focused(), problem)
		}
		stops = append(stops, k.focused())
		if get(k.t, k.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(el => !!el && (%s))(document.activeElement)`, match))) {
			key := "Tab"
			if back {
				key = "Shift+Tab"
			}
			k.t.Logf("%s ×%d to %s", key, len(stops), stops[len(stops)-1])
			return
		}
	}
	k.t.Fatalf("tabbing did not reach %s; focus went to:\n  %s", what, strings.Join(stops, "\n  "))
}

func (k keyboard) focused() string {
	k.t.Helper()
	return get(k.t, k.ctx, chromedp.Evaluate[string](`(el => el ? el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " +
		JSON.stringify((el.getAttribute("aria-label") || el.textContent || el.value || "").replace(/\s+/g, " ").trim().slice(0, 60)) : "nothing")(document.activeElement)`))
}

// JavaScript matchers for tabTo.
func linkNamed(text string) string {
	return fmt.Sprintf(`el.matches("a") && el.textContent.replace(/\s+/g, " ").trim() === %q`, text)
}

func buttonNamed(text string) string {
	return fmt.Sprintf(`el.matches("button, [role=button]") && el.textContent.replace(/\s+/g, " ").trim() === %q`, text)
}

// fieldLabelled matches the form field whose label says text (its accessible name).
func fieldLabelled(text string) string {
	return fmt.Sprintf(`el.matches("input, select, textarea") && [...(el.labels || [])].some(l => l.textContent.replace(/\s+/g, " ").trim() === %q)`, text)
}

func TestA11yKeyboardOnlyCreateAccountSetUpPasskeyLogOutAndLogIn(t *testing.T) {
	origin := startServe(t)
	ctx, authID := newBrowser(t)
	k := keyboard{t, ctx}
	const email = "a11y.keyboard@example.com"
	const password = "typed with keys only"

	open(t, ctx, origin+"/")
	page(t, ctx, "Manage passkeys for your NHS login")

	// Focus starts on the h1; back up with Shift+Tab to the skip link, which moves focus to
	// the main content.
	k.tabTo("the skip link", linkNamed("Skip to main content"), true)
	k.press(kb.Enter)
	waitFor(t, ctx, `document.activeElement === document.querySelector("main#maincontent")`, "the skip link should move focus to <main>")

	k.tabTo("Create an account", buttonNamed("Create an account"), false)
	k.press(kb.Enter)
	page(t, ctx, "Create an account")
	k.headingFocusShowsNoBox("Create an account")
	k.tabTo("the email field", fieldLabelled("Email address"), false)
	k.typeText(email)
	k.tabTo("the password field", fieldLabelled("Create a password"), false)
	k.typeText(password)
	// Show the password and hide it again with Space, going back with Shift+Tab.
	k.tabTo("Continue", buttonNamed("Continue"), false)
	k.tabTo("Show (the password)", buttonNamed("Show"), true)
	k.press(" ")
	waitFor(t, ctx, `document.querySelector("#password").type === "text"`, "Space on Show should show the password")
	k.press(" ")
	waitFor(t, ctx, `document.querySelector("#password").type === "password"`, "Space on Hide should hide the password")
	k.tabTo("Continue", buttonNamed("Continue"), false)
	k.press(kb.Enter)
	page(t, ctx, "Login and security settings")

	// Set up a passkey, as the help article says (select Passkeys, select Set up a passkey):
	// Enter on a link, Space on a link styled as a button, then on a button.
	k.tabTo("Passkeys", linkNamed("Passkeys"), false)
	k.press(kb.Enter)
	page(t, ctx, "Passkeys")
	k.tabTo("Set up a passkey", buttonNamed("Set up a passkey"), false)
	k.press(" ")
	page(t, ctx, "Set up a passkey")
	k.tabTo("Continue", buttonNamed("Continue"), false)
	k.press(" ")
	page(t, ctx, "Passkeys")
	if n := len(authenticatorCredentials(t, ctx, authID)); n != 1 {
		t.Fatalf("after setting up a passkey with the keyboard the authenticator holds %d, want 1", n)
	}
	k.tabTo("the back link", linkNamed("Back to login and security settings"), true)
	k.press(kb.Enter)
	page(t, ctx, "Login and security settings")

	k.tabTo("Log out", buttonNamed("Log out"), false)
	k.press(kb.Enter)
	page(t, ctx, "Manage passkeys for your NHS login")
	if signedIn(t, ctx) {
		t.Fatal("still signed in after logging out with the keyboard")
	}

	// Log in with the passkey: Enter in the email field sends the form.
	k.tabTo("Log in", buttonNamed("Log in"), false)
	k.press(kb.Enter)
	page(t, ctx, "Log in")
	k.tabTo("the email field", fieldLabelled("Email address"), false)
	k.typeText(email)
	k.press(kb.Enter)
	page(t, ctx, "Login and security settings")
	if !signedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the passkey using the keyboard")
	}
}

func TestA11yKeyboardOnlyDesktopSetUpAndLogInWithASecurityKey(t *testing.T) {
	key := newVirtualKey(t, virtualkey.Succeed())
	srv := startDesktop(t, key)
	ctx := newWebview(t)
	k := keyboard{t, ctx}
	const email = "a11y.desktop.keyboard@example.com"
	const pin = "97531"

	open(t, ctx, srv.origin+"/create-account")
	page(t, ctx, "Create an account")
	k.tabTo("the email field", fieldLabelled("Email address"), false)
	k.typeText(email)
	k.tabTo("the password field", fieldLabelled("Create a password"), false)
	k.typeText("a long enough password")
	k.press(kb.Enter)
	page(t, ctx, "Login and security settings")

	// Set up a passkey on the virtual key: a radio chosen with Space, a new PIN typed twice.
	k.tabTo("Passkeys", linkNamed("Passkeys"), false)
	k.press(kb.Enter)
	page(t, ctx, "Passkeys")
	k.tabTo("Set up a passkey", buttonNamed("Set up a passkey"), false)
	k.press(kb.Enter)
	page(t, ctx, "Set up a passkey")
	k.tabTo("Continue", buttonNamed("Continue"), false)
	k.press(kb.Enter)
	page(t, ctx, "Where do you want to save your passkey?")
	k.tabTo("the virtual key", `el.matches("input[type=radio][value=virtual]")`, false)
	k.press(" ")
	waitFor(t, ctx, `document.querySelector("input[type=radio][value=virtual]").checked`, "Space should choose the radio")
	k.tabTo("Continue", buttonNamed("Continue"), false)
	k.press(kb.Enter)
	page(t, ctx, "Create a PIN for your security key")
	k.tabTo("the new PIN", fieldLabelled("New PIN"), false)
	k.typeText(pin)
	k.tabTo("the new PIN again", fieldLabelled("Enter the new PIN again"), false)
	k.typeText(pin)
	k.press(kb.Enter)
	page(t, ctx, "Passkeys")
	if n := len(key.Credentials()); n != 1 {
		t.Fatalf("after setting up a passkey with the keyboard the key holds %d, want 1", n)
	}
	k.tabTo("the back link", linkNamed("Back to login and security settings"), true)
	k.press(kb.Enter)
	page(t, ctx, "Login and security settings")

	k.tabTo("Log out", buttonNamed("Log out"), false)
	k.press(" ")
	page(t, ctx, "Manage passkeys for your NHS login")
	k.tabTo("Log in", buttonNamed("Log in"), false)
	k.press(kb.Enter)
	page(t, ctx, "Log in")
	k.tabTo("the email field", fieldLabelled("Email address"), false)
	k.typeText(email)
	k.press(kb.Enter)
	page(t, ctx, "Which security key has your passkey?")
	k.tabTo("the virtual key", `el.matches("input[type=radio][value=virtual]")`, false)
	k.press(" ")
	k.tabTo("Continue", buttonNamed("Continue"), false)
	k.press(" ")
	page(t, ctx, "Enter your security key PIN")
	// Focus is on the h1, which is the PIN field's label: one Tab reaches the field.
	k.tabTo("the PIN", fieldLabelled("Enter your security key PIN"), false)
	k.typeText(pin)
	k.press(kb.Enter)
	page(t, ctx, "Login and security settings")
	if !signedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the security key using the keyboard")
	}
}

func TestA11yKeyboardOnlyHelpFromTheFooter(t *testing.T) {
	origin := startServe(t)
	ctx := startChromium(t)
	k := keyboard{t, ctx}

	open(t, ctx, origin+"/login")
	page(t, ctx, "Log in")

	// The help on the Log in page: open it with Space, follow its link with Enter.
	k.tabTo("Problems logging in with a passkey", `el.matches("summary")`, false)
	k.press(" ")
	waitFor(t, ctx, `document.querySelector("main details").open`, "Space should open the details")
	k.tabTo("the help link in it", linkNamed("Get help with logging in with a passkey"), false)
	k.press(kb.Enter)
	page(t, ctx, "How to log in with a passkey")
	k.headingFocusShowsNoBox("How to log in with a passkey")

	// The footer's Help link, then through the guide with its contents list and its Next link.
	k.tabTo("Help in the footer", `el.matches("footer a") && el.textContent.trim() === "Help"`, false)
	k.press(kb.Enter)
	page(t, ctx, "Help with passkeys")
	k.tabTo("If you lose your device", linkNamed("If you lose your device"), false)
	k.press(kb.Enter)
	page(t, ctx, "If you lose your device")
	k.tabTo("Next page", `el.matches("a[rel=next]")`, false)
	k.press(kb.Enter)
	page(t, ctx, "If you get a new device")
	k.tabTo("Previous page", `el.matches("a[rel=prev]")`, false)
	k.press(kb.Enter)
	page(t, ctx, "If you lose your device")

	// The accessibility statement from the footer, then back up with Shift+Tab to the
	// header's link home.
	k.tabTo("Accessibility statement in the footer", `el.matches("footer a") && el.textContent.trim() === "Accessibility statement"`, false)
	k.press(kb.Enter)
	page(t, ctx, "Accessibility statement for NHS login passkeys")
	k.tabTo("the service name in the header", `el.matches("header a")`, true)
	k.press(kb.Enter)
	page(t, ctx, "Manage passkeys for your NHS login")
}

// The pages and states only kiosk mode has (issue #7; journey_kiosk_test.go walks them).
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
	srv := startKiosk(t, newVirtualKey(t, virtualkey.Succeed()), 0)
	ctx := newWebview(t)
	a := newAudit(t, ctx)

	createAccount(t, ctx, srv.origin, "a11y.kiosk@example.com", "a long enough password")
	click(t, ctx, "Passkeys")
	page(t, ctx, "Passkeys")
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	a.check("Kiosk: Set up a passkey on a shared computer")
	click(t, ctx, "Continue")
	page(t, ctx, "Where do you want to save your passkey?")
	a.check("Kiosk: choose a key to save the passkey on")
	click(t, ctx, "Cancel")
	page(t, ctx, "Set up a passkey")
	click(t, ctx, "Back")
	page(t, ctx, "Passkeys")
	backToSettings(t, ctx)
	click(t, ctx, "Log out")
	reloaded(t, ctx, "logging out should load the start page again")
	page(t, ctx, "Manage passkeys for your NHS login")
	banner(t, ctx, "You have logged out")
	a.check("Kiosk: start page: logged out banner")

	// How the other endings look (journey_kiosk_test.go reaches them for real).
	open(t, ctx, srv.origin+"/?ended=timed-out&idle=300")
	page(t, ctx, "Manage passkeys for your NHS login")
	importantBanner(t, ctx, "you had not done anything for 5 minutes")
	a.check("Kiosk: start page: timed out banner")
	open(t, ctx, srv.origin+"/?ended=key-removed")
	page(t, ctx, "Manage passkeys for your NHS login")
	importantBanner(t, ctx, "your security key was taken out of this computer")
	a.check("Kiosk: start page: key taken out banner")

	// The app has no links out; one is planted to see what kiosk mode does with it.
	get(t, ctx, chromedp.Evaluate[bool](`(() => { const a = document.createElement("a"); a.href = "https://www.nhs.uk/";
		a.textContent = "NHS website"; document.querySelector("main p").append(" ", a); return true })()`))
	click(t, ctx, "NHS website")
	page(t, ctx, "This link cannot be opened on this computer")
	if a := address(t, ctx); a != "/" {
		t.Errorf("a link out of the app should not change the address, which is %q", a)
	}
	a.check("Kiosk: a link out of the app")

	click(t, ctx, "Staff: close the app")
	page(t, ctx, "Close the app")
	a.check("Kiosk: Close the app")
	expectStatus(t, ctx, "POST /api/device/kiosk/exit", http.StatusUnprocessableEntity) // nothing entered
	expectStatus(t, ctx, "POST /api/device/kiosk/exit", http.StatusForbidden)           // the wrong secret
	click(t, ctx, "Close the app")
	errorSummaryFocused(t, ctx, "Enter the administrator secret")
	a.check("Kiosk: Close the app: nothing entered")
	fillIn(t, ctx, "Administrator secret", "not the secret")
	click(t, ctx, "Close the app")
	errorSummaryFocused(t, ctx, "The administrator secret is not correct")
	a.check("Kiosk: Close the app: wrong secret")
	fillIn(t, ctx, "Administrator secret", kioskAdminSecret)
	click(t, ctx, "Close the app")
	page(t, ctx, "The app is closing")
	a.check("Kiosk: The app is closing")

	a.requireAll(kioskStates)
}

// The checks above must catch what they look for, or a clean result means nothing: each is
// run on a page with a problem of its kind planted in it.
func TestA11yChecksFindPlantedProblems(t *testing.T) {
	origin := startServe(t)
	ctx := startChromium(t)
	a := newAudit(t, ctx)
	open(t, ctx, origin+"/help")
	page(t, ctx, "Help with passkeys")
	for _, check := range []struct {
		name, plant string
		run         func() []string
		want        string
	}{
		{"axe", `main.insertAdjacentHTML("beforeend", '<img src="/x.png"><a href="/help"></a>')`, a.axe, "axe image-alt"},
		// Style set through the CSSOM: the page's Content-Security-Policy ignores style attributes.
		{"axe contrast", `const p = main.appendChild(document.createElement("p")); p.textContent = "Pale text"; p.style.color = "#bbb"`, a.axe, "axe color-contrast"},
		{"screen reader", `main.insertAdjacentHTML("beforeend", '<h1>A second h1</h1>')`, func() []string { return a.screenReader(a.page()) }, "one level 1 heading"},
		{"reflow", `main.insertAdjacentHTML("beforeend", '<pre>` + strings.Repeat("x", 200) + `</pre>')`, a.reflow, "at 320 CSS px wide"},
		{"motion", `const p = main.appendChild(document.createElement("p")); p.textContent = "Fades"; p.style.transition = "opacity 1s"`, a.motion, "transition of opacity"},
		{"font", `main.querySelector("h1").style.fontFamily = "serif"`, a.font, "characters of a <h1> are drawn in"},
		{"font stack", `document.body.style.fontFamily = "Georgia, serif"`, a.font, "the body's font stack is"},
	} {
		open(t, ctx, origin+"/help")
		page(t, ctx, "Help with passkeys")
		if problems := check.run(); len(problems) > 0 {
			t.Fatalf("%s: the page has problems before anything is planted: %q", check.name, problems)
		}
		get(t, ctx, chromedp.Evaluate[bool](`(main => { `+check.plant+`; return true })(document.querySelector("main"))`))
		problems := check.run()
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, check.want) }) {
			t.Errorf("%s: the planted problem was not found (want %q), found %q", check.name, check.want, problems)
		}
	}

	// A link whose focus cannot be seen, right after the h1 that has focus.
	open(t, ctx, origin+"/help")
	page(t, ctx, "Help with passkeys")
	get(t, ctx, chromedp.Evaluate[bool](`(() => { const a = document.createElement("a"); a.href = "/help"; a.textContent = "Unseen";
		a.style.outline = "none"; a.style.boxShadow = "none"; document.querySelector("main h1").after(a); return true })()`))
	must(t, ctx, chromedp.KeyEvent(kb.Tab))
	if got := get(t, ctx, chromedp.Evaluate[string](focusCheckJS)); got != "no focus indicator can be seen" {
		t.Errorf("focus: a link with no focus style was not caught, the check says %q", got)
	}
}
