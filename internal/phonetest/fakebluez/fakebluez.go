// Package fakebluez is a FAKE BlueZ for tests: it stands in for org.bluez, Linux's
// Bluetooth service, which cannot run where this project is built and tested (no kernel
// Bluetooth, no /dev/vhci: ../shared/PLATFORM-NOTES.md). It runs on a private dbus-daemon (Bus) and
// answers as BlueZ 5.66+ does over D-Bus (doc/org.bluez.Adapter.rst, org.bluez.Device.rst,
// src/adapter.c): an ObjectManager at /, adapters (org.bluez.Adapter1) with Powered,
// PowerState and the three discovery methods with BlueZ's errors in each state, and the
// devices it "hears" (org.bluez.Device1 with ServiceData), announced with InterfacesAdded
// and PropertiesChanged.
//
// A test sets the scene: an adapter present, removed, turned off or blocked by rfkill
// (with the matching /sys/class/rfkill, RFKill), BlueZ off the bus (Stop), refusing callers
// (Deny), or older than PowerState (SetOldVersion); and a phone advertising service data
// (Advertise), heard by an adapter while some client discovers with a filter that lets it
// through, as BlueZ's is_filter_match does. Calls records what clients asked.
package fakebluez

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/godbus/dbus/v5"
)

// D-Bus names.
const (
	service             = "org.bluez"
	adapterInterface    = "org.bluez.Adapter1"
	deviceInterface     = "org.bluez.Device1"
	objectManager       = "org.freedesktop.DBus.ObjectManager"
	propertiesInterface = "org.freedesktop.DBus.Properties"
	introspectable      = "org.freedesktop.DBus.Introspectable"
)

// BlueZ's error names (src/error.c).
const (
	ErrNotReady         = "org.bluez.Error.NotReady"
	ErrInProgress       = "org.bluez.Error.InProgress"
	ErrFailed           = "org.bluez.Error.Failed"
	ErrInvalidArguments = "org.bluez.Error.InvalidArguments"
	ErrNotAuthorized    = "org.bluez.Error.NotAuthorized"
	ErrAccessDenied     = "org.freedesktop.DBus.Error.AccessDenied"
)

// Call is one method call a client made to the fake.
type Call struct {
	Sender string          // the caller's unique bus name
	Path   dbus.ObjectPath // the object called
	Method string          // GetManagedObjects, SetDiscoveryFilter, StartDiscovery, StopDiscovery
	Filter map[string]any  // SetDiscoveryFilter's argument, unwrapped from its variants
	Err    string          // the D-Bus error it was answered with; "" for success
}

// BlueZ is the fake service, owning org.bluez on a Bus.
type BlueZ struct {
	conn *dbus.Conn

	mu              sync.Mutex
	adapters        map[string]*adapter // by name: hci0
	devices         map[dbus.ObjectPath]*device
	phones          map[string]phone // on air, by address
	calls           []Call
	oldVersion      bool
	deny            string
	platformBlocked bool
	nextRFKill      int
}

type adapter struct {
	name, address            string
	path                     dbus.ObjectPath
	rfkill                   int // its /sys/class/rfkill/rfkillN
	powered                  bool
	powerState               string
	softBlocked, hardBlocked bool
	clients                  map[string]*client // by sender: a pre-set filter or a discovery
}

// client is one caller's discovery state on an adapter (BlueZ's struct discovery_client).
type client struct {
	filter      *filter // nil: no filter (hears everything)
	discovering bool
}

type filter struct {
	transport string // "auto", "le" or "bredr"
	uuids     []string
}

type device struct {
	adapter     *adapter
	address     string
	path        dbus.ObjectPath
	serviceData map[string][]byte
	uuids       []string
	rssi        int16
}

type phone struct {
	serviceData map[string][]byte
	uuids       []string
}

