package bluetooth

import (
	"testing"

	"github.com/nhs-passkeys/companion/app/hybrid"
)

func TestOnlyTheCaBLEServicesAreHandedOn(t *testing.T) {
	for _, tc := range []struct {
		uuid    string
		want    uint16
		handOut bool
	}{
		{"0000fff9-0000-1000-8000-00805f9b34fb", hybrid.ServiceFIDO, true}, // BlueZ
		{"0000FFF9-0000-1000-8000-00805F9B34FB", hybrid.ServiceFIDO, true},
		{"FFF9", hybrid.ServiceFIDO, true}, // CoreBluetooth's UUIDString
		{"0000fde2-0000-1000-8000-00805f9b34fb", hybrid.ServiceGoogle, true},
		{"FDE2", hybrid.ServiceGoogle, true},
		{"0000fcf1-0000-1000-8000-00805f9b34fb", 0xFCF1, true},
		{"0000fe2c-0000-1000-8000-00805f9b34fb", 0, false}, // Fast Pair
		{"0000fff9-0000-1000-8000-00805f9b34fc", 0, false}, // not the Base UUID
		{"1234fff9-0000-1000-8000-00805f9b34fb", 0, false}, // a 32-bit UUID
		{"6e400001-b5a3-f393-e0a9-e50e24dcca9e", 0, false},
		{"fff", 0, false},
		{"+ff9", 0, false},
		{"", 0, false},
	} {
		a, ok := advertFor(tc.uuid, []byte{1, 2})
		if ok != tc.handOut || a.Service != tc.want {
			t.Errorf("advertFor(%q) = %#04x, %v; want %#04x, %v", tc.uuid, a.Service, ok, tc.want, tc.handOut)
		}
	}
	data := []byte{1, 2, 3}
	a, _ := advertFor("FFF9", data)
	data[0] = 9
	if a.Data[0] != 1 {
		t.Error("the advert shares the caller's bytes")
	}
}
