//go:build cgo && !windows

package fido2

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// fakeCTAP is a minimal in-test CTAP2 authenticator behind the Transport interface. It is
// NOT the virtual security key (app/virtualkey): it exists only to drive libfido2 through
// this package's transport hooks (open, getInfo, a plain packed-self-attested
// makeCredential, getAssertion with getNextAssertion, and error and cancel paths). It has
// no PIN support.
type fakeCTAP struct {
	mu        sync.Mutex
	options   map[string]bool
	status    map[byte]byte // CBOR command -> forced CTAP status (an error reply)
	block     bool          // makeCredential/getAssertion wait for CANCEL
	deaf      chan struct{} // if set, they ignore CANCEL and wait for this instead
	failRx    bool          // Rx fails (the device went away)
	panicRx   bool          // Rx panics (a broken transport)
	badNonce  bool          // INIT reply echoes a wrong nonce
	commands  []byte        // CBOR commands received, in order
	creds     []*fakeCred
	counter   uint32
	pending   map[byte][]byte // cmd -> request waiting for Rx
	cancelled chan struct{}   // closed by CANCEL while a request waits
	keepalive chan byte       // the latest KEEPALIVE status, for Rx(0x3b)
	pendingAs []*fakeCred     // the rest of a multi-credential getAssertion
	asRP      string
	asCDH     []byte
}

type fakeCred struct {
	id   []byte
	rpID string
	user []byte
	rk   bool
	key  *ecdsa.PrivateKey
}

var fakeAAGUID = []byte("fakeCTAP-aaguid!")

func newFakeCTAP() *fakeCTAP {
	return &fakeCTAP{
		options:   map[string]bool{"rk": true, "up": true, "plat": false},
		status:    map[byte]byte{},
		pending:   map[byte][]byte{},
		keepalive: make(chan byte, 1),
	}
}

var ctap2Enc = func() cbor.EncMode {
	em, err := cbor.CTAP2EncOptions().EncMode()
	if err != nil {
		panic(err)
	}
	return em
}()

func (f *fakeCTAP) set(fn func(f *fakeCTAP)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *fakeCTAP) received() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.commands)
}

func (f *fakeCTAP) Tx(cmd byte, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch cmd {
	case cmdCancel:
		if f.cancelled != nil {
			select {
			case <-f.cancelled:
			default:
				close(f.cancelled)
			}
		}
		return nil
	case cmdInit, cmdCBOR, cmdPing:
		f.pending[cmd] = slices.Clone(data)
		if cmd == cmdCBOR {
			f.cancelled = make(chan struct{})
			if len(data) > 0 {
				f.commands = append(f.commands, data[0])
			}
		}
		return nil
	}
	return errors.New("fakeCTAP: unknown command")
}

func (f *fakeCTAP) Rx(cmd byte, timeout time.Duration) ([]byte, error) {
	if cmd == cmdKeepalive {
		return f.rxKeepalive(timeout)
	}
	f.mu.Lock()
	req, ok := f.pending[cmd]
	delete(f.pending, cmd)
	failRx, panicRx := f.failRx, f.panicRx
	f.mu.Unlock()
	if panicRx {
		panic("fakeCTAP: broken transport")
	}
	if failRx || !ok {
		return nil, errors.New("fakeCTAP: nothing to read")
	}
	switch cmd {
	case cmdInit:
		return f.initReply(req), nil
	case cmdPing:
		return req, nil
	}
	done := make(chan []byte, 1)
	go func() { done <- f.cbor(req) }()
	var expire <-chan time.Time
	if timeout >= 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expire = t.C
	}
	select {
	case reply := <-done:
		return reply, nil
	case <-expire:
		return nil, errors.New("fakeCTAP: timeout")
	}
}

func (f *fakeCTAP) rxKeepalive(timeout time.Duration) ([]byte, error) {
	t := time.NewTimer(max(timeout, 0))
	defer t.Stop()
	select {
	case s := <-f.keepalive:
		return []byte{s}, nil
	case <-t.C:
		return nil, errors.New("fakeCTAP: no keepalive")
	}
}

func (f *fakeCTAP) initReply(nonce []byte) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	reply := slices.Clone(nonce)
	if f.badNonce {
		reply[0] ^= 0xff
	}
	reply = binary.BigEndian.AppendUint32(reply, 0x01020304) // channel
	// CTAPHID protocol 2, device version 1.0.0, capabilities CBOR|NMSG.
	return append(reply, 2, 1, 0, 0, 0x04|0x08)
}

const (
	ctapMakeCredential   = 0x01
	ctapGetAssertion     = 0x02
	ctapGetInfo          = 0x04
	ctapGetNextAssertion = 0x08
)

func (f *fakeCTAP) cbor(req []byte) []byte {
	if len(req) == 0 {
		return []byte{0x01}
	}
	f.mu.Lock()
	status, forced := f.status[req[0]]
	block := f.block && (req[0] == ctapMakeCredential || req[0] == ctapGetAssertion)
	cancelled := f.cancelled
	if f.deaf != nil {
		cancelled = f.deaf
	}
	f.mu.Unlock()

	if req[0] == ctapMakeCredential || req[0] == ctapGetAssertion {
		select {
		case f.keepalive <- 2: // KEEPALIVE UPNEEDED: waiting for a touch
		default:
		}
		if block {
			<-cancelled
			return []byte{0x2d} // CTAP2_ERR_KEEPALIVE_CANCEL
		}
	}
	if forced {
		return []byte{status}
	}
	var body any
	var err byte
	switch req[0] {
	case ctapGetInfo:
		body = f.info()
	case ctapMakeCredential:
		body, err = f.makeCredential(req[1:])
	case ctapGetAssertion:
		body, err = f.getAssertion(req[1:])
	case ctapGetNextAssertion:
		body, err = f.nextAssertion()
	default:
		return []byte{0x01} // CTAP1_ERR_INVALID_COMMAND
	}
	if err != 0 {
		return []byte{err}
	}
	out, e := ctap2Enc.Marshal(body)
	if e != nil {
		return []byte{0x7f}
	}
	return append([]byte{0}, out...)
}

