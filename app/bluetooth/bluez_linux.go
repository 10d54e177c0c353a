package bluetooth

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/nhs-passkeys/companion/app/hybrid"
)

// BlueZ's D-Bus names (BlueZ doc/org.bluez.Adapter.rst, org.bluez.Device.rst).
const (
	bluezService        = "org.bluez"
	adapterInterface    = "org.bluez.Adapter1"
	deviceInterface     = "org.bluez.Device1"
	objectManager       = "org.freedesktop.DBus.ObjectManager"
	propertiesInterface = "org.freedesktop.DBus.Properties"
	busService          = "org.freedesktop.DBus"
)

// stopTimeout bounds the clean-up calls made after the scan's context has ended.
const stopTimeout = 2 * time.Second

// New is this computer's scanner: BlueZ on the system bus.
func New() Scanner { return &BlueZ{} }

// BlueZ scans through BlueZ, Linux's Bluetooth service, over D-Bus: hybrid.AdvertSource and
// Scanner. Debian's BlueZ lets any user scan (its D-Bus policy allows every user to call
// org.bluez), so no group membership is needed there; other systems may refuse
// (ErrPermission).
type BlueZ struct {
	// Conn is the bus BlueZ is on. Nil: the system bus, with a connection of its own for each
	// scan or check, closed when it ends (BlueZ keeps one discovery per connection, and
	// drops it when the connection closes). Tests pass a private bus. Scans sharing one Conn
	// must not overlap: the first to end would stop the other's discovery.
	Conn *dbus.Conn
	// RFKill is the kernel's radio switches, /sys/class/rfkill (nil: that directory).
	RFKill fs.FS
}

// managedObjects is ObjectManager.GetManagedObjects's answer, a{oa{sa{sv}}}.
type managedObjects = map[dbus.ObjectPath]map[string]map[string]dbus.Variant

// adapter is the BlueZ adapter a scan uses.
type adapter struct {
	path       dbus.ObjectPath // /org/bluez/hci0
	name       string          // hci0, as its rfkill switch is named
	powered    bool
	powerState string // BlueZ 5.66+: on, off, off-enabling, on-disabling, off-blocked
}

// Available reports whether a scan could start now (Scanner). It reads BlueZ's objects
// only: no discovery is started.
func (b *BlueZ) Available(ctx context.Context) error {
	conn, release, err := b.connect(ctx)
	if err != nil {
		return err
	}
	defer release()
	_, _, err = b.state(ctx, conn)
	return err
}

// Adverts starts an LE discovery on the first usable adapter and sends the caBLE service
// data of every device BlueZ reports, already known or seen since, until ctx ends
// (hybrid.AdvertSource). It then stops the discovery, removes its signal matches and
// closes the channel. The channel also closes early when the adapter is removed or turned
// off, or BlueZ stops, which a Session reports as hybrid.ErrBluetoothUnavailable.
func (b *BlueZ) Adverts(ctx context.Context) (<-chan hybrid.Advert, error) {
	conn, release, err := b.connect(ctx)
	if err != nil {
		return nil, err
	}
	s := &scan{conn: conn, signals: make(chan *dbus.Signal, 64)}
	known, err := s.start(ctx, b)
	if err != nil {
		s.stop(ctx)
		release()
		return nil, err
	}
	out := make(chan hybrid.Advert)
	go func() {
		defer close(out) // last: whoever reads out sees the discovery already stopped
		defer release()
		defer s.stop(ctx)
		s.run(ctx, out, known)
	}()
	return out, nil
}

// connect gives the bus to use and what to do when done with it. Connecting is bounded by
// ctx: godbus's authentication and Hello take no context, so a system bus that takes the
// connection but never answers (a stalled or stopped dbus-daemon) would otherwise hold the
// caller for ever, past a cancelled ceremony and the app's quitting. When ctx ends first,
// the half-made connection is closed, which ends them.
func (b *BlueZ) connect(ctx context.Context) (*dbus.Conn, func(), error) {
	if b.Conn != nil {
		return b.Conn, func() {}, nil
	}
	// The connection's life: godbus closes the connection when it ends. It is ended by ctx
	// only while connecting; afterwards by release.
	life, end := context.WithCancel(context.WithoutCancel(ctx))
	connecting := context.AfterFunc(ctx, end)
	conn, err := dbus.ConnectSystemBus(dbus.WithContext(life))
	if !connecting() { // ctx ended while connecting
		end()
		if err == nil {
			_ = conn.Close()
		}
		return nil, nil, fmt.Errorf("%w: connecting to the system bus: %w", ErrNoBluez, ctx.Err())
	}
	if err != nil {
		end()
		return nil, nil, fmt.Errorf("%w: connecting to the system bus: %w", ErrNoBluez, err)
	}
	return conn, func() { _ = conn.Close(); end() }, nil
}

