package bluetooth_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/bluetooth"
	"github.com/nhs-passkeys/companion/app/hybrid"
	"github.com/nhs-passkeys/companion/internal/phonetest/faketunnel"
	"github.com/nhs-passkeys/companion/internal/phonetest/simphone"
)

// phoneAddress is the simulated phone's Bluetooth address (a random one, as phones use).
const phoneAddress = "5A:11:22:33:44:55"

// relay carries what the simulated phone transmits into its Air to the fake BlueZ, as the
// radio would: the phone's service data, under its UUID, from its address.
func relay(t *testing.T, air *simphone.Air, w *world) {
	ctx, cancel := context.WithCancel(context.Background())
	adverts, err := air.Adverts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for a := range adverts {
			w.bluez.Advertise(phoneAddress, map[string][]byte{uuid128(a.Service): a.Data})
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// transact runs one hybrid transaction of request through the BlueZ scanner, with phone
// scanning the QR code; it returns the desktop's error and the phone's.
func transact(t *testing.T, w *world, phone *simphone.Phone, tunnel *faketunnel.Server, request hybrid.RequestType, advertTimeout time.Duration, during func()) (error, error) {
	t.Helper()
	s, err := hybrid.NewSession(hybrid.Config{
		Adverts:       w.scanner(),
		Connector:     &hybrid.Tunnel{BaseURL: tunnel.BaseURL},
		AdvertTimeout: advertTimeout,
	}, request)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	phoneCtx, phoneCancel := context.WithCancel(ctx)
	defer phoneCancel()
	phoneErr := make(chan error, 1)
	go func() { phoneErr <- phone.Scan(phoneCtx, s.QR().Text) }()

	hash := sha256.Sum256([]byte(`{"type":"webauthn.create","challenge":"AAAA","origin":"http://localhost:8080"}`))
	progress := func(p hybrid.Progress) {
		if p == hybrid.ProgressScanning && during != nil {
			go during()
		}
	}
	if request == hybrid.RequestMakeCredential {
		_, err = s.MakeCredential(ctx, hybrid.MakeCredentialRequest{
			ClientDataHash: hash[:], RPID: "localhost", RPName: "NHS login",
			UserID: []byte("user-1"), UserName: "patient@example.com", UserDisplayName: "patient@example.com",
			ResidentKey: hybrid.Required, UserVerification: hybrid.Required,
		}, progress)
	} else {
		_, err = s.GetAssertion(ctx, hybrid.GetAssertionRequest{ClientDataHash: hash[:], RPID: "localhost", UserVerification: hybrid.Preferred}, progress)
	}
	if err != nil {
		phoneCancel() // a phone still waiting gives up
	}
	return err, <-phoneErr
}

// stopsDiscovering waits for the scan a Session ended to stop its discovery (the Session
// waits for the scanner to finish, so this should not have to wait;
// TestWhenATransactionReturnsTheAdapterIsNoLongerDiscovering checks that it need not).
func stopsDiscovering(t *testing.T, w *world) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); w.bluez.Discovering("hci0"); {
		if time.Now().After(deadline) {
			t.Fatal("the adapter is still discovering after the transaction")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAPhoneIsFoundThroughBlueZ(t *testing.T) {
	w := newWorld(t)
	w.bluez.AddAdapter("hci0")
	tunnel := faketunnel.New(t, faketunnel.Relay)
	air := simphone.NewAir()
	relay(t, air, w)
	phone := &simphone.Phone{Tunnel: tunnel.URL(), Air: air}

	// Setting up: BlueZ hears the phone for the first time (a new device).
	if err, phoneErr := transact(t, w, phone, tunnel, hybrid.RequestMakeCredential, 0, nil); err != nil || phoneErr != nil {
		t.Fatalf("set up: desktop %v, phone %v", err, phoneErr)
	}
	if phone.Passkeys() != 1 {
		t.Fatalf("the phone holds %d passkeys, want 1", phone.Passkeys())
	}
	stopsDiscovering(t, w)

	// Logging in: BlueZ knows the phone (and its old advert, for the old QR code); the new
	// advert comes as a change of its service data.
	if err, phoneErr := transact(t, w, phone, tunnel, hybrid.RequestGetAssertion, 0, nil); err != nil || phoneErr != nil {
		t.Fatalf("log in: desktop %v, phone %v", err, phoneErr)
	}
	if seen := phone.Seen(); len(seen) != 2 || seen[1].Command != 2 {
		t.Fatalf("the phone was asked %+v, want a makeCredential then a getAssertion", seen)
	}
	stopsDiscovering(t, w)
}

func TestATransactionThatCannotFindThePhoneIsExplained(t *testing.T) {
	for _, tc := range []struct {
		name     string
		setup    func(*world, *simphone.Phone)
		during   func(*world) // once the desktop is scanning
		want     []error
		wantCode string
	}{
		{
			name:     "no phone advertises before the time runs out",
			setup:    func(_ *world, p *simphone.Phone) { p.Behaviour = simphone.Silent },
			want:     []error{hybrid.ErrNoAdvert, context.DeadlineExceeded},
			wantCode: "", // not a Bluetooth problem: app/device says the phone was not found
		},
		{
			name:     "only a phone answering another QR code is heard",
			setup:    func(_ *world, p *simphone.Phone) { p.Behaviour = simphone.WrongQR },
			want:     []error{hybrid.ErrWrongPhone},
			wantCode: "",
		},
		{
			name:     "Bluetooth is turned off on the computer",
			setup:    func(w *world, p *simphone.Phone) { w.bluez.PowerOff("hci0"); p.Behaviour = simphone.Silent },
			want:     []error{hybrid.ErrBluetoothUnavailable, bluetooth.ErrPoweredOff},
			wantCode: "bluetooth_off",
		},
		{
			name:     "Bluetooth is blocked by flight mode",
			setup:    func(w *world, p *simphone.Phone) { w.bluez.Block("hci0", false); p.Behaviour = simphone.Silent },
			want:     []error{hybrid.ErrBluetoothUnavailable, bluetooth.ErrBlocked},
			wantCode: "bluetooth_blocked",
		},
		{
			name:     "the computer has no Bluetooth",
			setup:    func(w *world, p *simphone.Phone) { w.bluez.RemoveAdapter("hci0"); p.Behaviour = simphone.Silent },
			want:     []error{hybrid.ErrBluetoothUnavailable, bluetooth.ErrNoAdapter},
			wantCode: "bluetooth_not_found",
		},
		// Bluetooth going while the QR code is shown is explained as precisely as before it.
		{
			name:     "Bluetooth is turned off while waiting for the phone",
			setup:    func(_ *world, p *simphone.Phone) { p.Behaviour = simphone.Silent },
			during:   func(w *world) { w.bluez.PowerOff("hci0") },
			want:     []error{hybrid.ErrBluetoothUnavailable, bluetooth.ErrPoweredOff},
			wantCode: "bluetooth_off",
		},
		{
			name:     "flight mode is turned on while waiting for the phone",
			setup:    func(_ *world, p *simphone.Phone) { p.Behaviour = simphone.Silent },
			during:   func(w *world) { w.bluez.Block("hci0", false) },
			want:     []error{hybrid.ErrBluetoothUnavailable, bluetooth.ErrBlocked},
			wantCode: "bluetooth_blocked",
		},
		{
			name:     "the Bluetooth adapter is unplugged while waiting for the phone",
			setup:    func(_ *world, p *simphone.Phone) { p.Behaviour = simphone.Silent },
			during:   func(w *world) { w.bluez.RemoveAdapter("hci0") },
			want:     []error{hybrid.ErrBluetoothUnavailable, bluetooth.ErrNoAdapter},
			wantCode: "bluetooth_not_found",
		},
		{
			name:     "the Bluetooth service stops while waiting for the phone",
			setup:    func(_ *world, p *simphone.Phone) { p.Behaviour = simphone.Silent },
			during:   func(w *world) { w.bluez.Stop() },
			want:     []error{hybrid.ErrBluetoothUnavailable, bluetooth.ErrNoBluez},
			wantCode: "bluetooth_not_running",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.bluez.AddAdapter("hci0")
			tunnel := faketunnel.New(t, faketunnel.Relay)
			air := simphone.NewAir()
			relay(t, air, w)
			phone := &simphone.Phone{Tunnel: tunnel.URL(), Air: air}
			tc.setup(w, phone)
			var during func()
			if tc.during != nil {
				during = func() { time.Sleep(100 * time.Millisecond); tc.during(w) }
			}
			timeout := 500 * time.Millisecond
			if tc.during != nil {
				timeout = 5 * time.Second // the scan must end because Bluetooth went, not the time
			}

			err, _ := transact(t, w, phone, tunnel, hybrid.RequestGetAssertion, timeout, during)
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("error %v, want %v", err, want)
				}
			}
			if code, msg, ok := bluetooth.Problem(err); ok != (tc.wantCode != "") || code != tc.wantCode {
				t.Errorf("Problem = %q, %q, %v; want code %q", code, msg, ok, tc.wantCode)
			}
			if phone.Passkeys() != 0 || len(phone.Seen()) != 0 {
				t.Errorf("the phone was asked %+v", phone.Seen())
			}
			stopsDiscovering(t, w)
		})
	}
}

