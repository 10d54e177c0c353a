package ceremony

import (
	"context"
	"fmt"
	"testing"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/hybrid"
)

// Every stable error of app/hybrid, wrapped as a Session wraps it (with the context's error
// when the time ran out or the ceremony was cancelled), has its own code and words.
func TestEveryWayAPhoneCeremonyFailsHasAStableCodeAndMessage(t *testing.T) {
	deadline := func(stable error) error { return fmt.Errorf("%w: %w", stable, context.DeadlineExceeded) }
	tests := []struct {
		name        string
		err         error
		code        string
		create, get string // the message for each kind ("" for the same as create)
	}{
		{"Bluetooth switched off", fmt.Errorf("%w: bluez: %w", hybrid.ErrBluetoothUnavailable, hybrid.ErrBluetoothOff),
			"bluetooth_unavailable", "Bluetooth is turned off on this computer. Turn it on in your computer's settings, then try again.", ""},
		{"no Bluetooth adapter", fmt.Errorf("%w: %w", hybrid.ErrBluetoothUnavailable, hybrid.ErrNoBluetoothAdapter),
			"bluetooth_unavailable", "Your computer does not have Bluetooth, which is needed to use a phone or tablet. Use a security key instead, or use a computer that has Bluetooth.", ""},
		{"Bluetooth blocked", fmt.Errorf("%w: %w", hybrid.ErrBluetoothUnavailable, hybrid.ErrBluetoothBlocked),
			"bluetooth_unavailable", "Bluetooth is blocked on this computer, for example because flight mode is on. Turn off flight mode or unblock Bluetooth in your computer's settings, then try again.", ""},
		{"Bluetooth not allowed", fmt.Errorf("%w: %w", hybrid.ErrBluetoothUnavailable, hybrid.ErrBluetoothNotAllowed),
			"bluetooth_unavailable", "This app is not allowed to use Bluetooth. Allow it in your computer's settings (on a Mac: System Settings, then Privacy and Security, then Bluetooth), then try again.", ""},
		{"Bluetooth unavailable for another reason", fmt.Errorf("%w: the scan stopped", hybrid.ErrBluetoothUnavailable),
			"bluetooth_unavailable", "Bluetooth is not working on this computer at the moment. Check Bluetooth is turned on, then try again.", ""},
		{"no advert in time", deadline(hybrid.ErrNoAdvert), "phone_not_found",
			"We could not find your phone or tablet. Check that Bluetooth is turned on on your phone or tablet and keep it near this computer. Then try again and scan the new QR code.", ""},
		{"an advert for another QR code only", deadline(hybrid.ErrWrongPhone), "wrong_phone",
			"A phone was found, but it was not the one that scanned this QR code. It may have scanned an older QR code, or one on another computer. Try again and scan the new QR code on this screen.", ""},
		{"the tunnel server unreachable", fmt.Errorf("%w: dial: connection refused", hybrid.ErrTunnelUnreachable), "tunnel_unreachable",
			"This computer could not reach the phone's passkey service on the internet. Check you are connected to the internet, then try again. If this keeps happening, your network may block it: use a security key instead.", ""},
		{"the tunnel server refusing", fmt.Errorf("%w: HTTP 404", hybrid.ErrTunnelRefused), "tunnel_refused",
			"The phone's passkey service on the internet did not accept the connection from this computer. Try again and scan the new QR code.", ""},
		{"the handshake failing", fmt.Errorf("%w: bad MAC", hybrid.ErrHandshake), "phone_connection_failed",
			"A secure connection with your phone or tablet could not be set up. Try again and scan the new QR code.", ""},
		{"a phone speaking a newer protocol", fmt.Errorf("%w: domain 7", hybrid.ErrPhoneUnsupported), "phone_not_supported",
			"Your phone or tablet asked for something this app cannot do yet. Check for an update to this app, or use a security key instead.", ""},
		{"the person cancelling on the phone", fmt.Errorf("%w: CTAP status 0x27", hybrid.ErrPhoneCancelled), "phone_cancelled",
			"Setting up your passkey was cancelled on your phone or tablet. Try again if you still want to set it up.",
			"Logging in was cancelled on your phone or tablet. Try again if you still want to log in."},
		{"no passkey on the phone", hybrid.ErrNoCredentials, "no_passkey_on_key",
			"There are no passkeys for your NHS login on that phone or tablet.", ""},
		{"the phone already set up", hybrid.ErrCredentialExcluded, "already_registered",
			"This phone or tablet is already set up for your NHS login.", ""},
		{"the phone not answering in time", deadline(hybrid.ErrTimeout), "timed_out",
			"Your phone or tablet did not respond in time.", ""},
		{"the ceremony's time ending before the QR code", fmt.Errorf("%w: %w", hybrid.ErrTimeout, context.DeadlineExceeded), "timed_out",
			"Your phone or tablet did not respond in time.", ""},
		{"a cancel on this computer", fmt.Errorf("%w: %w", hybrid.ErrCancelled, context.Canceled), "cancelled",
			"You cancelled setting up your passkey.", "You cancelled logging in with your passkey."},
		{"an answer that cannot be read", fmt.Errorf("%w: bad CBOR", hybrid.ErrBadResponse), "device_error",
			"Something went wrong connecting to your phone or tablet.", ""},
		{"a QR code used twice", hybrid.ErrSessionUsed, "device_error", "Something went wrong connecting to your phone or tablet.", ""},
		{"an error of no kind", fmt.Errorf("phone: random source failed"), "device_error", "Something went wrong connecting to your phone or tablet.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, kind := range []string{authenticator.KindCreate, authenticator.KindGet} {
				want := tt.create
				if kind == authenticator.KindGet && tt.get != "" {
					want = tt.get
				}
				if got := phoneFailure(kind, tt.err); got.Code != tt.code || got.Message != want {
					t.Errorf("%s: %+v, want %s %q", kind, got, tt.code, want)
				}
			}
		})
	}
}
