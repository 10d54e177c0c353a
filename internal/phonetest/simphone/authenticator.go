package simphone

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/fxamacker/cbor/v2"
)

// The phone's passkey provider: a minimal CTAP2 authenticator (CTAP 2.2 §6.1, §6.2) with
// discoverable, synced (backup-eligible, backed-up) P-256 passkeys.

// CTAP2 status codes it answers with.
const (
	ctapOK                 = 0x00
	ctapCredentialExcluded = 0x19
	ctapOperationDenied    = 0x27
	ctapNoCredentials      = 0x2E
	ctapInvalidCommand     = 0x01
)

// Authenticator data flags: UP, UV, BE, BS, and AT for a new credential.
const (
	flagsAssertion = 0x01 | 0x04 | 0x08 | 0x10
	flagsAttested  = flagsAssertion | 0x40
)

var ctap2 = func() cbor.EncMode {
	m, err := cbor.EncOptions{Sort: cbor.SortCTAP2}.EncMode()
	if err != nil {
		panic(err)
	}
	return m
}()

type descriptor struct {
	ID   []byte `cbor:"id"`
	Type string `cbor:"type"`
}

// answer runs one CTAP2 command (command byte ‖ CBOR) and returns status ‖ CBOR.
func (p *Phone) answer(msg []byte) ([]byte, error) {
	if len(msg) == 0 {
		return []byte{ctapInvalidCommand}, nil
	}
	switch msg[0] {
	case 0x01:
		return p.makeCredential(msg[1:])
	case 0x02:
		return p.getAssertion(msg[1:])
	}
	return []byte{ctapInvalidCommand}, nil
}

func (p *Phone) record(cmd byte, rpID string, options map[string]bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, Request{Command: cmd, RPID: rpID, Options: options})
}

func (p *Phone) makeCredential(params []byte) ([]byte, error) {
	var req struct {
		ClientDataHash []byte `cbor:"1,keyasint"`
		RP             struct {
			ID string `cbor:"id"`
		} `cbor:"2,keyasint"`
		User struct {
			ID []byte `cbor:"id"`
		} `cbor:"3,keyasint"`
		Params []struct {
			Alg int `cbor:"alg"`
		} `cbor:"4,keyasint"`
		Exclude []descriptor    `cbor:"5,keyasint"`
		Options map[string]bool `cbor:"7,keyasint"`
	}
	if err := cbor.Unmarshal(params, &req); err != nil {
		return nil, fmt.Errorf("phone: makeCredential: %w", err)
	}
	p.record(0x01, req.RP.ID, req.Options)
	if p.Behaviour == Decline {
		return []byte{ctapOperationDenied}, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, ex := range req.Exclude {
		for _, pk := range p.passkeys {
			if pk.rpID == req.RP.ID && bytes.Equal(pk.id, ex.ID) {
				return []byte{ctapCredentialExcluded}, nil
			}
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	id := make([]byte, 16)
	rand.Read(id)

	ecdhKey, err := key.PublicKey.ECDH()
	if err != nil {
		return nil, err
	}
	raw := ecdhKey.Bytes()
	cose, err := ctap2.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: raw[1:33], -3: raw[33:]})
	if err != nil {
		return nil, err
	}
	rpHash := sha256.Sum256([]byte(req.RP.ID))
	authData := append(rpHash[:], flagsAttested, 0, 0, 0, 0)
	authData = append(authData, GooglePasswordManager...)
	authData = binary.BigEndian.AppendUint16(authData, uint16(len(id))) //nolint:gosec // G115: id is 16 bytes (made above)
	authData = append(authData, id...)
	authData = append(authData, cose...)

	p.passkeys = append(p.passkeys, passkey{rpID: req.RP.ID, id: id, userID: req.User.ID, key: key})
	out, err := ctap2.Marshal(map[int]any{1: "none", 2: authData, 3: map[string]any{}})
	if err != nil {
		return nil, err
	}
	return append([]byte{ctapOK}, out...), nil
}

func (p *Phone) getAssertion(params []byte) ([]byte, error) {
	var req struct {
		RPID           string          `cbor:"1,keyasint"`
		ClientDataHash []byte          `cbor:"2,keyasint"`
		Allow          []descriptor    `cbor:"3,keyasint"`
		Options        map[string]bool `cbor:"5,keyasint"`
	}
	if err := cbor.Unmarshal(params, &req); err != nil {
		return nil, fmt.Errorf("phone: getAssertion: %w", err)
	}
	p.record(0x02, req.RPID, req.Options)
	if p.Behaviour == Decline {
		return []byte{ctapOperationDenied}, nil
	}
	p.mu.Lock()
	var found *passkey
	for i := range p.passkeys {
		pk := &p.passkeys[i]
		if pk.rpID != req.RPID {
			continue
		}
		if len(req.Allow) > 0 && !allowed(req.Allow, pk.id) {
			continue
		}
		found = pk
		break
	}
	p.mu.Unlock()
	if found == nil {
		return []byte{ctapNoCredentials}, nil
	}
	rpHash := sha256.Sum256([]byte(req.RPID))
	authData := append(rpHash[:], flagsAssertion, 0, 0, 0, 0) // synced passkeys keep a zero counter
	digest := sha256.Sum256(append(bytes.Clone(authData), req.ClientDataHash...))
	sig, err := ecdsa.SignASN1(rand.Reader, found.key, digest[:])
	if err != nil {
		return nil, err
	}
	out, err := ctap2.Marshal(map[int]any{
		1: descriptor{ID: found.id, Type: "public-key"},
		2: authData,
		3: sig,
		4: map[string][]byte{"id": found.userID},
	})
	if err != nil {
		return nil, err
	}
	return append([]byte{ctapOK}, out...), nil
}

func allowed(list []descriptor, id []byte) bool {
	for _, d := range list {
		if bytes.Equal(d.ID, id) {
			return true
		}
	}
	return false
}
