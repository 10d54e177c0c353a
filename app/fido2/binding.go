//go:build cgo && !windows

package fido2

/*
#cgo pkg-config: libfido2
#include <fido.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// The Go side of the transport hooks (transport.go).
extern int goTransportRx(uintptr_t, uint8_t, unsigned char *, size_t, int);
extern int goTransportTx(uintptr_t, uint8_t, unsigned char *, size_t);

// A Go transport is opened with the path "go-transport:<handle>", where handle is the
// runtime/cgo.Handle of the Go side. libfido2 keeps what open returns as the device's I/O
// handle and gives the device back to the transport callbacks, so each callback can find
// its Go transport without C ever holding a Go pointer.
typedef struct {
	uintptr_t handle;
} gofido_conn_t;

static const char gofido_prefix[] = "go-transport:";

static void *
gofido_open(const char *path)
{
	size_t		 n = sizeof(gofido_prefix) - 1;
	char		*end = NULL;
	unsigned long long h;
	gofido_conn_t	*c;

	if (path == NULL || strncmp(path, gofido_prefix, n) != 0 || path[n] == '\0')
		return (NULL);
	h = strtoull(path + n, &end, 10);
	if (end == NULL || *end != '\0' || h == 0)
		return (NULL);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->handle = (uintptr_t)h;
	return (c);
}

static void
gofido_close(void *h)
{
	free(h);
}

// libfido2 only uses read/write when a device has no transport functions; it still
// insists that they are set, so these refuse.
static int
gofido_read(void *h, unsigned char *buf, size_t len, int ms)
{
	(void)h; (void)buf; (void)len; (void)ms;
	return (-1);
}

static int
gofido_write(void *h, const unsigned char *buf, size_t len)
{
	(void)h; (void)buf; (void)len;
	return (-1);
}

static int
gofido_rx(fido_dev_t *dev, uint8_t cmd, unsigned char *buf, size_t len, int ms)
{
	gofido_conn_t *c = fido_dev_io_handle(dev);

	if (c == NULL)
		return (-1);
	return (goTransportRx(c->handle, cmd, buf, len, ms));
}

static int
gofido_tx(fido_dev_t *dev, uint8_t cmd, const unsigned char *buf, size_t len)
{
	gofido_conn_t *c = fido_dev_io_handle(dev);

	if (c == NULL)
		return (-1);
	return (goTransportTx(c->handle, cmd, (unsigned char *)buf, len));
}

static int
gofido_use_go_transport(fido_dev_t *dev)
{
	static const fido_dev_io_t io = {
		gofido_open, gofido_close, gofido_read, gofido_write,
	};
	static const fido_dev_transport_t t = { gofido_rx, gofido_tx };
	int r;

	if ((r = fido_dev_set_io_functions(dev, &io)) != FIDO_OK)
		return (r);
	return (fido_dev_set_transport_functions(dev, &t));
}

// gofido_wipe zeroes n bytes in a way the compiler may not remove (explicit_bzero is not
// everywhere: macOS lacks it).
static void
gofido_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}
*/
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"runtime/cgo"
	"unsafe"

	"github.com/nhs-passkeys/companion/app/ctappin"
)

// newGoTransportDevice returns a libfido2 device whose I/O goes to the Go transport behind
// h, and the path to open it with. The caller frees the device.
func newGoTransportDevice(h cgo.Handle) (*C.fido_dev_t, string, C.int) {
	dev := C.fido_dev_new()
	if dev == nil {
		return nil, "", C.FIDO_ERR_INTERNAL
	}
	if rc := C.gofido_use_go_transport(dev); rc != C.FIDO_OK {
		C.fido_dev_free(&dev)
		return nil, "", rc
	}
	return dev, fmt.Sprintf("go-transport:%d", uintptr(h)), C.FIDO_OK
}

// cSecret is a NUL-terminated copy of a secret (a PIN) in C memory, so that libfido2 can
// read it without the Go garbage collector ever moving or copying it. Release wipes and
// frees it; call it (deferred) right after newSecret.
type cSecret struct {
	p *C.char
	n C.size_t // bytes allocated, NUL included
}

var errSecretHasNUL = errors.New("PIN contains a NUL byte")

// newSecret copies the PIN b into C memory in Unicode Normalization Form C, the form CTAP
// 2.1 §6.5.1 says a PIN is sent in (app/ctappin: the key hashes the bytes it gets, so the
// same PIN typed composed or decomposed must reach it as the same bytes). The normalised
// bytes are written straight into the C memory, never into a Go slice. An empty b gives a
// nil secret (no PIN), whose ptr is NULL and whose release does nothing.
func newSecret(b []byte) (*cSecret, error) {
	if len(b) == 0 {
		return &cSecret{}, nil
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return nil, errSecretHasNUL
	}
	_, size := ctappin.Length(b)
	n := C.size_t(size + 1)
	p := (*C.char)(C.calloc(1, n))
	if p == nil {
		return nil, errors.New("out of memory")
	}
	s := &cSecret{p: p, n: n}
	dst := unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
	if ctappin.CopyNFC(dst[:size], b) != size {
		s.release()
		return nil, errors.New("normalise the PIN: its length changed")
	}
	dst[size] = 0
	return s, nil
}

// ptr is what libfido2 takes: a C string, or NULL for no PIN.
func (s *cSecret) ptr() *C.char { return s.p }

// wipe zeroes the C copy without freeing it.
func (s *cSecret) wipe() {
	if s.p != nil {
		C.gofido_wipe(unsafe.Pointer(s.p), s.n)
	}
}

// release wipes and frees the C copy. It is safe to call more than once.
func (s *cSecret) release() {
	if s.p == nil {
		return
	}
	s.wipe()
	C.free(unsafe.Pointer(s.p))
	s.p, s.n = nil, 0
}

// contents returns a Go copy of the C memory (NUL included); tests use it to see that
// wipe really zeroes.
func (s *cSecret) contents() []byte {
	if s.p == nil {
		return nil
	}
	return C.GoBytes(unsafe.Pointer(s.p), C.int(s.n))
}

// goBytes copies n bytes of C memory at p into Go memory (nil when there are none).
func goBytes(p *C.uchar, n C.size_t) []byte {
	if p == nil || n == 0 {
		return nil
	}
	return C.GoBytes(unsafe.Pointer(p), C.int(n))
}

// goString copies a C string, or gives "" for NULL.
func goString(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

// goStrings copies n C strings from the array at p.
func goStrings(p **C.char, n C.size_t) []string {
	if p == nil || n == 0 {
		return nil
	}
	out := make([]string, 0, int(n))
	for _, s := range unsafe.Slice(p, int(n)) {
		out = append(out, goString(s))
	}
	return out
}

// cBytes points C at b for the length of one call (cgo allows passing Go memory that
// holds no Go pointers, as long as C does not keep it; libfido2 copies what it is given).
func cBytes(b []byte) (*C.uchar, C.size_t) {
	if len(b) == 0 {
		return nil, 0
	}
	return (*C.uchar)(unsafe.Pointer(&b[0])), C.size_t(len(b))
}

// cString returns a C copy of s, or NULL for "", and the function that frees it.
func cString(s string) (*C.char, func()) {
	if s == "" {
		return nil, func() {}
	}
	p := C.CString(s)
	return p, func() { C.free(unsafe.Pointer(p)) }
}
