package virtualkey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
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

// stateLockSuffix names the state file's lock, beside it (lockStateFile, statelock_*.go).
const stateLockSuffix = ".lock"

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

func loadState(path string) (*state, [32]byte, error) {
	b, err := os.ReadFile(path) //nolint:gosec // G304: the key's own state file, which the program names (Open), never the page
	if errors.Is(err, fs.ErrNotExist) {
		return nil, [32]byte{}, errNoStateFile
	}
	if err != nil {
		return nil, [32]byte{}, err
	}
	st, err := parseState(b)
	if err != nil {
		return nil, [32]byte{}, err
	}
	// The file may have been created or copied with looser permissions; it holds private keys.
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, [32]byte{}, err
	}
	return st, sha256.Sum256(b), nil
}

func parseState(b []byte) (*state, error) {
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
	return &st, nil
}

// Two copies of the app may have one state file open at once: two data folders with the
// same --virtual-key, or two kiosks a tester's key is carried between (e2e/fleet_test.go).
// The file is the key, as the one physical key would be: every command first reads it
// again if another copy has saved it since (refresh), and a save is made under the file's
// lock (lockStateFile) only if the file is still what this copy last read or wrote (update).
// Without this, each copy wrote its own stale view over the other's: a passkey the other
// copy had made, or the sign count it had reported, was lost.

// errStateChanged refuses a change made on a state another copy of the app has since
// replaced: the command fails (CTAP1_ERR_OTHER) with nothing saved, and the next one works
// on the file as it now is.
var errStateChanged = errors.New("another copy of the app changed the virtual key's state file meanwhile; nothing was saved")

// refresh makes the file's state the key's if another copy has saved it since this one last
// read or wrote it. A file that has gone is left for the next save to write again; one that
// cannot be read or parsed is an error, and the key keeps its state without writing over
// the file. Called with k.mu held.
func (k *Key) refresh() error {
	if k.path == "" {
		return nil
	}
	b, err := os.ReadFile(k.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("read state: %w", err)
	}
	sum := sha256.Sum256(b)
	if sum == k.synced {
		return nil
	}
	st, err := parseState(b)
	if err != nil {
		return err
	}
	k.st, k.synced = st, sum
	return nil
}

// fileSum is the SHA-256 of the file at path, or zero when there is none (or no path).
func fileSum(path string) [32]byte {
	if path == "" {
		return [32]byte{}
	}
	b, err := os.ReadFile(path) //nolint:gosec // G304: the key's own state file, which the program names
	if err != nil {
		return [32]byte{}
	}
	return sha256.Sum256(b)
}

// refreshIdle is refresh for the tester's and the tests' calls (Credentials, Reset, ...),
// made between commands only: a command that waits for a touch lets go of k.mu, and the
// state it read at its start must stay the key's until its update. A file that cannot be
// read leaves the key with what it last held. Called with k.mu held.
func (k *Key) refreshIdle() {
	if k.inflight == nil {
		_ = k.refresh()
	}
}

// update applies change to a copy of the state, saves the copy, and only then makes it the
// key's state. If the save fails the key keeps its old state, so what a client was told always
// matches what is on disk. The save is made under the state file's lock, and only if no
// other copy of the app has saved the file since this one read it (errStateChanged: the key
// then takes the file's state). Called with k.mu held.
func (k *Key) update(change func(next *state) error) error {
	next := k.st.clone()
	if err := change(next); err != nil {
		return err
	}
	if k.path != "" {
		unlock, err := lockStateFile(k.path)
		if err != nil {
			return fmt.Errorf("save state: %w", err)
		}
		defer unlock()
		before := k.synced
		if err := k.refresh(); err != nil {
			return fmt.Errorf("save state: %w", err)
		}
		if k.synced != before {
			return errStateChanged
		}
		sum, err := saveState(k.path, next)
		if err != nil {
			return fmt.Errorf("save state: %w", err)
		}
		k.synced = sum
	}
	k.st = next
	return nil
}

// tempPattern matches saveState's temporary files for the state file at path.
func tempPattern(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
}

// removeStaleTemps deletes the temporary files a save left when the app was killed between
// writing one and renaming it over the state file (kill -9, a power cut). Each holds a
// whole state, private keys included, and nothing would ever remove it. It runs under the
// state file's lock, which every save holds, so no other copy of the app is writing one;
// a file it cannot remove is left for the next Open.
func removeStaleTemps(path string) {
	unlock, err := lockStateFile(path)
	if err != nil {
		return
	}
	defer unlock()
	stale, _ := filepath.Glob(tempPattern(path))
	for _, name := range stale {
		if info, err := os.Lstat(name); err == nil && info.Mode().IsRegular() {
			_ = os.Remove(name)
		}
	}
}

// saveState writes st to path atomically: a temporary file in the same directory (created
// 0600), fsync, rename over path, fsync the directory. A crash leaves the old file or the new
// one, never a mix.
// It returns the SHA-256 of what it wrote.
func saveState(path string, st *state) (sum [32]byte, err error) {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return sum, err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, filepath.Base(tempPattern(path)))
	if err != nil {
		return sum, err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return sum, err
	}
	if _, err = tmp.Write(b); err != nil {
		return sum, err
	}
	if err = tmp.Sync(); err != nil {
		return sum, err
	}
	if err = tmp.Close(); err != nil {
		return sum, err
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return sum, err
	}
	if d, derr := os.Open(dir); derr == nil { //nolint:gosec // G304: the folder of the state file above
		_ = d.Sync()
		_ = d.Close()
	}
	return sha256.Sum256(b), nil
}