// When a transaction returns, whichever way, BlueZ's discovery has stopped already: a
// kiosk's next patient does not find the computer still scanning for the last one's phone.
func TestWhenATransactionReturnsTheAdapterIsNoLongerDiscovering(t *testing.T) {
	w := newWorld(t)
	w.bluez.AddAdapter("hci0")
	tunnel := faketunnel.New(t, faketunnel.Relay)
	air := simphone.NewAir()
	relay(t, air, w)
	phone := &simphone.Phone{Tunnel: tunnel.URL(), Air: air}
	for i, tc := range []struct {
		name      string
		behaviour simphone.Behaviour
		timeout   time.Duration
	}{
		{"the phone is found and answers", simphone.Confirm, 0},
		{"no phone before the time runs out", simphone.Silent, 200 * time.Millisecond},
		{"again, the phone is found and answers", simphone.Confirm, 0},
		{"again, no phone before the time runs out", simphone.Silent, 200 * time.Millisecond},
	} {
		phone.Behaviour = tc.behaviour
		request := hybrid.RequestGetAssertion
		if i == 0 {
			request = hybrid.RequestMakeCredential
		}
		err, _ := transact(t, w, phone, tunnel, request, tc.timeout, nil)
		if (err == nil) != (tc.behaviour == simphone.Confirm) {
			t.Errorf("%s: error %v", tc.name, err)
		}
		if w.bluez.Discovering("hci0") {
			t.Errorf("%s: the adapter is still discovering when the transaction returns", tc.name)
		}
		stopsDiscovering(t, w)
	}
}

