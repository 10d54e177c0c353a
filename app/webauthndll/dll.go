package webauthndll

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/nhs-passkeys/companion/app/webauthnclient"
)

// api is webauthn.dll's functions: the seam between this package and Windows. dll_windows.go
// is the real one; on other systems nothing can run it, and the tests use a fake that reads
// the structures as the DLL would (fake_test.go). Errors are *Error.
type api interface {
	// WebAuthNGetApiVersionNumber; 0 when the function is missing.
	apiVersion() uint32
	// WebAuthNIsUserVerifyingPlatformAuthenticatorAvailable.
	isUserVerifyingPlatformAuthenticatorAvailable() (bool, error)
	// WebAuthNAuthenticatorMakeCredential with the app's window as the dialog's owner.
	makeCredential(hwnd uintptr, c *makeCredentialCall) (*credentialAttestation, error)
	// WebAuthNAuthenticatorGetAssertion.
	getAssertion(hwnd uintptr, c *getAssertionCall) (*assertion, error)
	// WebAuthNFreeCredentialAttestation / WebAuthNFreeAssertion.
	freeCredentialAttestation(*credentialAttestation)
	freeAssertion(*assertion)
	// WebAuthNGetCancellationId / WebAuthNCancelCurrentOperation.
	getCancellationID() (guid, error)
	cancelCurrentOperation(*guid) error
	// WebAuthNGetPlatformCredentialList / WebAuthNFreePlatformCredentialList /
	// WebAuthNDeletePlatformCredential (webauthn.h v4).
	getPlatformCredentialList(*getCredentialsOptions) (*credentialDetailsList, error)
	freePlatformCredentialList(*credentialDetailsList)
	deletePlatformCredential(id []byte) error
}

// DLL is the system's webauthn.dll with its API version negotiated.
type DLL struct {
	api      api
	versions structVersions
}

// newDLL negotiates the structure versions with the DLL behind a.
func newDLL(a api) (*DLL, error) {
	v, ok := negotiate(a.apiVersion())
	if !ok {
		return nil, ErrUnavailable
	}
	return &DLL{api: a, versions: v}, nil
}

// APIVersion is the DLL's WebAuthNGetApiVersionNumber.
func (d *DLL) APIVersion() uint32 { return d.versions.api }

// PlatformAuthenticatorAvailable tells whether Windows Hello is set up (WebAuthn L3
// §5.1.7 isUserVerifyingPlatformAuthenticatorAvailable). An error counts as no.
func (d *DLL) PlatformAuthenticatorAvailable() bool {
	ok, err := d.api.isUserVerifyingPlatformAuthenticatorAvailable()
	return err == nil && ok
}

// HybridAvailable tells whether this Windows offers "Use a different phone or tablet" as a
// transport of its own (webauthn.h v6 names the hybrid transport). On older versions a phone
// may still appear in Windows' security key dialog, but the app does not promise it.
func (d *DLL) HybridAvailable() bool { return d.versions.hasHybrid() }

// ManagesPlatformCredentials tells whether Windows Hello passkeys can be listed and deleted
// (webauthn.h v4).
func (d *DLL) ManagesPlatformCredentials() bool { return d.versions.hasPlatformCredentials() }

// PlatformCredentials lists the platform passkeys for rpID ("" for every RP).
func (d *DLL) PlatformCredentials(rpID string) ([]PlatformCredential, error) {
	if !d.versions.hasPlatformCredentials() {
		return nil, fmt.Errorf("%w: API version %d cannot list passkeys (needs 4)", ErrNotSupported, d.versions.api)
	}
	opts := &getCredentialsOptions{dwVersion: 1}
	if rpID != "" {
		p, err := utf16z(rpID)
		if err != nil {
			return nil, fmt.Errorf("rpId: %w", err)
		}
		opts.pwszRpId = p
	}
	list, err := d.api.getPlatformCredentialList(opts)
	runtime.KeepAlive(opts)
	if errors.Is(err, ErrNoCredentials) {
		return nil, nil // NTE_NOT_FOUND: none (webauthn.h v4)
	}
	if err != nil {
		return nil, err
	}
	if list == nil {
		return nil, nil
	}
	defer d.api.freePlatformCredentialList(list)
	return readCredentialDetails(list)
}

// DeletePlatformCredential deletes a platform passkey from this device.
func (d *DLL) DeletePlatformCredential(id []byte) error {
	if !d.versions.hasPlatformCredentials() {
		return fmt.Errorf("%w: API version %d cannot delete passkeys (needs 4)", ErrNotSupported, d.versions.api)
	}
	if len(id) == 0 {
		return errors.New("webauthndll: no credential id")
	}
	return d.api.deletePlatformCredential(id)
}

