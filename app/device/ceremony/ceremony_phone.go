//go:build cgo && !windows

package ceremony

// A ceremony on a phone or tablet (phone.go): one hybrid transaction, its progress as the
// ceremony's states.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/hybrid"
)

// usePhone runs the ceremony on the phone: check Bluetooth, make a new QR code (a new
// session: a QR code is never reused), show it, and run the WebAuthn client against the
// phone, which blocks until the phone answers, something fails, or ctx ends (the cancel
// endpoint, the kiosk visit ending, the ceremony's time). Ending ctx closes the tunnel.
func (s *Service) usePhone(ctx context.Context, c *ceremony) (json.RawMessage, error) {
	c.set(authenticator.StateWorking)
	// Hybrid needs Bluetooth even though the passkey's answer comes over the internet: the
	// phone's advert is the proof that it is near (CTAP 2.2 §11.5.1.2). A QR code that could
	// never work is not shown.
	check, cancel := context.WithTimeout(ctx, authenticator.ProbeTimeout)
	err := s.phone.Bluetooth.Available(check)
	cancel()
	if ctx.Err() != nil {
		return nil, endedErr(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", hybrid.ErrBluetoothUnavailable, err)
	}

	request := hybrid.RequestGetAssertion
	if c.Kind == authenticator.KindCreate {
		request = hybrid.RequestMakeCredential
	}
	session, err := hybrid.NewSession(hybrid.Config{
		Adverts: s.phone.Bluetooth,
		Connector: &phoneConnector{
			next:      &hybrid.Tunnel{BaseURL: s.phone.TunnelURL},
			connected: func() { c.set(statePhoneConnecting) },
		},
		AdvertTimeout: s.phone.AdvertTimeout,
	}, request)
	if err != nil {
		return nil, fmt.Errorf("phone: %w", err)
	}
	defer session.Close() // wipes the session's keys
	qr, err := newQRJSON(session.QR())
	if err != nil {
		return nil, err
	}
	c.showQR(qr)

	auth := hybrid.NewAuthenticator(session)
	auth.OnProgress = func(p hybrid.Progress) {
		switch p {
		case hybrid.ProgressScanning:
			c.set(statePhoneScan)
		case hybrid.ProgressConnecting: // the advert for this QR code came (drops the QR code)
			c.set(statePhoneFound)
		case hybrid.ProgressOnPhone:
			c.set(statePhoneConfirm)
		}
	}
	// The phone verifies the person itself: no PIN, and no status beyond the progress.
	return c.call.Run(ctx, auth, nil, nil)
}

// endedErr is why ctx ended, as hybrid says it: cancelled on this computer, or out of time.
func endedErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", hybrid.ErrTimeout, ctx.Err())
	}
	return fmt.Errorf("%w: %w", hybrid.ErrCancelled, ctx.Err())
}

// phoneConnector is the tunnel, telling the ceremony when the tunnel server has connected
// it to the phone: from then on, the handshake with the phone (state phone-connecting).
type phoneConnector struct {
	next      hybrid.Connector
	connected func()
}

func (p *phoneConnector) Connect(ctx context.Context, route hybrid.Route) (hybrid.Channel, error) {
	ch, err := p.next.Connect(ctx, route)
	if err == nil {
		p.connected()
	}
	return ch, err
}

// phoneAuthenticator is the phone as an authenticator (phone.go, kindPhone).
var phoneAuthenticator = authenticator.Authenticator{ID: authenticator.PhoneID, Kind: kindPhone, Name: authenticator.PhoneName}

// qrImagePixels is the PNG's width and height: the QR code is version 5 (37 modules, app/hybrid
// qr.go) with a 4-module quiet zone on each side, 45 modules of 8 pixels.
const qrImagePixels = 360

// newQRJSON renders a session's QR code for the page.
func newQRJSON(qr hybrid.QR) (*qrJSON, error) {
	png, err := qr.PNG(qrImagePixels)
	if err != nil {
		return nil, fmt.Errorf("phone: %w", err)
	}
	return &qrJSON{Text: qr.Text, Image: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)}, nil
}
