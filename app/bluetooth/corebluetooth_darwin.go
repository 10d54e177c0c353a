//go:build darwin && cgo

package bluetooth

/*
#cgo CFLAGS: -x objective-c -fobjc-arc
#cgo LDFLAGS: -framework CoreBluetooth -framework Foundation
#import <Foundation/Foundation.h>
#import <CoreBluetooth/CoreBluetooth.h>
#include <stdint.h>

// Go's side, corebluetooth_export_darwin.go. They never block.
extern void nhsCBState(uintptr_t handle, int state);
extern void nhsCBAdvert(uintptr_t handle, char *uuid, void *data, int length);

// NHSScanner owns one CBCentralManager, whose delegate calls come on a serial queue of its
// own (so no main run loop is needed), and passes what it hears to Go by handle.
@interface NHSScanner : NSObject <CBCentralManagerDelegate>
- (instancetype)initWithHandle:(uintptr_t)handle scan:(BOOL)scan;
- (void)stop;
@end

@implementation NHSScanner {
	dispatch_queue_t _queue;
	CBCentralManager *_manager;
	uintptr_t _handle; // 0 once stopped; after init, read and written on _queue only
	BOOL _scan;
}

- (instancetype)initWithHandle:(uintptr_t)handle scan:(BOOL)scan {
	self = [super init];
	if (self) {
		_handle = handle;
		_scan = scan;
		_queue = dispatch_queue_create("nhs-passkeys.bluetooth", DISPATCH_QUEUE_SERIAL);
		// No system alert asking to turn Bluetooth on: the app says it in its own words.
		_manager = [[CBCentralManager alloc] initWithDelegate:self
		                                                queue:_queue
		                                              options:@{CBCentralManagerOptionShowPowerAlertKey: @NO}];
	}
	return self;
}

- (void)centralManagerDidUpdateState:(CBCentralManager *)central {
	if (_handle == 0) {
		return;
	}
	nhsCBState(_handle, (int)central.state);
	if (_scan && central.state == CBManagerStatePoweredOn) {
		// Every advert (no service filter: a phone may carry its UUID only as service
		// data; see doc.go), repeats included, as the phone's advert may come late.
		[central scanForPeripheralsWithServices:nil
		                                options:@{CBCentralManagerScanOptionAllowDuplicatesKey: @YES}];
	}
}

- (void)centralManager:(CBCentralManager *)central
    didDiscoverPeripheral:(CBPeripheral *)peripheral
        advertisementData:(NSDictionary<NSString *, id> *)advertisementData
                     RSSI:(NSNumber *)RSSI {
	if (_handle == 0) {
		return;
	}
	id serviceData = advertisementData[CBAdvertisementDataServiceDataKey];
	if (![serviceData isKindOfClass:[NSDictionary class]]) {
		return;
	}
	for (id uuid in (NSDictionary *)serviceData) {
		id data = ((NSDictionary *)serviceData)[uuid];
		if (![uuid isKindOfClass:[CBUUID class]] || ![data isKindOfClass:[NSData class]]) {
			continue;
		}
		NSData *bytes = (NSData *)data;
		nhsCBAdvert(_handle, (char *)[((CBUUID *)uuid).UUIDString UTF8String],
		            (void *)bytes.bytes, (int)bytes.length);
	}
}

// stop runs on the queue, so when it returns no delegate call is running or will reach Go.
- (void)stop {
	dispatch_sync(_queue, ^{
		if (self->_manager.state == CBManagerStatePoweredOn) {
			[self->_manager stopScan];
		}
		self->_manager.delegate = nil;
		self->_handle = 0;
	});
}
@end

static void *nhsCBStart(uintptr_t handle, int scan) {
	@autoreleasepool {
		NHSScanner *s = [[NHSScanner alloc] initWithHandle:handle scan:(scan != 0)];
		return (__bridge_retained void *)s;
	}
}

static void nhsCBStop(void *scanner) {
	@autoreleasepool {
		NHSScanner *s = (__bridge_transfer NHSScanner *)scanner;
		[s stop];
	}
}
*/
import "C"

