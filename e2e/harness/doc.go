// Package harness is what the end-to-end suites (e2e/) run on, written once: the program
// under test started in-process (StartServe: `nhs-passkeys serve` through cli.Program.Run;
// StartDesktop and StartKiosk: the desktop app's handler, as internal/cli builds it, on
// loopback, or with DesktopOptions.RelyingParty as a client of a fleet's relying party;
// StartFleet: `serve` replicas on one PostgreSQL database behind one TLS front), headless Chromium as the WebAuthn client (StartChromium, NewBrowser with the
// CDP virtual authenticator, NewWebview without WebAuthn, as the Linux webview is), the steps
// a person takes on a page (Open, Click, FillIn, Choose, Page, ...), the accessibility audit
// (Audit: axe-core, what a screen reader is told, fonts, reflow, motion; Keyboard), and the
// page watch that fails a test on any error response, failed request or console error it did
// not say to expect (pagewatch.go).
//
// It needs the frontend built (`npm run build` in frontend/) and Chromium at
// /usr/lib/chromium/chromium; the suites that use it carry the build tag e2e.
package harness
