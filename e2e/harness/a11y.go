package harness

import (
	"context"
	"encoding/json"
	"fmt"
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
)

// axeTags are the rule sets run: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best
// practices (all content in landmarks, heading order, unique landmarks, ...), with no rule
// turned off.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

// axePath is axe-core as the frontend pins it (package.json devDependencies).
const axePath = "frontend/node_modules/axe-core/axe.min.js"

// serviceName ends every page title (frontend/src/shell/layout.ts).
const serviceName = "NHS login passkeys"

// Audit runs every check on the page in front of it and remembers what it checked.
type Audit struct {
	t         *testing.T
	ctx       context.Context
	axeSource string
	scanned   []Scan
}

// Scan is one page as the audit checked it: the state it was in, its path, title and h1.
type Scan struct {
	State string `json:"-"`
	Path  string `json:"path"`
	Title string `json:"title"`
	H1    string `json:"h1"`
}

// NewAudit asks the page for reduced motion for the rest of the session, as a person who
// has turned animations off in their device's settings would.
func NewAudit(t *testing.T, ctx context.Context) *Audit {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
	}); err != nil {
		t.Fatalf("emulate prefers-reduced-motion: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(repoRoot(t), axePath))
	if err != nil {
		t.Fatalf("axe-core is not installed: run `npm ci` in frontend/ (%v)", err)
	}
	return &Audit{t: t, ctx: ctx, axeSource: string(src)}
}

// Check runs every check on the page as it is now, naming it state in the log.
func (a *Audit) Check(state string) {
	t := a.t
	t.Helper()
	page := a.Page()
	page.State = state

	var problems []string
	problems = append(problems, a.Axe()...)
	problems = append(problems, a.Font()...)
	problems = append(problems, a.ScreenReader(page)...)
	problems = append(problems, a.Reflow()...)
	problems = append(problems, a.Motion()...)
	if want := page.H1 + " – " + serviceName; page.H1 == "" || (page.Title != want && page.Title != "Error: "+want) {
		problems = append(problems, fmt.Sprintf("title %q should be the h1 and the service name (with \"Error: \" first when there are errors)", page.Title))
	}
	if len(problems) > 0 {
		t.Errorf("%s (%s, %q): %d accessibility problems:\n  %s", state, page.Path, page.Title, len(problems), strings.Join(problems, "\n  "))
	}
	a.scanned = append(a.scanned, page)
	t.Logf("checked %-58s %-26s %q", state, page.Path, page.Title)
}

// CheckRefusal selects button, waits for the error summary to take focus saying want, and
// checks the page as it is then, naming it state: each refusal is checked as the person
// meets it.
func (a *Audit) CheckRefusal(button, want, state string) {
	a.t.Helper()
	Click(a.t, a.ctx, button)
	ErrorSummaryFocused(a.t, a.ctx, want)
	a.Check(state)
}

// Page is the address, title and h1 of the page in front of the audit.
func (a *Audit) Page() Scan {
	a.t.Helper()
	return Get(a.t, a.ctx, chromedp.Evaluate[Scan](`({path: location.pathname, title: document.title,
		h1: ((document.querySelector("main h1") || {}).textContent || "").replace(/\s+/g, " ").trim()})`))
}

// RequireAll fails the test if a state it expects was not checked, and checks that different
// pages never share a title.
func (a *Audit) RequireAll(want []string) {
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
	byTitle := map[string]Scan{}
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

// Axe injects axe-core into the document (once per document) and runs it.
func (a *Audit) Axe() []string {
	t := a.t
	t.Helper()
	if !Get(t, a.ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`)) {
		Get(t, a.ctx, chromedp.Evaluate[bool](a.axeSource+";\ntypeof window.axe === \"object\""))
	}
	tags, _ := json.Marshal(axeTags)
	violations := Get(t, a.ctx, chromedp.Evaluate[[]axeViolation](fmt.Sprintf(`axe.run(document, {
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

// ScreenReader checks what Chromium gives assistive technology: the page's name is its title,
// there is one level 1 heading (the h1), one banner, main and contentinfo landmark, every
// control has a name, and status messages are polite live regions.
func (a *Audit) ScreenReader(page Scan) []string {
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

// Font checks the issue 15 rule: the page's text is in the design system's font stack, never
// a serif, and the app's own Arial faces (regular and bold) have loaded, so a machine without
// Arial looks like one with it. What Chromium actually drew the h1 and the first paragraphs
// in (CSS.getPlatformFontsForNode) must be one of drawnIn.
func (a *Audit) Font() []string {
	t := a.t
	t.Helper()
	type face struct{ Weight, Style, Status string }
	got := Get(t, a.ctx, chromedp.Evaluate[struct {
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
	nodes := Get(t, a.ctx, chromedp.Nodes(chromedp.CSSAll("main h1, main p:not(:has(code))")))
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

// Reflow checks WCAG 1.4.10 and 1.4.4: at 320 CSS px wide (a 1280 px window at 400%) and at
// 200% zoom (a 1280 by 900 window shows 640 by 450 CSS px, each 2 device pixels), nothing makes
// the page scroll sideways. The window goes back to 1280 by 900 afterwards.
func (a *Audit) Reflow() []string {
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
		Must(t, a.ctx, chromedp.EmulateViewport(size.width, size.height, chromedp.EmulateScale(size.scale)))
		for _, p := range Get(t, a.ctx, chromedp.Evaluate[[]string](overflowJS, chromedp.EvalAwaitPromise)) {
			problems = append(problems, size.what+": "+p)
		}
	}
	Must(t, a.ctx, chromedp.EmulateViewport(1280, 900))
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

// Motion checks WCAG 2.3.3 as the design system means it: with reduced motion asked for,
// nothing on the page animates or transitions.
func (a *Audit) Motion() []string {
	a.t.Helper()
	var problems []string
	for _, p := range Get(a.t, a.ctx, chromedp.Evaluate[[]string](motionJS)) {
		problems = append(problems, "with reduced motion: "+p)
	}
	return problems
}

// Follow activates the link (or button) with that role and accessible name, as a person would,
// and waits for the page it leads to (at path, if given): its h1 is there and has focus (or
// its banner or error summary).
func Follow(t *testing.T, ctx context.Context, role, name, path string) {
	t.Helper()
	before := Get(t, ctx, chromedp.Evaluate[string](`location.pathname`))
	Must(t, ctx, chromedp.Click("", ByRoleAndName(role, name), chromedp.NodeVisible))
	arrived := fmt.Sprintf(`location.pathname !== %q`, before)
	if path != "" {
		arrived = fmt.Sprintf(`location.pathname === %q`, path)
	}
	WaitFor(t, ctx, `(() => { const h = document.querySelector("main h1"), a = document.activeElement;
		return `+arrived+` && !!h && !!a && (a === h || a.matches(".nhsuk-notification-banner, .nhsuk-error-summary")) })()`,
		fmt.Sprintf("following the %s %q should lead to a page with its h1 focused", role, name))
}

// WaitingStatus waits for the status message that says what to do while the device works.
func WaitingStatus(t *testing.T, ctx context.Context) {
	t.Helper()
	WaitFor(t, ctx, `(() => { const s = document.querySelector("main #passkey-status[role=status]");
		return !!s && s.textContent.includes("Follow the instructions on your device") })()`,
		"while the device works, the status should say what to do")
}

// ErrorSummaryFocused waits for the error summary to have focus (and to say want, if given).
func ErrorSummaryFocused(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	WaitFor(t, ctx, fmt.Sprintf(`(() => { const a = document.activeElement;
		return !!a && a.classList.contains("nhsuk-error-summary") && a.textContent.includes(%q) })()`, want),
		fmt.Sprintf("the error summary should have focus and say %q", want))
}

// HeldRequest is a request of the page's that the test holds back.
type HeldRequest struct {
	t    *testing.T
	ctx  context.Context
	path string
	id   fetch.RequestID
}

// HoldRequest runs trigger and holds the page's request to path (an API call it makes) until
// release or fail is called, so that the page can be checked while it waits.
func HoldRequest(t *testing.T, ctx context.Context, path string, trigger func()) HeldRequest {
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
		return HeldRequest{t: t, ctx: ctx, path: path, id: ev.RequestID}
	}
	t.Fatalf("the page made no request to %s", path)
	return HeldRequest{}
}

// Release lets the request go on to the server.
func (h HeldRequest) Release() {
	h.t.Helper()
	if _, err := chromedp.Call(h.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: h.id}); err != nil {
		h.t.Fatalf("let the request to %s go: %v", h.path, err)
	}
	h.stop()
}

// Fail makes the request fail as if the network were down.
func (h HeldRequest) Fail() {
	h.t.Helper()
	if _, err := chromedp.Call(h.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: h.id, ErrorReason: network.ErrorReasonInternetDisconnected}); err != nil {
		h.t.Fatalf("fail the request to %s: %v", h.path, err)
	}
	h.stop()
}

func (h HeldRequest) stop() {
	h.t.Helper()
	if _, err := chromedp.Call(h.ctx, fetch.Disable, cdp.Empty{}); err != nil {
		h.t.Fatalf("stop intercepting requests: %v", err)
	}
}

// Keyboard drives the page with key events only (Tab, Shift+Tab, Enter, Space and typing),
// as a person who uses no mouse would, and checks that focus can always be seen.
type Keyboard struct {
	t   *testing.T
	ctx context.Context
}

// NewKeyboard is the keyboard of the page in ctx.
func NewKeyboard(t *testing.T, ctx context.Context) Keyboard {
	return Keyboard{t: t, ctx: ctx}
}

// Press presses key, with modifiers held.
func (k Keyboard) Press(key string, modifiers ...chromedp.Modifier) {
	k.t.Helper()
	Must(k.t, k.ctx, chromedp.KeyEvent(key, chromedp.KeyModifiers(modifiers...)))
}

// TypeText types into the focused field.
func (k Keyboard) TypeText(text string) {
	k.t.Helper()
	Must(k.t, k.ctx, chromedp.KeyEvent(text))
}

// FocusCheckJS says what is wrong with the focus, or "" when the focused element shows it can
// be seen (the design system draws it on the element, a radio's label or a summary's text)
// and is on the screen (WCAG 2.4.7 and 2.4.11).
const FocusCheckJS = `(() => {
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

// HeadingFocusShowsNoBox checks the h1 that has just been given focus by a page change the
// keyboard made (so the browser means to show it: :focus-visible).
func (k Keyboard) HeadingFocusShowsNoBox(h1 string) {
	k.t.Helper()
	if problem := Get(k.t, k.ctx, chromedp.Evaluate[string](headingFocusJS)); problem != "" {
		k.t.Errorf("on %q, after a page change: %s", h1, problem)
	}
}

// TabTo presses Tab (or Shift+Tab when back) until the focused element is the one match (a
// JavaScript expression about `el`) describes, checking the focus at every stop.
func (k Keyboard) TabTo(what, match string, back bool) {
	k.t.Helper()
	var mods []chromedp.Modifier
	if back {
		mods = append(mods, chromedp.ModifierShift)
	}
	var stops []string
	for range 60 {
		k.Press(kb.Tab, mods...)
		if Get(k.t, k.ctx, chromedp.Evaluate[bool](`document.activeElement === document.body && !document.hasFocus()`)) {
			// Past the last (or first) element, focus goes to the browser's own controls; the
			// next Tab comes back to the page from the other end.
			stops = append(stops, "(the browser)")
			continue
		}
		if problem := Get(k.t, k.ctx, chromedp.Evaluate[string](FocusCheckJS)); problem != "" {
			k.t.Fatalf("tabbing to %s: at %s, %s", what, k.focused(), problem)
		}
		stops = append(stops, k.focused())
		if Get(k.t, k.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(el => !!el && (%s))(document.activeElement)`, match))) {
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

func (k Keyboard) focused() string {
	k.t.Helper()
	return Get(k.t, k.ctx, chromedp.Evaluate[string](`(el => el ? el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " +
		JSON.stringify((el.getAttribute("aria-label") || el.textContent || el.value || "").replace(/\s+/g, " ").trim().slice(0, 60)) : "nothing")(document.activeElement)`))
}

// JavaScript matchers for TabTo.

// LinkNamed matches the link whose text is text.
func LinkNamed(text string) string {
	return fmt.Sprintf(`el.matches("a") && el.textContent.replace(/\s+/g, " ").trim() === %q`, text)
}

// ButtonNamed matches the button whose text is text.
func ButtonNamed(text string) string {
	return fmt.Sprintf(`el.matches("button, [role=button]") && el.textContent.replace(/\s+/g, " ").trim() === %q`, text)
}

// FieldLabelled matches the form field whose label says text (its accessible name).
func FieldLabelled(text string) string {
	return fmt.Sprintf(`el.matches("input, select, textarea") && [...(el.labels || [])].some(l => l.textContent.replace(/\s+/g, " ").trim() === %q)`, text)
}

// AxeOnly runs axe-core and the reflow check on a modal state (a dialog over the page): the
// page's own landmark and title rules do not apply while the modal hides the page.
func (a *Audit) AxeOnly(state string) {
	a.t.Helper()
	problems := append(a.Axe(), a.Reflow()...)
	if len(problems) > 0 {
		a.t.Errorf("%s: %d accessibility problems:\n  %s", state, len(problems), strings.Join(problems, "\n  "))
	}
	a.t.Logf("checked %s (axe, reflow)", state)
}
