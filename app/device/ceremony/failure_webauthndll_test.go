package ceremony

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/webauthndll"
)

// The Windows ceremonies' failures name what the person chose: Windows Hello and a phone or
// tablet are never called a security key, and a security key reads as on Linux.
func TestWindowsFailuresNameTheAuthenticatorChosen(t *testing.T) {
	dllErr := func(hr uint32) error {
		return fmt.Errorf("make credential: %w", &webauthndll.Error{Op: "WebAuthNAuthenticatorMakeCredential", HRESULT: hr, Name: "NotAllowedError"})
	}
	tests := []struct {
		name          string
		kind, chosen  string
		err           error
		code, message string
	}{
		{"Windows Hello timing out says Windows Hello", authenticator.KindCreate, authenticator.WindowsHelloID, context.DeadlineExceeded,
			authenticator.CodeTimedOut, "Windows Hello did not finish in time."},
		{"Windows Hello failing for no known reason says Windows Hello", authenticator.KindGet, authenticator.WindowsHelloID, dllErr(0x80004005),
			authenticator.CodeDeviceError, "Something went wrong with Windows Hello. Try again."},
		{"Windows Hello already holding the passkey says so", authenticator.KindCreate, authenticator.WindowsHelloID, dllErr(0x8009000F),
			authenticator.CodeAlreadyRegistered, "Windows Hello on this computer is already set up for your NHS login."},
		{"Windows Hello without a passkey for NHS login says so", authenticator.KindGet, authenticator.WindowsHelloID, dllErr(0x80090011),
			authenticator.CodeNoPasskeyOnKey, "There are no passkeys for your NHS login in Windows Hello on this computer."},
		{"Windows Hello refusing a login says Windows Hello", authenticator.KindGet, authenticator.WindowsHelloID, dllErr(0x80090029),
			authenticator.CodeNotAllowed, "Windows Hello did not allow you to log in. Try again, or log in another way."},
		{"Windows Hello not set up says where to set it up", authenticator.KindCreate, authenticator.WindowsHelloID, webauthndll.ErrNoPlatformAuthenticator,
			authenticator.CodeNoAuthenticator, "Windows Hello is not set up on this computer."},
		{"a phone that cannot be reached says to turn on Bluetooth", authenticator.KindGet, authenticator.PhoneID, dllErr(0x80090035),
			authenticator.CodeNoAuthenticator, "Your phone or tablet could not be reached."},
		{"a phone timing out says phone or tablet", authenticator.KindCreate, authenticator.PhoneID, dllErr(0x800705B4),
			authenticator.CodeTimedOut, "Your phone or tablet did not respond in time."},
		{"a phone failing for no known reason says phone or tablet", authenticator.KindCreate, authenticator.PhoneID, dllErr(0x80004005),
			authenticator.CodeDeviceError, "Something went wrong connecting to your phone or tablet."},
		{"a phone refusing to save says phone or tablet", authenticator.KindCreate, authenticator.PhoneID, dllErr(0x80090029),
			authenticator.CodeNotAllowed, "Your phone or tablet did not allow your passkey to be set up. Try again, or use a different one."},
		{"a security key timing out reads as on Linux", authenticator.KindCreate, authenticator.SecurityKeyID, context.DeadlineExceeded,
			authenticator.CodeTimedOut, "Your security key did not respond in time."},
		{"a security key already set up reads as on Linux", authenticator.KindCreate, authenticator.SecurityKeyID, dllErr(0x8009000F),
			authenticator.CodeAlreadyRegistered, "This security key is already set up for your NHS login."},
		{"a cancel reads the same whatever was chosen", authenticator.KindGet, authenticator.PhoneID, dllErr(0x800704C7),
			authenticator.CodeCancelled, "You cancelled logging in with your passkey."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := windowsFailure(tt.kind, tt.chosen, tt.err)
			if got.Code != tt.code || got.Message != tt.message {
				t.Fatalf("got %s %q, want %s %q", got.Code, got.Message, tt.code, tt.message)
			}
			if tt.chosen != authenticator.SecurityKeyID && strings.Contains(got.Message, "security key") && !strings.Contains(got.Message, "use a security key") {
				t.Errorf("%q calls %s a security key", got.Message, tt.chosen)
			}
		})
	}
}