func (b *BlueZ) rfkill() fs.FS {
	if b.RFKill != nil {
		return b.RFKill
	}
	return os.DirFS("/sys/class/rfkill")
}

// state finds the adapter to scan with and checks it can scan: present, powered, not
// blocked. It returns BlueZ's objects too (the devices already known).
func (b *BlueZ) state(ctx context.Context, conn *dbus.Conn) (adapter, managedObjects, error) {
	var objects managedObjects
	err := conn.Object(bluezService, "/").CallWithContext(ctx, objectManager+".GetManagedObjects", 0).Store(&objects)
	if err != nil {
		return adapter{}, nil, callError("GetManagedObjects", err)
	}
	a, ok := pickAdapter(objects)
	if !ok {
		if rfkillBlocked(b.rfkill(), "") {
			return adapter{}, nil, fmt.Errorf("%w: no adapter listed, and a Bluetooth radio switch is on", ErrBlocked)
		}
		return adapter{}, nil, ErrNoAdapter
	}
	if !a.powered {
		return a, nil, b.offError(a)
	}
	return a, objects, nil
}

// pickAdapter chooses among BlueZ's adapters: the first powered one in path order (hci0
// before hci1), else the first one, which then explains why it cannot scan.
func pickAdapter(objects managedObjects) (adapter, bool) {
	var all []adapter
	for p, ifaces := range objects {
		props, ok := ifaces[adapterInterface]
		if !ok {
			continue
		}
		a := adapter{path: p, name: path.Base(string(p))}
		a.powered, _ = props["Powered"].Value().(bool)
		a.powerState, _ = props["PowerState"].Value().(string)
		all = append(all, a)
	}
	if len(all) == 0 {
		return adapter{}, false
	}
	slices.SortFunc(all, func(x, y adapter) int { return strings.Compare(string(x.path), string(y.path)) })
	for _, a := range all {
		if a.powered {
			return a, true
		}
	}
	return all[0], true
}

// offError says why an adapter is off: blocked by a radio switch, or just turned off.
// BlueZ 5.66 and newer say "off-blocked" in PowerState; older ones do not, so the switches
// themselves are read too.
func (b *BlueZ) offError(a adapter) error {
	if a.powerState == "off-blocked" || rfkillBlocked(b.rfkill(), a.name) {
		return fmt.Errorf("%w: %s", ErrBlocked, a.path)
	}
	return fmt.Errorf("%w: %s", ErrPoweredOff, a.path)
}

// callError maps a failed D-Bus call to this package's errors.
func callError(method string, err error) error {
	var de dbus.Error
	if !errors.As(err, &de) {
		return fmt.Errorf("%w: %s: %w", hybrid.ErrBluetoothUnavailable, method, err)
	}
	switch {
	case de.Name == "org.freedesktop.DBus.Error.ServiceUnknown",
		de.Name == "org.freedesktop.DBus.Error.NameHasNoOwner",
		strings.HasPrefix(de.Name, "org.freedesktop.DBus.Error.Spawn."),
		strings.HasPrefix(de.Name, "org.freedesktop.systemd1."):
		// Not on the bus and not startable (systemd does not start bluetooth.service on a
		// computer without Bluetooth: ConditionPathIsDirectory=/sys/class/bluetooth).
		return fmt.Errorf("%w: %s: %s", ErrNoBluez, method, de.Name)
	case de.Name == "org.freedesktop.DBus.Error.AccessDenied",
		de.Name == "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired",
		de.Name == "org.bluez.Error.NotAuthorized",
		de.Name == "org.bluez.Error.NotPermitted":
		return fmt.Errorf("%w: %s: %s", ErrPermission, method, de.Name)
	case de.Name == "org.bluez.Error.Blocked":
		return fmt.Errorf("%w: %s: %s", ErrBlocked, method, de.Name)
	case de.Name == "org.freedesktop.DBus.Error.UnknownObject":
		// The adapter was removed between reading it and calling it.
		return fmt.Errorf("%w: %s: the adapter went away: %s", ErrNoAdapter, method, de.Name)
	}
	return fmt.Errorf("%w: %s: %s", hybrid.ErrBluetoothUnavailable, method, de.Name)
}

