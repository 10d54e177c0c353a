//go:build cgo && !windows

package ceremony

// A ceremony on a libfido2 authenticator: wait for the key, ask for its PIN, run the client.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/webauthnclient"
)

// run is a ceremony's work on a libfido2 authenticator or a phone (Service.start's goroutine).
func (s *Service) run(ctx context.Context, c *ceremony) {
	credential, used, err := s.perform(ctx, c)
	var f authenticator.Failure
	if err != nil {
		f = failureFor(c.Kind, err)
		if used.Kind == kindPhone {
			f = phoneFailure(c.Kind, err)
		}
	}
	if !c.end(s, used.Kind, credential, err, f) && err != nil {
		s.log.Debug("device ceremony stopped", "ceremony", c.ID, "cause", err.Error())
	}
	if err == nil {
		return
	}
	// The person is told to take the key out and put it back; nobody can do that to the
	// virtual key, so the app does it for them.
	if used.Virtual() && !s.takenOut() && (f.Code == authenticator.CodeKeyRemoved || f.Code == authenticator.CodePINAuthBlocked) {
		if err := s.set.Virtual().Replug(); err != nil {
			s.log.Warn("plug the virtual security key back in", "err", err)
		}
	}
}

// perform waits for the authenticator, opens it and runs the ceremony on it; or, for the
// phone, runs the hybrid transaction (ceremony_phone.go).
func (s *Service) perform(ctx context.Context, c *ceremony) (json.RawMessage, authenticator.Authenticator, error) {
	if s.phoneOffered(c.want) {
		credential, err := s.usePhone(ctx, c)
		return credential, phoneAuthenticator, err
	}
	a, dev, err := s.waitForKey(ctx, c)
	if err != nil {
		return nil, a, err
	}
	defer dev.Close()
	c.setPath(a.Path)
	credential, err := s.use(ctx, c, dev, a)
	return credential, a, err
}

// waitForKey returns the authenticator asked for, opened, reading the list of connected keys
// every pollInterval until it is there (state insert-key) or the ceremony's time is up.
func (s *Service) waitForKey(ctx context.Context, c *ceremony) (authenticator.Authenticator, *fido2.Device, error) {
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	noKey := func() error {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return errNoKey
		}
		return ctx.Err()
	}
	for {
		if ctx.Err() != nil { // stopped, perhaps while the previous ceremony let go
			return authenticator.Authenticator{}, nil, noKey()
		}
		if a, ok := s.set.Find(c.want); ok {
			dev, err := s.set.Open(a)
			if err == nil {
				return a, dev, nil
			}
			if !errors.Is(err, fido2.ErrDeviceGone) {
				return a, nil, err
			}
			// Removed between the list and the open: wait for it again.
		}
		c.set(authenticator.StateInsertKey)
		select {
		case <-ctx.Done():
			return authenticator.Authenticator{}, nil, noKey()
		case <-tick.C:
		}
	}
}

// use runs the ceremony on an open authenticator: ask for the PIN when user verification
// needs it (setting one first on a key that has none), run the WebAuthn client, and ask
// again after a wrong PIN until the key blocks it.
func (s *Service) use(ctx context.Context, c *ceremony, dev *fido2.Device, a authenticator.Authenticator) (json.RawMessage, error) {
	c.set(authenticator.StateWorking)
	info, err := dev.Info(ctx)
	if err != nil {
		return nil, err
	}
	builtInUV, _ := info.Option("uv")
	pinSet, pinSupported := info.Option("clientPin")
	s.set.RememberPINSet(a, pinSet)

	// User verification (WebAuthn L3 §5.1.3 step 22 / §5.1.4.1): this RP requires it, and a
	// security key gives it with its PIN unless it has built-in verification (a fingerprint).
	uv := c.call.UserVerification()
	verify := uv == webauthnclient.Required || (uv == webauthnclient.Preferred && pinSet)
	needPIN, newPIN := false, false
	if verify && !builtInUV {
		switch {
		case pinSet && info.ForcePINChange:
			// CTAP 2.1 §6.4 forcePINChange: the key refuses its current PIN with
			// PIN_POLICY_VIOLATION until it is changed. Asking for the PIN would only end
			// in "that PIN was not accepted"; the Security keys pages change it.
			return nil, errPINChangeRequired
		case pinSet:
			needPIN = true
		case !pinSupported:
			return nil, errCannotVerify
		case c.Kind == authenticator.KindGet:
			return nil, errNoPINNoPasskey
		default:
			// As browsers do, a key without a PIN gets one before it can hold a passkey
			// that needs user verification: the PIN the person enters becomes the key's PIN.
			needPIN, newPIN = true, true
		}
	}

	auth := webauthnclient.NewFIDO2(dev)
	retries := -1
	for {
		var pin []byte
		if needPIN {
			if !newPIN && retries < 0 {
				if n, err := dev.PINRetries(ctx); err == nil {
					retries = n
				}
				// CTAP 2.1 §6.5.5: with no retries left every PIN is refused with
				// CTAP2_ERR_PIN_BLOCKED, so say so now rather than ask for a PIN in vain.
				if retries == 0 {
					return nil, fido2.ErrPINBlocked
				}
			}
			newMin := 0
			if newPIN {
				newMin = authenticator.MinPINLength(info)
			}
			pin, err = c.waitForPIN(ctx, retries, newMin)
			if err != nil {
				return nil, err
			}
			if newPIN {
				// SetPIN zeroes what it is given; the request below zeroes pin.
				if err := dev.SetPIN(ctx, bytes.Clone(pin)); err != nil {
					clear(pin)
					if errors.Is(err, fido2.ErrPINPolicy) {
						return nil, &pinPolicyError{minLength: authenticator.MinPINLength(info), err: err}
					}
					return nil, err
				}
				newPIN = false
				s.set.RememberPINSet(a, true)
			}
		}
		if a.Keepalive {
			c.set(authenticator.StateWorking) // the status hook says when a touch is needed
		} else {
			c.set(authenticator.StateTouch)
		}
		gavePIN := pin != nil
		credential, err := c.call.Run(ctx, auth, pin, c.status) // zeroes pin
		var fe *fido2.Error
		switch {
		case err == nil:
			return credential, nil
		case errors.Is(err, fido2.ErrPINInvalid) && gavePIN && ctx.Err() == nil:
			// Wrong PIN: ask again, with the tries left, until the key blocks it
			// (ErrPINAuthBlocked after three in a row, ErrPINBlocked when none are left).
			retries = -1
			if errors.As(err, &fe) {
				retries = fe.RetriesLeft
			}
			needPIN = true
		case errors.Is(err, fido2.ErrPINRequired) && !gavePIN:
			needPIN = true // the key wants its PIN even though verification was not asked for
		default:
			return nil, err
		}
	}
}
