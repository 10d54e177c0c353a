package virtualkey

import (
	"fmt"
	"time"
)

// Behaviour is what the simulated user and key do at a user-presence check ("touch your
// security key"). Make one with Succeed, WaitForTouch, Cancelled, TimeOut, Unplugged, Full,
// Excluded or WrongFinger; the zero value is Succeed(). Behaviours are comparable with ==.
type Behaviour struct {
	outcome outcome
	wait    time.Duration
}

type outcome uint8

const (
	outcomeTouch outcome = iota
	outcomeCancel
	outcomeTimeout
	outcomeUnplug
	outcomeFull
	outcomeWrongFinger
	outcomeExcluded
)

// Succeed means the user touches the key at once.
func Succeed() Behaviour { return Behaviour{} }

// WaitForTouch means the key asks for a touch (KEEPALIVE UPNEEDED every 100 ms) and the user
// touches it after d, or earlier if Touch is called. A CTAPHID CANCEL during the wait ends the
// request with CTAP2_ERR_KEEPALIVE_CANCEL.
func WaitForTouch(d time.Duration) Behaviour { return Behaviour{outcome: outcomeTouch, wait: d} }

// Cancelled means the check ends with CTAP2_ERR_KEEPALIVE_CANCEL, as if the user cancelled.
func Cancelled() Behaviour { return Behaviour{outcome: outcomeCancel} }

// TimeOut means nobody touches the key; the request ends with CTAP2_ERR_USER_ACTION_TIMEOUT
// (at once, rather than after the 30 seconds a real key waits).
func TimeOut() Behaviour { return Behaviour{outcome: outcomeTimeout} }

// Unplugged means the key is pulled out while it waits. The request gets no reply: Rx and every
// later Tx and Rx fail with ErrUnplugged until Replug.
func Unplugged() Behaviour { return Behaviour{outcome: outcomeUnplug} }

// Full means the user touches the key, and a makeCredential then fails with
// CTAP2_ERR_KEY_STORE_FULL whatever space is left. It waits for a makeCredential: a check
// of another command (a log in, a fingerprint sample) behaves as Options.Behaviour and
// leaves it armed (the tester chose what the next set-up meets).
func Full() Behaviour { return Behaviour{outcome: outcomeFull} }

// Excluded means the user touches the key, and a makeCredential then fails with
// CTAP2_ERR_CREDENTIAL_EXCLUDED as if a credential in its excludeList were on the key (CTAP 2.1
// §6.1.2 step 12), whatever the key holds. Like Full, it waits for a makeCredential.
func Excluded() Behaviour { return Behaviour{outcome: outcomeExcluded} }

// WrongFinger means the user touches the sensor with a finger that is not enrolled. Built-in user
// verification (a fingerprint instead of the PIN) then fails with CTAP2_ERR_UV_INVALID, and
// uvRetries goes down; every other check just sees a touch (a fingerprint sample being enrolled
// included: its quality is set with Key.BioNextSample).
func WrongFinger() Behaviour { return Behaviour{outcome: outcomeWrongFinger} }

func (b Behaviour) String() string {
	switch b.outcome {
	case outcomeCancel:
		return "Cancelled"
	case outcomeTimeout:
		return "TimeOut"
	case outcomeUnplug:
		return "Unplugged"
	case outcomeFull:
		return "Full"
	case outcomeWrongFinger:
		return "WrongFinger"
	case outcomeExcluded:
		return "Excluded"
	}
	if b.wait > 0 {
		return fmt.Sprintf("WaitForTouch(%s)", b.wait)
	}
	return "Succeed"
}

// presence is the result of a user-presence check that succeeded.
type presence struct {
	full        bool // the Full behaviour: makeCredential must answer KEY_STORE_FULL
	excluded    bool // the Excluded behaviour: makeCredential must answer CREDENTIAL_EXCLUDED
	wrongFinger bool // the WrongFinger behaviour: built-in UV must fail
}

// userPresence collects evidence of user interaction (CTAP 2.1 §6.1.2 step 14, the user
// presence steps of §6.2.2 and §6.6) as the next behaviour says. It is called with k.mu held and releases it while it
// waits, so CANCEL, Touch and the tester's calls get through. Errors are CTAP statuses
// (KEEPALIVE_CANCEL, USER_ACTION_TIMEOUT) or ErrUnplugged.
func (k *Key) userPresence(req *request) (presence, error) {
	return k.checkPresence(req, false)
}

// forMakeCredential tells whether b only means something to a makeCredential.
func (b Behaviour) forMakeCredential() bool {
	return b.outcome == outcomeFull || b.outcome == outcomeExcluded
}

// checkPresence is userPresence for a command that is a makeCredential (makingCredential),
// the one that uses up an armed Full or Excluded, or is not.
func (k *Key) checkPresence(req *request, makingCredential bool) (presence, error) {
	b := k.standing
	if k.next != nil && (makingCredential || !k.next.forMakeCredential()) {
		b, k.next = *k.next, nil
	}
	if req.generation != k.generation {
		return presence{}, ErrUnplugged
	}
	if isClosed(req.cancelled) {
		return presence{}, statusKeepaliveCancel
	}
	if b.outcome == outcomeUnplug {
		k.unplug()
		return presence{}, ErrUnplugged
	}
	if b.wait > 0 {
		touch := make(chan struct{})
		k.touch = touch
		k.mu.Unlock()
		err := k.waitForTouch(req, b.wait, touch)
		k.mu.Lock()
		if k.touch == touch {
			k.touch = nil
		}
		if req.generation != k.generation {
			return presence{}, ErrUnplugged
		}
		if err != nil {
			return presence{}, err
		}
	}
	switch b.outcome {
	case outcomeCancel:
		return presence{}, statusKeepaliveCancel
	case outcomeTimeout:
		return presence{}, statusUserActionTimeout
	case outcomeFull:
		return presence{full: true}, nil
	case outcomeExcluded:
		return presence{excluded: true}, nil
	case outcomeWrongFinger:
		return presence{wrongFinger: true}, nil
	}
	return presence{}, nil
}

// waitForTouch sends KEEPALIVE UPNEEDED at once and every 100 ms until the touch (after d or
// Touch) or a CANCEL. Called without k.mu.
func (k *Key) waitForTouch(req *request, d time.Duration, touch <-chan struct{}) error {
	k.sendKeepalive(keepaliveUPNeeded)
	tick := time.NewTicker(keepaliveInterval)
	defer tick.Stop()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case <-req.cancelled:
			return statusKeepaliveCancel
		case <-touch:
			return nil
		case <-timer.C:
			return nil
		case <-tick.C:
			k.sendKeepalive(keepaliveUPNeeded)
		}
	}
}

// sendKeepalive offers a KEEPALIVE to Rx(0x3b); an unread one is replaced, not queued.
func (k *Key) sendKeepalive(status byte) {
	for {
		select {
		case k.keepalive <- status:
			return
		default:
		}
		select {
		case <-k.keepalive:
		default:
		}
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
