// Package tester is the test tools' part of the device endpoints (docs/api.md, "Test tool
// endpoints", under /api/device/tester): what the virtual key does next, what it holds,
// taking it out and putting it back, and a reset, for accessibility testers walking every
// screen of the app without hardware (README, "For accessibility testers"). They exist only
// when the app runs with --virtual-key: without a virtual key app/device registers no route
// of theirs, so they answer 404 like any unknown device path, and `serve` mode has no device
// endpoints at all. The backend knows nothing of them; the page finds them by asking.
package tester

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/backend/apperr"
)

const (
	// TestPIN is the PIN the test tools give the virtual key when a choice needs a PIN and the
	// key has none. It is shown on the page: the virtual key holds no real person's passkeys.
	// Six digits, so it also meets a minimum PIN length raised to 6.
	TestPIN = "123456"
	// touchWait is how long the "wait for a touch" choice keeps the key asking for a touch:
	// long enough for a screen reader to announce "Touch your security key" and for a tester
	// to look at the step, shorter than a real key's 30 seconds.
	touchWait = 15 * time.Second
)

// The choices of what the virtual key does next (TesterState.next).
const (
	choiceSucceed           = "succeed"
	choiceWaitForTouch      = "wait-for-touch"
	choiceCancel            = "cancel"
	choiceTimeOut           = "time-out"
	choiceAskForPIN         = "ask-for-pin"
	choiceWrongPIN          = "wrong-pin"
	choicePINBlocked        = "pin-blocked"
	choiceFull              = "full"
	choiceAlreadyRegistered = "already-registered"
	choiceUnplugged         = "unplugged"
)

// oneShot are the choices that are a behaviour of the key's next user-presence check
// (virtualkey.SetBehaviour): used once, then the key succeeds again.
var oneShot = []struct {
	choice    string
	behaviour virtualkey.Behaviour
}{
	{choiceWaitForTouch, virtualkey.WaitForTouch(touchWait)},
	{choiceCancel, virtualkey.Cancelled()},
	{choiceTimeOut, virtualkey.TimeOut()},
	{choiceFull, virtualkey.Full()},
	{choiceAlreadyRegistered, virtualkey.Excluded()},
	{choiceUnplugged, virtualkey.Unplugged()},
}

// Service drives the virtual key for the test tools and owns what they decide that outlives
// one request: whether the tester took the key out.
type Service struct {
	key *virtualkey.Key
	log *slog.Logger

	mu       sync.Mutex
	takenOut bool // a tester took the key out; it stays out until they put it back
}

// New returns the test tools' service for key.
func New(key *virtualkey.Key, log *slog.Logger) *Service {
	return &Service{key: key, log: log}
}

// TakenOut tells whether a tester took the virtual key out. Then it stays out, even when a
// ceremony fails with "key removed" (app/device/ceremony plugs the virtual key back in after such a
// failure only when it was not taken out on purpose).
func (s *Service) TakenOut() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.takenOut
}

// testerJSON is TesterState (docs/api.md).
type testerJSON struct {
	Next         string              `json:"next"`
	TestPIN      string              `json:"testPin"`
	TouchSeconds int                 `json:"touchSeconds"`
	PIN          testerPINJSON       `json:"pin"`
	Passkeys     []testerPasskeyJSON `json:"passkeys"`
	// Plugged: the key is in (taken out with POST /tester/plug {"plugged": false}).
	Plugged bool `json:"plugged"`
}

type testerPINJSON struct {
	Set         bool `json:"set"`
	IsTestPIN   bool `json:"isTestPin"`
	RetriesLeft int  `json:"retriesLeft"`
	Blocked     bool `json:"blocked"`
}

type testerPasskeyJSON struct {
	CredentialID    string    `json:"credentialId"`
	RPID            string    `json:"rpId"`
	RPName          string    `json:"rpName"`
	UserName        string    `json:"userName"`
	UserDisplayName string    `json:"userDisplayName"`
	CreatedAt       time.Time `json:"createdAt"`
}

// state reads the virtual key for the page.
func (s *Service) state() testerJSON {
	key := s.key
	retries, set := key.PINRetries()
	out := testerJSON{
		Next:         nextOf(key, retries, set),
		TestPIN:      TestPIN,
		TouchSeconds: int(touchWait / time.Second),
		PIN: testerPINJSON{
			Set:         set,
			IsTestPIN:   set && key.PINIs(TestPIN),
			RetriesLeft: retries,
			Blocked:     set && retries == 0,
		},
		Passkeys: []testerPasskeyJSON{},
		Plugged:  key.Plugged(),
	}
	for _, c := range key.Credentials() {
		out.Passkeys = append(out.Passkeys, testerPasskeyJSON{
			CredentialID: base64.RawURLEncoding.EncodeToString(c.ID), RPID: c.RPID, RPName: c.RPName,
			UserName: c.UserName, UserDisplayName: c.UserDisplayName, CreatedAt: c.Created.UTC(),
		})
	}
	return out
}

