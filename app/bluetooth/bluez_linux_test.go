package bluetooth_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/nhs-passkeys/companion/app/bluetooth"
	"github.com/nhs-passkeys/companion/app/hybrid"
	"github.com/nhs-passkeys/companion/internal/phonetest/fakebluez"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

// uuid128 is BlueZ's string for a 16-bit service UUID.
func uuid128(short uint16) string {
	return fmt.Sprintf("0000%04x-0000-1000-8000-00805f9b34fb", short)
}

// A caBLE advert's shape: 16 bytes of AES block and 4 of HMAC (any bytes do for the scanner).
var (
	advertA = bytes.Repeat([]byte{0xA1}, 20)
	advertB = bytes.Repeat([]byte{0xB2}, 20)
)

// world is the private bus, the fake BlueZ on it, and the app's connection.
type world struct {
	bus   *fakebluez.Bus
	bluez *fakebluez.BlueZ
	conn  *dbus.Conn
}

func newWorld(t *testing.T) *world {
	t.Helper()
	bus := fakebluez.StartBus(t)
	return &world{bus: bus, bluez: fakebluez.Start(t, bus), conn: bus.Connect(t)}
}

func (w *world) scanner() *bluetooth.BlueZ {
	return &bluetooth.BlueZ{Conn: w.conn, RFKill: w.bluez.RFKill()}
}

// next waits for one advert.
func next(t *testing.T, adverts <-chan hybrid.Advert) hybrid.Advert {
	t.Helper()
	select {
	case a, ok := <-adverts:
		if !ok {
			t.Fatal("the scan ended before an advert came")
		}
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("no advert came in 5 s")
	}
	return hybrid.Advert{}
}

// ended waits for the channel to close, dropping adverts.
func ended(t *testing.T, adverts <-chan hybrid.Advert) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-adverts:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("the scan's channel did not close in 5 s")
		}
	}
}

