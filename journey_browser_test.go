//go:build e2e

// Browser journeys: the real `serve` command (run() in this process), the real built frontend,
// and headless Chromium as the WebAuthn client with its CDP virtual authenticator.
// Run with `make test` (it builds the frontend first) or `go test -tags e2e -run Journey .`.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's real binary; /usr/bin/chromium is a wrapper script that prints
// shell noise (PLATFORM-NOTES.md).
const chromiumPath = "/usr/lib/chromium/chromium"

// startServe runs `nhs-passkeys serve` in-process on a free loopback port and returns its
// origin. http://localhost is a secure context for WebAuthn; 127.0.0.1 is not.
func startServe(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	out := &syncBuffer{}
	go func() {
		done <- run(ctx, []string{"nhs-passkeys", "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--data-dir", t.TempDir()},
			func(string) string { return "" }, out, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve ended with an error: %v", err)
		}
	})

	origin := fmt.Sprintf("http://localhost:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(origin + "/api/session")
		if err == nil {
			resp.Body.Close()
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped before it answered: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer on %s: %v", origin, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(out.String(), origin) {
		t.Errorf("serve should print the URL to open, printed %q", out.String())
	}
	return origin
}

// newBrowser starts headless Chromium with a virtual platform authenticator that verifies
// the user (as a fingerprint or screen lock would) and holds discoverable credentials.
func newBrowser(t *testing.T) (context.Context, webauthn.AuthenticatorID) {
	t.Helper()
	ctx := startChromium(t)
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("enable the WebAuthn domain: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true, // a false zero value makes create() hang
		},
	})
	if err != nil {
		t.Fatalf("add the virtual authenticator: %v", err)
	}
	return ctx, res.AuthenticatorID
}

// startChromium starts headless Chromium, with no authenticator of its own.
func startChromium(t *testing.T) context.Context {
	t.Helper()
	// Not t.TempDir(): Chromium's singleton socket path must fit in a sockaddr_un (108 bytes).
	dir, err := os.MkdirTemp("", "cr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(dir),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Env("TMPDIR="+dir),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })

	// The first Run starts the browser and must not carry a timeout (it would end the browser).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

func TestJourneyCreateAccountSetUpPasskeyAndLogInWithIt(t *testing.T) {
	origin := startServe(t)
	ctx, authID := newBrowser(t)
	const email = "patient.one@example.com"
	const password = "correct horse battery"

	// Create an account from the start page.
	open(t, ctx, origin+"/")
	page(t, ctx, "Manage passkeys for your NHS login")
	click(t, ctx, "Create an account")
	page(t, ctx, "Create an account")
	typeInto(t, ctx, "#email", email)
	typeInto(t, ctx, "#password", password)
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
	if n := passkeyCount(t, ctx); n != 0 {
		t.Fatalf("a new account should have no passkeys, the API lists %d", n)
	}

	// Set up a passkey.
	click(t, ctx, "Set up a passkey")
	page(t, ctx, "Set up a passkey")
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
	if n := passkeyCount(t, ctx); n != 1 {
		t.Fatalf("after setting up a passkey the API lists %d passkeys, want 1", n)
	}
	if n := len(authenticatorCredentials(t, ctx, authID)); n != 1 {
		t.Fatalf("the authenticator holds %d credentials, want 1", n)
	}
	mainText := text(t, ctx, "main")
	if !strings.Contains(mainText, "Not used yet") {
		t.Errorf("a passkey that was just set up should say it is not used yet; page says:\n%s", mainText)
	}

	// Log out, then log in with the passkey by email.
	click(t, ctx, "Log out")
	page(t, ctx, "Manage passkeys for your NHS login")
	if signedIn(t, ctx) {
		t.Fatal("still signed in after logging out")
	}
	click(t, ctx, "Log in")
	page(t, ctx, "Log in")
	typeInto(t, ctx, "#email", email)
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
	if !signedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the passkey")
	}
	creds := authenticatorCredentials(t, ctx, authID)
	if len(creds) != 1 || creds[0].SignCount < 1 {
		t.Fatalf("the passkey should have signed a login (sign count >= 1): %+v", creds)
	}
	if n := passkeyCount(t, ctx); n != 1 {
		t.Fatalf("after logging in the API lists %d passkeys, want 1", n)
	}
	if strings.Contains(text(t, ctx, "main"), "Not used yet") {
		t.Error("after logging in with the passkey, the list should show when it was last used")
	}
}

func TestJourneyPasswordLoginWithAWrongThenTheRightPassword(t *testing.T) {
	origin := startServe(t)
	ctx, _ := newBrowser(t)
	const email = "patient.two@example.com"
	const password = "another good password"

	open(t, ctx, origin+"/create-account")
	page(t, ctx, "Create an account")
	typeInto(t, ctx, "#email", email)
	typeInto(t, ctx, "#password", password)
	click(t, ctx, "Continue")
	page(t, ctx, "Login and security settings")
	click(t, ctx, "Log out")
	page(t, ctx, "Manage passkeys for your NHS login")

	click(t, ctx, "Log in")
	page(t, ctx, "Log in")
	typeInto(t, ctx, "#email", email)
	click(t, ctx, "Log in with your password instead")
	page(t, ctx, "Log in with your password")
	carried := get(t, ctx, chromedp.Value(chromedp.CSS("#email")))
	if carried != email {
		t.Errorf("the email typed on the previous page should be carried over, got %q", carried)
	}

	// A wrong password: NHS error pattern (title prefixed, summary focused), still signed out.
	typeInto(t, ctx, "#password", "not the password")
	click(t, ctx, "Log in")
	waitFor(t, ctx, `document.activeElement && document.activeElement.classList.contains("nhsuk-error-summary")`,
		"the error summary should receive focus after a failed login")
	if title := get(t, ctx, chromedp.Title()); !strings.HasPrefix(title, "Error: ") {
		t.Errorf("page title after an error should start with \"Error: \", got %q", title)
	}
	if signedIn(t, ctx) {
		t.Fatal("a wrong password signed the person in")
	}

	must(t, ctx, chromedp.Clear(chromedp.CSS("#password")))
	typeInto(t, ctx, "#password", password)
	click(t, ctx, "Log in")
	page(t, ctx, "Login and security settings")
	if !signedIn(t, ctx) {
		t.Fatal("not signed in after logging in with the right password")
	}
}

// page waits for the page whose h1 is want, then checks the NHS page rules: the title names
// the page and focus has moved to the h1.
func page(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	waitFor(t, ctx, fmt.Sprintf(`(() => { const h = document.querySelector("main h1"); return !!h && h.textContent.trim() === %q })()`, want),
		fmt.Sprintf("expected the page %q", want))
	// The NHS pattern: focus goes to the h1, or to the success banner or error summary when
	// the page opens with one.
	waitFor(t, ctx, `(() => { const a = document.activeElement; return !!a && (a === document.querySelector("main h1") ||
		a.matches(".nhsuk-notification-banner, .nhsuk-error-summary")) })()`,
		fmt.Sprintf("focus should move to the h1 (or banner) of %q", want))
	if title := get(t, ctx, chromedp.Title()); !strings.HasPrefix(title, want) {
		t.Errorf("document.title = %q, want it to start with the page's h1 %q", title, want)
	}
}

func waitFor(t *testing.T, ctx context.Context, expr, what string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(wctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		h1, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("h1")||{}).textContent||""`))
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ""`))
		t.Fatalf("%s: %v\nh1: %q\npage:\n%s", what, err, h1, body)
	}
}