// nextOf is what the key will do the next time it is used, as a choice: a blocked PIN first
// (it stays until a reset), then what is armed for the next check, then the PIN it will ask
// for. So what the page shows is what happens, also after a one-shot choice has been used.
func nextOf(key *virtualkey.Key, retries int, pinSet bool) string {
	if pinSet && retries == 0 {
		return choicePINBlocked
	}
	armed := key.Armed()
	if armed.RefusePIN {
		return choiceWrongPIN
	}
	if armed.HasBehaviour {
		for _, o := range oneShot {
			if o.behaviour == armed.Behaviour {
				return o.choice
			}
		}
	}
	if pinSet {
		return choiceAskForPIN
	}
	return choiceSucceed
}

// choose arms the key for choice: one choice at a time, so whatever an earlier choice armed
// is dropped first.
func (s *Service) choose(choice string) error {
	arm, ok := armFor(choice)
	if !ok {
		return apperr.Invalid(map[string]string{"choice": "Select what the virtual security key should do next"}).
			Wrap(fmt.Errorf("unknown choice %.40q", choice))
	}
	s.key.Disarm()
	if err := arm(s.key); err != nil {
		return err
	}
	s.log.Info("test tools: the virtual key's next answer is chosen", "choice", choice)
	return nil
}

// armFor is how each choice sets the key up. The PIN choices need a PIN: a key without one
// gets TestPIN (and then asks for it, as any key with a PIN does: ask-for-pin is just that).
func armFor(choice string) (func(*virtualkey.Key) error, bool) {
	for _, o := range oneShot {
		if o.choice == choice {
			return func(k *virtualkey.Key) error { k.SetBehaviour(o.behaviour); return nil }, true
		}
	}
	switch choice {
	case choiceSucceed:
		return func(*virtualkey.Key) error { return nil }, true
	case choiceAskForPIN:
		return givePIN, true
	case choiceWrongPIN:
		return func(k *virtualkey.Key) error {
			if err := givePIN(k); err != nil {
				return err
			}
			k.RefuseNextPIN()
			return nil
		}, true
	case choicePINBlocked:
		return func(k *virtualkey.Key) error {
			if err := givePIN(k); err != nil {
				return err
			}
			if err := k.BlockPIN(); err != nil {
				return fmt.Errorf("block the virtual key's PIN: %w", err)
			}
			return nil
		}, true
	}
	return nil, false
}

// givePIN gives the key TestPIN unless it has a PIN already.
func givePIN(k *virtualkey.Key) error {
	err := k.SetPIN(TestPIN)
	switch {
	case err == nil, errors.Is(err, virtualkey.ErrPINAlreadySet):
		return nil
	case errors.Is(err, virtualkey.ErrPINRefused):
		// Only after authenticatorConfig raised the minimum PIN length above 6.
		return apperr.DeviceTestPINRefused.Wrap(err)
	}
	return fmt.Errorf("give the virtual key the test PIN: %w", err)
}

// plug takes the key out or puts it back in, as the person would with a real key. Out, it
// stays out (not offered, every request to it fails) until the tester puts it back. In
// kiosk mode taking it out mid-session ends the session (app/kiosk.Watch sees it go).
func (s *Service) plug(plugged bool) error {
	s.mu.Lock()
	s.takenOut = !plugged
	s.mu.Unlock()
	switch {
	case plugged && !s.key.Plugged():
		if err := s.key.Replug(); err != nil {
			return fmt.Errorf("put the virtual key back in: %w", err)
		}
	case !plugged:
		s.key.Unplug()
	}
	s.log.Info("test tools: the virtual key is plugged in or out", "plugged", plugged)
	return nil
}

// reset removes every passkey, the PIN and every fingerprint (virtualkey.Key.Reset:
// authenticatorReset without the touch or the 10-second window, CTAP 2.1 §6.6), and leaves
// nothing armed.
func (s *Service) reset() error {
	s.key.Disarm()
	if err := s.key.Reset(); err != nil {
		return fmt.Errorf("reset the virtual key: %w", err)
	}
	s.log.Info("test tools: the virtual key was reset")
	return nil
}
