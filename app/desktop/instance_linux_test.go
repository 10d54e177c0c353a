//go:build linux && (production || dev)

package desktop

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/nhs-passkeys/companion/internal/phonetest/fakebluez"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

// privateSessionBus starts a D-Bus daemon of the test's own (the one the phone's tests use for
// their fake BlueZ) and points the process at it as its session bus until the test ends.
func privateSessionBus(t *testing.T) {
	t.Helper()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", fakebluez.StartBus(t).Address)
}

// firstCopy takes the first copy's name on the bus, as Wails' SetupSingleInstance does, and
// answers its SendMessage with handle.
func firstCopy(t *testing.T, dataDir string, handle func(string) *dbus.Error) {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	id := "wails_app_" + strings.NewReplacer("-", "_", ".", "_").Replace(instanceID(dataDir))
	name, path := "org."+id+".SingleInstance", dbus.ObjectPath("/org/"+id+"/SingleInstance")
	if err := conn.Export(sendMessage(handle), path, name); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue); err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("take the first copy's name: %v, %v", reply, err)
	}
}

type sendMessage func(string) *dbus.Error

func (f sendMessage) SendMessage(message string) *dbus.Error { return f(message) }

func TestASecondCopyReachesTheFirstOnTheSessionBus(t *testing.T) {
	privateSessionBus(t)
	dataDir := t.TempDir()
	got := make(chan string, 1)
	firstCopy(t, dataDir, func(m string) *dbus.Error { got <- m; return nil })

	if err := ShowRunningCopy(t.Context(), dataDir); err != nil {
		t.Fatalf("ShowRunningCopy: %v", err)
	}
	if m := <-got; !strings.Contains(m, `"workingDirectory"`) && !strings.Contains(m, `"WorkingDirectory"`) {
		t.Errorf("the first copy got %q, not Wails' second-instance message", m)
	}
	if err := ShowRunningCopy(t.Context(), t.TempDir()); err == nil {
		t.Error("ShowRunningCopy reported success for a data folder no copy has open")
	}
}

// A first copy that holds its name but does not answer (frozen, stopped, or a program that
// took the name) must not hang the second copy: D-Bus itself never gives up on the answer.
// It says, as on Windows after 5 s, that the copy could not be reached, and the caller then
// says in words that the app is already open.
func TestASecondCopyDoesNotWaitForEverForAFirstCopyThatDoesNotAnswer(t *testing.T) {
	privateSessionBus(t)
	dataDir := t.TempDir()
	release := make(chan struct{})
	// Released at last, so that a call that does wait for it ends (and the test fails).
	released := time.AfterFunc(showRunningCopyWait+5*time.Second, func() { close(release) })
	t.Cleanup(func() {
		if released.Stop() {
			close(release)
		}
	})
	firstCopy(t, dataDir, func(string) *dbus.Error { <-release; return nil })

	start := time.Now()
	err := ShowRunningCopy(t.Context(), dataDir)
	if took := time.Since(start); took > showRunningCopyWait+2*time.Second {
		t.Fatalf("the second copy waited %s for a first copy that does not answer; the most is %s", took, showRunningCopyWait)
	}
	if err == nil {
		t.Fatal("ShowRunningCopy reported success though the first copy never answered")
	}
}

// A session bus that takes the connection and never answers (its daemon stalled) must not
// hang the second copy either: the limit covers connecting to the bus, not only the call.
func TestASecondCopyDoesNotWaitForEverForASessionBusThatDoesNotAnswer(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", testkit.SilentBus(t))
	got := make(chan error, 1)
	go func() { got <- ShowRunningCopy(t.Context(), t.TempDir()) }()
	select {
	case err := <-got:
		if err == nil {
			t.Fatal("ShowRunningCopy reported success on a bus that never answered")
		}
	case <-time.After(showRunningCopyWait + 3*time.Second):
		t.Fatalf("the second copy was still waiting for a silent bus after %s; the most is %s", showRunningCopyWait+3*time.Second, showRunningCopyWait)
	}
}

// The app of a fleet (a remote relying party) has no database, so no data folder lock stops
// a second copy before its window: Wails' own single-instance lock would then end it from
// inside wails.Run with os.Exit(1), silently, skipping every deferred clean-up. Run asks the
// copy already open to show its window first, and says so, as the app with its own relying
// party does.
func TestASecondCopyOfAFleetsAppShowsTheWindowAlreadyOpen(t *testing.T) {
	privateSessionBus(t)
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	dataDir := t.TempDir()
	got := make(chan string, 1)
	firstCopy(t, dataDir, func(m string) *dbus.Error { got <- m; return nil })

	err := Run(t.Context(), Options{Handler: http.NotFoundHandler(), DataDir: dataDir, RelyingParty: "https://passkeys.example.org"})
	if !errors.Is(err, ErrAlreadyOpen) {
		t.Fatalf("Run = %v, want ErrAlreadyOpen", err)
	}
	select {
	case <-got:
	default:
		t.Fatal("the copy already open was not asked to show its window")
	}
}
