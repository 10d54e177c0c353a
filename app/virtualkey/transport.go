package virtualkey

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// A Transport carries whole CTAPHID messages between libfido2 and a Go authenticator.
// cmd is the CTAPHID command without the 0x80 bit (0x06 INIT, 0x10 CBOR, 0x11 CANCEL, 0x01 PING,
// 0x3b KEEPALIVE replies, 0x3f ERROR).
//
// It is declared here only to check that *Key satisfies the interface agreed with app/fido2;
// app/fido2 declares its own copy.
type Transport interface {
	Tx(cmd byte, data []byte) error
	// Rx returns the reply to the last message for cmd, waiting at most timeout (negative: no limit).
	// The reply of a CBOR command is the CTAP status byte followed by the CBOR body.
	Rx(cmd byte, timeout time.Duration) ([]byte, error)
}

var _ Transport = (*Key)(nil)

// CTAPHID commands without the 0x80 bit (CTAP 2.1 §11.2.9).
const (
	cmdPing      byte = 0x01
	cmdInit      byte = 0x06
	cmdCBOR      byte = 0x10
	cmdCancel    byte = 0x11
	cmdKeepalive byte = 0x3b
	cmdError     byte = 0x3f
)

// CTAPHID INIT reply fields (CTAP 2.1 §11.2.9.1.3).
const (
	ctaphidProtocol = 2
	deviceMajor     = 1
	deviceMinor     = 0
	deviceBuild     = 0
	capCBOR         = 0x04
	capNMSG         = 0x08 // "does not implement CTAPHID_MSG": no U2F
	capabilities    = capCBOR | capNMSG
	broadcastCID    = 0xffffffff
)

// keepaliveUPNeeded is the KEEPALIVE status "waiting for user presence" (CTAP 2.1
// §11.2.9.1.7). The other one, 0x01 PROCESSING, is never needed: without a touch to wait for,
// the key answers at once.
const keepaliveUPNeeded byte = 0x02

// keepaliveInterval: CTAP 2.1 §11.2.9.1.7 says a key sends KEEPALIVE at least every 100 ms
// while it processes a CBOR request.
const keepaliveInterval = 100 * time.Millisecond

// maxHIDMessage is the largest CTAPHID message with 64-byte reports: 57 bytes in the
// initialisation packet and 128 continuation packets of 59 (CTAP 2.1 §11.2, message framing).
const maxHIDMessage = 64 - 7 + 128*(64-5)

var (
	// ErrTimeout means Rx waited its whole timeout and no reply came.
	ErrTimeout = errors.New("virtualkey: no reply before the timeout")
	// ErrNoMessage means Rx was asked for the reply to a message that was never sent, whose reply
	// was already taken, or (for KEEPALIVE) when no CBOR request is being processed.
	ErrNoMessage = errors.New("virtualkey: no message is waiting for a reply")
	// ErrUnplugged means the key has been unplugged (the Unplugged behaviour); Replug brings it back.
	ErrUnplugged = errors.New("virtualkey: the security key was unplugged")
)

// HIDError is a CTAPHID_ERROR reply (CTAP 2.1 §11.2.9.1.6): Rx returns it as the error for
// the message it answers, and Rx(0x3f, ...) returns its code byte.
type HIDError byte

// CTAPHID error codes.
const (
	HIDErrInvalidCmd  HIDError = 0x01
	HIDErrInvalidPar  HIDError = 0x02
	HIDErrInvalidLen  HIDError = 0x03
	HIDErrChannelBusy HIDError = 0x06
	HIDErrOther       HIDError = 0x7f
)

func (e HIDError) Error() string {
	return fmt.Sprintf("virtualkey: CTAPHID error 0x%02x", byte(e))
}

// mailbox holds the reply to the last message for one command.
type mailbox struct {
	done  chan struct{}
	reply []byte
	err   error
}

func newMailbox() *mailbox { return &mailbox{done: make(chan struct{})} }

// complete delivers the reply once. Called with k.mu held.
func (m *mailbox) complete(reply []byte, err error) {
	select {
	case <-m.done:
		return
	default:
	}
	m.reply, m.err = reply, err
	close(m.done)
}

// request is the CBOR request being processed.
type request struct {
	generation uint64
	cancelled  chan struct{} // closed by CTAPHID CANCEL
	done       chan struct{} // closed when processing has finished
	reply      *mailbox
}

func (r *request) cancel() {
	select {
	case <-r.cancelled:
	default:
		close(r.cancelled)
	}
}

// Tx takes one whole CTAPHID message from the host. Most replies come later through Rx; Tx
// itself fails only when the key is unplugged or busy with another CBOR request.
func (k *Key) Tx(cmd byte, data []byte) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.unplugged {
		return ErrUnplugged
	}
	if len(data) > maxHIDMessage {
		k.answer(cmd, nil, HIDErrInvalidLen)
		return nil
	}
	switch cmd {
	case cmdInit:
		k.init(data)
	case cmdPing:
		// CTAP 2.1 §11.2.9.1.4: the reply is the same data.
		k.answer(cmd, bytes.Clone(data), nil)
	case cmdCancel:
		// CTAP 2.1 §11.2.9.1.5: CANCEL has no reply; a request waiting for the user ends with
		// CTAP2_ERR_KEEPALIVE_CANCEL.
		if k.inflight != nil {
			k.inflight.cancel()
		}
	case cmdCBOR:
		return k.startCBOR(data)
	default:
		// MSG (0x03: the key sets NMSG), LOCK (0x04), WINK (0x08) and anything unknown.
		k.answer(cmd, nil, HIDErrInvalidCmd)
	}
	return nil
}

