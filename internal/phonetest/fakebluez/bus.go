package fakebluez

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/nhs-passkeys/companion/internal/testkit"
)

// Bus is a private dbus-daemon, started for one test and stopped after it. It stands in for
// the system bus; nothing on it is the computer's own.
type Bus struct {
	// Address is the bus's D-Bus address (unix:path=...).
	Address string
}

// busConfig lets every connection own any name and call anything: the system bus's
// security policy is not what is under test (Debian's BlueZ policy lets every user call
// org.bluez; a refusal is simulated by BlueZ.Deny). No service directories, so nothing is
// ever started on demand: a name nobody owns is ServiceUnknown, as org.bluez is on a
// computer without BlueZ.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>custom</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
    <allow user="*"/>
  </policy>
</busconfig>
`

// StartBus starts a private dbus-daemon for t. It fails the test, never skips it, when
// dbus-daemon is missing: scripts/deps.sh test installs it (Debian package dbus).
func StartBus(t testing.TB) *Bus {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Fatalf("dbus-daemon is needed for the fake BlueZ (scripts/deps.sh test installs it; or apt-get install -y dbus): %v", err)
	}
	// Not t.TempDir: a unix socket's path must stay under about 100 bytes, and t.TempDir
	// carries the test's name.
	dir, err := os.MkdirTemp("", "fakebluez")
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, busConfig, filepath.Join(dir, "bus")), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), daemon, "--config-file="+conf, "--print-address", "--nofork", "--nopidfile") //nolint:gosec // G204: dbus-daemon found on PATH above, with the configuration file written just above
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr testkit.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = os.RemoveAll(dir)
	})

	// dbus-daemon prints its address once it is listening.
	address := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		address <- strings.TrimSpace(line)
	}()
	select {
	case a := <-address:
		if a == "" {
			t.Fatalf("dbus-daemon printed no address: %s", stderr.String())
		}
		return &Bus{Address: a}
	case <-time.After(10 * time.Second):
		t.Fatalf("dbus-daemon did not start in 10 s: %s", stderr.String())
		return nil
	}
}

// Connect opens a new connection to the bus (one program on it), closed after the test.
func (b *Bus) Connect(t testing.TB) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(b.Address)
	if err != nil {
		t.Fatalf("connecting to the private bus: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// MatchRules is how many signal match rules conn holds on the bus, as dbus-daemon counts
// them (org.freedesktop.DBus.Debug.Stats): what a scanner added and must remove.
func (b *Bus) MatchRules(t testing.TB, conn *dbus.Conn) int {
	t.Helper()
	names := conn.Names()
	if len(names) == 0 {
		t.Fatal("the connection has no unique name")
	}
	var stats map[string]dbus.Variant
	err := conn.BusObject().Call("org.freedesktop.DBus.Debug.Stats.GetConnectionStats", 0, names[0]).Store(&stats)
	if err != nil {
		t.Fatalf("dbus-daemon's connection statistics: %v", err)
	}
	n, ok := stats["MatchRules"].Value().(uint32)
	if !ok {
		t.Fatalf("dbus-daemon's statistics have no MatchRules: %v", stats)
	}
	return int(n)
}
