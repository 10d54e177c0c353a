//go:build windows

package kiosk

import (
	"errors"
	"fmt"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// WindowsHID is the HIDSource of Windows: Configuration Manager's device-interface
// notifications for HID devices, and the HID usage page Windows publishes for each
// interface. Nothing here opens a device, which only administrators may do for a FIDO key
// (docs/windows-kiosk.md).
type WindowsHID struct{}

// guidDevinterfaceHID is GUID_DEVINTERFACE_HID (hidclass.h).
var guidDevinterfaceHID = windows.GUID{Data1: 0x4D1E55B2, Data2: 0xF16F, Data3: 0x11CF,
	Data4: [8]byte{0x88, 0xCB, 0x00, 0x11, 0x11, 0x00, 0x00, 0x30}}

// devpkeyHIDUsagePage is DEVPKEY_DeviceInterface_HID_UsagePage (hidclass.h), a
// DEVPROP_TYPE_UINT16 that the HID class driver sets on each top-level collection's
// interface: readable without opening the device.
var devpkeyHIDUsagePage = windows.DEVPROPKEY{
	FmtID: windows.DEVPROPGUID{Data1: 0xCBF38310, Data2: 0x4A17, Data3: 0x4310,
		Data4: [8]byte{0xA1, 0xEB, 0x24, 0x7F, 0x0B, 0x67, 0x59, 0x3B}},
	PID: 2,
}

var (
	cfgmgr32                          = windows.NewLazySystemDLL("cfgmgr32.dll")
	procCMRegisterNotification        = cfgmgr32.NewProc("CM_Register_Notification")
	procCMUnregisterNotification      = cfgmgr32.NewProc("CM_Unregister_Notification")
	procCMGetDeviceInterfacePropertyW = cfgmgr32.NewProc("CM_Get_Device_Interface_PropertyW")
)

// cmNotifyFilter is CM_NOTIFY_FILTER (cfgmgr32.h) for a device-interface class: a header
// of four DWORDs, then a union whose largest member is WCHAR InstanceId[MAX_DEVICE_ID_LEN]
// (200), so cbSize is 416 on 32- and 64-bit Windows alike.
type cmNotifyFilter struct {
	cbSize     uint32
	flags      uint32
	filterType uint32 // CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE = 0
	reserved   uint32
	classGUID  windows.GUID
	_          [400 - 16]byte
}

const (
	cmNotifyFilterTypeDeviceInterface = 0
	cmNotifyActionInterfaceArrival    = 0
	cmNotifyActionInterfaceRemoval    = 1
	// cmNotifyEventDataLinkOffset is where CM_NOTIFY_EVENT_DATA's
	// u.DeviceInterface.SymbolicLink starts: FilterType, Reserved, then ClassGuid.
	cmNotifyEventDataLinkOffset = 4 + 4 + 16
)

// notifyCallback is the one CM_NOTIFY_CALLBACK of the process: syscall.NewCallback's
// callbacks are never freed (and limited in number), so every subscription shares it and
// finds its own queue by the context value Windows hands back.
var notifyCallback = sync.OnceValue(func() uintptr {
	return syscall.NewCallback(func(_, context, action uintptr, eventData *byte, eventDataSize uintptr) uintptr {
		subscriptionsMu.Lock()
		queue := subscriptions[context]
		subscriptionsMu.Unlock()
		if queue == nil || eventData == nil || eventDataSize <= cmNotifyEventDataLinkOffset {
			return 0
		}
		if action != cmNotifyActionInterfaceArrival && action != cmNotifyActionInterfaceRemoval {
			return 0
		}
		// Copy the path now: the event data belongs to Windows once the callback returns.
		link := windows.UTF16PtrToString((*uint16)(unsafe.Add(unsafe.Pointer(eventData), cmNotifyEventDataLinkOffset)))
		queue <- rawHIDEvent{path: link, arrived: action == cmNotifyActionInterfaceArrival}
		return 0 // ERROR_SUCCESS
	})
})

// subscriptions maps a subscription's context value to its queue (see notifyCallback).
var (
	subscriptionsMu sync.Mutex
	subscriptions   = map[uintptr]chan rawHIDEvent{}
	nextContext     uintptr
)

type rawHIDEvent struct {
	path    string
	arrived bool
}

// Subscribe registers for HID interface arrivals and removals. The usage page of an
// arriving interface is read on a goroutine of the watch's own, not in Windows' callback,
// which should return quickly; events keep their order.
func (WindowsHID) Subscribe(events func(HIDEvent)) (func(), error) {
	if err := procCMRegisterNotification.Find(); err != nil {
		return nil, fmt.Errorf("CM_Register_Notification: %w", err)
	}
	queue := make(chan rawHIDEvent, 256)
	subscriptionsMu.Lock()
	nextContext++
	context := nextContext
	subscriptions[context] = queue
	subscriptionsMu.Unlock()

	filter := cmNotifyFilter{filterType: cmNotifyFilterTypeDeviceInterface, classGUID: guidDevinterfaceHID}
	filter.cbSize = uint32(unsafe.Sizeof(filter))
	var handle uintptr
	r, _, _ := procCMRegisterNotification.Call(uintptr(unsafe.Pointer(&filter)), context, notifyCallback(),
		uintptr(unsafe.Pointer(&handle)))
	if configret(r) != windows.CR_SUCCESS {
		subscriptionsMu.Lock()
		delete(subscriptions, context)
		subscriptionsMu.Unlock()
		return nil, fmt.Errorf("CM_Register_Notification: %w", configret(r))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range queue {
			h := HIDInterface{Path: e.path}
			if e.arrived {
				h = describeHID(e.path)
			}
			events(HIDEvent{Interface: h, Arrived: e.arrived})
		}
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			// After CM_Unregister_Notification returns no callback is running or will run
			// (cfgmgr32.h), so the queue can be closed.
			_, _, _ = procCMUnregisterNotification.Call(handle) // nothing to do if it fails
			subscriptionsMu.Lock()
			delete(subscriptions, context)
			subscriptionsMu.Unlock()
			close(queue)
			<-done
		})
	}
	return stop, nil
}