// Rx returns the reply to the last message sent with cmd, waiting at most timeout (negative:
// no limit, zero: only what is already there). A reply is handed out once.
//
// Rx(0x3b, timeout) is special: while a CBOR request waits for the user's touch, it returns a
// KEEPALIVE payload ({0x02}, UPNEEDED) every 100 ms, as a real key sends them between the
// request and its reply. It returns ErrNoMessage as soon as no CBOR request is in progress, so
// a binding can poll it beside Rx(0x10, ...) to show "Touch your security key".
func (k *Key) Rx(cmd byte, timeout time.Duration) ([]byte, error) {
	if cmd == cmdKeepalive {
		return k.rxKeepalive(timeout)
	}
	k.mu.Lock()
	if k.unplugged {
		k.mu.Unlock()
		return nil, ErrUnplugged
	}
	mb := k.replies[cmd]
	k.mu.Unlock()
	if mb == nil {
		return nil, ErrNoMessage
	}
	expired, stop := deadline(timeout)
	defer stop()
	select {
	case <-mb.done:
	case <-expired:
		// A last look: the reply may have arrived at the same moment.
		select {
		case <-mb.done:
		default:
			return nil, ErrTimeout
		}
	}
	k.mu.Lock()
	if k.replies[cmd] == mb {
		delete(k.replies, cmd)
	}
	k.mu.Unlock()
	return mb.reply, mb.err
}

func (k *Key) rxKeepalive(timeout time.Duration) ([]byte, error) {
	k.mu.Lock()
	if k.unplugged {
		k.mu.Unlock()
		return nil, ErrUnplugged
	}
	req := k.inflight
	k.mu.Unlock()
	if req == nil {
		return nil, ErrNoMessage
	}
	expired, stop := deadline(timeout)
	defer stop()
	select {
	case s := <-k.keepalive:
		return []byte{s}, nil
	case <-req.done:
		return nil, ErrNoMessage
	case <-expired:
		return nil, ErrTimeout
	}
}

// deadline returns a channel that fires after timeout (never, if negative).
func deadline(timeout time.Duration) (<-chan time.Time, func()) {
	if timeout < 0 {
		return nil, func() {}
	}
	t := time.NewTimer(timeout)
	return t.C, func() { t.Stop() }
}

// answer sets the reply to a message. A HIDError is also kept as the reply to ERROR (0x3f).
// Called with k.mu held.
func (k *Key) answer(cmd byte, reply []byte, err error) {
	mb := newMailbox()
	k.replies[cmd] = mb
	mb.complete(reply, err)
	var he HIDError
	if errors.As(err, &he) && cmd != cmdError {
		eb := newMailbox()
		k.replies[cmdError] = eb
		eb.complete([]byte{byte(he)}, nil)
	}
}

// init answers CTAPHID_INIT (CTAP 2.1 §11.2.9.1.3): 8-byte nonce echoed, a new 4-byte channel
// id, CTAPHID protocol version 2, device version major/minor/build, capability flags. 17 bytes,
// exactly what libfido2 reads into its fido_ctap_info_t. INIT also aborts a transaction in
// progress.
func (k *Key) init(nonce []byte) {
	if len(nonce) != 8 {
		k.answer(cmdInit, nil, HIDErrInvalidLen)
		return
	}
	if k.inflight != nil {
		k.inflight.cancel()
	}
	k.lastCID++
	if k.lastCID == 0 || k.lastCID == broadcastCID {
		k.lastCID = 1
	}
	reply := make([]byte, 0, 17)
	reply = append(reply, nonce...)
	reply = binary.BigEndian.AppendUint32(reply, k.lastCID)
	reply = append(reply, ctaphidProtocol, deviceMajor, deviceMinor, deviceBuild, capabilities)
	k.answer(cmdInit, reply, nil)
}

// startCBOR begins processing a CBOR request in its own goroutine, so the host can send CANCEL
// and read KEEPALIVEs while the key waits for the user. Called with k.mu held.
func (k *Key) startCBOR(msg []byte) error {
	if k.inflight != nil {
		// CTAP 2.1 §11.2: one transaction at a time; a real key answers ERR_CHANNEL_BUSY.
		return HIDErrChannelBusy
	}
	if len(msg) == 0 {
		k.answer(cmdCBOR, nil, HIDErrInvalidLen)
		return nil
	}
	req := &request{
		generation: k.generation,
		cancelled:  make(chan struct{}),
		done:       make(chan struct{}),
		reply:      newMailbox(),
	}
	k.inflight = req
	k.replies[cmdCBOR] = req.reply
	select { // a KEEPALIVE left over from the last request
	case <-k.keepalive:
	default:
	}
	go k.serve(req, bytes.Clone(msg))
	return nil
}

func (k *Key) serve(req *request, msg []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	reply, err := k.dispatch(req, msg)
	if k.inflight == req {
		k.inflight = nil
	}
	if err == nil && req.generation != k.generation {
		err = ErrUnplugged // the key was replugged while this request waited
	}
	req.reply.complete(reply, err)
	close(req.done)
}

// unplug drops everything in flight: every waiting Rx gets ErrUnplugged. Called with k.mu held.
func (k *Key) unplug() {
	k.unplugged = true
	for cmd, mb := range k.replies {
		mb.complete(nil, ErrUnplugged)
		delete(k.replies, cmd)
	}
	if k.inflight != nil {
		k.inflight.cancel()
		k.inflight = nil
	}
	if k.touch != nil {
		close(k.touch)
		k.touch = nil
	}
	k.generation++
}
