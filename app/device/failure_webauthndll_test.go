package device

import (
	"context"
	"fmt"
	"strings"
	"testing"

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
		{"Windows Hello timing out says Windows Hello", kindCreate, windowsHelloID, context.DeadlineExceeded,
			codeTimedOut, "Windows Hello did not finish in time."},
		{"Windows Hello failing for no known reason says Windows Hello", kindGet, windowsHelloID, dllErr(0x80004005),
			codeDeviceError, "Something went wrong with Windows Hello. Try again."},
		{"Windows Hello already holding the passkey says so", kindCreate, windowsHelloID, dllErr(0x8009000F),
			codeAlreadyRegistered, "Windows Hello on this computer is already set up for your NHS login."},
		{"Windows Hello without a passkey for NHS login says so", kindGet, windowsHelloID, dllErr(0x80090011),
			codeNoPasskeyOnKey, "There are no passkeys for your NHS login in Windows Hello on this computer."},
		{"Windows Hello refusing a login says Windows Hello", kindGet, windowsHelloID, dllErr(0x80090029),
			codeNotAllowed, "Windows Hello did not allow you to log in. Try again, or log in another way."},
		{"Windows Hello not set up says where to set it up", kindCreate, windowsHelloID, webauthndll.ErrNoPlatformAuthenticator,
			codeNoAuthenticator, "Windows Hello is not set up on this computer."},
		{"a phone that cannot be reached says to turn on Bluetooth", kindGet, phoneID, dllErr(0x80090035),
			codeNoAuthenticator, "Your phone or tablet could not be reached."},
		{"a phone timing out says phone or tablet", kindCreate, phoneID, dllErr(0x800705B4),
			codeTimedOut, "Your phone or tablet did not respond in time."},
		{"a phone failing for no known reason says phone or tablet", kindCreate, phoneID, dllErr(0x80004005),
			codeDeviceError, "Something went wrong connecting to your phone or tablet."},
		{"a phone refusing to save says phone or tablet", kindCreate, phoneID, dllErr(0x80090029),
			codeNotAllowed, "Your phone or tablet did not allow your passkey to be set up. Try again, or use a different one."},
		{"a security key timing out reads as on Linux", kindCreate, securityKeyID, context.DeadlineExceeded,
			codeTimedOut, "Your security key did not respond in time."},
		{"a security key already set up reads as on Linux", kindCreate, securityKeyID, dllErr(0x8009000F),
			codeAlreadyRegistered, "This security key is already set up for your NHS login."},
		{"a cancel reads the same whatever was chosen", kindGet, phoneID, dllErr(0x800704C7),
			codeCancelled, "You cancelled logging in with your passkey."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := windowsFailure(tt.kind, tt.chosen, tt.err)
			if got.Code != tt.code || got.Message != tt.message {
				t.Fatalf("got %s %q, want %s %q", got.Code, got.Message, tt.code, tt.message)
			}
			if tt.chosen != securityKeyID && strings.Contains(got.Message, "security key") && !strings.Contains(got.Message, "use a security key") {
				t.Errorf("%q calls %s a security key", got.Message, tt.chosen)
			}
		})
	}
}
