package ceremony

// "Use a different phone or tablet" on Linux and macOS: the FIDO hybrid transport (caBLE v2,
// CTAP 2.2 §11.5) through app/hybrid. The page shows the QR code this ceremony carries, the
// person scans it with their phone's camera, the phone's Bluetooth advert proves it is near,
// and the passkey's answer comes over the phone's tunnel server on the internet. Windows
// does not need it: webauthn.dll shows its own QR code (run_windows.go, kind "hybrid").
//
// Rules kept here:
//   - The QR code's text holds the transaction's secret (app/hybrid doc.go): it is in the
//     ceremony's JSON only while the ceremony waits for the phone to scan it (state
//     phone-scan), dropped as soon as the phone is found or the ceremony ends, and never
//     logged. A QR code carries one transaction: every ceremony makes a new one.
//   - Kiosk mode offers the phone too (the passkey leaves with the patient), and a visit
//     that ends cancels the ceremony and closes its tunnel (app/device/kioskapi).

import (
	"context"
	"errors"
	"time"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/hybrid"
)

// Bluetooth is this computer's Bluetooth LE scanner as the phone path needs it: BlueZ over
// D-Bus on Linux (app/bluetooth), CoreBluetooth on macOS, or in tests an Air the simulated
// phone transmits into.
type Bluetooth interface {
	hybrid.AdvertSource
	// Available tells whether a scan can start now: nil, or why not. The error should wrap
	// hybrid's reason when the scanner knows it (hybrid.ErrNoBluetoothAdapter,
	// ErrBluetoothOff, ErrBluetoothBlocked, ErrBluetoothNotAllowed), so that the page can
	// say what to do about it.
	Available(ctx context.Context) error
}

// Phone is what the phone path needs (Config.Phone).
type Phone struct {
	// Bluetooth is the scanner. Required.
	Bluetooth Bluetooth
	// TunnelURL, when set, replaces "wss://<domain>" of the tunnel server the phone chose
	// (hybrid.Tunnel.BaseURL): tests point it at a fake tunnel on loopback. Nil: the real
	// tunnel servers on the internet.
	TunnelURL func(domain string) string
	// AdvertTimeout bounds the wait for the phone once the QR code is shown; then the
	// ceremony fails with phone_not_found (or wrong_phone). 0: the ceremony's own time.
	AdvertTimeout time.Duration
}

// The phone as an authenticator (docs/api.md, Authenticator). The id and name are those
// Windows uses for its own phone path (app/device/authenticator); the kind differs because
// here the page shows the QR code, where on Windows ("hybrid") Windows' dialog does.
const kindPhone = "phone"

// The states of a phone ceremony, in order, before done or failed (docs/api.md).
const (
	statePhoneScan       = "phone-scan"       // the QR code is shown: waiting for the phone to scan it and be near
	statePhoneFound      = "phone-found"      // the phone's advert came: reaching its tunnel server
	statePhoneConnecting = "phone-connecting" // connected to the tunnel: the secure channel with the phone
	statePhoneConfirm    = "phone-confirm"    // the person follows the instructions on their phone
)

// qrJSON is the QR code the page shows (docs/api.md, DeviceCeremony.qr).
type qrJSON struct {
	// Text is the "FIDO:/" URL the code holds (a secret: never logged).
	Text string `json:"text"`
	// Image is the code as a PNG data URL, for an <img>.
	Image string `json:"image"`
}

// phoneOffered tells whether want names the phone path of this service.
func (s *Service) phoneOffered(want string) bool {
	return s.phone != nil && want == authenticator.PhoneID
}

// phoneEntry is the phone's line in GET /api/device/authenticators: listed whenever the
// phone path is configured, with why it cannot be used now when Bluetooth is not available,
// so the page can offer "Use a different phone or tablet" and say how to make it work.
func (s *Service) phoneEntry(ctx context.Context) authenticatorJSON {
	a := authenticatorJSON{ID: authenticator.PhoneID, Kind: kindPhone, Name: authenticator.PhoneName}
	ctx, cancel := context.WithTimeout(ctx, authenticator.ProbeTimeout)
	defer cancel()
	if err := s.phone.Bluetooth.Available(ctx); err != nil {
		s.log.Debug("a phone or tablet cannot be used now", "cause", err.Error())
		f := bluetoothFailure(err)
		a.Unavailable = &f
	}
	return a
}

// checkPhoneConfig checks Config.Phone.
func checkPhoneConfig(p *Phone) error {
	if p != nil && p.Bluetooth == nil {
		return errors.New("device: Config.Phone needs its Bluetooth scanner")
	}
	return nil
}

// clonePhone copies the Config's Phone, so that the caller cannot change it under the
// running service.
func clonePhone(p *Phone) *Phone {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}