func TestEachStateOfBluetoothIsDetectedAndExplained(t *testing.T) {
	for _, tc := range []struct {
		name     string
		setup    func(*world)
		want     error // nil: Bluetooth can be used
		wantCode string
		wantMsg  string
	}{
		{
			name:  "a powered adapter can scan",
			setup: func(w *world) { w.bluez.AddAdapter("hci0") },
		},
		{
			name:     "a computer without a Bluetooth adapter is told it has none",
			setup:    func(w *world) {},
			want:     bluetooth.ErrNoAdapter,
			wantCode: "bluetooth_not_found",
			wantMsg:  "Your computer does not have Bluetooth, which is needed to use a phone or tablet. Use a security key instead, or use a computer that has Bluetooth.",
		},
		{
			name:     "a dongle pulled out is no adapter",
			setup:    func(w *world) { w.bluez.AddAdapter("hci0"); w.bluez.RemoveAdapter("hci0") },
			want:     bluetooth.ErrNoAdapter,
			wantCode: "bluetooth_not_found",
		},
		{
			name:     "an adapter turned off is told to be turned on",
			setup:    func(w *world) { w.bluez.AddAdapter("hci0"); w.bluez.PowerOff("hci0") },
			want:     bluetooth.ErrPoweredOff,
			wantCode: "bluetooth_off",
			wantMsg:  "Bluetooth is turned off on this computer. Turn it on in your computer's settings, then try again.",
		},
		{
			name:     "an adapter blocked by flight mode is told to be unblocked",
			setup:    func(w *world) { w.bluez.AddAdapter("hci0"); w.bluez.Block("hci0", false) },
			want:     bluetooth.ErrBlocked,
			wantCode: "bluetooth_blocked",
			wantMsg:  "Bluetooth is blocked on this computer, for example because flight mode is on. Turn off flight mode or unblock Bluetooth in your computer's settings, then try again.",
		},
		{
			name:     "an adapter blocked by a hardware switch is blocked",
			setup:    func(w *world) { w.bluez.AddAdapter("hci0"); w.bluez.Block("hci0", true) },
			want:     bluetooth.ErrBlocked,
			wantCode: "bluetooth_blocked",
		},
		{
			name: "a blocked adapter on a BlueZ older than PowerState is found blocked through rfkill",
			setup: func(w *world) {
				w.bluez.SetOldVersion()
				w.bluez.AddAdapter("hci0")
				w.bluez.Block("hci0", false)
			},
			want:     bluetooth.ErrBlocked,
			wantCode: "bluetooth_blocked",
		},
		{
			name: "an adapter turned off on a BlueZ older than PowerState is off, not blocked",
			setup: func(w *world) {
				w.bluez.SetOldVersion()
				w.bluez.AddAdapter("hci0")
				w.bluez.PowerOff("hci0")
			},
			want:     bluetooth.ErrPoweredOff,
			wantCode: "bluetooth_off",
		},
		{
			name:     "a laptop whose Bluetooth switch took the adapter away is blocked, not without Bluetooth",
			setup:    func(w *world) { w.bluez.BlockPlatform() },
			want:     bluetooth.ErrBlocked,
			wantCode: "bluetooth_blocked",
		},
		{
			name: "a second adapter that is on is used when the first is off",
			setup: func(w *world) {
				w.bluez.AddAdapter("hci0")
				w.bluez.AddAdapter("hci1")
				w.bluez.PowerOff("hci0")
			},
		},
		{
			name:     "BlueZ not running on the bus is told as Bluetooth not working",
			setup:    func(w *world) { w.bluez.Stop() },
			want:     bluetooth.ErrNoBluez,
			wantCode: "bluetooth_not_running",
			wantMsg:  "Bluetooth is not working on this computer at the moment. Restart your computer and try again. If that does not help, use a security key instead.",
		},
		{
			name:     "a bus policy that refuses this user is a permission problem",
			setup:    func(w *world) { w.bluez.AddAdapter("hci0"); w.bluez.Deny(fakebluez.ErrAccessDenied) },
			want:     bluetooth.ErrPermission,
			wantCode: "bluetooth_not_allowed",
			wantMsg:  "This app is not allowed to use Bluetooth. Allow it in your computer's settings (on a Mac: System Settings, then Privacy and Security, then Bluetooth), then try again.",
		},
		{
			name:     "BlueZ answering NotAuthorized is a permission problem",
			setup:    func(w *world) { w.bluez.AddAdapter("hci0"); w.bluez.Deny(fakebluez.ErrNotAuthorized) },
			want:     bluetooth.ErrPermission,
			wantCode: "bluetooth_not_allowed",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			tc.setup(w)
			s := w.scanner()
			baseline := w.bus.MatchRules(t, w.conn)

			availErr := s.Available(t.Context())
			ctx, cancel := context.WithCancel(t.Context())
			adverts, scanErr := s.Adverts(ctx)

			if tc.want == nil {
				if availErr != nil || scanErr != nil {
					t.Fatalf("Available = %v, Adverts = %v; want both nil", availErr, scanErr)
				}
				cancel()
				ended(t, adverts)
				return
			}
			defer cancel()
			for what, err := range map[string]error{"Available": availErr, "Adverts": scanErr} {
				if !errors.Is(err, tc.want) {
					t.Errorf("%s = %v, want %v", what, err, tc.want)
				}
				if !errors.Is(err, hybrid.ErrBluetoothUnavailable) {
					t.Errorf("%s = %v, which is not hybrid.ErrBluetoothUnavailable", what, err)
				}
				code, msg, ok := bluetooth.Problem(err)
				if !ok || code != tc.wantCode || (tc.wantMsg != "" && msg != tc.wantMsg) {
					t.Errorf("Problem(%s's error) = %q, %q, %v; want %q, %q", what, code, msg, ok, tc.wantCode, tc.wantMsg)
				}
			}
			if adverts != nil {
				t.Error("a scan that could not start returned a channel")
			}
			// Nothing is left behind: no discovery, no match rule.
			for _, c := range w.bluez.Calls() {
				if c.Method == "StartDiscovery" && c.Err == "" {
					t.Errorf("a discovery was started: %+v", c)
				}
			}
			if got := w.bus.MatchRules(t, w.conn); got != baseline {
				t.Errorf("%d match rules left on the bus, had %d", got, baseline)
			}
		})
	}
}

