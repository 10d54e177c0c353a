//go:build cgo && !windows

package device

// The test tools' endpoints (docs/api.md, "Test tool endpoints"), under /api/device/tester:
// what the virtual key does next, what it holds, and a reset, for accessibility testers
// walking every screen of the app without hardware (README, "For accessibility testers").
// They exist only when the app runs with --virtual-key: without a virtual key no route is
// registered, so they answer 404 like any unknown device path, and `serve` mode has no
// device endpoints at all. The backend knows nothing of them; the page finds them by asking.

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/httpapi"
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

func (s *Service) testerRoutes() []httpapi.Route {
	if s.virtual == nil {
		return nil
	}
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: Prefix + "/tester", Handle: s.getTester},
		{Method: http.MethodPost, Pattern: Prefix + "/tester/next", Handle: s.chooseNext},
		{Method: http.MethodPost, Pattern: Prefix + "/tester/reset", Handle: s.resetVirtualKey},
		{Method: http.MethodPost, Pattern: Prefix + "/tester/plug", Handle: s.plugVirtualKey},
	}
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

// testerState reads the virtual key for the page.
func (s *Service) testerState() testerJSON {
	key := s.virtual
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
			CredentialID: b64(c.ID), RPID: c.RPID, RPName: c.RPName,
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

func writeTester(w http.ResponseWriter, state testerJSON) {
	httpapi.Write(w, http.StatusOK, struct {
		Tester testerJSON `json:"tester"`
	}{state})
}

// getTester serves GET /api/device/tester.
func (s *Service) getTester(w http.ResponseWriter, r *http.Request) error {
	writeTester(w, s.testerState())
	return nil
}

// chooseNext serves POST /api/device/tester/next {"choice"}: one choice at a time, so
// whatever an earlier choice armed is dropped first.
func (s *Service) chooseNext(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Choice string `json:"choice"`
	}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	key := s.virtual
	arm, ok := s.armFor(req.Choice)
	if !ok {
		return apperr.Invalid(map[string]string{"choice": "Select what the virtual security key should do next"})
	}
	key.Disarm()
	if err := arm(key); err != nil {
		return err
	}
	s.log.Info("test tools: the virtual key's next answer is chosen", "choice", req.Choice)
	writeTester(w, s.testerState())
	return nil
}

// armFor is how each choice sets the key up. The PIN choices need a PIN: a key without one
// gets TestPIN (and then asks for it, as any key with a PIN does: ask-for-pin is just that).
func (s *Service) armFor(choice string) (func(*virtualkey.Key) error, bool) {
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
		return apperr.E{Code: "test_pin_refused", Status: http.StatusConflict,
			Msg: "The virtual security key needs a longer PIN than the test PIN. Reset the virtual key, then try again."}.Wrap(err)
	}
	return fmt.Errorf("give the virtual key the test PIN: %w", err)
}

// plugVirtualKey serves POST /api/device/tester/plug {"plugged": bool}: the tester takes the
// virtual key out, and it stays out (not offered, every request to it fails) until they put
// it back, as with a real key. In kiosk mode taking it out mid-session ends the session.
func (s *Service) plugVirtualKey(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Plugged *bool `json:"plugged"`
	}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	if req.Plugged == nil {
		return apperr.Invalid(map[string]string{"plugged": "Say whether the virtual key should be in or out"})
	}
	key := s.virtual
	s.mu.Lock()
	s.virtualTakenOut = !*req.Plugged
	s.mu.Unlock()
	switch {
	case *req.Plugged && !key.Plugged():
		if err := key.Replug(); err != nil {
			return fmt.Errorf("put the virtual key back in: %w", err)
		}
	case !*req.Plugged:
		key.Unplug()
	}
	s.log.Info("test tools: the virtual key is plugged in or out", "plugged", *req.Plugged)
	writeTester(w, s.testerState())
	return nil
}

// resetVirtualKey serves POST /api/device/tester/reset {}: every passkey, the PIN and every
// fingerprint go (virtualkey.Key.Reset: authenticatorReset without the touch or the
// 10-second window, CTAP 2.1 §6.6), and nothing stays armed.
func (s *Service) resetVirtualKey(w http.ResponseWriter, r *http.Request) error {
	var req struct{}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	s.virtual.Disarm()
	if err := s.virtual.Reset(); err != nil {
		return fmt.Errorf("reset the virtual key: %w", err)
	}
	s.log.Info("test tools: the virtual key was reset")
	writeTester(w, s.testerState())
	return nil
}
