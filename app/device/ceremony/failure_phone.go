package ceremony

// What a phone ceremony (phone.go, app/hybrid) tells the page when it fails. Every stable
// error of app/hybrid has its code here; the codes a security key has too (cancelled,
// timed_out, already_registered, no_passkey_on_key, device_error) keep their meaning, in the
// words Windows uses for its own phone path (phoneWords, failure_webauthndll.go).

import (
	"context"
	"errors"

	"github.com/nhs-passkeys/companion/app/bluetooth"
	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/hybrid"
	"github.com/nhs-passkeys/companion/app/webauthnclient"
)

// Failure codes only the phone path has (docs/api.md, "Device endpoints").
const (
	codeBluetoothUnavailable  = "bluetooth_unavailable"
	codePhoneNotFound         = "phone_not_found"
	codeWrongPhone            = "wrong_phone"
	codeTunnelUnreachable     = "tunnel_unreachable"
	codeTunnelRefused         = "tunnel_refused"
	codePhoneConnectionFailed = "phone_connection_failed"
	codePhoneCancelled        = "phone_cancelled"
	codePhoneNotSupported     = "phone_not_supported"
)

// bluetoothFailure says why Bluetooth cannot be used, as precisely as the scanner knows it
// (app/bluetooth's messages): the failure of a phone ceremony, and the reason the
// phone is listed as unavailable.
func bluetoothFailure(err error) authenticator.Failure {
	_, msg, _ := bluetooth.Problem(err) // every ErrBluetoothUnavailable has its message there
	return authenticator.Failure{Code: codeBluetoothUnavailable, Message: msg}
}

// phoneFailure maps why a phone ceremony ended to what the page shows. kind is "create" or
// "get". The hybrid errors come first: they wrap the context's error when the time ran out
// or the ceremony was cancelled, and say better which it was.
func phoneFailure(kind string, err error) authenticator.Failure {
	pick := func(create, get string) string { return authenticator.ByKind(kind, create, get) }
	switch {
	case errors.Is(err, hybrid.ErrBluetoothUnavailable):
		return bluetoothFailure(err)
	case errors.Is(err, hybrid.ErrWrongPhone):
		return authenticator.Failure{Code: codeWrongPhone, Message: "A phone was found, but it was not the one that scanned this QR code. It may have scanned an older QR code, or one on another computer. Try again and scan the new QR code on this screen."}
	case errors.Is(err, hybrid.ErrNoAdvert):
		return authenticator.Failure{Code: codePhoneNotFound, Message: "We could not find your phone or tablet. Check that Bluetooth is turned on on your phone or tablet and keep it near this computer. Then try again and scan the new QR code."}
	case errors.Is(err, hybrid.ErrTunnelUnreachable):
		return authenticator.Failure{Code: codeTunnelUnreachable, Message: "This computer could not reach the phone's passkey service on the internet. Check you are connected to the internet, then try again. If this keeps happening, your network may block it: use a security key instead."}
	case errors.Is(err, hybrid.ErrTunnelRefused):
		return authenticator.Failure{Code: codeTunnelRefused, Message: "The phone's passkey service on the internet did not accept the connection from this computer. Try again and scan the new QR code."}
	case errors.Is(err, hybrid.ErrHandshake):
		return authenticator.Failure{Code: codePhoneConnectionFailed, Message: "A secure connection with your phone or tablet could not be set up. Try again and scan the new QR code."}
	case errors.Is(err, hybrid.ErrPhoneUnsupported):
		return authenticator.Failure{Code: codePhoneNotSupported, Message: "Your phone or tablet asked for something this app cannot do yet. Check for an update to this app, or use a security key instead."}
	case errors.Is(err, hybrid.ErrPhoneCancelled):
		return authenticator.Failure{Code: codePhoneCancelled, Message: pick(
			"Setting up your passkey was cancelled on your phone or tablet. Try again if you still want to set it up.",
			"Logging in was cancelled on your phone or tablet. Try again if you still want to log in.")}
	case errors.Is(err, hybrid.ErrNoCredentials), errors.Is(err, webauthnclient.ErrNoAccountPasskey):
		return authenticator.Failure{Code: authenticator.CodeNoPasskeyOnKey, Message: phoneWords.nothingSaved}
	case errors.Is(err, hybrid.ErrCredentialExcluded):
		return authenticator.Failure{Code: authenticator.CodeAlreadyRegistered, Message: phoneWords.alreadySetUp}
	case errors.Is(err, hybrid.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return authenticator.Failure{Code: authenticator.CodeTimedOut, Message: phoneWords.timedOut}
	case errors.Is(err, hybrid.ErrCancelled), errors.Is(err, context.Canceled):
		return authenticator.Failure{Code: authenticator.CodeCancelled, Message: authenticator.YouCancelled(kind)}
	}
	// ErrBadResponse, ErrSessionUsed, ErrBadQR, and anything else.
	return authenticator.Failure{Code: authenticator.CodeDeviceError, Message: phoneWords.other}
}
