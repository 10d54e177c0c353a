// Package webauthndll is the Windows authenticator: Windows Hello, security keys and phones
// or tablets ("Use a different phone or tablet", hybrid/QR), all reached through the system's
// webauthn.dll and its own dialogs, in pure Go (golang.org/x/sys/windows, no cgo).
//
// Since Windows 10 1903 an app that is not elevated may not open FIDO security keys itself;
// webauthn.dll is the way in for every app, browsers included. Authenticator implements the
// same interface as the libfido2 adapter on Linux and macOS (webauthnclient.Authenticator):
// the app's WebAuthn client builds clientDataJSON and checks the answers, and the system
// dialog asks for the PIN, the fingerprint or the phone.
//
// The structures are Go mirrors of webauthn.h (github.com/microsoft/webauthn), whose every
// structure carries a dwVersion and grows only at its end. The caller fills the newest layout
// it knows and writes in dwVersion the version that the DLL's API version
// (WebAuthNGetApiVersionNumber) understands (versions.go); results are read only as far as
// the dwVersion the DLL wrote in them (results.go). The layouts are checked against the
// header's offsets on any 64-bit machine (layout_test.go); the calls themselves
// (dll_windows.go) run only on Windows.
//
// References are to webauthn.h by API version ("webauthn.h v4") and to Web Authentication
// Level 3 ("WebAuthn L3").
package webauthndll
