// Package virtualkey is a virtual FIDO2 security key: a CTAP 2.1 authenticator written in Go
// that the real libfido2 talks to through fido_dev_set_transport_functions. Accessibility
// testers use it to walk every journey without hardware, and the tests use it to exercise the
// app's own libfido2 binding.
//
// IT IS A TEST TOOL, NOT A SECURITY DEVICE. Its credential private keys live in memory or in a
// plain state file (mode 0600); anyone who can read that file can use every passkey in it.
// Never let it hold a real person's passkeys.
//
// A *Key carries whole CTAPHID messages (see Tx and Rx). It answers INIT, PING, CANCEL and
// CBOR, and behind CBOR the CTAP 2.1 commands authenticatorMakeCredential, GetAssertion,
// GetNextAssertion, GetInfo, ClientPIN (PIN/UV auth protocols 2 and 1), Reset,
// CredentialManagement (0x0A, and its prototype 0x41), BioEnrollment (0x09, and its prototype
// 0x40) and authenticatorConfig (0x0D, setMinPINLength only). The command table is in ctap.go.
// Only ES256 (COSE -7) credentials are made.
//
// What the "user" does at each touch is set with a Behaviour, so a test or a tester can make
// the key wait for a touch, be cancelled, time out, be unplugged, be full, answer as if the
// passkey were already on it, or be touched with a finger that is not enrolled. The test tools'
// other hooks (tester.go) give the key a known PIN, refuse the next PIN, or block the PIN.
//
// The key has a simulated touch fingerprint sensor (bio.go). Enrolling a fingerprint takes
// four good samples, each a touch; BioNextSample makes a coming sample fail. Once a finger is
// enrolled, getInfo says uv: true and the finger can stand in for the PIN
// (getPinUvAuthTokenUsingUvWithPermissions); the PIN keeps working too.
//
// Spec references in comments are to "Client to Authenticator Protocol (CTAP)", Proposed
// Standard, 15 June 2021 (CTAP 2.1).
package virtualkey

import (
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// DefaultAAGUID is the AAGUID the key reports when Options.AAGUID is zero:
// 6e68736b-6579-0000-4a1c-9b528d0e4107 ("nhskey" then random bytes). It is not registered
// anywhere; an RP that looks it up finds nothing.
func DefaultAAGUID() [16]byte {
	return [16]byte{
		0x6e, 0x68, 0x73, 0x6b, 0x65, 0x79, 0x00, 0x00,
		0x4a, 0x1c, 0x9b, 0x52, 0x8d, 0x0e, 0x41, 0x07,
	}
}

const (
	// defaultCapacity is how many discoverable credentials fit before
	// CTAP2_ERR_KEY_STORE_FULL, in line with small hardware keys.
	defaultCapacity = 25
	// resetWindow: CTAP 2.1 §6.6 allows authenticatorReset only this soon after power-up.
	resetWindow = 10 * time.Second
)

// Attestation says which attestation statement makeCredential returns.
type Attestation uint8

const (
	// PackedSelf is "packed" self attestation (WebAuthn §8.2): alg -7 and a signature over
	// authenticatorData || clientDataHash made with the new credential's own key. No x5c.
	PackedSelf Attestation = iota
	// NoAttestation is the "none" format with an empty statement.
	NoAttestation
)

// Options configure a Key. The zero value is a usable in-memory key.
type Options struct {
	// AAGUID identifies the model. Zero means DefaultAAGUID(). For Open, a non-zero value
	// replaces the one in the file.
	AAGUID [16]byte
	// State is the state file; "" keeps everything in memory. New overwrites the file with a
	// fresh key; use Open to load one.
	State string
	// Clock is read for the reset window, token lifetimes and creation times. Nil: time.Now.
	Clock func() time.Time
	// Behaviour is what every user-presence check does unless SetBehaviour overrides the next
	// one. The zero value is Succeed().
	Behaviour Behaviour
	// Attestation is PackedSelf (the zero value) or NoAttestation.
	Attestation Attestation
	// Capacity is the number of discoverable credentials the key can hold; 0 means 25.
	Capacity int
	// UnstatedListLimit: getInfo leaves out maxCredentialCountInList, as a CTAP 2.0 key does
	// (the member is CTAP 2.1's); the key still takes lists of up to 8.
	UnstatedListLimit bool
}

// CredentialInfo describes one credential on the key, for testers and tests. It holds no
// private key material.
type CredentialInfo struct {
	ID              []byte
	RPID            string
	RPName          string
	UserID          []byte
	UserName        string
	UserDisplayName string
	Discoverable    bool
	SignCount       uint32
	Created         time.Time
}

// Key is a virtual CTAP 2.1 security key. It is safe for concurrent use: libfido2 calls Tx
// and Rx from cgo threads while testers call SetBehaviour, Touch or Credentials.
type Key struct {
	mu sync.Mutex

	// Fixed at construction.
	path        string
	clock       func() time.Time
	standing    Behaviour
	attestation Attestation
	capacity    int
	// unstatedListLimit is Options.UnstatedListLimit.
	unstatedListLimit bool
	commands          map[byte]command

	// st is the persistent state. It is replaced, never edited in place (see update).
	st *state
	// synced is the SHA-256 of the state file as this key last read or wrote it: another
	// copy of the app has saved it since when the file's differs (refresh).
	synced [32]byte

	// Volatile state: lost when the key is unplugged (power cycle, see Replug).
	generation uint64 // bumped at every power cycle; a request from an older one is dead
	pluggedAt  time.Time
	unplugged  bool
	next       *Behaviour // one-shot override from SetBehaviour
	refusePIN  bool       // RefuseNextPIN: the next PIN check fails as a wrong PIN
	touch      chan struct{}
	pin        pinVolatile
	assertions *assertionState
	// silent counts the assertions asked for with "up" false (silent pre-flights), for tests.
	silent int
	// enumeration is the credential management enumeration in progress (credman.go).
	enumeration *enumerationState
	// bio is the fingerprint enrolment in progress (bio.go).
	bio *bioEnrollState
	// samples are the statuses queued by BioNextSample for coming enrolment samples.
	samples []SampleStatus
	lastCID uint32

	// Transport.
	inflight  *request
	replies   map[byte]*mailbox
	keepalive chan byte
}

// String and GoString keep key material out of logs: printing a Key with %v, %+v or %#v
// shows only its AAGUID and state file.
func (k *Key) String() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return fmt.Sprintf("virtualkey.Key{aaguid: %s, state: %q}", k.st.AAGUID, k.path)
}

