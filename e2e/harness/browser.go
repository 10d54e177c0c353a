package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/nhs-passkeys/companion/internal/cli"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

// chromiumPath is Debian's real binary; /usr/bin/chromium is a wrapper script that prints
// shell noise (../shared/PLATFORM-NOTES.md).
const chromiumPath = "/usr/lib/chromium/chromium"

// StartServe runs `nhs-passkeys serve` in-process on a free loopback port and returns its
// origin. http://localhost is a secure context for WebAuthn; 127.0.0.1 is not.
// extra flags are added to the command line, e.g. "--idle-timeout", "20s".
func StartServe(t *testing.T, extra ...string) string {
	t.Helper()
	port := freePort(t)
	out := runServe(t, port, func(string) string { return "" }, extra...)
	origin := fmt.Sprintf("http://localhost:%d", port)
	if !strings.Contains(out.String(), origin) {
		t.Errorf("serve should print the URL to open, printed %q", out.String())
	}
	return origin
}

// freePort is a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("a TCP listener has the address %T", ln.Addr())
	}
	return addr.Port
}

// runServe runs `nhs-passkeys serve --addr 127.0.0.1:port` (with its own data folder and
// extra) through cli.Program.Run until the test ends, and returns once it answers HTTP on
// that port (any status), with what it printed so far.
func runServe(t *testing.T, port int, getenv func(string) string, extra ...string) *testkit.Buffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	out, logs := &testkit.Buffer{}, &testkit.Buffer{}
	go func() {
		args := append([]string{"nhs-passkeys", "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--data-dir", t.TempDir()}, extra...)
		program := cli.Program{Frontend: builtFrontend(t)}
		done <- program.Run(ctx, args, getenv, strings.NewReader(""), out, logs)
	}()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("serve on port %d logged:\n%s", port, logs.String())
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve ended with an error: %v", err)
		}
	})

	deadline := time.Now().Add(10 * time.Second)
	for {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, fmt.Sprintf("http://localhost:%d/api/session", port), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return out
		}
		select {
		case err := <-done:
			t.Fatalf("serve stopped before it answered: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer on port %d: %v", port, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// repoRoot is the repository's top folder: the first folder up from the test's own (go test
// runs a test in its package's folder) that holds go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod in the test's folder or above it")
		}
		dir = up
	}
}

// builtFrontend is frontend/dist as `npm run build` left it, which main.go embeds in the
// program: the journeys run the same files from the disk.
func builtFrontend(t *testing.T) fs.FS {
	t.Helper()
	frontend := os.DirFS(filepath.Join(repoRoot(t), "frontend", "dist"))
	if _, err := fs.Stat(frontend, "index.html"); err != nil {
		t.Fatal("the frontend is not built: run `npm run build` in frontend/ first")
	}
	return frontend
}

// NewBrowser starts headless Chromium with a virtual platform authenticator that verifies
// the user (as a fingerprint or screen lock would) and holds discoverable credentials.
func NewBrowser(t *testing.T) (context.Context, webauthn.AuthenticatorID) {
	t.Helper()
	ctx := StartChromium(t)
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

// StartChromium starts headless Chromium, with no authenticator of its own. Every page it
// loads is watched (pagewatch.go): the test fails on an error response, a failed
// request or a console error it did not say to expect.
func StartChromium(t *testing.T) context.Context {
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
	return watchPage(t, ctx)
}

// Page waits for the page whose h1 is want, then checks the NHS page rules: the title names
// the page and focus has moved to the h1.
func Page(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	WaitFor(t, ctx, fmt.Sprintf(`(() => { const h = document.querySelector("main h1"); return !!h && h.textContent.trim() === %q })()`, want),
		fmt.Sprintf("expected the page %q", want))
	// The NHS pattern: focus goes to the h1, or to the success banner or error summary when
	// the page opens with one.
	WaitFor(t, ctx, `(() => { const a = document.activeElement; return !!a && (a === document.querySelector("main h1") ||
		a.matches(".nhsuk-notification-banner, .nhsuk-error-summary")) })()`,
		fmt.Sprintf("focus should move to the h1 (or banner) of %q", want))
	if title := Get(t, ctx, chromedp.Title()); !strings.HasPrefix(title, want) {
		t.Errorf("document.title = %q, want it to start with the page's h1 %q", title, want)
	}
}

// WaitFor waits up to 15 seconds for the JavaScript expression expr to be true, failing
// the test with what (what should have happened) if it never is.
func WaitFor(t *testing.T, ctx context.Context, expr, what string) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(wctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		h1, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("h1")||{}).textContent||""`))
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 2000) : ""`))
		t.Fatalf("%s: %v\nh1: %q\npage:\n%s", what, err, h1, body)
	}
}

