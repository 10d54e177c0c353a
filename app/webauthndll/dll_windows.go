//go:build windows

package webauthndll

// The real webauthn.dll, called through golang.org/x/sys/windows with no cgo. This file runs
// only on Windows; what it passes and reads is the Go mirrors of layout.go, checked on any
// 64-bit machine by layout_test.go.

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// system is webauthn.dll's functions. Every one is looked up when first called: an older
// DLL lacks the newer ones (WebAuthNGetPlatformCredentialList needs API version 4), and
// calling a missing one is never tried (Find first).
type system struct {
	procGetAPIVersion              *windows.LazyProc
	procIsUVPAA                    *windows.LazyProc
	procMakeCredential             *windows.LazyProc
	procGetAssertion               *windows.LazyProc
	procFreeAttestation            *windows.LazyProc
	procFreeAssertion              *windows.LazyProc
	procGetCancellationID          *windows.LazyProc
	procCancel                     *windows.LazyProc
	procGetErrorName               *windows.LazyProc
	procGetPlatformCredentialList  *windows.LazyProc
	procFreePlatformCredentialList *windows.LazyProc
	procDeletePlatformCredential   *windows.LazyProc
}

// Load loads webauthn.dll from the system folder (never from the app's folder or the PATH)
// and negotiates its API version. ErrUnavailable: no DLL, or one without an API version
// (Windows 10 before 1903).
func Load() (*DLL, error) {
	dll := windows.NewLazySystemDLL("webauthn.dll")
	if err := dll.Load(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return newDLL(&system{
		procGetAPIVersion:              dll.NewProc("WebAuthNGetApiVersionNumber"),
		procIsUVPAA:                    dll.NewProc("WebAuthNIsUserVerifyingPlatformAuthenticatorAvailable"),
		procMakeCredential:             dll.NewProc("WebAuthNAuthenticatorMakeCredential"),
		procGetAssertion:               dll.NewProc("WebAuthNAuthenticatorGetAssertion"),
		procFreeAttestation:            dll.NewProc("WebAuthNFreeCredentialAttestation"),
		procFreeAssertion:              dll.NewProc("WebAuthNFreeAssertion"),
		procGetCancellationID:          dll.NewProc("WebAuthNGetCancellationId"),
		procCancel:                     dll.NewProc("WebAuthNCancelCurrentOperation"),
		procGetErrorName:               dll.NewProc("WebAuthNGetErrorName"),
		procGetPlatformCredentialList:  dll.NewProc("WebAuthNGetPlatformCredentialList"),
		procFreePlatformCredentialList: dll.NewProc("WebAuthNFreePlatformCredentialList"),
		procDeletePlatformCredential:   dll.NewProc("WebAuthNDeletePlatformCredential"),
	})
}

// missing is the error for a function this DLL does not have.
func missing(p *windows.LazyProc) error {
	return fmt.Errorf("%w: webauthn.dll has no %s", ErrNotSupported, p.Name)
}

// check turns an HRESULT into *Error, named by WebAuthNGetErrorName.
func (s *system) check(op string, r uintptr) error {
	hr := uint32(r) //nolint:gosec // G115: an HRESULT is 32 bits; the upper half of the register is not part of it
	if hr == hrOK {
		return nil
	}
	return &Error{Op: op, HRESULT: hr, Name: s.errorName(hr)}
}

// errorName is WebAuthNGetErrorName(hr): a constant string of the DLL's, not to be freed.
func (s *system) errorName(hr uint32) string {
	if s.procGetErrorName.Find() != nil {
		return documentedErrorName(hr)
	}
	r, _, _ := s.procGetErrorName.Call(uintptr(hr))
	return goString(*(**uint16)(unsafe.Pointer(&r)))
}

func (s *system) apiVersion() uint32 {
	if s.procGetAPIVersion.Find() != nil {
		return 0
	}
	r, _, _ := s.procGetAPIVersion.Call()
	return uint32(r) //nolint:gosec // G115: WebAuthNGetApiVersionNumber returns a DWORD
}

func (s *system) isUserVerifyingPlatformAuthenticatorAvailable() (bool, error) {
	if s.procIsUVPAA.Find() != nil {
		return false, missing(s.procIsUVPAA)
	}
	var available int32 // BOOL
	r, _, _ := s.procIsUVPAA.Call(uintptr(unsafe.Pointer(&available)))
	if err := s.check("WebAuthNIsUserVerifyingPlatformAuthenticatorAvailable", r); err != nil {
		return false, err
	}
	return available != 0, nil
}

func (s *system) makeCredential(hwnd uintptr, c *makeCredentialCall) (*credentialAttestation, error) {
	if s.procMakeCredential.Find() != nil {
		return nil, missing(s.procMakeCredential)
	}
	var out *credentialAttestation
	r, _, _ := s.procMakeCredential.Call(hwnd,
		uintptr(unsafe.Pointer(&c.rp)), uintptr(unsafe.Pointer(&c.user)), uintptr(unsafe.Pointer(&c.params)),
		uintptr(unsafe.Pointer(&c.client)), uintptr(unsafe.Pointer(&c.options)), uintptr(unsafe.Pointer(&out)))
	if err := s.check("WebAuthNAuthenticatorMakeCredential", r); err != nil {
		if out != nil { // _Outptr_result_maybenull_: free whatever came back
			s.freeCredentialAttestation(out)
		}
		return nil, err
	}
	return out, nil
}

func (s *system) getAssertion(hwnd uintptr, c *getAssertionCall) (*assertion, error) {
	if s.procGetAssertion.Find() != nil {
		return nil, missing(s.procGetAssertion)
	}
	var out *assertion
	r, _, _ := s.procGetAssertion.Call(hwnd, uintptr(unsafe.Pointer(c.rpID)),
		uintptr(unsafe.Pointer(&c.client)), uintptr(unsafe.Pointer(&c.options)), uintptr(unsafe.Pointer(&out)))
	if err := s.check("WebAuthNAuthenticatorGetAssertion", r); err != nil {
		if out != nil {
			s.freeAssertion(out)
		}
		return nil, err
	}
	return out, nil
}

func (s *system) freeCredentialAttestation(a *credentialAttestation) {
	if a != nil && s.procFreeAttestation.Find() == nil {
		_, _, _ = s.procFreeAttestation.Call(uintptr(unsafe.Pointer(a))) // returns void
	}
}

func (s *system) freeAssertion(a *assertion) {
	if a != nil && s.procFreeAssertion.Find() == nil {
		_, _, _ = s.procFreeAssertion.Call(uintptr(unsafe.Pointer(a))) // returns void
	}
}

func (s *system) getCancellationID() (guid, error) {
	var id guid
	if s.procGetCancellationID.Find() != nil {
		return id, missing(s.procGetCancellationID)
	}
	r, _, _ := s.procGetCancellationID.Call(uintptr(unsafe.Pointer(&id)))
	return id, s.check("WebAuthNGetCancellationId", r)
}

func (s *system) cancelCurrentOperation(id *guid) error {
	if s.procCancel.Find() != nil {
		return missing(s.procCancel)
	}
	r, _, _ := s.procCancel.Call(uintptr(unsafe.Pointer(id)))
	return s.check("WebAuthNCancelCurrentOperation", r)
}

func (s *system) getPlatformCredentialList(o *getCredentialsOptions) (*credentialDetailsList, error) {
	if s.procGetPlatformCredentialList.Find() != nil {
		return nil, missing(s.procGetPlatformCredentialList)
	}
	var out *credentialDetailsList
	r, _, _ := s.procGetPlatformCredentialList.Call(uintptr(unsafe.Pointer(o)), uintptr(unsafe.Pointer(&out)))
	if err := s.check("WebAuthNGetPlatformCredentialList", r); err != nil {
		if out != nil {
			s.freePlatformCredentialList(out)
		}
		return nil, err
	}
	return out, nil
}

func (s *system) freePlatformCredentialList(l *credentialDetailsList) {
	if l != nil && s.procFreePlatformCredentialList.Find() == nil {
		_, _, _ = s.procFreePlatformCredentialList.Call(uintptr(unsafe.Pointer(l))) // returns void
	}
}

func (s *system) deletePlatformCredential(id []byte) error {
	if s.procDeletePlatformCredential.Find() != nil {
		return missing(s.procDeletePlatformCredential)
	}
	p, n := cBytes(id)
	r, _, _ := s.procDeletePlatformCredential.Call(uintptr(n), uintptr(unsafe.Pointer(p)))
	return s.check("WebAuthNDeletePlatformCredential", r)
}

// AppWindow is the handle of this app's window for the Windows dialog to sit over: the
// foreground window when it is this process's Wails window (class "wailsWindow", Wails v2's
// default). The person has just pressed a button in it, so it is the foreground window; if
// it is not (they switched away), 0 lets the dialog open on its own rather than over another
// program's window.
func AppWindow() uintptr {
	h := windows.GetForegroundWindow()
	if h == 0 {
		return 0
	}
	var pid uint32
	if _, err := windows.GetWindowThreadProcessId(h, &pid); err != nil || pid != windows.GetCurrentProcessId() {
		return 0
	}
	const classNameUnits = 64
	buf := make([]uint16, classNameUnits)
	n, err := windows.GetClassName(h, &buf[0], classNameUnits)
	if err != nil || windows.UTF16ToString(buf[:n]) != "wailsWindow" {
		return 0
	}
	return uintptr(h)
}
