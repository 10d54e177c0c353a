package bluetooth

import (
	"errors"
	"fmt"

	"github.com/nhs-passkeys/companion/app/hybrid"
)

// Why a scan cannot start: hybrid's reasons under this package's names, and two of its own.
// Each wraps hybrid.ErrBluetoothUnavailable, so errors.Is finds both the reason and the
// stable hybrid error (a Session wraps the scanner's error again, and errors.Is still finds
// the reason). Problem turns each into a message for the person; the device endpoints
// (app/device/ceremony) show that message when a phone ceremony cannot use Bluetooth.
var (
	// ErrNoAdapter: this computer has no Bluetooth adapter (BlueZ lists no
	// org.bluez.Adapter1; CoreBluetooth says CBManagerStateUnsupported).
	ErrNoAdapter = hybrid.ErrNoBluetoothAdapter
	// ErrPoweredOff: the adapter is there but switched off (Adapter1.Powered is false and
	// nothing blocks it; CBManagerStatePoweredOff).
	ErrPoweredOff = hybrid.ErrBluetoothOff
	// ErrBlocked: Bluetooth is blocked by the kernel's radio switch, rfkill (flight mode, a
	// laptop's wireless key or switch): BlueZ's PowerState "off-blocked", its
	// org.bluez.Error.Blocked, or /sys/class/rfkill.
	ErrBlocked = hybrid.ErrBluetoothBlocked
	// ErrNoBluez: the Bluetooth service cannot be reached: no system bus, or no org.bluez on
	// it (BlueZ not installed, not running, or it failed to start).
	ErrNoBluez = fmt.Errorf("%w: the Bluetooth service (BlueZ) is not running", hybrid.ErrBluetoothUnavailable)
	// ErrPermission: the system refused this app the use of Bluetooth (a D-Bus policy, BlueZ's
	// NotAuthorized or NotPermitted; macOS privacy settings, CBManagerStateUnauthorized).
	ErrPermission = hybrid.ErrBluetoothNotAllowed
	// ErrNotSupported: this build has no Bluetooth scanner (Windows, where webauthn.dll does
	// the hybrid transport itself; a macOS build without cgo).
	ErrNotSupported = fmt.Errorf("%w: this build of the app has no Bluetooth scanner", hybrid.ErrBluetoothUnavailable)
)

// A problem is one thing that can stop the phone path, as the person is told it.
type problem struct {
	err     error
	code    string
	message string
}

// problems are every Bluetooth-related failure of "Use a different phone or tablet", most
// specific first: the first whose error errors.Is finds is the one told. The messages say
// what happened and what to do, in NHS content style; the codes are stable for programs.
var problems = []problem{
	{ErrNoAdapter, "bluetooth_not_found",
		"Your computer does not have Bluetooth, which is needed to use a phone or tablet. Use a security key instead, or use a computer that has Bluetooth."},
	{ErrPoweredOff, "bluetooth_off",
		"Bluetooth is turned off on this computer. Turn it on in your computer's settings, then try again."},
	{ErrBlocked, "bluetooth_blocked",
		"Bluetooth is blocked on this computer, for example because flight mode is on. Turn off flight mode or unblock Bluetooth in your computer's settings, then try again."},
	{ErrPermission, "bluetooth_not_allowed",
		"This app is not allowed to use Bluetooth. Allow it in your computer's settings (on a Mac: System Settings, then Privacy and Security, then Bluetooth), then try again."},
	{ErrNoBluez, "bluetooth_not_running",
		"Bluetooth is not working on this computer at the moment. Restart your computer and try again. If that does not help, use a security key instead."},
	{ErrNotSupported, "bluetooth_not_supported",
		"This version of the app cannot use a phone or tablet on this computer. Use a security key instead."},
	// Any other reason the scan could not start or stopped (BlueZ answered an unexpected
	// error, the adapter went away or was turned off during the scan).
	{hybrid.ErrBluetoothUnavailable, "bluetooth_unavailable",
		"Bluetooth is not working on this computer at the moment. Check Bluetooth is turned on, then try again."},
}

// Problem is what to tell the person, and a stable code, when err (from a scanner, its
// Available check, or a hybrid Session) is about Bluetooth. ok is false for any other error
// (a phone not found in time, a tunnel failure), which the caller explains itself.
func Problem(err error) (code, message string, ok bool) {
	for _, p := range problems {
		if errors.Is(err, p.err) {
			return p.code, p.message, true
		}
	}
	return "", "", false
}
