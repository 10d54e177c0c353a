//go:build cgo && !windows

package fido2

/*
#include <stddef.h>
#include <stdint.h>
*/
import "C"

import (
	"errors"
	"runtime/cgo"
	"sync/atomic"
	"time"
	"unsafe"
)

// A Transport carries whole CTAPHID messages between libfido2 and a Go authenticator.
// cmd is the CTAPHID command without the 0x80 bit (0x06 INIT, 0x10 CBOR, 0x11 CANCEL, 0x01 PING, 0x3b KEEPALIVE replies, 0x3f ERROR).
type Transport interface {
	Tx(cmd byte, data []byte) error
	// Rx returns the reply to the last message for cmd, waiting at most timeout (negative: no limit).
	// The reply of a CBOR command is the CTAP status byte followed by the CBOR body.
	Rx(cmd byte, timeout time.Duration) ([]byte, error)
}

// CTAPHID command codes as a Transport sees them (without the 0x80 bit).
const (
	cmdPing      = 0x01
	cmdInit      = 0x06
	cmdCBOR      = 0x10
	cmdCancel    = 0x11
	cmdKeepalive = 0x3b
)

// Status is what an authenticator says while it works on a request.
type Status int

const (
	// StatusProcessing: the authenticator is working (CTAPHID KEEPALIVE status 1).
	StatusProcessing Status = 1
	// StatusUserPresenceNeeded: the authenticator waits for the person to touch it
	// (CTAPHID KEEPALIVE status 2). Show "Touch your security key".
	StatusUserPresenceNeeded Status = 2
)

func (s Status) String() string {
	switch s {
	case StatusProcessing:
		return "processing"
	case StatusUserPresenceNeeded:
		return "user presence needed"
	}
	return "unknown status"
}

// conn is what a cgo.Handle of a transport device refers to: the Go transport and the
// status hook of the request now running (nil when there is none).
type conn struct {
	t      Transport
	status atomic.Pointer[func(Status)]
	last   atomic.Int32 // last status reported during this request, to report changes only
}

// setStatus installs f for the request about to run; nil removes it.
func (c *conn) setStatus(f func(Status)) {
	c.last.Store(0)
	if f == nil {
		c.status.Store(nil)
		return
	}
	c.status.Store(&f)
}

// report passes a KEEPALIVE status to the request's hook, once per change.
func (c *conn) report(s Status) {
	f := c.status.Load()
	if f == nil || c.last.Swap(int32(s)) == int32(s) {
		return
	}
	(*f)(s)
}

func lookupConn(h C.uintptr_t) (c *conn, ok bool) {
	defer func() {
		if recover() != nil { // an unknown handle: the device is being torn down
			c, ok = nil, false
		}
	}()
	c, ok = cgo.Handle(h).Value().(*conn)
	return c, ok
}

// goTransportTx is libfido2's transport tx hook for Go transports. It copies the message
// out of C memory (libfido2 frees it when tx returns) and hands it to the transport.
//
//export goTransportTx
func goTransportTx(h C.uintptr_t, cmd C.uint8_t, buf *C.uchar, n C.size_t) (rc C.int) {
	defer func() {
		if recover() != nil { // a panicking transport must not take the process down
			rc = -1
		}
	}()
	c, ok := lookupConn(h)
	if !ok {
		return -1
	}
	var data []byte
	if buf != nil && n > 0 {
		data = C.GoBytes(unsafe.Pointer(buf), C.int(n))
	}
	if err := c.t.Tx(byte(cmd), data); err != nil {
		return -1
	}
	return 0
}

// goTransportRx is libfido2's transport rx hook for Go transports: it waits for the reply
// to cmd and copies it into libfido2's buffer, returning its length (-1 on failure, as
// libfido2 expects). ms is libfido2's time budget; -1 means no limit.
//
//export goTransportRx
func goTransportRx(h C.uintptr_t, cmd C.uint8_t, buf *C.uchar, n C.size_t, ms C.int) (rc C.int) {
	defer func() {
		if recover() != nil {
			rc = -1
		}
	}()
	c, ok := lookupConn(h)
	if !ok {
		return -1
	}
	timeout := time.Duration(-1)
	if ms >= 0 {
		timeout = time.Duration(ms) * time.Millisecond
	}
	if byte(cmd) == cmdCBOR && c.status.Load() != nil {
		stop := c.watchKeepalives()
		defer stop()
	}
	reply, err := c.t.Rx(byte(cmd), timeout)
	if err != nil || len(reply) > int(n) || (len(reply) > 0 && buf == nil) {
		return -1
	}
	if len(reply) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(n)), reply)
	}
	return C.int(len(reply))
}

// keepalivePoll bounds each wait for a KEEPALIVE, so the watcher notices the end of the
// request; CTAP 2.1 §11.2.9.1.7 has authenticators send one at least every 100 ms.
const keepalivePoll = 100 * time.Millisecond

// watchKeepalives reads the authenticator's KEEPALIVE messages (Rx(0x3b)) beside the wait
// for a CBOR reply and passes their status to the request's Status hook. The returned stop
// ends the watch and waits for it, so the hook is never called after the request. A
// transport that does not give KEEPALIVEs just fails those reads.
func (c *conn) watchKeepalives() (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		for {
			select {
			case <-done:
				return
			default:
			}
			payload, err := c.safeRx(cmdKeepalive, keepalivePoll)
			if err != nil {
				// Timed out, or no request in progress yet or any more: look again
				// shortly unless the reply is in.
				select {
				case <-done:
					return
				case <-time.After(keepalivePoll / 4):
				}
				continue
			}
			if len(payload) > 0 {
				c.report(Status(payload[0]))
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}

// safeRx is t.Rx with a panic turned into an error.
func (c *conn) safeRx(cmd byte, timeout time.Duration) (reply []byte, err error) {
	defer func() {
		if recover() != nil {
			reply, err = nil, errTransportPanic
		}
	}()
	return c.t.Rx(cmd, timeout)
}

var errTransportPanic = errors.New("transport panicked")
