//go:build linux && (production || dev)

package desktop

/*
#cgo linux pkg-config: gtk+-3.0
#include <gtk/gtk.h>

// Brings every visible toplevel window (the app has one) back from minimised and to the
// front. Runs on GTK's thread.
static gboolean nhsp_present(gpointer unused) {
	GList *windows = gtk_window_list_toplevels();
	for (GList *l = windows; l != NULL; l = l->next) {
		GtkWindow *window = GTK_WINDOW(l->data);
		if (gtk_window_get_window_type(window) == GTK_WINDOW_TOPLEVEL && gtk_widget_get_visible(GTK_WIDGET(window))) {
			gtk_window_deiconify(window);
			gtk_window_present(window);
		}
	}
	g_list_free(windows);
	return G_SOURCE_REMOVE;
}

static void nhsp_present_on_main_thread(void) {
	g_idle_add(nhsp_present, NULL);
}
*/
import "C"

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// presentWindow brings the window to the front from any goroutine (GTK is not thread-safe,
// so the work is queued onto its main loop). It needs no Wails context: GTK's present is
// called directly (Wails' WindowShow on Linux is gtk_widget_show, which does not raise).
func presentWindow(context.Context) { C.nhsp_present_on_main_thread() }

// ShowRunningCopy asks the copy of the app that already uses dataDir to bring its window to
// the front. It speaks Wails' own single-instance message on the D-Bus session bus (the
// first copy listens through options.SingleInstanceLock), so its name and method follow
// wails/v2 internal/frontend/desktop/linux/single_instance.go; the desktop smoke test starts
// a second copy to check the two still agree. An error means the first copy could not be
// reached: the caller then says in words that the app is already open.
func ShowRunningCopy(ctx context.Context, dataDir string) error {
	// D-Bus never gives up waiting itself: a bus that takes the connection and never answers
	// (its daemon stalled), a first copy that is frozen, or a program that took its name and
	// does not answer, must not hang this one (Windows' SendMessageTimeout has the same
	// limit). The limit covers connecting too: godbus closes the connection when ctx ends,
	// which ends its login to the bus.
	ctx, cancel := context.WithTimeout(ctx, showRunningCopyWait)
	defer cancel()
	conn, err := dbus.ConnectSessionBus(dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("reach the copy already open: %w", err)
	}
	defer conn.Close()
	id := "wails_app_" + strings.NewReplacer("-", "_", ".", "_").Replace(instanceID(dataDir))
	name, path := "org."+id+".SingleInstance", dbus.ObjectPath("/org/"+id+"/SingleInstance")
	message, err := secondInstanceMessage()
	if err != nil {
		return err
	}
	if err := conn.Object(name, path).CallWithContext(ctx, name+".SendMessage", 0, string(message)).Store(); err != nil {
		return fmt.Errorf("reach the copy already open: %w", err)
	}
	return nil
}

// showRunningCopyWait bounds the wait for the first copy's answer.
const showRunningCopyWait = 5 * time.Second