// Authenticator is the webauthnclient.Authenticator for the person's choice. window gives the
// app's window handle when a ceremony starts (the system dialog is modal to it); it may give
// 0, and the dialog then stands alone.
func (d *DLL) Authenticator(choice Choice, window func() uintptr) *Authenticator {
	return &Authenticator{dll: d, choice: choice, window: window}
}

// Authenticator runs ceremonies through the Windows dialog.
type Authenticator struct {
	dll    *DLL
	choice Choice
	window func() uintptr
}

var _ webauthnclient.Authenticator = (*Authenticator)(nil)

// MakeCredential is authenticatorMakeCredential through WebAuthNAuthenticatorMakeCredential.
// pin is not used (Windows asks for it in its own dialog) and is zeroed.
func (a *Authenticator) MakeCredential(ctx context.Context, req webauthnclient.CreateRequest, pin []byte, status func(webauthnclient.Status)) (*webauthnclient.Attestation, error) {
	clear(pin)
	if err := a.ready(); err != nil {
		return nil, err
	}
	var out *webauthnclient.Attestation
	err := a.run(ctx, status, func(hwnd uintptr, timeout time.Duration, cancel *guid) error {
		call, err := newMakeCredentialCall(req, a.dll.versions, a.choice, timeout, cancel)
		if err != nil {
			return err
		}
		res, err := a.dll.api.makeCredential(hwnd, call)
		runtime.KeepAlive(call)
		if err != nil {
			return err
		}
		if res == nil {
			return fmt.Errorf("%w: no attestation", ErrBadResponse)
		}
		defer a.dll.api.freeCredentialAttestation(res)
		out, err = readAttestation(res)
		return err
	})
	return out, err
}

// GetAssertion is authenticatorGetAssertion through WebAuthNAuthenticatorGetAssertion. Windows
// lets the person pick one passkey, so there is one assertion.
func (a *Authenticator) GetAssertion(ctx context.Context, req webauthnclient.GetRequest, pin []byte, status func(webauthnclient.Status)) ([]webauthnclient.Assertion, error) {
	clear(pin)
	if err := a.ready(); err != nil {
		return nil, err
	}
	var out []webauthnclient.Assertion
	err := a.run(ctx, status, func(hwnd uintptr, timeout time.Duration, cancel *guid) error {
		call, err := newGetAssertionCall(req, a.dll.versions, a.choice, timeout, cancel)
		if err != nil {
			return err
		}
		res, err := a.dll.api.getAssertion(hwnd, call)
		runtime.KeepAlive(call)
		if err != nil {
			return err
		}
		if res == nil {
			return fmt.Errorf("%w: no assertion", ErrBadResponse)
		}
		defer a.dll.api.freeAssertion(res)
		as, err := readAssertion(res)
		if err != nil {
			return err
		}
		out = []webauthnclient.Assertion{as}
		return nil
	})
	return out, err
}

// ready refuses Windows Hello where Windows says it is not set up, before any dialog opens.
func (a *Authenticator) ready() error {
	if a.choice == ThisDevice && !a.dll.PlatformAuthenticatorAvailable() {
		return ErrNoPlatformAuthenticator
	}
	return nil
}

// run does one blocking DLL call under ctx: the DLL gets a cancellation ID, and ctx's end
// (the person's Cancel in the app, or the ceremony's time) cancels the current operation
// with it (WebAuthNCancelCurrentOperation), which makes the call return NTE_USER_CANCELLED
// or ERROR_CANCELLED. That error is then reported as ctx's, so a ceremony that ran out of
// time says "timed out", not "cancelled".
func (a *Authenticator) run(ctx context.Context, status func(webauthnclient.Status), call func(hwnd uintptr, timeout time.Duration, cancel *guid) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	id, err := a.dll.api.getCancellationID()
	if err != nil {
		return err
	}
	var timeout time.Duration
	if deadline, ok := ctx.Deadline(); ok {
		timeout = time.Until(deadline)
	}
	var hwnd uintptr
	if a.window != nil {
		hwnd = a.window()
	}
	if status != nil {
		// The Windows dialog is up from here on: the person answers it (touch, PIN, face,
		// a QR code), so the app says so.
		status(webauthnclient.StatusTouch)
	}
	stop := context.AfterFunc(ctx, func() { _ = a.dll.api.cancelCurrentOperation(&id) })
	defer stop()
	err = call(hwnd, timeout, &id)
	if err != nil && ctx.Err() != nil && (errors.Is(err, ErrCancelled) || errors.Is(err, ErrTimedOut)) {
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return err
}
