package harness

// The steps a patient takes on the way to what a journey tests, written once. Each waits for
// every page it passes (Page) before it acts on it, so a journey that went astray fails at
// the step that went astray, with the page it found.

import (
	"context"
	"testing"
)

// VirtualKeyName is how the pages name the virtual security key (app/device/authenticator
// VirtualName).
const VirtualKeyName = "Virtual security key (for testing)"

// OpenSetUpPasskey goes from Login and security settings to the Set up a passkey page, as
// NHS login's help article says: "select Passkeys, select Set up a passkey".
func OpenSetUpPasskey(t *testing.T, ctx context.Context) {
	t.Helper()
	Click(t, ctx, "Passkeys")
	Page(t, ctx, "Passkeys")
	Click(t, ctx, "Set up a passkey")
	Page(t, ctx, "Set up a passkey")
}

// LogOut logs out from a signed-in page and lands on the start page.
func LogOut(t *testing.T, ctx context.Context) {
	t.Helper()
	Click(t, ctx, "Log out")
	Page(t, ctx, "Manage passkeys for your NHS login")
}

// ChooseVirtualKey answers the page that asks which authenticator to use (its h1 is question:
// "Where do you want to save your passkey?", "Which security key has your passkey?") with the
// virtual security key, and continues.
func ChooseVirtualKey(t *testing.T, ctx context.Context, question string) {
	t.Helper()
	Page(t, ctx, question)
	Choose(t, ctx, VirtualKeyName)
	Click(t, ctx, "Continue")
}

// EnterPIN enters pin on the Enter your security key PIN page and continues.
func EnterPIN(t *testing.T, ctx context.Context, pin string) {
	t.Helper()
	Page(t, ctx, "Enter your security key PIN")
	FillIn(t, ctx, "Enter your security key PIN", pin)
	Click(t, ctx, "Continue")
}

// CreatePIN gives a key without a PIN the PIN pin, entered twice on the Create a PIN for your
// security key page, and continues.
func CreatePIN(t *testing.T, ctx context.Context, pin string) {
	t.Helper()
	Page(t, ctx, "Create a PIN for your security key")
	FillIn(t, ctx, "New PIN", pin)
	FillIn(t, ctx, "Enter the new PIN again", pin)
	Click(t, ctx, "Continue")
}

// SubmitNewAccount fills in the open Create an account page with email and password and lands
// signed in on Login and security settings.
func SubmitNewAccount(t *testing.T, ctx context.Context, email, password string) {
	t.Helper()
	FillIn(t, ctx, "Email address", email)
	FillIn(t, ctx, "Create a password", password)
	Click(t, ctx, "Continue")
	Page(t, ctx, "Login and security settings")
}

// CreateAccountInBrowser creates an account with email and password from the Create an
// account page at origin, in a browser (NewBrowser; CreateAccount is the webview's).
func CreateAccountInBrowser(t *testing.T, ctx context.Context, origin, email, password string) {
	t.Helper()
	Open(t, ctx, origin+"/create-account")
	Page(t, ctx, "Create an account")
	SubmitNewAccount(t, ctx, email, password)
}

// StartLogIn goes from the start page to Log in, enters email and continues to the next
// step, which the journey checks (the browser's passkey dialog, or the desktop's choice of
// key).
func StartLogIn(t *testing.T, ctx context.Context, email string) {
	t.Helper()
	Click(t, ctx, "Log in")
	Page(t, ctx, "Log in")
	FillIn(t, ctx, "Email address", email)
	Click(t, ctx, "Continue")
}

// LogInWithPassword logs in with email and password on the Log in with your password page at
// origin and lands on Login and security settings.
func LogInWithPassword(t *testing.T, ctx context.Context, origin, email, password string) {
	t.Helper()
	Open(t, ctx, origin+"/login/password")
	Page(t, ctx, "Log in with your password")
	FillIn(t, ctx, "Email address", email)
	FillIn(t, ctx, "Password", password)
	Click(t, ctx, "Log in")
	Page(t, ctx, "Login and security settings")
}

// SetUpPasskeyInBrowser sets up a passkey from Login and security settings with the
// browser's own WebAuthn (NewBrowser's virtual authenticator), back on Passkeys.
func SetUpPasskeyInBrowser(t *testing.T, ctx context.Context) {
	t.Helper()
	OpenSetUpPasskey(t, ctx)
	Click(t, ctx, "Continue")
	Page(t, ctx, "Passkeys")
}
