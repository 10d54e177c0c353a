package virtualkey

// The tester's hooks beyond SetBehaviour, for the app's test tools (app/device/tester):
// give the key a PIN the tester knows, refuse the next PIN, block the PIN, and see what is
// armed. None of them is a CTAP command and none changes what the key does by default: each
// puts the key in a state a real key can reach (a PIN set, a wrong PIN typed, every retry
// used up), or arms one answer for the next check.

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"unicode/utf8"
)

var (
	// ErrPINAlreadySet answers SetPIN on a key that has a PIN (CTAP 2.1 §6.5.5 setPIN step 3 refuses
	// the same way).
	ErrPINAlreadySet = errors.New("virtualkey: the key already has a PIN")
	// ErrNoPIN answers BlockPIN on a key without a PIN, which has no retries to use up.
	ErrNoPIN = errors.New("virtualkey: the key has no PIN")
	// ErrPINRefused answers SetPIN with a PIN the key's PIN policy refuses (CTAP 2.1 §6.5.5 setPIN
	// steps 9-10: at least minPINLength code points, at most 63 bytes).
	ErrPINRefused = errors.New("virtualkey: the PIN does not meet the key's PIN policy")
)

// SetPIN gives a key without a PIN the PIN pin, as authenticatorClientPIN setPIN would (CTAP
// 2.1 §6.5.5: the hash LEFT(SHA-256(pin), 16) is stored and pinRetries set to the maximum),
// without the platform's key agreement. A key that has a PIN keeps it (ErrPINAlreadySet).
func (k *Key) SetPIN(pin string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.st.pinSet() {
		return ErrPINAlreadySet
	}
	runes := utf8.RuneCountInString(pin)
	if runes < k.st.minPINLength() || len(pin) > maxPINBytes || !utf8.ValidString(pin) {
		return ErrPINRefused
	}
	sum := sha256.Sum256([]byte(pin))
	defer clear(sum[:])
	if err := k.update(func(next *state) error {
		next.PINHash = append([]byte(nil), sum[:16]...)
		next.PINRetries = maxPINRetries
		next.PINLength = runes
		return nil
	}); err != nil {
		return err
	}
	k.pin.mismatches = 0
	return nil
}

// PINIs tells whether the key's PIN is pin, without counting a try: the tester's own look at
// the key, not a PIN check (those go through authenticatorClientPIN and cost a retry).
func (k *Key) PINIs(pin string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.st.pinSet() {
		return false
	}
	sum := sha256.Sum256([]byte(pin))
	defer clear(sum[:])
	return subtle.ConstantTimeCompare(sum[:16], k.st.PINHash) == 1
}

// BlockPIN uses up every PIN retry, as typing wrong PINs until none are left does: pinRetries
// is 0, so every PIN operation answers CTAP2_ERR_PIN_BLOCKED (CTAP 2.1 §6.5.5) until the key
// is reset (§6.6). A key without a PIN answers ErrNoPIN.
func (k *Key) BlockPIN() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.st.pinSet() {
		return ErrNoPIN
	}
	return k.update(func(next *state) error { next.PINRetries = 0; return nil })
}

// RefuseNextPIN makes the next PIN check fail as a wrong PIN does, even with the right PIN:
// pinRetries goes down by one first, the key agreement key is regenerated, and the answer is
// CTAP2_ERR_PIN_INVALID (or PIN_AUTH_BLOCKED / PIN_BLOCKED when that mismatch is the third
// in a row or the last retry), as CTAP 2.1 §6.5.5.7 says for a mismatch. Checks after it
// compare the PIN again.
func (k *Key) RefuseNextPIN() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refusePIN = true
}

// Armed is what SetBehaviour and RefuseNextPIN have set up and no check has used yet.
type Armed struct {
	// Behaviour is the one-shot behaviour of the next user-presence check, if HasBehaviour.
	Behaviour    Behaviour
	HasBehaviour bool
	// RefusePIN: the next PIN check fails as a wrong PIN.
	RefusePIN bool
}

// Armed reports what is armed for the next checks.
func (k *Key) Armed() Armed {
	k.mu.Lock()
	defer k.mu.Unlock()
	a := Armed{RefusePIN: k.refusePIN}
	if k.next != nil {
		a.Behaviour, a.HasBehaviour = *k.next, true
	}
	return a
}

// Disarm drops whatever SetBehaviour and RefuseNextPIN armed: the next checks behave as
// Options.Behaviour and the PIN says.
func (k *Key) Disarm() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.next = nil
	k.refusePIN = false
}
