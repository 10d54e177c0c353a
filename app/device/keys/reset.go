//go:build cgo && !windows

package keys

// A security key's factory reset (CTAP 2.1 §6.6): the policy of its two endpoints, which
// weigh the signed-in account's ways in before anything of the key is lost.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nhs-passkeys/companion/app/device/account"
	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/passkey/aaguid"
)

// resetCheck is the answer of POST .../reset/check (docs/api.md).
type resetCheck struct {
	Ticket          string            `json:"ticket"`
	AccountPasskeys []fingerprintJSON `json:"accountPasskeys"`
	Certain         bool              `json:"certain"`
	OtherWaysIn     waysInJSON        `json:"otherWaysIn"`
}

// waysInJSON is how the account can still log in after a reset: with its password, and with
// these passkeys ({id, name}), none of them on the key.
type waysInJSON struct {
	Password bool              `json:"password"`
	Passkeys []fingerprintJSON `json:"passkeys"`
}

// checkReset is the check before a factory reset of key keyID (POST .../reset/check), for
// the signed-in account acct, with the key's PIN (the caller's; libfido2 gets copies): which
// of the account's passkeys a reset would stop working, and whether the account keeps
// another way to log in. The ticket lets POST .../reset go ahead within ticketLifetime.
// Refused with last_way_to_log_in when the reset would lock the person out.
//
// Which passkeys are on the key: a key without a PIN holds none of ours (this RP requires
// user verification, which such a key cannot give: see errNoPINNoPasskey); a key with a
// usable PIN is asked (credential management, with the PIN) unless the person has forgotten
// the PIN (pinForgotten: the reason most people reset a key, and their PIN must not have to
// be blocked first); a key whose PIN is blocked or must be changed, or is forgotten, cannot
// be asked, so every passkey of the account that is on a security key of this model (same
// AAGUID, or none given) counts as on it ("certain": false).
func (s *Service) checkReset(ctx context.Context, keyID string, pin []byte, pinForgotten bool, acct account.View) (resetCheck, error) {
	o, err := s.openKey(ctx, keyID)
	if err != nil {
		return resetCheck{}, err
	}
	defer o.close()
	model := aaguid.Format(o.info.AAGUID)
	pinSet, _ := o.info.Option("clientPin")
	retries := -1
	if pinSet {
		if retries, err = o.dev.PINRetries(ctx); err != nil {
			return resetCheck{}, s.keyError(o.a, err)
		}
	}
	onKey := map[string]bool{}
	certain := true
	switch {
	case !pinSet:
	case retries > 0 && !o.info.ForcePINChange && o.info.CredentialManagement && !pinForgotten:
		if err := authenticator.CheckPIN("pin", pin); err != nil {
			return resetCheck{}, err
		}
		creds, err := o.dev.Credentials(ctx, s.rpID, bytes.Clone(pin))
		if err != nil {
			return resetCheck{}, s.keyError(o.a, err)
		}
		for _, c := range creds {
			onKey[b64(c.ID)] = true
		}
	default:
		certain = false
		for _, p := range acct.Passkeys {
			if mayBeOn(p, model) {
				onKey[p.ID] = true
			}
		}
	}
	// The account's passkeys split in two: those the reset stops working ({id, name}, and by
	// ID for the ticket), and the usable ones it keeps, which with the password are the ways
	// in that are left.
	affected := []fingerprintJSON{}
	mine := map[string]bool{}
	keeps := waysInJSON{Password: acct.HasPassword, Passkeys: []fingerprintJSON{}}
	for _, p := range acct.Passkeys {
		switch {
		case onKey[p.ID]:
			affected = append(affected, fingerprintJSON{ID: p.ID, Name: p.Name})
			mine[p.ID] = true
		case !p.Flagged:
			keeps.Passkeys = append(keeps.Passkeys, fingerprintJSON{ID: p.ID, Name: p.Name})
		}
	}
	if !account.KeepsAnotherWayIn(acct, mine) {
		return resetCheck{}, apperr.DeviceLastWayToLogIn.Wrap(errors.New("reset a key with the account's only ways in"))
	}
	known := map[string]bool{}
	for _, p := range acct.Passkeys {
		known[p.ID] = true
	}
	ticket, err := s.issueTicket(&resetTicket{keyID: o.a.ID, aaguid: model, email: acct.Email, onKey: mine,
		known: known, expires: s.now().Add(ticketLifetime)}, s.now())
	if err != nil {
		return resetCheck{}, fmt.Errorf("reset ticket: %w", err)
	}
	return resetCheck{Ticket: ticket, AccountPasskeys: affected, Certain: certain, OtherWaysIn: keeps}, nil
}