func TestBluetoothTurnedOffOrBlockedAfterTheCheckIsStillExplained(t *testing.T) {
	// BlueZ says NotReady to StartDiscovery when the adapter was turned off or blocked
	// after it was read; the scanner reads it again to say which.
	for _, tc := range []struct {
		name  string
		block bool
		want  error
	}{
		{"turned off between the check and the scan", false, bluetooth.ErrPoweredOff},
		{"blocked between the check and the scan", true, bluetooth.ErrBlocked},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.bluez.AddAdapter("hci0")
			if err := w.scanner().Available(t.Context()); err != nil {
				t.Fatal(err)
			}
			if tc.block {
				w.bluez.Block("hci0", false)
			} else {
				w.bluez.PowerOff("hci0")
			}
			if _, err := w.scanner().Adverts(t.Context()); !errors.Is(err, tc.want) {
				t.Fatalf("Adverts = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestAPhonesAdvertIsDelivered(t *testing.T) {
	const phone = "5A:11:22:33:44:55"
	suffixed := append(bytes.Clone(advertA), 0xa1, 0x01) // CTAP 2.3: a CBOR map after the 20 bytes
	for _, tc := range []struct {
		name   string
		before func(*world) // before the scan starts
		during func(*world) // once it has started
		want   []hybrid.Advert
	}{
		{
			name:   "a phone seen for the first time arrives as a new device",
			during: func(w *world) { w.bluez.Advertise(phone, map[string][]byte{uuid128(0xFFF9): advertA}) },
			want:   []hybrid.Advert{{Data: advertA, Service: hybrid.ServiceFIDO}},
		},
		{
			name: "a phone BlueZ already knows arrives as a change of its service data",
			before: func(w *world) {
				w.bluez.AddKnownDevice("hci0", phone, map[string][]byte{uuid128(0xFE2C): {1, 2, 3}})
			},
			during: func(w *world) { w.bluez.Advertise(phone, map[string][]byte{uuid128(0xFFF9): advertA}) },
			want:   []hybrid.Advert{{Data: advertA, Service: hybrid.ServiceFIDO}},
		},
		{
			name: "a phone's new advert after an old one arrives too",
			before: func(w *world) {
				w.bluez.AddKnownDevice("hci0", phone, map[string][]byte{uuid128(0xFFF9): advertB})
			},
			during: func(w *world) { w.bluez.Advertise(phone, map[string][]byte{uuid128(0xFFF9): advertA}) },
			want:   []hybrid.Advert{{Data: advertB, Service: hybrid.ServiceFIDO}, {Data: advertA, Service: hybrid.ServiceFIDO}},
		},
		{
			name: "an advert BlueZ heard before the scan started is read from its objects",
			before: func(w *world) {
				w.bluez.AddKnownDevice("hci0", phone, map[string][]byte{uuid128(0xFFF9): advertA})
			},
			want: []hybrid.Advert{{Data: advertA, Service: hybrid.ServiceFIDO}},
		},
		{
			name:   "a phone advertising before the scan is heard once the discovery starts",
			before: func(w *world) { w.bluez.Advertise(phone, map[string][]byte{uuid128(0xFFF9): advertA}) },
			want:   []hybrid.Advert{{Data: advertA, Service: hybrid.ServiceFIDO}},
		},
		{
			name:   "an older Android phone under Google's UUID 0xFDE2 is delivered",
			during: func(w *world) { w.bluez.Advertise(phone, map[string][]byte{uuid128(0xFDE2): advertA}) },
			want:   []hybrid.Advert{{Data: advertA, Service: hybrid.ServiceGoogle}},
		},
		{
			name:   "a phone under Google's 0xFCF1 with a CTAP 2.3 suffix is delivered whole, to be tried",
			during: func(w *world) { w.bluez.Advertise(phone, map[string][]byte{uuid128(0xFCF1): suffixed}) },
			want:   []hybrid.Advert{{Data: suffixed, Service: 0xFCF1}},
		},
		{
			name: "a phone listing its UUID as a service too is delivered",
			during: func(w *world) {
				w.bluez.Advertise(phone, map[string][]byte{uuid128(0xFFF9): advertA}, uuid128(0xFFF9))
			},
			want: []hybrid.Advert{{Data: advertA, Service: hybrid.ServiceFIDO}},
		},
		{
			name: "a phone heard on the second adapter is delivered when the first is off",
			before: func(w *world) {
				w.bluez.AddAdapter("hci1")
				w.bluez.PowerOff("hci0")
			},
			during: func(w *world) { w.bluez.Advertise(phone, map[string][]byte{uuid128(0xFFF9): advertA}) },
			want:   []hybrid.Advert{{Data: advertA, Service: hybrid.ServiceFIDO}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.bluez.AddAdapter("hci0")
			if tc.before != nil {
				tc.before(w)
			}
			adverts, err := w.scanner().Adverts(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if tc.during != nil {
				tc.during(w)
			}
			for i, want := range tc.want {
				got := next(t, adverts)
				if !bytes.Equal(got.Data, want.Data) || got.Service != want.Service {
					t.Fatalf("advert %d = %x under %#04x, want %x under %#04x", i, got.Data, got.Service, want.Data, want.Service)
				}
			}
		})
	}
}

func TestOtherServiceDataIsIgnored(t *testing.T) {
	w := newWorld(t)
	w.bluez.AddAdapter("hci0")
	w.bluez.AddKnownDevice("hci0", "11:11:11:11:11:11", map[string][]byte{uuid128(0x180F): {99}})
	adverts, err := w.scanner().Adverts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Each of these is heard by BlueZ before the phone; none may come out.
	w.bluez.Advertise("22:22:22:22:22:22", map[string][]byte{uuid128(0xFE2C): advertB})                           // Google Fast Pair
	w.bluez.Advertise("33:33:33:33:33:33", map[string][]byte{"0000fff9-0000-1000-8000-00805f9b34fc": advertB})    // not the Base UUID
	w.bluez.Advertise("44:44:44:44:44:44", map[string][]byte{"6e400001-b5a3-f393-e0a9-e50e24dcca9e": advertB})    // a vendor's 128-bit UUID
	w.bluez.Advertise("55:55:55:55:55:55", map[string][]byte{uuid128(0xFFFA): advertB, uuid128(0x0000): advertB}) // neighbours
	w.bluez.Advertise("66:66:66:66:66:66", nil)                                                                   // no service data
	w.bluez.Advertise("5A:11:22:33:44:55", map[string][]byte{uuid128(0xFFF9): advertA})
	if got := next(t, adverts); !bytes.Equal(got.Data, advertA) || got.Service != hybrid.ServiceFIDO {
		t.Fatalf("first advert = %x under %#04x, want the phone's", got.Data, got.Service)
	}
}

func TestCancellingTheScanStopsTheDiscoveryAndRemovesItsMatches(t *testing.T) {
	w := newWorld(t)
	w.bluez.AddAdapter("hci0")
	baseline := w.bus.MatchRules(t, w.conn)
	ctx, cancel := context.WithCancel(t.Context())
	adverts, err := w.scanner().Adverts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !w.bluez.Discovering("hci0") {
		t.Fatal("the adapter is not discovering during the scan")
	}
	if got := w.bus.MatchRules(t, w.conn); got <= baseline {
		t.Fatalf("%d match rules during the scan, %d before: the scan listens to nothing", got, baseline)
	}

	cancel()
	ended(t, adverts)

	me := w.conn.Names()[0]
	var methods []string
	for _, c := range w.bluez.Calls() {
		if c.Sender != me {
			continue
		}
		methods = append(methods, c.Method)
		if c.Err != "" {
			t.Errorf("%s was answered %s", c.Method, c.Err)
		}
		if c.Method == "SetDiscoveryFilter" {
			// LE, every repeat, and no UUIDs: BlueZ would match them against advertised
			// service UUIDs only, and hide a phone that has its UUID only in service data.
			if c.Filter["Transport"] != "le" || c.Filter["DuplicateData"] != true || c.Filter["UUIDs"] != nil {
				t.Errorf("discovery filter %v", c.Filter)
			}
		}
	}
	if want := []string{"GetManagedObjects", "SetDiscoveryFilter", "StartDiscovery", "StopDiscovery"}; !slices.Equal(methods, want) {
		t.Errorf("calls %v, want %v", methods, want)
	}
	if w.bluez.Discovering("hci0") {
		t.Error("the adapter is still discovering after the scan")
	}
	if got := w.bus.MatchRules(t, w.conn); got != baseline {
		t.Errorf("%d match rules after the scan, %d before", got, baseline)
	}
}

func TestTheScanEndsWhenBluetoothGoesAwayDuringIt(t *testing.T) {
	for _, tc := range []struct {
		name string
		act  func(*fakebluez.BlueZ)
	}{
		{"Bluetooth is turned off", func(b *fakebluez.BlueZ) { b.PowerOff("hci0") }},
		{"flight mode is turned on", func(b *fakebluez.BlueZ) { b.Block("hci0", false) }},
		{"the adapter is pulled out", func(b *fakebluez.BlueZ) { b.RemoveAdapter("hci0") }},
		{"BlueZ stops", func(b *fakebluez.BlueZ) { b.Stop() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.bluez.AddAdapter("hci0")
			baseline := w.bus.MatchRules(t, w.conn)
			adverts, err := w.scanner().Adverts(t.Context()) // never cancelled
			if err != nil {
				t.Fatal(err)
			}
			tc.act(w.bluez)
			ended(t, adverts)
			if got := w.bus.MatchRules(t, w.conn); got != baseline {
				t.Errorf("%d match rules after the scan, %d before", got, baseline)
			}
		})
	}
}

func TestWithoutAConnectionTheScannerUsesTheSystemBusOnItsOwnConnection(t *testing.T) {
	w := newWorld(t)
	w.bluez.AddAdapter("hci0")
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", w.bus.Address)
	s := &bluetooth.BlueZ{RFKill: w.bluez.RFKill()}
	if err := s.Available(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	adverts, err := s.Adverts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.bluez.Advertise("5A:11:22:33:44:55", map[string][]byte{uuid128(0xFFF9): advertA})
	if got := next(t, adverts); !bytes.Equal(got.Data, advertA) {
		t.Fatalf("advert %x", got.Data)
	}
	cancel()
	ended(t, adverts)
	if w.bluez.Discovering("hci0") {
		t.Error("the adapter is still discovering after the scan")
	}
	var starts, stops []string
	for _, c := range w.bluez.Calls() {
		switch c.Method {
		case "StartDiscovery":
			starts = append(starts, c.Sender)
		case "StopDiscovery":
			stops = append(stops, c.Sender)
		}
	}
	if len(starts) != 1 || !slices.Equal(starts, stops) || starts[0] == w.conn.Names()[0] {
		t.Errorf("discovery started by %v and stopped by %v: want one connection of the scan's own", starts, stops)
	}
}

func TestWithNoSystemBusBluetoothIsNotRunning(t *testing.T) {
	t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path="+t.TempDir()+"/none")
	err := (&bluetooth.BlueZ{}).Available(t.Context())
	if !errors.Is(err, bluetooth.ErrNoBluez) {
		t.Fatalf("Available = %v, want ErrNoBluez", err)
	}
}

func TestASystemBusThatNeverAnswersHoldsNothingUpPastItsTime(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(context.Context, *bluetooth.BlueZ) error
	}{
		{"the check before the phone is offered", func(ctx context.Context, s *bluetooth.BlueZ) error { return s.Available(ctx) }},
		{"the scan for the phone's advert", func(ctx context.Context, s *bluetooth.BlueZ) error {
			adverts, err := s.Adverts(ctx)
			if err == nil {
				ended(t, adverts)
			}
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("DBUS_SYSTEM_BUS_ADDRESS", testkit.SilentBus(t))
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- tc.call(ctx, &bluetooth.BlueZ{}) }()
			select {
			case err := <-done:
				if !errors.Is(err, hybrid.ErrBluetoothUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error %v: want ErrBluetoothUnavailable and the deadline", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("still connecting to the system bus 5 s after the caller's time ran out")
			}
		})
	}
}
