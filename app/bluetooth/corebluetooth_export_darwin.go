//go:build darwin && cgo

package bluetooth

// Only declarations here: a file with //export may not define C (cgo's rule), so the
// Objective-C is in corebluetooth_darwin.go.

/*
#include <stdint.h>
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// nhsCBState is CoreBluetooth's centralManagerDidUpdateState, on its queue.
//
//export nhsCBState
func nhsCBState(handle C.uintptr_t, state C.int) {
	cgo.Handle(handle).Value().(*cbSession).setState(int32(state))
}

// nhsCBAdvert is one service datum of didDiscoverPeripheral, on CoreBluetooth's queue.
// uuid is CBUUID's UUIDString ("FFF9" for a 16-bit UUID); data is copied before it returns.
//
//export nhsCBAdvert
func nhsCBAdvert(handle C.uintptr_t, uuid *C.char, data unsafe.Pointer, length C.int) {
	if a, ok := advertFor(C.GoString(uuid), C.GoBytes(data, length)); ok {
		cgo.Handle(handle).Value().(*cbSession).heard(a)
	}
}
