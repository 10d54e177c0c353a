// Package bluetooth is the Bluetooth LE scan of the hybrid transport ("Use a different
// phone or tablet", CTAP 2.2 §11.5.1.2): it finds the phone's advert, service data under
// 0xFFF9 or 0xFDE2 (and Google's 0xFCF1, handed on to be tried), and gives it to a
// hybrid.Session as a hybrid.AdvertSource. It also says
// before the QR code is shown whether Bluetooth can be used at all (Available), and why not
// in words for the person (Problem).
//
//	scanner.go            Scanner, New (this computer's scanner), which service data is handed on
//	bluez_linux.go        Linux: BlueZ over D-Bus (the system bus), with github.com/godbus/dbus/v5
//	rfkill_linux.go       Linux: the kernel's radio switches (/sys/class/rfkill), for "blocked"
//	corebluetooth_*.go    macOS: CoreBluetooth through cgo and Objective-C (darwin && cgo only;
//	                      README.md says how it is built and tested on a Mac)
//	unsupported.go        every other build: no scanner (ErrNotSupported)
//	errors.go             the reasons a scan cannot start, and Problem: code and message
//
// Bluetooth is needed even though the phone's answer comes over the internet: the advert
// is the proof that the phone is near, and the only carrier of the tunnel's routing ID and
// the handshake's salt (../shared/HYBRID-NOTES.md §4 pitfall 8). The desktop only listens: it never
// connects to the phone or advertises.
//
// Neither scanner filters by service UUID in the Bluetooth stack. BlueZ's discovery filter
// matches UUIDs only against the advertised service UUID lists, never against service
// data (BlueZ src/adapter.c is_filter_match looks in eir_data->services; service data goes
// to eir_data->sd_list), and a phone's advert may carry its UUID only as service data. So
// every LE advert is heard and the service data is picked here (../shared/HYBRID-NOTES.md
// §2 and §4 pitfall 9: do not rely on the UUID filter).
//
// No radio is available where this is built and tested (no kernel Bluetooth): the BlueZ
// scanner is tested against a fake org.bluez on a private dbus-daemon
// (internal/phonetest/fakebluez), end to end with the simulated phone.
package bluetooth
