//go:build cgo && !windows

// Package fido2 is the app's own small binding over libfido2 (the C library, 1.12+, found
// with pkg-config): list and open security keys, register and log in with passkeys, manage
// the PIN, reset; list and delete the passkeys a key holds (credman.go), enrol and manage
// fingerprints (bio.go), and raise the minimum PIN length or force a PIN change (config.go).
// It also attaches a Go authenticator (the virtual security key) to the real libfido2
// through OpenTransport, so tests and accessibility testers go through the same C code as
// hardware.
//
// libfido2 1.12 speaks the CTAP 2.1-PRE prototypes of credential management (0x41) and bio
// enrollment (0x40) to every authenticator, whatever its getInfo says; CTAP 2.1 keys accept
// them. It reads the authenticator's options once, at open: built-in user verification (a
// fingerprint enrolled since) is used only by a Device opened after the enrolment.
//
// Every file is left out of Windows builds and of builds without cgo (//go:build cgo &&
// !windows). On Windows only administrators may open security keys directly (since Windows
// 10 1903), so the app reaches them, Windows Hello and phones through webauthn.dll instead
// (app/webauthndll), with no C toolchain. Without cgo there is no libfido2 to call: the
// Linux and macOS builds of the app always have cgo (Wails needs it there too), and a build
// without it, such as `make lint`'s vet of macOS on a machine without Apple's SDK, has a
// stand-in that offers no security key and says why (app/device/authenticator/set_nocgo.go).
// On macOS the same binding links Homebrew's libfido2 (build/darwin, scripts/mac-app.sh).
//
// Why not github.com/keys-pub/go-libfido2: see the platform notes
// (../shared/PLATFORM-NOTES.md). This package passes the full clientDataJSON (fido_cred_set_clientdata /
// fido_assert_set_clientdata, as Windows Hello needs), returns raw authenticator data,
// returns every assertion of a multi-credential answer, wipes PINs, and can cancel safely.
//
// Memory rules: C never keeps a Go pointer. Go transports are found from C through a
// runtime/cgo.Handle carried in a small C struct that libfido2 holds as the device's I/O
// handle. Every libfido2 object is freed on every path (deferred right after it is made).
//
// Secrets: a PIN passed in a request or to any method (SetPIN, ChangePIN, the credential,
// fingerprint and config methods) belongs to this package from the call on: it is copied
// into C memory allocated for the libfido2 call, wiped and freed right after it, and the
// caller's slice is zeroed before the method returns. The pinUvAuthToken libfido2 keeps
// between fingerprint samples is freed, and wiped by libfido2, when the enrolment ends, is
// cancelled, or the Device closes. libfido2's
// debug log (FIDO_DEBUG) is never turned on here: it prints the messages it sends. No error
// text contains a PIN or key material.
//
// Blocking: requests block while the authenticator waits for a touch. Cancelling the ctx
// or calling Device.Cancel (from any goroutine) sends CTAPHID CANCEL and the request returns
// ErrCancelled. libfido2's own time budget ends a little after ctx's deadline, for
// authenticators that ignore CANCEL.
package fido2