// Start exports a fake BlueZ with no adapter on bus and claims org.bluez; it leaves the bus
// after the test.
func Start(t testing.TB, bus *Bus) *BlueZ {
	t.Helper()
	f := &BlueZ{
		conn:     bus.Connect(t),
		adapters: map[string]*adapter{},
		devices:  map[dbus.ObjectPath]*device{},
		phones:   map[string]phone{},
	}
	if err := f.conn.ExportMethodTable(map[string]any{"GetManagedObjects": f.getManagedObjects}, "/", objectManager); err != nil {
		t.Fatal(err)
	}
	// BlueZ drops a client's discovery when its connection goes (g_dbus_add_disconnect_watch).
	if err := f.conn.AddMatchSignal(dbus.WithMatchSender("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged")); err != nil {
		t.Fatal(err)
	}
	signals := make(chan *dbus.Signal, 16)
	f.conn.Signal(signals)
	go func() {
		for sig := range signals { // closed with the connection
			var name, old, owner string
			if sig.Name == "org.freedesktop.DBus.NameOwnerChanged" && dbus.Store(sig.Body, &name, &old, &owner) == nil && owner == "" {
				f.disconnected(name)
			}
		}
	}()
	reply, err := f.conn.RequestName(service, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("claiming org.bluez: %v %v", reply, err)
	}
	return f
}

// Stop takes BlueZ off the bus, as when bluetoothd stops: org.bluez has no owner, and its
// name's NameOwnerChanged tells listeners. Its discoveries and filters end with it.
func (f *BlueZ) Stop() {
	defer f.settle()
	_, _ = f.conn.ReleaseName(service)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.adapters {
		clear(a.clients)
	}
}

// SetOldVersion makes the fake a BlueZ older than 5.66: adapters added afterwards have no
// PowerState property, so "blocked" shows only in /sys/class/rfkill.
func (f *BlueZ) SetOldVersion() {
	defer f.settle()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.oldVersion = true
}

// Deny makes every call to org.bluez fail with the D-Bus error name (ErrAccessDenied, as a
// bus policy refusing the caller gives; ErrNotAuthorized, as BlueZ gives). "" stops it.
func (f *BlueZ) Deny(errorName string) {
	defer f.settle()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deny = errorName
}

// AddAdapter adds a powered adapter, /org/bluez/<name>, with a radio switch of its own.
func (f *BlueZ) AddAdapter(name string) {
	defer f.settle()
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.adapters)
	a := &adapter{
		name:       name,
		address:    fmt.Sprintf("00:1A:7D:DA:71:%02X", n),
		path:       dbus.ObjectPath("/org/bluez/" + name),
		rfkill:     f.nextRFKill,
		powered:    true,
		powerState: "on",
		clients:    map[string]*client{},
	}
	f.nextRFKill++
	f.adapters[name] = a
	_ = f.conn.ExportMethodTable(map[string]any{
		"SetDiscoveryFilter": func(sender dbus.Sender, arg map[string]dbus.Variant) *dbus.Error {
			return f.setDiscoveryFilter(a, string(sender), arg)
		},
		"StartDiscovery": func(sender dbus.Sender) *dbus.Error { return f.startDiscovery(a, string(sender)) },
		"StopDiscovery":  func(sender dbus.Sender) *dbus.Error { return f.stopDiscovery(a, string(sender)) },
	}, a.path, adapterInterface)
	f.exportProperties(a.path, func() map[string]map[string]dbus.Variant {
		return map[string]map[string]dbus.Variant{adapterInterface: f.adapterProps(a)}
	})
	f.emitLocked("/", objectManager+".InterfacesAdded", a.path, f.adapterInterfaces(a))
}

// RemoveAdapter takes the adapter away (a USB dongle pulled out), its devices with it.
func (f *BlueZ) RemoveAdapter(name string) {
	defer f.settle()
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.mustAdapter(name)
	for _, p := range slices.Sorted(maps.Keys(f.devices)) {
		if d := f.devices[p]; d.adapter == a {
			delete(f.devices, p)
			f.unexport(p, deviceInterface)
			f.emitLocked("/", objectManager+".InterfacesRemoved", p, []string{propertiesInterface, introspectable, deviceInterface})
		}
	}
	delete(f.adapters, name)
	f.unexport(a.path, adapterInterface)
	f.emitLocked("/", objectManager+".InterfacesRemoved", a.path, []string{propertiesInterface, introspectable, adapterInterface})
}

// PowerOff turns the adapter off (Powered false, PowerState "off"). As BlueZ does, every
// client's discovery on it ends.
func (f *BlueZ) PowerOff(name string) {
	defer f.settle()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.powerLocked(f.mustAdapter(name), false, "off")
}

// PowerOn turns the adapter on, unless a radio switch blocks it.
func (f *BlueZ) PowerOn(name string) {
	defer f.settle()
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.mustAdapter(name)
	if a.softBlocked || a.hardBlocked || f.platformBlocked {
		return
	}
	f.powerLocked(a, true, "on")
}

