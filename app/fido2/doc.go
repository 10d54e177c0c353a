// Package fido2 is the app's own small binding over libfido2 (the C library, 1.12+, found
// with pkg-config): list and open security keys, register and log in with passkeys, manage
// the PIN, reset. It also attaches a Go authenticator (the virtual security key) to the
// real libfido2 through OpenTransport, so tests and accessibility testers go through the
// same C code as hardware.
//
// Why not github.com/keys-pub/go-libfido2: see the platform notes (PLATFORM-NOTES.md). This
// package passes the full clientDataJSON (fido_cred_set_clientdata /
// fido_assert_set_clientdata, as Windows Hello needs), returns raw authenticator data,
// returns every assertion of a multi-credential answer, wipes PINs, and can cancel safely.
//
// Memory rules: C never keeps a Go pointer. Go transports are found from C through a
// runtime/cgo.Handle carried in a small C struct that libfido2 holds as the device's I/O
// handle. Every libfido2 object is freed on every path (deferred right after it is made).
//
// Secrets: a PIN passed in a request or to SetPIN/ChangePIN belongs to this package from the
// call on: it is copied into C memory allocated for the one libfido2 call, wiped and freed
// right after it, and the caller's slice is zeroed before the method returns. libfido2's
// debug log (FIDO_DEBUG) is never turned on here: it prints the messages it sends. No error
// text contains a PIN or key material.
//
// Blocking: requests block while the authenticator waits for a touch. Cancelling the ctx
// or calling Device.Cancel (from any goroutine) sends CTAPHID CANCEL and the request returns
// ErrCancelled. libfido2's own time budget ends a little after ctx's deadline, for
// authenticators that ignore CANCEL.
package fido2