// mayBeOn tells whether the account's passkey p may be on a security key of model (its
// AAGUID) that cannot be asked: one of that very model wherever the account thinks it is (a
// passkey set up by a client that did not say how it reached the key, with no transports
// and no attachment, is listed as on "this device", but a key model's AAGUID is that key's),
// or one on a security key whose model was not given. Never a synced passkey, which no
// security key holds. When in doubt it counts: a passkey wrongly counted only makes the
// warning longer, one wrongly left out is counted as a way in that the reset deletes.
func mayBeOn(p account.Passkey, model string) bool {
	switch {
	case p.StoredOn == "synced":
		return false
	case model != aaguid.Zero && p.AAGUID == model:
		return true
	}
	return p.StoredOn == "security-key" && p.AAGUID == aaguid.Zero
}

// startReset starts the job that resets key keyID (it needs a touch), for the signed-in
// account acct with the ticket token of its check (POST .../reset). The ticket must be from
// a check by the same account on this key (or, when the key came back under a new id after
// being reinserted, on a key of the same model that is no longer connected), and the
// account must still keep another way in. The key must have been plugged in within the
// last resetWindow (409 reset_window_passed).
func (s *Service) startReset(ctx context.Context, keyID, token string, acct account.View) (*keyJob, error) {
	now := s.now()
	t, err := s.ticket(token, now)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(t.email, acct.Email) {
		return nil, apperr.DeviceResetCheckNeeded.Wrap(errors.New("ticket of another account"))
	}
	// A passkey the account gained since the check may be on this key (set up in another
	// window, or the key's own passkey re-added): the check did not weigh it, and the reset
	// would delete it, perhaps with the account's last way in. The check is done again.
	for _, p := range acct.Passkeys {
		if !t.known[p.ID] {
			return nil, apperr.DeviceResetCheckNeeded.Wrap(errors.New("the account has a passkey the reset check did not see"))
		}
	}
	if !account.KeepsAnotherWayIn(acct, t.onKey) {
		return nil, apperr.DeviceLastWayToLogIn.Wrap(errors.New("the account changed since the reset check"))
	}
	a, err := s.connected(keyID)
	if err != nil {
		return nil, err
	}
	if a.ID != t.keyID {
		if _, err := s.connected(t.keyID); err == nil {
			return nil, apperr.DeviceResetCheckNeeded.Wrap(errors.New("ticket of another connected key"))
		}
	}
	if s.resetSecondsLeft(a, now) == 0 {
		return nil, apperr.DeviceResetWindowPassed.New()
	}
	o, err := s.openKey(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if aaguid.Format(o.info.AAGUID) != t.aaguid {
		o.close()
		return nil, apperr.DeviceResetCheckNeeded.Wrap(errors.New("ticket of another key model"))
	}
	// The job outlives this request (202, then polled): it runs under the service's life,
	// ended by Close or the job's own cancel, not under ctx.
	j, err := s.startJob(jobReset, o.a, o.dev, o.release, nil, func(ctx context.Context, dev *fido2.Device, _ *keyJob) error { //nolint:contextcheck // the job outlives the request by design
		// CTAP 2.1 §6.6: the key asks for a touch, and refuses outside its window.
		if err := dev.Reset(ctx); err != nil {
			return err
		}
		s.dropTicket(token)
		s.set.RememberPINSet(o.a, false)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("security key reset asked for", "key", o.a.Kind, "account_passkeys_on_key", len(t.onKey))
	return j, nil
}
