package testkit

import (
	"net"
	"path/filepath"
	"sync"
	"testing"
)

// SilentBus is a D-Bus socket that takes connections and never says a word, as a stalled or
// stopped dbus-daemon's, or a stale address whose socket another program now holds: code
// that reaches a bus must give up on it within its own time limit. It returns the bus
// address (unix:path=...), for DBUS_SESSION_BUS_ADDRESS or DBUS_SYSTEM_BUS_ADDRESS; the socket
// and every connection to it close when the test ends.
func SilentBus(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bus")
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return "unix:path=" + path
}