func (f *fakeCTAP) info() any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return map[int]any{
		1:  []string{"FIDO_2_0", "FIDO_2_1"},
		2:  []string{"credProtect"},
		3:  fakeAAGUID,
		4:  f.options,
		5:  1200,
		6:  []int{2, 1},
		9:  []string{"usb"},
		10: []map[string]any{{"type": "public-key", "alg": -7}},
		14: 0x010203,
	}
}

type fakeEntity struct {
	ID          any    `cbor:"id"`
	Name        string `cbor:"name,omitempty"`
	DisplayName string `cbor:"displayName,omitempty"`
}

type fakeDescriptor struct {
	Type string `cbor:"type"`
	ID   []byte `cbor:"id"`
}

func (f *fakeCTAP) makeCredential(body []byte) (any, byte) {
	var req struct {
		CDH     []byte           `cbor:"1,keyasint"`
		RP      fakeEntity       `cbor:"2,keyasint"`
		User    fakeEntity       `cbor:"3,keyasint"`
		Exclude []fakeDescriptor `cbor:"5,keyasint"`
		Options map[string]bool  `cbor:"7,keyasint"`
	}
	if cbor.Unmarshal(body, &req) != nil {
		return nil, 0x12 // CTAP2_ERR_INVALID_CBOR
	}
	rpID, _ := req.RP.ID.(string)
	userID, _ := req.User.ID.([]byte)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.creds {
		for _, ex := range req.Exclude {
			if bytes.Equal(c.id, ex.ID) {
				return nil, 0x19 // CTAP2_ERR_CREDENTIAL_EXCLUDED
			}
		}
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c := &fakeCred{id: make([]byte, 16), rpID: rpID, user: userID, rk: req.Options["rk"], key: key}
	_, _ = rand.Read(c.id)
	f.creds = append(f.creds, c)
	f.counter++

	pub, _ := key.PublicKey.Bytes() // 0x04 || x || y
	cose, _ := ctap2Enc.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: pub[1:33], -3: pub[33:]})
	authData := fakeAuthData(rpID, 0x01|0x40, f.counter)
	authData = append(authData, fakeAAGUID...)
	authData = binary.BigEndian.AppendUint16(authData, uint16(len(c.id)))
	authData = append(authData, c.id...)
	authData = append(authData, cose...)
	sig := fakeSign(key, authData, req.CDH)
	return map[int]any{
		1: "packed",
		2: authData,
		3: map[string]any{"alg": -7, "sig": sig},
	}, 0
}

func (f *fakeCTAP) getAssertion(body []byte) (any, byte) {
	var req struct {
		RPID  string           `cbor:"1,keyasint"`
		CDH   []byte           `cbor:"2,keyasint"`
		Allow []fakeDescriptor `cbor:"3,keyasint"`
	}
	if cbor.Unmarshal(body, &req) != nil {
		return nil, 0x12
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var found []*fakeCred
	for _, c := range f.creds {
		if c.rpID != req.RPID {
			continue
		}
		if len(req.Allow) == 0 && c.rk {
			found = append(found, c)
		}
		for _, a := range req.Allow {
			if bytes.Equal(a.ID, c.id) {
				found = append(found, c)
			}
		}
	}
	if len(found) == 0 {
		return nil, 0x2e // CTAP2_ERR_NO_CREDENTIALS
	}
	f.asRP, f.asCDH, f.pendingAs = req.RPID, req.CDH, found[1:]
	reply := f.assertion(found[0], len(req.Allow) == 0)
	if len(found) > 1 {
		reply[5] = len(found)
	}
	return reply, 0
}

func (f *fakeCTAP) nextAssertion() (any, byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.pendingAs) == 0 {
		return nil, 0x30 // CTAP2_ERR_NOT_ALLOWED
	}
	c := f.pendingAs[0]
	f.pendingAs = f.pendingAs[1:]
	return f.assertion(c, true), 0
}

// assertion answers for c; f.mu is held.
func (f *fakeCTAP) assertion(c *fakeCred, withUser bool) map[int]any {
	f.counter++
	authData := fakeAuthData(f.asRP, 0x01, f.counter)
	reply := map[int]any{
		1: fakeDescriptor{Type: "public-key", ID: c.id},
		2: authData,
		3: fakeSign(c.key, authData, f.asCDH),
	}
	if withUser {
		reply[4] = fakeEntity{ID: c.user}
	}
	return reply
}

func fakeAuthData(rpID string, flags byte, counter uint32) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append(h[:], flags)
	return binary.BigEndian.AppendUint32(out, counter)
}

func fakeSign(key *ecdsa.PrivateKey, authData, cdh []byte) []byte {
	h := sha256.Sum256(append(slices.Clone(authData), cdh...))
	sig, _ := ecdsa.SignASN1(rand.Reader, key, h[:])
	return sig
}
