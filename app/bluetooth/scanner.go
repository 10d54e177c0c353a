package bluetooth

import (
	"context"
	"strconv"
	"strings"

	"github.com/nhs-passkeys/companion/app/hybrid"
)

// Scanner is this computer's Bluetooth LE scanner for the phone's advert.
type Scanner interface {
	hybrid.AdvertSource
	// Available reports whether a scan could start now: an adapter is there, switched on,
	// not blocked, and this app may use it. nil means yes; otherwise one of this package's
	// errors (Problem explains it). The pages call it before offering "A different phone or
	// tablet". It does not scan.
	Available(ctx context.Context) error
}

// serviceGoogleFCF1 is a Google service UUID some Android phones have put their hybrid
// advert under, 22 bytes long (bloom-directory/bloom#129, ../shared/HYBRID-NOTES.md §4 pitfall 3).
// Its data is handed on to be tried; hybrid never counts it as a phone (Advert.Service).
const serviceGoogleFCF1 uint16 = 0xFCF1

// baseUUIDSuffix is the Bluetooth Base UUID after the 16-bit part (Core spec Vol 3 Part B
// §2.5.1): 0000xxxx-0000-1000-8000-00805f9b34fb.
const baseUUIDSuffix = "-0000-1000-8000-00805f9b34fb"

// shortUUID is the 16-bit form of uuid: BlueZ's 128-bit string
// ("0000fff9-0000-1000-8000-00805f9b34fb") or CoreBluetooth's short one ("FFF9"). ok is
// false for any other UUID.
func shortUUID(uuid string) (uint16, bool) {
	u := strings.ToLower(uuid)
	if len(u) == 36 && strings.HasPrefix(u, "0000") && strings.HasSuffix(u, baseUUIDSuffix) {
		u = u[4:8]
	}
	if len(u) != 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(u, 16, 16)
	if err != nil {
		return 0, false
	}
	return uint16(v), true
}

// advertFor is the Advert to hand on for service data under uuid: the two caBLE services
// (CTAP 2.2 §11.5.1.2) and Google's 0xFCF1. Service data under any other UUID is someone
// else's (headphones, watches, trackers) and is dropped. data is copied.
func advertFor(uuid string, data []byte) (hybrid.Advert, bool) {
	service, ok := shortUUID(uuid)
	if !ok || (service != hybrid.ServiceFIDO && service != hybrid.ServiceGoogle && service != serviceGoogleFCF1) {
		return hybrid.Advert{}, false
	}
	return hybrid.Advert{Data: append([]byte(nil), data...), Service: service}, true
}
