//go:build !windows

package webauthndll

// Load reports ErrUnavailable: webauthn.dll exists only on Windows. The rest of the package
// builds everywhere, so its layouts and logic are tested on the Linux build machines.
func Load() (*DLL, error) { return nil, ErrUnavailable }

// AppWindow is 0: there is no Windows window to own a dialog.
func AppWindow() uintptr { return 0 }