import (
	"context"
	"fmt"
	"runtime/cgo"
	"sync/atomic"
	"time"

	"github.com/nhs-passkeys/companion/app/hybrid"
)

// CBManagerState (CoreBluetooth CBManager.h).
const (
	cbStateNone         = -1 // no state reported yet
	cbStateUnknown      = 0
	cbStateResetting    = 1
	cbStateUnsupported  = 2
	cbStateUnauthorized = 3
	cbStatePoweredOff   = 4
	cbStatePoweredOn    = 5
)

// firstStateLimit bounds the wait for CoreBluetooth's first state. It comes at once,
// except the first time the app uses Bluetooth, when macOS first asks the person whether
// it may (Info.plist's NSBluetoothAlwaysUsageDescription is the question's text).
const firstStateLimit = 2 * time.Minute

// New is this computer's scanner: CoreBluetooth.
func New() Scanner { return coreBluetooth{} }

type coreBluetooth struct{}

// Available reports whether a scan could start now (Scanner).
func (coreBluetooth) Available(ctx context.Context) error {
	s, stop := startCB(false)
	defer stop()
	return s.ready(ctx)
}

// Adverts scans until ctx ends (hybrid.AdvertSource). The channel closes early when
// Bluetooth is turned off or the permission is taken away.
func (coreBluetooth) Adverts(ctx context.Context) (<-chan hybrid.Advert, error) {
	s, stop := startCB(true)
	if err := s.ready(ctx); err != nil {
		stop()
		return nil, err
	}
	out := make(chan hybrid.Advert)
	go func() {
		defer close(out)
		defer stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-s.changed:
				if st := s.state.Load(); st != cbStatePoweredOn && st != cbStateResetting && st != cbStateUnknown {
					return
				}
			case a := <-s.adverts:
				select {
				case out <- a:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// cbSession is what the Objective-C side reports to, through a cgo.Handle.
type cbSession struct {
	state   atomic.Int32
	changed chan struct{}      // a state came (capacity 1)
	adverts chan hybrid.Advert // what was heard, dropped when full: the phone repeats it
}

func (s *cbSession) setState(state int32) {
	s.state.Store(state)
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *cbSession) heard(a hybrid.Advert) {
	select {
	case s.adverts <- a:
	default:
	}
}

// startCB makes a CBCentralManager reporting to a new session; stop ends it.
func startCB(scan bool) (s *cbSession, stop func()) {
	s = &cbSession{changed: make(chan struct{}, 1), adverts: make(chan hybrid.Advert, 64)}
	s.state.Store(cbStateNone)
	h := cgo.NewHandle(s)
	flag := C.int(0)
	if scan {
		flag = 1
	}
	p := C.nhsCBStart(C.uintptr_t(h), flag)
	return s, func() {
		C.nhsCBStop(p) // no callback runs after this returns
		h.Delete()
	}
}

// ready waits for CoreBluetooth to say whether it can scan.
func (s *cbSession) ready(ctx context.Context) error {
	limit := time.NewTimer(firstStateLimit)
	defer limit.Stop()
	for {
		switch s.state.Load() {
		case cbStatePoweredOn:
			return nil
		case cbStatePoweredOff:
			return ErrPoweredOff
		case cbStateUnauthorized:
			return ErrPermission
		case cbStateUnsupported:
			return ErrNoAdapter
		}
		select {
		case <-s.changed:
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for CoreBluetooth: %w", hybrid.ErrBluetoothUnavailable, ctx.Err())
		case <-limit.C:
			return fmt.Errorf("%w: CoreBluetooth gave no state in %v", hybrid.ErrBluetoothUnavailable, firstStateLimit)
		}
	}
}
