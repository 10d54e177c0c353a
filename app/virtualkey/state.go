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
type state struct {
	Version     int          `json:"version"`
	AAGUID      string       `json:"aaguid"`
	PINHash     []byte       `json:"pinHash,omitempty"`
	PINRetries  int          `json:"pinRetries"`
	Credentials []credential `json:"credentials"`
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
	return &c
}

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
	for i, c := range st.Credentials {
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
	b, err := os.ReadFile(path)
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
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