func open(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	must(t, ctx, chromedp.Navigate(url))
}

// click activates the link or button in <main> whose visible text is label.
func click(t *testing.T, ctx context.Context, label string) {
	t.Helper()
	sel := fmt.Sprintf(`//*[self::a or self::button][normalize-space()=%q]`, label)
	must(t, ctx, chromedp.Click(chromedp.Search(sel), chromedp.NodeVisible))
}

func typeInto(t *testing.T, ctx context.Context, sel, value string) {
	t.Helper()
	must(t, ctx, chromedp.SendKeys(chromedp.CSS(sel), value, chromedp.NodeVisible))
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return get(t, ctx, chromedp.Text(chromedp.CSS(sel)))
}

// fetchJSON runs fetch(path) inside the page, with the page's own session cookie.
func fetchJSON[T any](t *testing.T, ctx context.Context, path string) T {
	t.Helper()
	expr := fmt.Sprintf(`fetch(%q, {credentials: "same-origin"}).then(r => r.json())`, path)
	return get(t, ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

func signedIn(t *testing.T, ctx context.Context) bool {
	t.Helper()
	return fetchJSON[struct {
		SignedIn bool `json:"signedIn"`
	}](t, ctx, "/api/session").SignedIn
}

func passkeyCount(t *testing.T, ctx context.Context) int {
	t.Helper()
	return len(fetchJSON[struct {
		Passkeys []map[string]any `json:"passkeys"`
	}](t, ctx, "/api/passkeys").Passkeys)
}

func authenticatorCredentials(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID) []*webauthn.Credential {
	t.Helper()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		t.Fatalf("read the authenticator's credentials: %v", err)
	}
	return res.Credentials
}

func must(t *testing.T, ctx context.Context, action chromedp.Action[chromedp.Void]) {
	t.Helper()
	get(t, ctx, action)
}

// get runs one action with a time limit and returns its value.
func get[T any](t *testing.T, ctx context.Context, action chromedp.Action[T]) T {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(actx, action)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// syncBuffer is an io.Writer safe for the serve goroutine and the test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
