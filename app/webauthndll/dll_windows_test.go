package webauthndll

// The real webauthn.dll, called as the app calls it, for every function that opens no
// dialog: the API version, whether Windows Hello is set up, the error names, the platform
// passkey list for an RP that has none, and the cancellation pair. Runs only on Windows (the
// hosted pipeline's windows-latest, .github/workflows/platforms.yml, with -v so that the log
// says what that Windows offers); the ceremonies themselves open Windows' dialog and are on
// the README's manual checklist.

import (
	"errors"
	"testing"

	"golang.org/x/sys/windows"
)

// realDLL loads the system's webauthn.dll, logging what this Windows offers.
func realDLL(t *testing.T) (*DLL, *system) {
	t.Helper()
	v := windows.RtlGetVersion()
	d, err := Load()
	if err != nil {
		t.Fatalf("Windows %d.%d build %d: webauthn.dll did not load: %v", v.MajorVersion, v.MinorVersion, v.BuildNumber, err)
	}
	sys, ok := d.api.(*system)
	if !ok {
		t.Fatalf("Load gave %T, not the real DLL", d.api)
	}
	t.Logf("Windows %d.%d build %d: webauthn.dll API version %d; Windows Hello set up: %v; phone or tablet (hybrid) named: %v; platform passkeys listed: %v",
		v.MajorVersion, v.MinorVersion, v.BuildNumber, d.APIVersion(), d.PlatformAuthenticatorAvailable(),
		d.HybridAvailable(), d.ManagesPlatformCredentials())
	return d, sys
}

func TestTheRealWebAuthnDLLGivesAnAPIVersionThisPackageCanUse(t *testing.T) {
	d, sys := realDLL(t)
	if raw := sys.apiVersion(); raw == 0 || raw != d.APIVersion() {
		t.Fatalf("WebAuthNGetApiVersionNumber %d, negotiated %d", raw, d.APIVersion())
	}
	if d.APIVersion() > uint32(len(knownVersions)) {
		t.Logf("API version %d is newer than webauthn.h v%d: the v%d layouts are used", d.APIVersion(), len(knownVersions), len(knownVersions))
	}
}

func TestTheRealWebAuthnDLLSaysWhetherWindowsHelloIsSetUpWithoutAnError(t *testing.T) {
	_, sys := realDLL(t)
	available, err := sys.isUserVerifyingPlatformAuthenticatorAvailable()
	if err != nil {
		t.Fatalf("WebAuthNIsUserVerifyingPlatformAuthenticatorAvailable: %v", err)
	}
	t.Logf("Windows Hello set up: %v", available)
}

func TestTheRealWebAuthnDLLNamesEachErrorAsWebauthnHSays(t *testing.T) {
	_, sys := realDLL(t)
	if sys.procGetErrorName.Find() != nil {
		t.Fatal("webauthn.dll has no WebAuthNGetErrorName")
	}
	for hr, want := range documentedErrorNames {
		if got := sys.errorName(hr); got != want {
			t.Errorf("WebAuthNGetErrorName(0x%08X) = %q, webauthn.h says %q", hr, got, want)
		}
	}
	t.Logf("WebAuthNGetErrorName(E_FAIL) = %q", sys.errorName(0x80004005))
}

func TestTheRealWebAuthnDLLListsNoPasskeysForAnRPThatHasNone(t *testing.T) {
	d, _ := realDLL(t)
	// A name under .invalid (RFC 2606) cannot be any real site's RP ID.
	const rpID = "no-passkeys.nhs-passkeys.invalid"
	list, err := d.PlatformCredentials(rpID)
	if !d.ManagesPlatformCredentials() {
		if !errors.Is(err, ErrNotSupported) {
			t.Fatalf("API version %d cannot list passkeys, yet PlatformCredentials answered %v, %v", d.APIVersion(), list, err)
		}
		t.Skipf("API version %d cannot list passkeys (needs 4)", d.APIVersion())
	}
	if err != nil || len(list) != 0 {
		t.Fatalf("WebAuthNGetPlatformCredentialList(%q): %v, %v; want none and no error", rpID, list, err)
	}
}

func TestTheRealWebAuthnDLLGivesCancellationIDsAndTakesACancel(t *testing.T) {
	_, sys := realDLL(t)
	first, err := sys.getCancellationID()
	if err != nil {
		t.Fatalf("WebAuthNGetCancellationId: %v", err)
	}
	second, err := sys.getCancellationID()
	if err != nil {
		t.Fatalf("WebAuthNGetCancellationId: %v", err)
	}
	if first == (guid{}) || first == second {
		t.Fatalf("cancellation IDs %v and %v: want two different, non-zero GUIDs", first, second)
	}
	// Nothing is running under first, so there is nothing to stop: the call must come back
	// at once, and an error it gives must be one the DLL names.
	err = sys.cancelCurrentOperation(&first)
	var dllErr *Error
	if err != nil && !errors.As(err, &dllErr) {
		t.Fatalf("WebAuthNCancelCurrentOperation: %v is not a webauthn.dll error", err)
	}
	t.Logf("WebAuthNCancelCurrentOperation with nothing running: %v", err)
}