// Block blocks the adapter's radio switch (soft: `rfkill block`, flight mode; hard: a
// physical switch). BlueZ then turns it off with PowerState "off-blocked".
func (f *BlueZ) Block(name string, hard bool) {
	defer f.settle()
	f.mu.Lock()
	defer f.mu.Unlock()
	a := f.mustAdapter(name)
	if hard {
		a.hardBlocked = true
	} else {
		a.softBlocked = true
	}
	f.powerLocked(a, false, "off-blocked")
}

// BlockPlatform blocks a laptop's own Bluetooth switch (type bluetooth, named
// tpacpi_bluetooth_sw), which blocks every adapter, present or not.
func (f *BlueZ) BlockPlatform() {
	defer f.settle()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.platformBlocked = true
	for _, name := range slices.Sorted(maps.Keys(f.adapters)) {
		f.powerLocked(f.adapters[name], false, "off-blocked")
	}
}

// Advertise puts a phone on the air at address (AA:BB:CC:DD:EE:FF), sending serviceData
// (keyed by 128-bit UUID string) and listing uuids as its advertised service UUIDs. It
// replaces what that address sent before. Adapters hear it while a client discovers.
func (f *BlueZ) Advertise(address string, serviceData map[string][]byte, uuids ...string) {
	defer f.settle()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.phones[address] = phone{serviceData: maps.Clone(serviceData), uuids: uuids}
	f.hearLocked()
}

// StopAdvertising takes the phone at address off the air (BlueZ keeps its device).
func (f *BlueZ) StopAdvertising(address string) {
	defer f.settle()
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.phones, address)
}

// AddKnownDevice adds a device BlueZ remembers from an earlier scan (by anyone), with the
// service data it last heard; it is there before any client discovers.
func (f *BlueZ) AddKnownDevice(adapterName, address string, serviceData map[string][]byte) {
	defer f.settle()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.upsertLocked(f.mustAdapter(adapterName), address, phone{serviceData: maps.Clone(serviceData)})
}

// Calls are the method calls clients made, in order.
func (f *BlueZ) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Discovering reports whether any client discovers on the adapter (Adapter1.Discovering).
func (f *BlueZ) Discovering(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.adapters[name]
	return ok && discovering(a)
}

// RFKill is /sys/class/rfkill as the fake's radio switches are now (read live): one switch
// of type bluetooth for each adapter, named after it, a platform switch, and a Wi-Fi one
// (never blocked: the test of the type).
func (f *BlueZ) RFKill() fs.FS { return rfkillFS{f} }

type rfkillFS struct{ f *BlueZ }

func (r rfkillFS) Open(name string) (fs.File, error) {
	r.f.mu.Lock()
	defer r.f.mu.Unlock()
	m := fstest.MapFS{}
	add := func(n int, typ, name string, soft, hard bool) {
		dir := fmt.Sprintf("rfkill%d/", n)
		m[dir+"type"] = &fstest.MapFile{Data: []byte(typ + "\n")}
		m[dir+"name"] = &fstest.MapFile{Data: []byte(name + "\n")}
		m[dir+"soft"] = &fstest.MapFile{Data: []byte(bit(soft) + "\n")}
		m[dir+"hard"] = &fstest.MapFile{Data: []byte(bit(hard) + "\n")}
	}
	for _, a := range r.f.adapters {
		add(a.rfkill, "bluetooth", a.name, a.softBlocked, a.hardBlocked)
	}
	add(90, "bluetooth", "tpacpi_bluetooth_sw", r.f.platformBlocked, false)
	add(91, "wlan", "phy0", false, false)
	return m.Open(name)
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// The D-Bus methods.

func (f *BlueZ) getManagedObjects(sender dbus.Sender) (map[dbus.ObjectPath]map[string]map[string]dbus.Variant, *dbus.Error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.denied(string(sender), "/", "GetManagedObjects"); err != nil {
		return nil, err
	}
	f.calls = append(f.calls, Call{Sender: string(sender), Path: "/", Method: "GetManagedObjects"})
	objects := map[dbus.ObjectPath]map[string]map[string]dbus.Variant{
		// BlueZ's own manager object, which is not an adapter.
		"/org/bluez": {
			introspectable:              {},
			"org.bluez.AgentManager1":   {},
			"org.bluez.ProfileManager1": {},
		},
	}
	for _, a := range f.adapters {
		objects[a.path] = f.adapterInterfaces(a)
	}
	for _, d := range f.devices {
		objects[d.path] = deviceInterfaces(d)
	}
	return objects, nil
}

// setDiscoveryFilter is src/adapter.c set_discovery_filter.
func (f *BlueZ) setDiscoveryFilter(a *adapter, sender string, arg map[string]dbus.Variant) *dbus.Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.denied(sender, a.path, "SetDiscoveryFilter"); err != nil {
		return err
	}
	call := Call{Sender: sender, Path: a.path, Method: "SetDiscoveryFilter", Filter: map[string]any{}}
	for k, v := range arg {
		call.Filter[k] = v.Value()
	}
	answer := func(errName string) *dbus.Error {
		call.Err = errName
		f.calls = append(f.calls, call)
		if errName == "" {
			return nil
		}
		return dbus.NewError(errName, []any{errName})
	}
	if !a.powered {
		return answer(ErrNotReady)
	}
	flt, ok := parseFilter(arg)
	if !ok {
		return answer(ErrInvalidArguments)
	}
	c, ok := a.clients[sender]
	switch {
	case ok:
		c.filter = flt
		if c.filter == nil && !c.discovering {
			delete(a.clients, sender) // "Removing pre-set filter"
		}
	case flt != nil:
		a.clients[sender] = &client{filter: flt}
	}
	f.hearLocked()
	return answer("")
}