// GoString is String.
func (k *Key) GoString() string { return k.String() }

// New returns a fresh key with no credentials and no PIN. If opts.State is set, the new state
// is written there at once, replacing whatever the file held.
func New(opts Options) (*Key, error) {
	k, err := newKey(opts)
	if err != nil {
		return nil, err
	}
	st := newState(k.aaguidOr(opts.AAGUID, DefaultAAGUID()))
	// Whatever the file holds now is what New replaces (update saves over what it last read).
	k.synced = fileSum(opts.State)
	if err := k.update(func(next *state) error { *next = *st; return nil }); err != nil {
		return nil, fmt.Errorf("virtualkey: create state: %w", err)
	}
	return k, nil
}

// Open loads the key kept in path, creating the file (mode 0600) if it is missing. Every later
// change is written back atomically (temporary file, fsync, rename), so the key survives
// restarts and a crash never leaves a half-written file. opts.State is ignored.
func Open(path string, opts Options) (*Key, error) {
	if path == "" {
		return nil, errors.New("virtualkey: Open needs a state file path")
	}
	opts.State = path
	k, err := newKey(opts)
	if err != nil {
		return nil, err
	}
	removeStaleTemps(path)
	st, synced, err := loadState(path)
	switch {
	case errors.Is(err, errNoStateFile):
		st = newState(k.aaguidOr(opts.AAGUID, DefaultAAGUID()))
		if err := k.update(func(next *state) error { *next = *st; return nil }); err != nil {
			return nil, fmt.Errorf("virtualkey: create %s: %w", path, err)
		}
		return k, nil
	case err != nil:
		return nil, fmt.Errorf("virtualkey: open %s: %w", path, err)
	}
	k.st, k.synced = st, synced
	if opts.AAGUID != ([16]byte{}) && opts.AAGUID != st.aaguid() {
		if err := k.update(func(next *state) error { next.setAAGUID(opts.AAGUID); return nil }); err != nil {
			return nil, fmt.Errorf("virtualkey: save %s: %w", path, err)
		}
	}
	return k, nil
}

func newKey(opts Options) (*Key, error) {
	if opts.Capacity < 0 {
		return nil, errors.New("virtualkey: negative capacity")
	}
	k := &Key{
		path:              opts.State,
		clock:             opts.Clock,
		standing:          opts.Behaviour,
		attestation:       opts.Attestation,
		capacity:          opts.Capacity,
		unstatedListLimit: opts.UnstatedListLimit,
		replies:           make(map[byte]*mailbox),
		keepalive:         make(chan byte, 1),
		st:                newState(DefaultAAGUID()),
	}
	if k.clock == nil {
		k.clock = time.Now
	}
	if k.capacity == 0 {
		k.capacity = defaultCapacity
	}
	k.commands = k.commandTable()
	if err := k.powerUp(); err != nil {
		return nil, err
	}
	return k, nil
}

