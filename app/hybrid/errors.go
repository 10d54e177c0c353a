package hybrid

import (
	"context"
	"errors"
	"fmt"
)

// The stable errors of a hybrid transaction. Every error a Session returns wraps exactly one
// of them (test with errors.Is); the wrapped cause says more for the log and never holds
// key material. The app turns each into a message for the person (what happened, what to do).
var (
	// ErrBadQR: a "FIDO:/" string that is not a caBLE v2 QR code (CTAP 2.2 §11.5.1.1).
	ErrBadQR = errors.New("hybrid: not a valid FIDO QR code")
	// ErrBluetoothUnavailable: the Bluetooth scan could not start (no adapter, switched off,
	// no permission). Hybrid needs Bluetooth even though the data goes over the internet: the
	// phone's advert is the proof that it is near (CTAP 2.2 §11.5.1.2).
	ErrBluetoothUnavailable = errors.New("hybrid: Bluetooth is not available")
	// Why Bluetooth is not available (each wraps ErrBluetoothUnavailable), for a scanner
	// (AdvertSource, app/bluetooth) to wrap in its error when it knows, so that the app can tell the person what to do about it. A scanner's error
	// that wraps none of them still ends the transaction in ErrBluetoothUnavailable.
	//
	// ErrNoBluetoothAdapter: this computer has no Bluetooth adapter (BlueZ: no Adapter1).
	ErrNoBluetoothAdapter = fmt.Errorf("%w: this computer has no Bluetooth adapter", ErrBluetoothUnavailable)
	// ErrBluetoothOff: the adapter is switched off (BlueZ: Adapter1.Powered false).
	ErrBluetoothOff = fmt.Errorf("%w: Bluetooth is switched off", ErrBluetoothUnavailable)
	// ErrBluetoothBlocked: the adapter is blocked, e.g. by flight mode (Linux rfkill; BlueZ
	// answers org.bluez.Error.Blocked or PowerState "off-blocked").
	ErrBluetoothBlocked = fmt.Errorf("%w: Bluetooth is blocked", ErrBluetoothUnavailable)
	// ErrBluetoothNotAllowed: this app may not use Bluetooth (macOS privacy settings:
	// CBManagerAuthorization denied or restricted; a D-Bus policy that refuses BlueZ).
	ErrBluetoothNotAllowed = fmt.Errorf("%w: this app is not allowed to use Bluetooth", ErrBluetoothUnavailable)
	// ErrNoAdvert: no phone advertised for this QR code before the time ran out.
	ErrNoAdvert = errors.New("hybrid: no phone answered the QR code in time")
	// ErrWrongPhone: the time ran out while a phone nearby advertised for another QR code
	// (an old one, or another computer's) and none for this one. Scan the code on this screen.
	ErrWrongPhone = errors.New("hybrid: a phone answered a different QR code")
	// ErrPhoneUnsupported: the phone answered this QR code but asked for something this app
	// does not speak (an unknown tunnel server, a reserved advert field, no CTAP support).
	ErrPhoneUnsupported = errors.New("hybrid: the phone asked for something this app does not support")
	// ErrTunnelUnreachable: the tunnel server the phone chose could not be reached (no
	// internet, DNS, a firewall, TLS). NHS networks may block cable.ua5v.com / cable.auth.com.
	ErrTunnelUnreachable = errors.New("hybrid: could not reach the phone's tunnel server")
	// ErrTunnelRefused: the tunnel server answered but refused the connection (an HTTP
	// error such as 404 when the phone has gone, or a WebSocket without the fido.cable
	// sub-protocol).
	ErrTunnelRefused = errors.New("hybrid: the tunnel server refused the connection")
	// ErrHandshake: the encrypted channel with the phone could not be set up: the Noise
	// handshake failed (a tampered or foreign message) or the connection ended during it.
	ErrHandshake = errors.New("hybrid: the secure connection with the phone failed")
	// ErrPhoneCancelled: the person cancelled on the phone, or the phone refused
	// (CTAP2_ERR_OPERATION_DENIED, CTAP2_ERR_KEEPALIVE_CANCEL), or it hung up without
	// answering.
	ErrPhoneCancelled = errors.New("hybrid: the phone cancelled")
	// ErrNoCredentials: the phone has no passkey for this site (CTAP2_ERR_NO_CREDENTIALS).
	ErrNoCredentials = errors.New("hybrid: the phone has no passkey for this site")
	// ErrCredentialExcluded: the phone already holds a passkey of this account
	// (CTAP2_ERR_CREDENTIAL_EXCLUDED).
	ErrCredentialExcluded = errors.New("hybrid: the phone already has a passkey for this account")
	// ErrBadResponse: the phone's answer could not be read or does not fit the request
	// (decryption failed after the handshake, malformed CBOR, an unexpected CTAP status).
	ErrBadResponse = errors.New("hybrid: the phone's answer was not valid")
	// ErrTimeout: the phone connected but did not answer before the time ran out, or it says
	// the person did not confirm on it in time (CTAP2_ERR_USER_ACTION_TIMEOUT).
	ErrTimeout = errors.New("hybrid: the phone did not answer in time")
	// ErrCancelled: the transaction was cancelled on this computer (its context).
	ErrCancelled = errors.New("hybrid: cancelled")
	// ErrSessionUsed: a Session (one QR code) carries one transaction; show a new QR code.
	ErrSessionUsed = errors.New("hybrid: this QR code has already been used")
)

// ctxErr maps the end of ctx to ErrCancelled or, for a deadline, to late (ErrNoAdvert while
// scanning, ErrTimeout afterwards). Both ctx's own error and the stable one are wrapped.
func ctxErr(ctx context.Context, late error) error {
	if errors.Is(context.Cause(ctx), context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", late, ctx.Err())
	}
	return fmt.Errorf("%w: %w", ErrCancelled, ctx.Err())
}