// parseFilter is src/adapter.c parse_discovery_filter_dict: known keys of the right types
// only. An empty dictionary is no filter.
func parseFilter(arg map[string]dbus.Variant) (*filter, bool) {
	if len(arg) == 0 {
		return nil, true
	}
	flt := &filter{transport: "auto"}
	_, rssi := arg["RSSI"]
	_, pathloss := arg["Pathloss"]
	if rssi && pathloss {
		return nil, false
	}
	for k, v := range arg {
		var ok bool
		switch k {
		case "UUIDs":
			flt.uuids, ok = v.Value().([]string)
			for i, u := range flt.uuids {
				flt.uuids[i] = strings.ToLower(u)
			}
		case "RSSI":
			_, ok = v.Value().(int16)
		case "Pathloss":
			_, ok = v.Value().(uint16)
		case "Transport":
			flt.transport, ok = v.Value().(string)
			ok = ok && (flt.transport == "auto" || flt.transport == "le" || flt.transport == "bredr")
		case "DuplicateData", "Discoverable", "AutoConnect":
			_, ok = v.Value().(bool)
		case "Pattern":
			_, ok = v.Value().(string)
		}
		if !ok {
			return nil, false
		}
	}
	return flt, true
}

// startDiscovery is src/adapter.c start_discovery.
func (f *BlueZ) startDiscovery(a *adapter, sender string) *dbus.Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.denied(sender, a.path, "StartDiscovery"); err != nil {
		return err
	}
	errName := ""
	c, ok := a.clients[sender]
	switch {
	case !a.powered:
		errName = ErrNotReady
	case ok && c.discovering:
		errName = ErrInProgress
	default:
		was := discovering(a)
		if !ok {
			c = &client{}
			a.clients[sender] = c
		}
		c.discovering = true
		if !was {
			f.emitLocked(a.path, propertiesInterface+".PropertiesChanged", adapterInterface,
				map[string]dbus.Variant{"Discovering": dbus.MakeVariant(true)}, []string{})
		}
	}
	f.calls = append(f.calls, Call{Sender: sender, Path: a.path, Method: "StartDiscovery", Err: errName})
	if errName != "" {
		return dbus.NewError(errName, []any{errName})
	}
	f.hearLocked()
	return nil
}

// stopDiscovery is src/adapter.c stop_discovery: the client and its filter are dropped.
func (f *BlueZ) stopDiscovery(a *adapter, sender string) *dbus.Error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.denied(sender, a.path, "StopDiscovery"); err != nil {
		return err
	}
	errName := ""
	c, ok := a.clients[sender]
	switch {
	case !a.powered:
		errName = ErrNotReady
	case !ok || !c.discovering:
		errName = ErrFailed // "No discovery started"
	default:
		delete(a.clients, sender)
		if !discovering(a) {
			f.emitLocked(a.path, propertiesInterface+".PropertiesChanged", adapterInterface,
				map[string]dbus.Variant{"Discovering": dbus.MakeVariant(false)}, []string{})
		}
	}
	f.calls = append(f.calls, Call{Sender: sender, Path: a.path, Method: "StopDiscovery", Err: errName})
	if errName != "" {
		return dbus.NewError(errName, []any{errName})
	}
	return nil
}

