package virtualkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

const (
	stateVersion  = 1
	maxPINRetries = 8 // CTAP 2.1 §6.5: the maximum (and initial) pinRetries
)

var errNoStateFile = errors.New("no state file")

// state is everything the key keeps across power cycles. It is what the state file holds,
// as JSON. No PIN is stored, only LEFT(SHA-256(PIN), 16), as CTAP 2.1 §6.5.5 setPIN does.
//
// The fields after Credentials came with credential management, bio enrollment and
// authenticatorConfig. They are optional in the file, and their zero values are what a key
// without them had, so files written before them load unchanged (still version 1).
type state struct {
	Version     int          `json:"version"`
	AAGUID      string       `json:"aaguid"`
	PINHash     []byte       `json:"pinHash,omitempty"`
	PINRetries  int          `json:"pinRetries"`
	Credentials []credential `json:"credentials"`

	// PINLength is the current PIN's length in code points (CTAP 2.1 §6.5.5.5 stores it for
	// setMinPINLength); 0 when unknown (a file written before it was kept).
	PINLength int `json:"pinLength,omitempty"`
	// MinPINLength is the minimum PIN length set with setMinPINLength (§6.11.4); 0 means the
	// default, 4.
	MinPINLength int `json:"minPinLength,omitempty"`
	// ForcePINChange: the PIN must be changed before it can be used again (§6.11.4, getInfo
	// forcePINChange).
	ForcePINChange bool `json:"forcePinChange,omitempty"`
	// Enrollments are the enrolled fingerprints (§6.7), oldest first. No biometric data: the
	// sensor is simulated.
	Enrollments []enrollment `json:"enrollments,omitempty"`
	// UVFailures counts built-in user verifications that failed in a row; uvRetries is
	// maxUVRetries minus it (§6.5.5.7, getPinUvAuthTokenUsingUvWithPermissions).
	UVFailures int `json:"uvFailures,omitempty"`
}

// enrollment is one enrolled fingerprint template.
type enrollment struct {
	ID      []byte    `json:"id"`
	Name    string    `json:"name,omitempty"`
	Created time.Time `json:"created"`
}

// credential is one credential source. PrivateKey is the raw P-256 scalar (32 bytes).
type credential struct {
	ID              []byte    `json:"id"`
	RPID            string    `json:"rpId"`
	RPName          string    `json:"rpName,omitempty"`
	UserID          []byte    `json:"userId"`
	UserName        string    `json:"userName,omitempty"`
	UserDisplayName string    `json:"userDisplayName,omitempty"`
	Discoverable    bool      `json:"discoverable"`
	PrivateKey      []byte    `json:"privateKey"`
	SignCount       uint32    `json:"signCount"`
	Created         time.Time `json:"created"`
	// CredProtect is the credential protection policy (CTAP 2.1 §12.1): 0 (a file written
	// before it was kept) and 1 both mean userVerificationOptional. The credProtect
	// extension is not implemented, so every new credential gets 1.
	CredProtect int `json:"credProtect,omitempty"`
}

func newState(aaguid [16]byte) *state {
	st := &state{Version: stateVersion, PINRetries: maxPINRetries, Credentials: []credential{}}
	st.setAAGUID(aaguid)
	return st
}

func (st *state) pinSet() bool { return len(st.PINHash) != 0 }

func (st *state) aaguid() [16]byte {
	var a [16]byte
	b, err := hex.DecodeString(strings.ReplaceAll(st.AAGUID, "-", ""))
	if err == nil && len(b) == len(a) {
		copy(a[:], b)
	}
	return a
}

func (st *state) setAAGUID(a [16]byte) {
	h := hex.EncodeToString(a[:])
	st.AAGUID = h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// clone copies the state deeply enough for update: the credential slice is new, and byte
// slices are never edited in place anywhere in the package.
func (st *state) clone() *state {
	c := *st
	c.Credentials = slices.Clone(st.Credentials)
	c.Enrollments = slices.Clone(st.Enrollments)
	return &c
}

// minPINLength is the PIN length the key asks for now (getInfo minPINLength).
func (st *state) minPINLength() int {
	if st.MinPINLength == 0 {
		return defaultMinPINLength
	}
	return st.MinPINLength
}

// uvConfigured: built-in user verification is set up, i.e. a fingerprint is enrolled
// (getInfo uv true).
func (st *state) uvConfigured() bool { return len(st.Enrollments) > 0 }

func (st *state) uvRetries() int { return maxUVRetries - st.UVFailures }

func (st *state) discoverableCount() int {
	n := 0
	for _, c := range st.Credentials {
		if c.Discoverable {
			n++
		}
	}
	return n
}

func (st *state) validate() error {
	if st.Version != stateVersion {
		return fmt.Errorf("unsupported state version %d", st.Version)
	}
	if st.aaguid() == ([16]byte{}) {
		return errors.New("bad aaguid")
	}
	if st.PINRetries < 0 || st.PINRetries > maxPINRetries {
		return fmt.Errorf("bad pinRetries %d", st.PINRetries)
	}
	if st.pinSet() && len(st.PINHash) != 16 {
		return errors.New("bad pinHash")
	}
	if st.MinPINLength != 0 && (st.MinPINLength < defaultMinPINLength || st.MinPINLength > maxPINBytes) {
		return fmt.Errorf("bad minPinLength %d", st.MinPINLength)
	}
	if st.PINLength < 0 || st.UVFailures < 0 || st.UVFailures > maxUVRetries {
		return errors.New("bad pinLength or uvFailures")
	}
	for i, e := range st.Enrollments {
		if len(e.ID) == 0 {
			return fmt.Errorf("enrollment %d: missing id", i)
		}
	}
	for i, c := range st.Credentials {
		if c.CredProtect < 0 || c.CredProtect > 3 {
			return fmt.Errorf("credential %d: bad credProtect", i)
		}
		if len(c.ID) == 0 || c.RPID == "" {
			return fmt.Errorf("credential %d: missing id or rpId", i)
		}
		if _, err := c.signer(); err != nil {
			return fmt.Errorf("credential %d: %w", i, err)
		}
	}
	return nil
}

func (c *credential) signer() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), c.PrivateKey)
	if err != nil {
		return nil, errors.New("bad private key")
	}
	return key, nil
}

func loadState(path string) (*state, error) {
	b, err := os.ReadFile(path) //nolint:gosec // G304: the key's own state file, which the program names (Open), never the page
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errNoStateFile
	}
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("parse state: %w", err)
	}
	if st.Credentials == nil {
		st.Credentials = []credential{}
	}
	if err := st.validate(); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	// The file may have been created or copied with looser permissions; it holds private keys.
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, err
	}
	return &st, nil
}

// update applies change to a copy of the state, saves the copy, and only then makes it the
// key's state. If the save fails the key keeps its old state, so what a client was told always
// matches what is on disk. Called with k.mu held.
func (k *Key) update(change func(next *state) error) error {
	next := k.st.clone()
	if err := change(next); err != nil {
		return err
	}
	if k.path != "" {
		if err := saveState(k.path, next); err != nil {
			return fmt.Errorf("save state: %w", err)
		}
	}
	k.st = next
	return nil
}

// saveState writes st to path atomically: a temporary file in the same directory (created
// 0600), fsync, rename over path, fsync the directory. A crash leaves the old file or the new
// one, never a mix.
func saveState(path string, st *state) (err error) {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return err
	}
	if _, err = tmp.Write(b); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, derr := os.Open(dir); derr == nil { //nolint:gosec // G304: the folder of the state file above
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
