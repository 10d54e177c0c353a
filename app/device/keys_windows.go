//go:build windows

package device

import "golang.org/x/sys/windows"

// adminRequired reports that security keys cannot be opened directly: since Windows 10 1903
// only an elevated (administrator) process may open FIDO HID devices; other apps go through
// webauthn.dll, which manages keys only in Windows Settings (PLATFORM-NOTES.md). A token that
// cannot be read counts as not elevated.
func adminRequired() bool {
	return !windows.GetCurrentProcessToken().IsElevated()
}