// Present lists the HID interfaces plugged in now, each with its usage page if Windows
// gives it.
func (WindowsHID) Present() ([]HIDInterface, error) {
	paths, err := windows.CM_Get_Device_Interface_List("", &guidDevinterfaceHID, windows.CM_GET_DEVICE_INTERFACE_LIST_PRESENT)
	if err != nil {
		return nil, fmt.Errorf("list HID devices: %w", err)
	}
	out := make([]HIDInterface, 0, len(paths))
	for _, p := range paths {
		out = append(out, describeHID(p))
	}
	return out, nil
}

// describeHID reads the interface's usage page; PageKnown is false when Windows does not
// give it (the interface then counts as a key: HIDInterface.CountsAsKey).
func describeHID(path string) HIDInterface {
	h := HIDInterface{Path: path}
	page, err := hidUsagePage(path)
	if err == nil {
		h.UsagePage, h.PageKnown = page, true
	}
	return h
}

func hidUsagePage(path string) (uint16, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return 0, err
	}
	var (
		propType windows.DEVPROPTYPE
		value    uint16
		size     = uint32(unsafe.Sizeof(value))
	)
	r, _, _ := procCMGetDeviceInterfacePropertyW.Call(uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&devpkeyHIDUsagePage)),
		uintptr(unsafe.Pointer(&propType)), uintptr(unsafe.Pointer(&value)), uintptr(unsafe.Pointer(&size)), 0)
	if configret(r) != windows.CR_SUCCESS {
		return 0, fmt.Errorf("CM_Get_Device_Interface_PropertyW: %w", configret(r))
	}
	if propType != windows.DEVPROP_TYPE_UINT16 || size != 2 {
		return 0, errors.New("the HID usage page is not a 16-bit number")
	}
	return value, nil
}

// configret is the CONFIGRET (a 32-bit DWORD) a CfgMgr32 function returned in the register
// r: the upper half of a 64-bit r is not part of it.
func configret(r uintptr) windows.CONFIGRET {
	return windows.CONFIGRET(uint32(r)) //nolint:gosec // G115: a DWORD result in a wider register; truncating is how it is read
}
