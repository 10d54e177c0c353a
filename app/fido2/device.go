//go:build cgo && !windows

package fido2

/*
#include <fido.h>
#include <fido/bio.h>
#include <stdlib.h>
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"runtime/cgo"
	"sync"
	"time"
	"unsafe"
)

// DeviceInfo describes an attached FIDO device as the operating system lists it.
type DeviceInfo struct {
	Path         string // what Open takes (e.g. /dev/hidraw3)
	Product      string
	Manufacturer string
	VendorID     uint16
	ProductID    uint16
}

// DeviceList returns up to limit attached FIDO devices (USB HID, and NFC on Linux). None
// attached is not an error.
func DeviceList(limit int) ([]DeviceInfo, error) {
	if limit < 1 {
		return nil, fmt.Errorf("device list: %w", refuse(ErrInvalidRequest))
	}
	list := C.fido_dev_info_new(C.size_t(limit))
	if list == nil {
		return nil, fmt.Errorf("device list: %w", newError(C.FIDO_ERR_INTERNAL))
	}
	defer C.fido_dev_info_free(&list, C.size_t(limit))

	var n C.size_t
	if rc := C.fido_dev_info_manifest(list, C.size_t(limit), &n); rc != C.FIDO_OK {
		return nil, fmt.Errorf("device list: %w", newError(int(rc)))
	}
	out := make([]DeviceInfo, 0, int(n))
	for i := C.size_t(0); i < n; i++ {
		di := C.fido_dev_info_ptr(list, i)
		out = append(out, DeviceInfo{
			Path:         goString(C.fido_dev_info_path(di)),
			Product:      goString(C.fido_dev_info_product_string(di)),
			Manufacturer: goString(C.fido_dev_info_manufacturer_string(di)),
			VendorID:     uint16(C.fido_dev_info_vendor(di)),
			ProductID:    uint16(C.fido_dev_info_product(di)),
		})
	}
	return out, nil
}

// Device is an open authenticator. Its methods are safe for concurrent use: requests run
// one at a time, and Cancel and Close may be called at any time from any goroutine.
type Device struct {
	// mu is held for the whole of every libfido2 call on dev, so requests are serialised
	// and Close cannot free dev under a running request.
	mu  sync.Mutex
	dev *C.fido_dev_t // nil once closed

	// conn and handle are set for devices opened with OpenTransport.
	conn   *conn
	handle cgo.Handle

	// cancelMu guards the running request's cancel function and the closing flag. It is
	// never held across a libfido2 call, so Cancel never waits for a request.
	cancelMu sync.Mutex
	cancelOp context.CancelFunc
	closing  bool

	// enroll is the fingerprint enrolment in progress, from BioEnrollBegin to its last
	// sample: libfido2 keeps in it the pinUvAuthToken the later samples are authenticated
	// with, so it lives in C memory and is freed (the token wiped) when the enrolment ends,
	// is cancelled, or the device closes. Guarded by mu.
	enroll *C.fido_bio_enroll_t
}

// Open opens the hardware authenticator at path (a DeviceInfo.Path). A path with no
// device behind it gives ErrDeviceGone.
//
// Status hooks are not available for hardware devices: libfido2 reads the authenticator's
// KEEPALIVE messages itself and tells no one, so a hardware request's Status is never
// called. Show "Touch your security key" as soon as the request starts instead.
func Open(path string) (*Device, error) {
	if path == "" {
		return nil, fmt.Errorf("open: %w", refuse(ErrInvalidRequest))
	}
	dev := C.fido_dev_new()
	if dev == nil {
		return nil, fmt.Errorf("open: %w", newError(C.FIDO_ERR_INTERNAL))
	}
	cpath, free := cString(path)
	defer free()
	if rc := C.fido_dev_open(dev, cpath); rc != C.FIDO_OK {
		C.fido_dev_free(&dev)
		return nil, fmt.Errorf("open: %w", openError(int(rc)))
	}
	return &Device{dev: dev}, nil
}

// OpenTransport opens the Go authenticator behind t (the virtual security key) through the
// real libfido2. The caller keeps t and closes it after Device.Close. While a request
// runs, t.Tx may be called with CANCEL (0x11) from another goroutine while t.Rx waits for
// the request's reply. While a CBOR request with a Status hook waits, t.Rx(0x3b, ...) is
// called beside it to read the authenticator's KEEPALIVE messages (the payload's first
// byte is the status); a transport without them may fail those calls.
func OpenTransport(t Transport) (*Device, error) {
	if t == nil {
		return nil, fmt.Errorf("open: %w", refuse(ErrInvalidRequest))
	}
	c := &conn{t: t}
	h := cgo.NewHandle(c)
	dev, path, rc := newGoTransportDevice(h)
	if rc != C.FIDO_OK {
		h.Delete()
		return nil, fmt.Errorf("open: %w", newError(int(rc)))
	}
	cpath, free := cString(path)
	defer free()
	if rc := C.fido_dev_open(dev, cpath); rc != C.FIDO_OK {
		C.fido_dev_free(&dev)
		h.Delete()
		return nil, fmt.Errorf("open: %w", openError(int(rc)))
	}
	return &Device{dev: dev, conn: c, handle: h}, nil
}

// openError maps a failed fido_dev_open: libfido2 gives FIDO_ERR_INTERNAL when the path
// cannot be opened at all, which for the person means the key is not there.
func openError(rc int) *Error {
	e := newError(rc)
	if rc == C.FIDO_ERR_INTERNAL {
		e.kind = ErrDeviceGone
	}
	return e
}

// Close cancels a running request, waits for it to end, and closes the device. It is safe
// to call more than once.
func (d *Device) Close() error {
	d.cancelMu.Lock()
	d.closing = true
	if d.cancelOp != nil {
		d.cancelOp()
	}
	d.cancelMu.Unlock()

	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dev == nil {
		return nil
	}
	dev := d.dev
	d.dev = nil
	d.endEnrollment()
	rc := C.fido_dev_close(dev)
	C.fido_dev_free(&dev)
	if d.conn != nil {
		d.handle.Delete() // after fido_dev_close: no callback can come any more
	}
	if rc != C.FIDO_OK {
		return fmt.Errorf("close: %w", newError(int(rc)))
	}
	return nil
}

// Cancel stops the running request, if any: it returns at once, and the request returns
// ErrCancelled shortly after (or its result, if the authenticator had already finished).
// With nothing running, Cancel does nothing.
func (d *Device) Cancel() error {
	d.cancelMu.Lock()
	defer d.cancelMu.Unlock()
	if d.cancelOp != nil {
		d.cancelOp()
	}
	return nil
}

// cancelGrace is how long past ctx's deadline libfido2 may still wait for the answer to the
// CANCEL sent at the deadline. Reading that answer (KEEPALIVE_CANCEL) keeps the device in
// step; libfido2's own timeout is only the backstop for an authenticator that ignores
// CANCEL, and leaves its late answer unread.
const cancelGrace = 2 * time.Second

// drainReply reads and drops the late answer of a request libfido2 gave up on, so that the
// next request does not find a Go authenticator still busy with it. Hardware keeps such an
// answer in its HID queue, out of this package's reach.
func (d *Device) drainReply() {
	if d.conn != nil {
		_, _ = d.conn.safeRx(cmdCBOR, cancelGrace)
	}
}

// cancelResend is how often CANCEL is sent again until a cancelled request returns: a
// CANCEL that reaches the authenticator before the request itself is ignored by it.
const cancelResend = 200 * time.Millisecond

// do runs call, one libfido2 request on the device, so that ctx and Cancel can stop it:
// while call blocks (waiting for a touch), a watcher sends CTAPHID CANCEL once the
// request is cancelled, and libfido2's own time budget ends shortly after ctx's deadline.
// status, if not nil, gets the authenticator's KEEPALIVE status (Go transports only).
//
// call returns a libfido2 code; do turns a failure into an *Error wrapped with op.
func (d *Device) do(ctx context.Context, op string, status func(Status), call func(dev *C.fido_dev_t) C.int) error {
	return d.doWith(ctx, op, status, nil, call)
}

// doWithPIN is doWith for a request that carries the PIN (empty: none). Inside it pin is
// copied into C memory (newSecret); check, told whether there is a PIN, refuses what cannot
// work before the authenticator is asked (credManCheck, bioCheckWithPIN,
// checkUserVerification); call gets the copy and releases it (wiped and freed) as soon as
// libfido2 is done with it. Whatever call leaves is released when it returns, on every path.
func (d *Device) doWithPIN(ctx context.Context, op string, status func(Status), kinds func(rc C.int) error, pin []byte,
	check func(dev *C.fido_dev_t, havePIN bool) C.int, call func(dev *C.fido_dev_t, pin *cSecret) C.int) error {
	return d.doWith(ctx, op, status, kinds, func(dev *C.fido_dev_t) C.int {
		p, err := newSecret(pin)
		if err != nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer p.release()
		if rc := check(dev, p.ptr() != nil); rc != C.FIDO_OK {
			return rc
		}
		return call(dev, p)
	})
}

// doWith is do with kinds, which may give some libfido2 codes another sentinel for this one
// operation (nil: keep the usual one). Credential management, for instance, knows that
// FIDO_ERR_INVALID_COMMAND means "this authenticator cannot do that".
func (d *Device) doWith(ctx context.Context, op string, status func(Status), kinds func(rc C.int) error,
	call func(dev *C.fido_dev_t) C.int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dev == nil {
		return fmt.Errorf("%s: %w", op, refuse(ErrClosed))
	}
	if err := ctx.Err(); err != nil {
		e := refuse(ErrCancelled)
		e.cause = err
		return fmt.Errorf("%s: %w", op, e)
	}

	opCtx, stop := context.WithCancel(ctx)
	defer stop()
	d.cancelMu.Lock()
	if d.closing {
		d.cancelMu.Unlock()
		return fmt.Errorf("%s: %w", op, refuse(ErrClosed))
	}
	d.cancelOp = stop
	d.cancelMu.Unlock()
	defer func() {
		d.cancelMu.Lock()
		d.cancelOp = nil
		d.cancelMu.Unlock()
	}()

	dev := d.dev
	C.fido_dev_set_timeout(dev, timeoutMS(ctx, cancelGrace))
	if d.conn != nil {
		d.conn.setStatus(status)
		defer d.conn.setStatus(nil)
	}

	finished := make(chan struct{})
	watcherDone := make(chan struct{})
	go func() {
		defer close(watcherDone)
		select {
		case <-finished:
			return
		case <-opCtx.Done():
		}
		t := time.NewTicker(cancelResend)
		defer t.Stop()
		for {
			C.fido_dev_cancel(dev)
			select {
			case <-finished:
				return
			case <-t.C:
			}
		}
	}()
	rc := call(dev)
	close(finished)
	<-watcherDone

	if rc == C.FIDO_OK {
		return nil
	}
	e := newError(int(rc))
	if kinds != nil {
		if kind := kinds(rc); kind != nil {
			e.kind = kind
		}
	}
	if stopped, cause := stopCause(ctx, opCtx); stopped {
		// Cancelled by ctx, Cancel or Close. Whatever the authenticator or libfido2
		// answered (KEEPALIVE_CANCEL, or RX when libfido2's time budget ran out first),
		// the request stopped because we stopped it. Tell the authenticator too, in case
		// libfido2 gave up before it did.
		if rc != C.FIDO_ERR_KEEPALIVE_CANCEL {
			C.fido_dev_cancel(dev)
		}
		if rc == C.FIDO_ERR_RX { // libfido2 stopped reading before the answer came
			d.drainReply()
		}
		e.kind = ErrCancelled
		e.cause = cause
	} else if rc == C.FIDO_ERR_PIN_INVALID || rc == C.FIDO_ERR_PIN_AUTH_BLOCKED {
		// PIN_AUTH_BLOCKED is a wrong PIN too (the third in a row, CTAP 2.1 §6.5.5.7): it cost
		// a try, and getPINRetries still answers until the key is reinserted.
		var n C.int
		if C.fido_dev_get_retry_count(dev, &n) == C.FIDO_OK {
			e.RetriesLeft = int(n)
		}
	}
	return fmt.Errorf("%s: %w", op, e)
}

// stopCause tells whether a failed request was stopped by us (ctx, Cancel or Close) and
// the context error to report with it. A request can fail on libfido2's time budget an
// instant before ctx's own timer fires; a deadline already passed counts as the cause.
func stopCause(ctx, opCtx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return true, err
	}
	select {
	case <-opCtx.Done():
		return true, nil // Cancel or Close: no context error of the caller's to report
	default:
	}
	if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
		return true, context.DeadlineExceeded
	}
	return false, nil
}

// timeoutMS is libfido2's time budget for a request under ctx: the time to ctx's deadline
// plus grace, or -1 (no limit) without a deadline.
func timeoutMS(ctx context.Context, grace time.Duration) C.int {
	deadline, ok := ctx.Deadline()
	if !ok {
		return -1
	}
	left := time.Until(deadline) + grace
	ms := (left + time.Millisecond - 1).Milliseconds() // rounded up: never before ctx ends
	switch {
	case ms < 1:
		return 1
	case ms > math.MaxInt32:
		return -1
	}
	return C.int(ms)
}

// Algorithm is a COSE algorithm identifier.
type Algorithm int

const (
	ES256 Algorithm = -7
	EdDSA Algorithm = -8
	ES384 Algorithm = -35
	RS256 Algorithm = -257
)

// AlgorithmInfo is an algorithm the authenticator supports.
type AlgorithmInfo struct {
	Type      string // "public-key"
	Algorithm Algorithm
}

// Info is the authenticator's authenticatorGetInfo (CTAP 2.1 §6.4).
type Info struct {
	Versions        []string
	Extensions      []string
	AAGUID          []byte
	Options         map[string]bool // rk, up, uv, clientPin, credMgmt, pinUvAuthToken, ...
	MaxMsgSize      uint64
	PINProtocols    []int
	Algorithms      []AlgorithmInfo
	Transports      []string
	FirmwareVersion uint64
	MinPINLength    int   // 0 when the authenticator does not say (CTAP's default is 4)
	RemainingKeys   int64 // remaining discoverable credentials, or -1 when not reported
	MaxCredIDLength uint64
	MaxCredsInList  uint64
	ForcePINChange  bool // the PIN must be changed before it can be used

	// UVModality is how built-in user verification works (FIDO Registry §3.1:
	// 0x02 fingerprint, 0x04 passcode, 0x10 face, ...); 0 when not reported.
	UVModality uint64

	// Typed views of Options, CTAP 2.1 §6.4 (a CTAP 2.1-PRE prototype name counts too).
	//
	// CredentialManagement: authenticatorCredentialManagement is supported (credMgmt or
	// credentialMgmtPreview): CredentialsMetadata, RelyingParties, Credentials,
	// DeleteCredential.
	CredentialManagement bool
	// BioEnrollSupported: the authenticator has a fingerprint sensor that can be managed
	// (bioEnroll or userVerificationMgmtPreview present); BioEnrolled: at least one
	// fingerprint is enrolled (the option is true).
	BioEnrollSupported bool
	BioEnrolled        bool
	// UVBioEnroll: a fingerprint may stand in for the PIN to enrol another (uvBioEnroll).
	UVBioEnroll bool
	// AuthenticatorConfig: authenticatorConfig is supported (authnrCfg);
	// SetMinPINLengthSupported: its setMinPINLength is (setMinPINLength).
	AuthenticatorConfig      bool
	SetMinPINLengthSupported bool
}

// Option reports whether the authenticator lists option name and its value.
func (i Info) Option(name string) (value, present bool) {
	value, present = i.Options[name]
	return value, present
}

// Info asks the authenticator for its authenticatorGetInfo.
func (d *Device) Info(ctx context.Context) (Info, error) {
	var info Info
	err := d.do(ctx, "get info", nil, func(dev *C.fido_dev_t) C.int {
		ci := C.fido_cbor_info_new()
		if ci == nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer C.fido_cbor_info_free(&ci)
		if rc := C.fido_dev_get_cbor_info(dev, ci); rc != C.FIDO_OK {
			return rc
		}
		info = readInfo(ci)
		return C.FIDO_OK
	})
	return info, err
}

func readInfo(ci *C.fido_cbor_info_t) Info {
	info := Info{
		Versions:        goStrings(C.fido_cbor_info_versions_ptr(ci), C.fido_cbor_info_versions_len(ci)),
		Extensions:      goStrings(C.fido_cbor_info_extensions_ptr(ci), C.fido_cbor_info_extensions_len(ci)),
		Transports:      goStrings(C.fido_cbor_info_transports_ptr(ci), C.fido_cbor_info_transports_len(ci)),
		AAGUID:          goBytes(C.fido_cbor_info_aaguid_ptr(ci), C.fido_cbor_info_aaguid_len(ci)),
		MaxMsgSize:      uint64(C.fido_cbor_info_maxmsgsiz(ci)),
		FirmwareVersion: uint64(C.fido_cbor_info_fwversion(ci)),
		MinPINLength:    int(C.fido_cbor_info_minpinlen(ci)),
		RemainingKeys:   int64(C.fido_cbor_info_rk_remaining(ci)),
		MaxCredIDLength: uint64(C.fido_cbor_info_maxcredidlen(ci)),
		MaxCredsInList:  uint64(C.fido_cbor_info_maxcredcntlst(ci)),
		ForcePINChange:  bool(C.fido_cbor_info_new_pin_required(ci)),
		UVModality:      uint64(C.fido_cbor_info_uv_modality(ci)),
		Options:         map[string]bool{},
	}
	if n := int(C.fido_cbor_info_options_len(ci)); n > 0 {
		names := unsafe.Slice(C.fido_cbor_info_options_name_ptr(ci), n)
		values := unsafe.Slice(C.fido_cbor_info_options_value_ptr(ci), n)
		for i := range n {
			info.Options[goString(names[i])] = bool(values[i])
		}
	}
	info.CredentialManagement = info.Options["credMgmt"] || info.Options["credentialMgmtPreview"]
	bio, bioOK := info.Options["bioEnroll"]
	preview, previewOK := info.Options["userVerificationMgmtPreview"]
	info.BioEnrollSupported = bioOK || previewOK
	info.BioEnrolled = bio || preview
	info.UVBioEnroll = info.Options["uvBioEnroll"]
	info.AuthenticatorConfig = info.Options["authnrCfg"]
	info.SetMinPINLengthSupported = info.Options["setMinPINLength"]
	if n := int(C.fido_cbor_info_protocols_len(ci)); n > 0 {
		for _, p := range unsafe.Slice(C.fido_cbor_info_protocols_ptr(ci), n) {
			info.PINProtocols = append(info.PINProtocols, int(p))
		}
	}
	for i := C.size_t(0); i < C.fido_cbor_info_algorithm_count(ci); i++ {
		info.Algorithms = append(info.Algorithms, AlgorithmInfo{
			Type:      goString(C.fido_cbor_info_algorithm_type(ci, i)),
			Algorithm: Algorithm(C.fido_cbor_info_algorithm_cose(ci, i)),
		})
	}
	return info
}

// Reset erases every credential and the PIN (authenticatorReset). Hardware keys accept it
// only within seconds of being plugged in, and need a touch.
func (d *Device) Reset(ctx context.Context) error {
	return d.do(ctx, "reset", nil, func(dev *C.fido_dev_t) C.int {
		return C.fido_dev_reset(dev)
	})
}
