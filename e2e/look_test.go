//go:build e2e

// What a patient sees (issue 15): the start page, Login and security settings, Set up a
// passkey and a page with an error summary, drawn by Chromium: the NHS blue header, and the
// text in the design system's font (the a11y suite's font check). With NHSP_SCREENSHOTS set to
// a folder (docs/screenshots), the pictures are kept there for a person to look at.
package e2e

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/nhs-passkeys/companion/e2e/harness"
)

// nhsBlue is the header's colour, the design system's $nhsuk-brand-colour.
var nhsBlue = color.RGBA{R: 0x00, G: 0x5e, B: 0xb8, A: 0xff}

func TestJourneyScreenshotsShowTheNHSLook(t *testing.T) {
	origin := harness.StartServe(t)
	ctx, _ := harness.NewBrowser(t)
	a := harness.NewAudit(t, ctx)
	dir := os.Getenv("NHSP_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	// A laptop's window: the pictures stay small, and each page's top is in them.
	harness.Must(t, ctx, chromedp.EmulateViewport(1024, 768))

	look := func(name string) {
		t.Helper()
		if problems := a.Font(); len(problems) > 0 {
			t.Errorf("%s: %q", name, problems)
		}
		shot := harness.Get(t, ctx, chromedp.CaptureScreenshot())
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("%s: decode the screenshot: %v", name, err)
		}
		if got := colourAt(img, 8, 8); got != nhsBlue {
			t.Errorf("%s: the header should be NHS blue %v, it is %v", name, nhsBlue, got)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	harness.Open(t, ctx, origin+"/")
	harness.Page(t, ctx, "Manage passkeys for your NHS login")
	look("start-page")

	harness.CreateAccountInBrowser(t, ctx, origin, "look@example.com", "a long enough password")
	look("login-and-security-settings")
	harness.OpenSetUpPasskey(t, ctx)
	look("set-up-a-passkey")
	harness.Open(t, ctx, origin+"/account/security")
	harness.Page(t, ctx, "Login and security settings")
	harness.LogOut(t, ctx)

	harness.ExpectStatus(t, ctx, "POST /api/login/password", http.StatusUnauthorized)
	harness.Open(t, ctx, origin+"/login/password")
	harness.Page(t, ctx, "Log in with your password")
	harness.FillIn(t, ctx, "Email address", "look@example.com")
	harness.FillIn(t, ctx, "Password", "not the password")
	harness.Click(t, ctx, "Log in")
	harness.ErrorSummaryFocused(t, ctx, "")
	look("log-in-with-an-error")
	t.Logf("screenshots in %s", dir)
}

func colourAt(img image.Image, x, y int) color.RGBA {
	r, g, b, a := img.At(x, y).RGBA()
	return color.RGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: uint8(a >> 8)}
}