// BlueZ keeps a device it heard, with its last service data, for a while after a scan (30 s
// by default: main.conf TemporaryTimeout). A phone that answered the last QR code and has
// since gone quiet is still in that cache when the person tries again. It is not a phone
// nearby answering another QR code: with no phone heard in time, the person is told the
// phone was not found (turn on Bluetooth, keep it near), not that it was the wrong phone.
func TestAnOldAdvertBlueZStillHoldsIsNotAPhoneAnsweringAnotherQRCode(t *testing.T) {
	w := newWorld(t)
	w.bluez.AddAdapter("hci0")
	tunnel := faketunnel.New(t, faketunnel.Relay)
	air := simphone.NewAir()
	relay(t, air, w)
	phone := &simphone.Phone{Tunnel: tunnel.URL(), Air: air}
	if err, phoneErr := transact(t, w, phone, tunnel, hybrid.RequestMakeCredential, 0, nil); err != nil || phoneErr != nil {
		t.Fatalf("set up: desktop %v, phone %v", err, phoneErr)
	}
	stopsDiscovering(t, w)

	phone.Behaviour = simphone.Silent
	err, _ := transact(t, w, phone, tunnel, hybrid.RequestGetAssertion, 500*time.Millisecond, nil)
	if !errors.Is(err, hybrid.ErrNoAdvert) || errors.Is(err, hybrid.ErrWrongPhone) {
		t.Errorf("error %v, want ErrNoAdvert (no phone heard), not ErrWrongPhone", err)
	}
}