// discoveryError maps a failed discovery call on the adapter. BlueZ answers NotReady to
// these calls when the adapter is not powered (src/adapter.c start_discovery,
// set_discovery_filter): it was turned off or blocked since it was read, so it is read
// again to say which.
func (s *scan) discoveryError(ctx context.Context, b *BlueZ, method string, err error) error {
	var de dbus.Error
	if !errors.As(err, &de) || de.Name != "org.bluez.Error.NotReady" {
		return callError(method, err)
	}
	if _, _, err := b.state(ctx, s.conn); err != nil {
		return err
	}
	return fmt.Errorf("%w: %s: %s", ErrPoweredOff, method, de.Name)
}

// scan is one running discovery.
type scan struct {
	conn        *dbus.Conn
	adapter     adapter
	owner       string // BlueZ's unique name on the bus: its signals carry it as sender
	signals     chan *dbus.Signal
	listening   bool
	matches     [][]dbus.MatchOption
	discovering bool // StartDiscovery succeeded, so StopDiscovery is ours to call
}

// start listens, finds the adapter, sets the filter and starts the discovery. It returns
// the caBLE service data of the devices BlueZ already knows, marked Cached.
func (s *scan) start(ctx context.Context, b *BlueZ) ([]hybrid.Advert, error) {
	// Listen before looking, so nothing BlueZ says between the two is missed: a device
	// that was known before the scan emits no InterfacesAdded, only PropertiesChanged
	// (../shared/HYBRID-NOTES.md §4 pitfall 9).
	s.conn.Signal(s.signals)
	s.listening = true
	for _, m := range [][]dbus.MatchOption{
		{dbus.WithMatchSender(bluezService), dbus.WithMatchObjectPath("/"), dbus.WithMatchInterface(objectManager)},
		{dbus.WithMatchSender(bluezService), dbus.WithMatchPathNamespace("/org/bluez"),
			dbus.WithMatchInterface(propertiesInterface), dbus.WithMatchMember("PropertiesChanged")},
		{dbus.WithMatchSender(busService), dbus.WithMatchInterface(busService),
			dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, bluezService)},
	} {
		if err := s.conn.AddMatchSignalContext(ctx, m...); err != nil {
			return nil, callError("AddMatch", err)
		}
		s.matches = append(s.matches, m)
	}

	a, objects, err := b.state(ctx, s.conn)
	if err != nil {
		return nil, err
	}
	s.adapter = a
	if err := s.conn.BusObject().CallWithContext(ctx, busService+".GetNameOwner", 0, bluezService).Store(&s.owner); err != nil {
		return nil, callError("GetNameOwner", err)
	}

	// LE only, and every advert, repeats included (DuplicateData): a phone that was
	// already seen must still be reported when its advert changes or comes again. No UUIDs:
	// BlueZ would match them against advertised service UUIDs only, never service data
	// (doc.go).
	obj := s.conn.Object(bluezService, a.path)
	filter := map[string]dbus.Variant{
		"Transport":     dbus.MakeVariant("le"),
		"DuplicateData": dbus.MakeVariant(true),
	}
	if err := obj.CallWithContext(ctx, adapterInterface+".SetDiscoveryFilter", 0, filter).Err; err != nil {
		return nil, s.discoveryError(ctx, b, "SetDiscoveryFilter", err)
	}
	err = obj.CallWithContext(ctx, adapterInterface+".StartDiscovery", 0).Err
	var de dbus.Error
	switch {
	case err == nil:
		s.discovering = true
	case errors.As(err, &de) && de.Name == "org.bluez.Error.InProgress":
		// This connection is discovering already; its discovery serves this scan too.
	default:
		return nil, s.discoveryError(ctx, b, "StartDiscovery", err)
	}

	var known []hybrid.Advert
	paths := make([]dbus.ObjectPath, 0, len(objects))
	for p := range objects {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		if props, ok := objects[p][deviceInterface]; ok && s.ours(p) {
			for _, a := range serviceData(props["ServiceData"]) {
				a.Cached = true // heard before this scan (hybrid.Advert.Cached)
				known = append(known, a)
			}
		}
	}
	return known, nil
}

