//go:build linux && (production || dev)

package desktop

/*
#cgo linux pkg-config: gtk+-3.0
#include <gtk/gtk.h>

static gboolean nhsp_quit_main_loop(gpointer unused) {
	gtk_main_quit();
	return G_SOURCE_REMOVE;
}

// g_idle_add is safe from any thread; the callback runs on the thread of GTK's main loop.
static void nhsp_quit_on_main_thread(void) {
	g_idle_add(nhsp_quit_main_loop, NULL);
}
*/
import "C"

import "context"

// Wails v2 on Linux calls gtk_main_quit from whichever goroutine asks to quit (its own
// SIGINT/SIGTERM handler, the close button through OnBeforeClose, runtime.Quit). GTK is not
// thread-safe: a quit that races the main loop's own exit dereferences a freed loop and the
// app dies with SIGSEGV on shutdown (seen about once in ten SIGTERMs). So every quit is
// queued onto the main loop instead, where it runs once, in order, or not at all if the
// loop has already ended. A quit queued before the loop starts runs when it starts.
func quitWindow(context.Context) { C.nhsp_quit_on_main_thread() }

// quitHandledByShell says that OnBeforeClose must stop Wails' own (off-thread) quit and
// let quitWindow do it.
const quitHandledByShell = true