// Open loads url in the page.
func Open(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	Must(t, ctx, chromedp.Navigate(url))
}

// Click activates the link or button in <main> whose visible text is label.
func Click(t *testing.T, ctx context.Context, label string) {
	t.Helper()
	sel := fmt.Sprintf(`//*[self::a or self::button][normalize-space()=%q]`, label)
	Must(t, ctx, chromedp.Click(chromedp.Search(sel), chromedp.NodeVisible))
}

// FillIn types value into the text box whose accessible name is label: the name Chromium's
// accessibility tree computes, which is what a screen reader announces. A field whose label
// is missing or points elsewhere is not found, so the test fails as the person would.
func FillIn(t *testing.T, ctx context.Context, label, value string) {
	t.Helper()
	Must(t, ctx, chromedp.SendKeys("", value, fieldNamed(label), chromedp.NodeVisible))
}

// ClearField empties the text box whose accessible name is label.
func ClearField(t *testing.T, ctx context.Context, label string) {
	t.Helper()
	Must(t, ctx, chromedp.Clear("", fieldNamed(label)))
}

// FieldValue is the current value of the text box whose accessible name is label.
func FieldValue(t *testing.T, ctx context.Context, label string) string {
	t.Helper()
	return Get(t, ctx, chromedp.Value("", fieldNamed(label)))
}

// fieldNamed selects, by accessible name, the one text box (role textbox) with that name.
func fieldNamed(label string) chromedp.QueryOption {
	return ByRoleAndName("textbox", label)
}

// ByRoleAndName selects the element whose computed ARIA role and accessible name are those
// given (CDP Accessibility.queryAXTree), then finds its DOM node. Names are compared with
// their white space collapsed, as a screen reader speaks them: the design system's hidden
// text brings non-breaking spaces into a name ("Rename\u00a0 This device\u00a0").
func ByRoleAndName(role, name string) chromedp.QueryOption {
	want := strings.Join(strings.Fields(name), " ")
	return chromedp.ByFunc(func(ctx context.Context, tg *chromedp.Target, n *chromedp.Node) ([]cdp.NodeID, error) {
		res, err := cdp.Call(ctx, tg, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{NodeID: n.NodeID, Role: role})
		if err != nil {
			return nil, err
		}
		var backend []cdp.BackendNodeID
		for _, ax := range res.Nodes {
			if !ax.Ignored && ax.BackendDOMNodeID != 0 && strings.Join(strings.Fields(axText(ax.Name)), " ") == want {
				backend = append(backend, ax.BackendDOMNodeID)
			}
		}
		if len(backend) == 0 {
			return []cdp.NodeID{}, nil // not there (yet): the query waits and asks again
		}
		if len(backend) > 1 {
			return nil, fmt.Errorf("%d elements have the role %s and the name %q; a person could not tell them apart", len(backend), role, name)
		}
		pushed, err := cdp.Call(ctx, tg, dom.PushNodesByBackendIDsToFrontend, dom.PushNodesByBackendIDsToFrontendParams{BackendNodeIDs: backend})
		return pushed.NodeIDs, err
	})
}

// Text is the text of the first element sel (a CSS selector) selects.
func Text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return Get(t, ctx, chromedp.Text(chromedp.CSS(sel)))
}

