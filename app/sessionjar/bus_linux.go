package sessionjar

import (
	"fmt"

	"github.com/godbus/dbus/v5"
)

// secretServiceReachable checks that a D-Bus session bus is already running before go-keyring
// is used. Without one, godbus would start its own with dbus-launch, which leaves daemons
// behind after the app quits (../shared/PLATFORM-NOTES.md).
func secretServiceReachable() error {
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return fmt.Errorf("no D-Bus session bus: %w", err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return fmt.Errorf("D-Bus session bus: %w", err)
	}
	if err := conn.Hello(); err != nil {
		return fmt.Errorf("D-Bus session bus: %w", err)
	}
	return nil
}
