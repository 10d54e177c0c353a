package bluetooth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/app/bluetooth"
	"github.com/nhs-passkeys/companion/app/hybrid"
)

func TestProblemTellsThePersonWhatHappenedAndWhatToDo(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		wantCode string // "": not a Bluetooth problem
		wantMsg  string
	}{
		{"no adapter, as a Session wraps it", fmt.Errorf("%w: %w", hybrid.ErrBluetoothUnavailable, bluetooth.ErrNoAdapter),
			"bluetooth_not_found", "Your computer does not have Bluetooth, which is needed to use a phone or tablet. Use a security key instead, or use a computer that has Bluetooth."},
		{"Bluetooth turned off", fmt.Errorf("%w: %w", hybrid.ErrBluetoothUnavailable, fmt.Errorf("%w: /org/bluez/hci0", bluetooth.ErrPoweredOff)),
			"bluetooth_off", "Bluetooth is turned off on this computer. Turn it on in your computer's settings, then try again."},
		{"Bluetooth blocked", bluetooth.ErrBlocked,
			"bluetooth_blocked", "Bluetooth is blocked on this computer, for example because flight mode is on. Turn off flight mode or unblock Bluetooth in your computer's settings, then try again."},
		{"no permission", bluetooth.ErrPermission,
			"bluetooth_not_allowed", "This app is not allowed to use Bluetooth. Allow it in your computer's settings (on a Mac: System Settings, then Privacy and Security, then Bluetooth), then try again."},
		{"BlueZ not running", bluetooth.ErrNoBluez,
			"bluetooth_not_running", "Bluetooth is not working on this computer at the moment. Restart your computer and try again. If that does not help, use a security key instead."},
		{"a build without a scanner", bluetooth.ErrNotSupported,
			"bluetooth_not_supported", "This version of the app cannot use a phone or tablet on this computer. Use a security key instead."},
		{"no phone seen before the time ran out is not a Bluetooth problem", fmt.Errorf("%w: %w", hybrid.ErrNoAdvert, context.DeadlineExceeded), "", ""},
		{"the scan stopped (adapter gone during it)", fmt.Errorf("%w: the scan stopped", hybrid.ErrBluetoothUnavailable),
			"bluetooth_unavailable", "Bluetooth is not working on this computer at the moment. Check Bluetooth is turned on, then try again."},
		{"a tunnel failure is not a Bluetooth problem", hybrid.ErrTunnelUnreachable, "", ""},
		{"a cancelled transaction is not a Bluetooth problem", fmt.Errorf("%w: %w", hybrid.ErrCancelled, context.Canceled), "", ""},
		{"no error is no problem", nil, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, msg, ok := bluetooth.Problem(tc.err)
			if ok != (tc.wantCode != "") || code != tc.wantCode || msg != tc.wantMsg {
				t.Fatalf("Problem = %q, %q, %v; want %q, %q", code, msg, ok, tc.wantCode, tc.wantMsg)
			}
		})
	}
}

func TestEveryReasonIsAStableHybridError(t *testing.T) {
	reasons := []error{bluetooth.ErrNoAdapter, bluetooth.ErrPoweredOff, bluetooth.ErrBlocked,
		bluetooth.ErrNoBluez, bluetooth.ErrPermission, bluetooth.ErrNotSupported}
	codes := map[string]bool{}
	for i, err := range reasons {
		if !errors.Is(err, hybrid.ErrBluetoothUnavailable) {
			t.Errorf("%v is not hybrid.ErrBluetoothUnavailable", err)
		}
		for j, other := range reasons {
			if j != i && errors.Is(err, other) {
				t.Errorf("%v is also %v", err, other)
			}
		}
		code, msg, ok := bluetooth.Problem(err)
		if !ok || codes[code] {
			t.Errorf("%v: code %q (ok %v) is missing or shared", err, code, ok)
		}
		codes[code] = true
		// For the person: no jargon, a full sentence.
		for _, word := range []string{"BlueZ", "D-Bus", "rfkill", "adapter", "error", "hybrid", "CoreBluetooth"} {
			if strings.Contains(msg, word) {
				t.Errorf("%v: message %q says %q", err, msg, word)
			}
		}
		if !strings.HasSuffix(msg, ".") {
			t.Errorf("%v: message %q is not a sentence", err, msg)
		}
	}
}
