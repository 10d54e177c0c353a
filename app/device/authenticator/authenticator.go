// Package authenticator is what the device endpoints' features (app/device/ceremony and
// app/device/keys) share about the authenticators this app can use: which are connected and
// how to open them (libfido2's security keys and the virtual key on Linux and macOS,
// webauthn.dll on Windows, none in a build without cgo: Set), the one per-key lease between
// ceremonies and key operations (Lease), the states and the failure answers of their
// background work, and the lifecycle every piece of that work shares (Job: an ID, a stop,
// one end that is reported, being forgotten a while after it ended: Forget).
package authenticator

import (
	"crypto/rand"
	"encoding/base64"
	"slices"
	"time"
)

const (
	// ForgetAfter: a ceremony or key job that has ended is forgotten this long after
	// (docs/api.md).
	ForgetAfter = 2 * time.Minute
	// KeepEnded bounds how many ended ceremonies (and key jobs) are remembered meanwhile.
	KeepEnded = 32
	// ProbeTimeout bounds reading a connected key's state for a list (its PIN, its getInfo)
	// and asking whether Bluetooth can be used.
	ProbeTimeout = 3 * time.Second
)

// The kinds of ceremony: navigator.credentials.create() and get().
const (
	KindCreate = "create"
	KindGet    = "get"
)

// States of a ceremony and of a key job (docs/api.md). Done and Failed are final.
const (
	StateInsertKey = "insert-key" // no authenticator yet: waiting for one to be connected
	StateTouch     = "touch"      // waiting for the person to touch the key
	StatePINNeeded = "pin-needed" // waiting for POST .../pin
	StateWorking   = "working"    // the app or the key is busy
	StateDone      = "done"
	StateFailed    = "failed"
)

// The authenticators as the page lists them (docs/api.md, Authenticator).
const (
	VirtualID   = "virtual"
	VirtualName = "Virtual security key (for testing)"
	KindVirtual = "virtual"
	KindKey     = "security-key"

	// What Windows offers (webauthn.dll); the phone's id and name are also those of the phone
	// path on Linux and macOS (app/device/ceremony).
	WindowsHelloID   = "windows-hello"
	SecurityKeyID    = "security-key"
	PhoneID          = "phone"
	KindPlatform     = "platform"
	KindHybrid       = "hybrid"
	WindowsHelloName = "This device (Windows Hello)"
	SecurityKeyName  = "A security key"
	PhoneName        = "Use a different phone or tablet"
)

// Authenticator is one a ceremony or a key operation can use.
type Authenticator struct {
	ID, Kind, Name string
	Path           string // hardware keys: what SecurityKeys.Open takes
	// Keepalive: the authenticator reports "waiting for a touch" through libfido2's status
	// hook (Go transports only). For a hardware key the app shows "touch" for as long as the
	// request blocks, as fido2.Open advises.
	Keepalive bool
}

// Virtual tells whether a is the virtual security key.
func (a Authenticator) Virtual() bool { return a.ID == VirtualID }

// Names names a security key model by its AAGUID (16 bytes), e.g. "YubiKey 5 NFC"; ok is
// false for a model it does not know.
type Names func(aaguid []byte) (name string, ok bool)

// NewID is a new ceremony's or key job's ID: 128 random bits, base64url.
func NewID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Work is a ceremony or a key job, as Forget sees it.
type Work interface {
	// Ended tells whether it has ended and when.
	Ended() (bool, time.Time)
}

// Forget drops from works (by ID) what ended ForgetAfter or more before now, and the oldest
// ended ones beyond KeepEnded. The caller holds the lock that guards works.
func Forget[W Work](works map[string]W, now time.Time) {
	type endedWork struct {
		id string
		at time.Time
	}
	var ended []endedWork
	for id, w := range works {
		done, at := w.Ended()
		switch {
		case !done:
		case now.Sub(at) >= ForgetAfter:
			delete(works, id)
		default:
			ended = append(ended, endedWork{id, at})
		}
	}
	if len(ended) > KeepEnded {
		slices.SortFunc(ended, func(a, b endedWork) int { return a.at.Compare(b.at) })
		for _, e := range ended[:len(ended)-KeepEnded] {
			delete(works, e.id)
		}
	}
}