// ours reports whether p is a device of the scan's adapter.
func (s *scan) ours(p dbus.ObjectPath) bool {
	return strings.HasPrefix(string(p), string(s.adapter.path)+"/")
}

// run sends known, then the service data of every signal, until ctx ends or the scan
// cannot go on.
func (s *scan) run(ctx context.Context, out chan<- hybrid.Advert, known []hybrid.Advert) {
	send := func(adverts []hybrid.Advert) bool {
		for _, a := range adverts {
			select {
			case out <- a:
			case <-ctx.Done():
				return false
			}
		}
		return true
	}
	if !send(known) {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case sig, ok := <-s.signals:
			if !ok { // the connection closed
				return
			}
			adverts, end := s.handle(sig)
			if !send(adverts) || end {
				return
			}
		}
	}
}

// handle reads one signal: the service data it carries, and whether the scan has ended
// (the adapter was removed or turned off, or BlueZ left the bus). Signals of others on a
// shared connection are ignored.
func (s *scan) handle(sig *dbus.Signal) (adverts []hybrid.Advert, end bool) {
	switch sig.Name {
	case objectManager + ".InterfacesAdded":
		var p dbus.ObjectPath
		var ifaces map[string]map[string]dbus.Variant
		if sig.Sender != s.owner || sig.Path != "/" || dbus.Store(sig.Body, &p, &ifaces) != nil {
			return nil, false
		}
		if props, ok := ifaces[deviceInterface]; ok && s.ours(p) {
			return serviceData(props["ServiceData"]), false
		}
	case objectManager + ".InterfacesRemoved":
		var p dbus.ObjectPath
		var ifaces []string
		if sig.Sender != s.owner || sig.Path != "/" || dbus.Store(sig.Body, &p, &ifaces) != nil {
			return nil, false
		}
		return nil, p == s.adapter.path && slices.Contains(ifaces, adapterInterface)
	case propertiesInterface + ".PropertiesChanged":
		var iface string
		var changed map[string]dbus.Variant
		var invalidated []string
		if sig.Sender != s.owner || dbus.Store(sig.Body, &iface, &changed, &invalidated) != nil {
			return nil, false
		}
		switch {
		case iface == deviceInterface && s.ours(sig.Path):
			return serviceData(changed["ServiceData"]), false
		case iface == adapterInterface && sig.Path == s.adapter.path:
			powered, ok := changed["Powered"].Value().(bool)
			return nil, ok && !powered
		}
	case busService + ".NameOwnerChanged":
		var name, old, owner string
		if sig.Sender != busService || dbus.Store(sig.Body, &name, &old, &owner) != nil {
			return nil, false
		}
		// BlueZ stopped (or restarted: its discoveries ended with the old process).
		return nil, name == bluezService && owner != s.owner
	}
	return nil, false
}

// stop ends the discovery this scan started and removes its matches and signal channel.
// The scan's context has ended by now, so the calls get a short one of their own.
func (s *scan) stop(ctx context.Context) {
	// The scan's own context may be what ended it: undoing the discovery must still run.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	if s.discovering {
		// Fails harmlessly when the adapter is gone or off (its discovery went with it).
		_ = s.conn.Object(bluezService, s.adapter.path).CallWithContext(ctx, adapterInterface+".StopDiscovery", 0).Err
	}
	for _, m := range s.matches {
		_ = s.conn.RemoveMatchSignalContext(ctx, m...)
	}
	if s.listening {
		s.conn.RemoveSignal(s.signals)
	}
}

// serviceData reads Device1.ServiceData (a{sv}: 128-bit UUID string → ay) and returns the
// caBLE adverts in it, in UUID order. Anything of another shape is ignored.
func serviceData(v dbus.Variant) []hybrid.Advert {
	m, ok := v.Value().(map[string]dbus.Variant)
	if !ok {
		return nil
	}
	uuids := make([]string, 0, len(m))
	for u := range m {
		uuids = append(uuids, u)
	}
	slices.Sort(uuids)
	var adverts []hybrid.Advert
	for _, u := range uuids {
		data, ok := m[u].Value().([]byte)
		if !ok {
			continue
		}
		if a, ok := advertFor(u, data); ok {
			adverts = append(adverts, a)
		}
	}
	return adverts
}