// FetchJSON runs fetch(path) inside the page, with the page's own session cookie.
func FetchJSON[T any](t *testing.T, ctx context.Context, path string) T {
	t.Helper()
	expr := fmt.Sprintf(`fetch(%q, {credentials: "same-origin"}).then(r => r.json())`, path)
	return Get(t, ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// SignedIn asks the API, from inside the page, whether the page's session is signed in.
func SignedIn(t *testing.T, ctx context.Context) bool {
	t.Helper()
	return FetchJSON[struct {
		SignedIn bool `json:"signedIn"`
	}](t, ctx, "/api/session").SignedIn
}

// PasskeyCount is how many passkeys the API lists for the page's signed-in person.
func PasskeyCount(t *testing.T, ctx context.Context) int {
	t.Helper()
	return len(FetchJSON[struct {
		Passkeys []map[string]any `json:"passkeys"`
	}](t, ctx, "/api/passkeys").Passkeys)
}

// AuthenticatorCredentials are the credentials Chromium's virtual authenticator id holds.
func AuthenticatorCredentials(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID) []*webauthn.Credential {
	t.Helper()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		t.Fatalf("read the authenticator's credentials: %v", err)
	}
	return res.Credentials
}

// Must runs action in the page, failing the test if it fails.
func Must(t *testing.T, ctx context.Context, action chromedp.Action[chromedp.Void]) {
	t.Helper()
	Get(t, ctx, action)
}

// Get runs one action with a time limit and returns its value.
func Get[T any](t *testing.T, ctx context.Context, action chromedp.Action[T]) T {
	t.Helper()
	actx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(actx, action)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// RemoveCredential takes the credential off the virtual authenticator id, as a person who
// deletes a passkey from their device does.
func RemoveCredential(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID, credentialID []byte) {
	t.Helper()
	if _, err := chromedp.Call(ctx, webauthn.RemoveCredential, webauthn.RemoveCredentialParams{AuthenticatorID: id, CredentialID: credentialID}); err != nil {
		t.Fatalf("take a passkey off the authenticator: %v", err)
	}
}

// PutBackCredential adds a credential read with GetCredentials back to the authenticator.
// cdproto's Credential always sends generateCmtgKeyOnNextOperation, which Chromium refuses
// from an authenticator without CMTG, so the command goes with only the fields it needs.
func PutBackCredential(t *testing.T, ctx context.Context, id webauthn.AuthenticatorID, c *webauthn.Credential) {
	t.Helper()
	addCredential := cdp.Command[map[string]any, cdp.Empty]{Method: webauthn.CommandAddCredential}
	_, err := chromedp.Call(ctx, addCredential, map[string]any{
		"authenticatorId": id,
		"credential": map[string]any{
			"credentialId":         c.CredentialID,
			"isResidentCredential": c.IsResidentCredential,
			"rpId":                 c.RpID,
			"privateKey":           c.PrivateKey,
			"userHandle":           c.UserHandle,
			"signCount":            c.SignCount,
		},
	})
	if err != nil {
		t.Fatalf("put the passkey back on the authenticator: %v", err)
	}
}

// Banner waits for the success banner to say want.
func Banner(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	WaitFor(t, ctx, fmt.Sprintf(`(() => { const b = document.querySelector("main .nhsuk-notification-banner--success");
		return !!b && b.textContent.includes(%q) })()`, want),
		fmt.Sprintf("the success banner should say %q", want))
}

// ListedPasskey is a passkey as GET /api/passkeys lists it.
type ListedPasskey struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ListPasskeys is what GET /api/passkeys lists for the page's signed-in person.
func ListPasskeys(t *testing.T, ctx context.Context) []ListedPasskey {
	t.Helper()
	return FetchJSON[struct {
		Passkeys []ListedPasskey `json:"passkeys"`
	}](t, ctx, "/api/passkeys").Passkeys
}

// PasskeyNames is the passkeys' names, for a failure message.
func PasskeyNames(passkeys []ListedPasskey) string {
	names := make([]string, len(passkeys))
	for i, p := range passkeys {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

// APIClient is another device: its own cookie jar, speaking to the API directly.
type APIClient struct {
	origin string
	http   *http.Client
}

// NewAPIClient is an API client of its own (its own cookies) for the app at origin.
func NewAPIClient(t *testing.T, origin string) *APIClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &APIClient{origin: origin, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

// Post sends body as JSON to path, with the Origin header a browser would send, and
// returns the answer's status.
func (c *APIClient) Post(t *testing.T, path string, body any) int {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, c.origin+path, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", c.origin) // state-changing requests must come from the RP origin
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// SignedIn asks GET /api/session whether this client is signed in.
func (c *APIClient) SignedIn(t *testing.T) bool {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, c.origin+"/api/session", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var session struct {
		SignedIn bool `json:"signedIn"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&session); err != nil {
		t.Fatal(err)
	}
	return session.SignedIn
}