// disconnected drops a client that left the bus.
func (f *BlueZ) disconnected(sender string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.adapters {
		was := discovering(a)
		delete(a.clients, sender)
		if was && !discovering(a) {
			f.emitLocked(a.path, propertiesInterface+".PropertiesChanged", adapterInterface,
				map[string]dbus.Variant{"Discovering": dbus.MakeVariant(false)}, []string{})
		}
	}
}

func (f *BlueZ) denied(sender string, p dbus.ObjectPath, method string) *dbus.Error {
	if f.deny == "" {
		return nil
	}
	f.calls = append(f.calls, Call{Sender: sender, Path: p, Method: method, Err: f.deny})
	return dbus.NewError(f.deny, []any{"refused by the fake BlueZ"})
}

// Hearing.

// hearLocked lets every adapter that is discovering hear every phone on the air that some
// discovering client's filter lets through (src/adapter.c is_filter_match: a client without
// a filter, or without UUIDs, hears all; otherwise one of the phone's advertised service
// UUIDs, not its service data's, must be in the filter; LE phones are not heard by a
// BR/EDR-only filter).
func (f *BlueZ) hearLocked() {
	for _, name := range slices.Sorted(maps.Keys(f.adapters)) {
		a := f.adapters[name]
		if !a.powered {
			continue
		}
		for _, address := range slices.Sorted(maps.Keys(f.phones)) {
			p := f.phones[address]
			if heard(a, p) {
				f.upsertLocked(a, address, p)
			}
		}
	}
}

func heard(a *adapter, p phone) bool {
	for _, c := range a.clients {
		if !c.discovering {
			continue
		}
		if c.filter == nil {
			return true
		}
		if c.filter.transport == "bredr" {
			continue
		}
		if len(c.filter.uuids) == 0 {
			return true
		}
		for _, u := range p.uuids {
			if slices.Contains(c.filter.uuids, strings.ToLower(u)) {
				return true
			}
		}
	}
	return false
}

// upsertLocked reports an advert from address: a new device (InterfacesAdded), or new
// service data for a known one (PropertiesChanged with the whole ServiceData, as BlueZ
// sends it), or a repeat (PropertiesChanged with the RSSI only).
func (f *BlueZ) upsertLocked(a *adapter, address string, p phone) {
	path := dbus.ObjectPath(string(a.path) + "/dev_" + strings.ReplaceAll(address, ":", "_"))
	d, ok := f.devices[path]
	if !ok {
		d = &device{adapter: a, address: address, path: path, serviceData: p.serviceData, uuids: p.uuids, rssi: -60}
		f.devices[path] = d
		f.exportProperties(path, func() map[string]map[string]dbus.Variant {
			return map[string]map[string]dbus.Variant{deviceInterface: deviceProps(d)}
		})
		f.emitLocked("/", objectManager+".InterfacesAdded", path, deviceInterfaces(d))
		return
	}
	d.rssi--
	changed := map[string]dbus.Variant{"RSSI": dbus.MakeVariant(d.rssi)}
	if !maps.EqualFunc(d.serviceData, p.serviceData, func(x, y []byte) bool { return string(x) == string(y) }) {
		d.serviceData = p.serviceData
		changed["ServiceData"] = serviceDataVariant(d.serviceData)
	}
	f.emitLocked(path, propertiesInterface+".PropertiesChanged", deviceInterface, changed, []string{})
}

// Objects and their properties.

func (f *BlueZ) powerLocked(a *adapter, on bool, state string) {
	changed := map[string]dbus.Variant{}
	if a.powered != on {
		changed["Powered"] = dbus.MakeVariant(on)
	}
	if a.powerState != state && !f.oldVersion {
		changed["PowerState"] = dbus.MakeVariant(state)
	}
	if !on && discovering(a) {
		changed["Discovering"] = dbus.MakeVariant(false)
	}
	a.powered, a.powerState = on, state
	if !on {
		a.clients = map[string]*client{} // BlueZ frees every discovery client when powered off
	}
	if len(changed) > 0 {
		f.emitLocked(a.path, propertiesInterface+".PropertiesChanged", adapterInterface, changed, []string{})
	}
}