func (k *Key) aaguidOr(a, fallback [16]byte) [16]byte {
	if a == ([16]byte{}) {
		return fallback
	}
	return a
}

// powerUp sets the volatile state as a key does when it is plugged in. Called with k.mu held
// (or before the key is shared).
func (k *Key) powerUp() error {
	// CTAP 2.1 §6.5.6 / §6.5.7 initialize(): a fresh key agreement key pair and a fresh
	// pinUvAuthToken at every power-up.
	ka, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("virtualkey: key agreement key: %w", err)
	}
	k.generation++
	k.pluggedAt = k.clock()
	k.unplugged = false
	k.pin = pinVolatile{keyAgreement: ka}
	k.assertions = nil
	k.enumeration = nil
	k.bio = nil
	return nil
}

// Reset wipes the key as authenticatorReset does (CTAP 2.1 §6.6): every credential, the PIN and
// every fingerprint go, the PIN retries return to 8, the minimum PIN length to 4, and the
// AAGUID stays. Unlike the CTAP command it needs no
// touch and has no 10-second window: it is the tester's own button.
func (k *Key) Reset() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refreshIdle()
	return k.wipe()
}

// SilentAssertions is how many assertions the key was asked for with "up" false (a
// platform's silent pre-flight, CTAP 2.1 §6.2.2) since it was made.
func (k *Key) SilentAssertions() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.silent
}

// Credentials lists what the key holds, oldest first.
func (k *Key) Credentials() []CredentialInfo {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refreshIdle()
	out := make([]CredentialInfo, 0, len(k.st.Credentials))
	for _, c := range k.st.Credentials {
		out = append(out, CredentialInfo{
			ID:              slices.Clone(c.ID),
			RPID:            c.RPID,
			RPName:          c.RPName,
			UserID:          slices.Clone(c.UserID),
			UserName:        c.UserName,
			UserDisplayName: c.UserDisplayName,
			Discoverable:    c.Discoverable,
			SignCount:       c.SignCount,
			Created:         c.Created,
		})
	}
	return out
}

// PINRetries reports how many PIN attempts are left and whether a PIN is set.
func (k *Key) PINRetries() (retries int, pinSet bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refreshIdle()
	return k.st.PINRetries, k.st.pinSet()
}

// SetBehaviour sets what the key does at its next user-presence check only; after that check
// it goes back to Options.Behaviour.
func (k *Key) SetBehaviour(b Behaviour) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.next = &b
}

// Touch is the user touching the key: a presence check that is waiting (WaitForTouch) ends now
// and succeeds. It does nothing when no check is waiting.
func (k *Key) Touch() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.touch != nil {
		close(k.touch)
		k.touch = nil
	}
}

// Waiting reports whether a user-presence check is waiting for a touch (WaitForTouch) now.
// A Touch when none waits does nothing, so a test or a tester that must touch once per
// check (one fingerprint sample at a time) waits for this first.
func (k *Key) Waiting() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.touch != nil
}

// Replug is pulling the key out and plugging it back in: a power cycle. Whatever was in flight
// is lost, the PIN token and key agreement key are new, "PIN auth blocked" clears, and the
// 10-second reset window starts again. It also ends the Unplugged behaviour.
func (k *Key) Replug() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.unplug()
	return k.powerUp()
}

// Unplug is pulling the key out and leaving it out: whatever was in flight fails, and every
// request fails with ErrUnplugged until Replug puts it back.
func (k *Key) Unplug() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.unplug()
}

// PowerCycles changes each time the key is taken out or put back in (by Replug, Unplug or
// the Unplugged behaviour): whoever watches the key can tell it was power-cycled, and so
// that its reset window (CTAP 2.1 §6.6) started again, without sharing its clock.
func (k *Key) PowerCycles() uint64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.generation
}

// Plugged reports whether the key is plugged in (not taken out by Unplug or the Unplugged
// behaviour).
func (k *Key) Plugged() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return !k.unplugged
}

// wipe is the state change of authenticatorReset. Called with k.mu held.
func (k *Key) wipe() error {
	aaguid := k.st.aaguid()
	if err := k.update(func(next *state) error { *next = *newState(aaguid); return nil }); err != nil {
		return err
	}
	k.enumeration = nil
	k.bio = nil
	// CTAP 2.1 §6.6: reset also regenerates the PIN/UV auth protocol state.
	return k.resetPINVolatile()
}