func (f *BlueZ) adapterProps(a *adapter) map[string]dbus.Variant {
	props := map[string]dbus.Variant{
		"Address":      dbus.MakeVariant(a.address),
		"AddressType":  dbus.MakeVariant("public"),
		"Name":         dbus.MakeVariant("fake-" + a.name),
		"Alias":        dbus.MakeVariant("fake-" + a.name),
		"Class":        dbus.MakeVariant(uint32(0x7c010c)),
		"Powered":      dbus.MakeVariant(a.powered),
		"Discoverable": dbus.MakeVariant(false),
		"Pairable":     dbus.MakeVariant(true),
		"Discovering":  dbus.MakeVariant(discovering(a)),
		"UUIDs":        dbus.MakeVariant([]string{}),
	}
	if !f.oldVersion {
		props["PowerState"] = dbus.MakeVariant(a.powerState)
	}
	return props
}

func (f *BlueZ) adapterInterfaces(a *adapter) map[string]map[string]dbus.Variant {
	return map[string]map[string]dbus.Variant{
		introspectable:      {},
		propertiesInterface: {},
		adapterInterface:    f.adapterProps(a),
	}
}

func deviceProps(d *device) map[string]dbus.Variant {
	uuids := d.uuids
	if uuids == nil {
		uuids = []string{}
	}
	return map[string]dbus.Variant{
		"Address":          dbus.MakeVariant(d.address),
		"AddressType":      dbus.MakeVariant("random"),
		"Alias":            dbus.MakeVariant(strings.ReplaceAll(d.address, ":", "-")),
		"Paired":           dbus.MakeVariant(false),
		"Trusted":          dbus.MakeVariant(false),
		"Blocked":          dbus.MakeVariant(false),
		"LegacyPairing":    dbus.MakeVariant(false),
		"Connected":        dbus.MakeVariant(false),
		"RSSI":             dbus.MakeVariant(d.rssi),
		"UUIDs":            dbus.MakeVariant(uuids),
		"ServiceData":      serviceDataVariant(d.serviceData),
		"Adapter":          dbus.MakeVariant(d.adapter.path),
		"ServicesResolved": dbus.MakeVariant(false),
	}
}

func deviceInterfaces(d *device) map[string]map[string]dbus.Variant {
	return map[string]map[string]dbus.Variant{
		introspectable:      {},
		propertiesInterface: {},
		deviceInterface:     deviceProps(d),
	}
}

// serviceDataVariant is Device1.ServiceData: a{sv}, each value an ay.
func serviceDataVariant(sd map[string][]byte) dbus.Variant {
	m := make(map[string]dbus.Variant, len(sd))
	for u, b := range sd {
		m[u] = dbus.MakeVariant(b)
	}
	return dbus.MakeVariant(m)
}

// exportProperties exports org.freedesktop.DBus.Properties Get and GetAll at p; props is
// called with f.mu held.
func (f *BlueZ) exportProperties(p dbus.ObjectPath, props func() map[string]map[string]dbus.Variant) {
	_ = f.conn.ExportMethodTable(map[string]any{
		"Get": func(iface, name string) (dbus.Variant, *dbus.Error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			v, ok := props()[iface][name]
			if !ok {
				return dbus.Variant{}, dbus.NewError("org.freedesktop.DBus.Error.InvalidArgs", []any{"no such property " + name})
			}
			return v, nil
		},
		"GetAll": func(iface string) (map[string]dbus.Variant, *dbus.Error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			return props()[iface], nil
		},
	}, p, propertiesInterface)
}

func (f *BlueZ) unexport(p dbus.ObjectPath, iface string) {
	_ = f.conn.Export(nil, p, iface)
	_ = f.conn.Export(nil, p, propertiesInterface)
}

func (f *BlueZ) emitLocked(p dbus.ObjectPath, name string, values ...any) {
	_ = f.conn.Emit(p, name, values...)
}

// settle waits until the bus has routed every signal the fake sent: dbus-daemon handles one
// connection's messages in order, so once it answers a call, the signals sent before it
// are with their recipients. A test's scene is then set before its next step, as it would
// be with BlueZ (whose signals a client that starts listening later never sees).
func (f *BlueZ) settle() {
	_ = f.conn.BusObject().Call("org.freedesktop.DBus.GetId", 0).Err
}

func (f *BlueZ) mustAdapter(name string) *adapter {
	a, ok := f.adapters[name]
	if !ok {
		panic("fakebluez: no adapter " + name)
	}
	return a
}

func discovering(a *adapter) bool {
	for _, c := range a.clients {
		if c.discovering {
			return true
		}
	}
	return false
}
