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

// Both X11 selections: CLIPBOARD (Ctrl+C) and PRIMARY (text selected, pasted with the middle
// button). Setting empty text makes the app their owner, whoever owned them before (the
// webview, or a clipboard manager that took a copy).
static gboolean nhsp_clear_clipboards_now(gpointer unused) {
	gtk_clipboard_set_text(gtk_clipboard_get(GDK_SELECTION_CLIPBOARD), "", 0);
	gtk_clipboard_set_text(gtk_clipboard_get(GDK_SELECTION_PRIMARY), "", 0);
	return G_SOURCE_REMOVE;
}

static void nhsp_clear_clipboards(void) {
	g_idle_add(nhsp_clear_clipboards_now, NULL);
}

static int nhsp_init_gtk(void) {
	return gtk_init_check(NULL, NULL);
}
*/
import "C"

import (
	"context"
	"errors"
	"os"
	"time"
)

// Wails v2 on Linux calls gtk_main_quit from whichever goroutine asks to quit (its own
// SIGINT/SIGTERM handler, the close button through OnBeforeClose, runtime.Quit). GTK is not
// thread-safe: a quit that races the main loop's own exit dereferences a freed loop and the
// app dies with SIGSEGV on shutdown (seen about once in ten SIGTERMs). So every quit is
// queued onto the main loop instead, where it runs once, in order, or not at all if the
// loop has already ended. A quit queued before the loop starts runs when it starts.
func quitWindow(context.Context) { C.nhsp_quit_on_main_thread() }

// clearClipboard empties the clipboard and the primary selection, on GTK's main thread (GTK
// is not thread-safe; Wails' own ClipboardSetText sets only the clipboard).
func clearClipboard(*context.Context) error {
	C.nhsp_clear_clipboards()
	return nil
}

// quitHandledByShell says that OnBeforeClose must stop Wails' own (off-thread) quit and
// let quitWindow do it.
const quitHandledByShell = true

// openDisplay connects GTK to the display before Wails does. Wails panics with "failed to
// init GTK" when the X server does not answer at that moment (seen under heavy load, and
// possible at login while the desktop starts), so the app tries a few times over about two
// seconds and then says plainly what is wrong. gtk_init_check may be called again after a
// failure, and once it has succeeded Wails' own call returns at once. It must run on the
// main thread, which Wails locks the main goroutine to.
func openDisplay() error {
	for wait := 100 * time.Millisecond; ; wait *= 2 {
		if C.nhsp_init_gtk() != 0 {
			return nil
		}
		if wait > time.Second {
			break
		}
		time.Sleep(wait)
	}
	display := os.Getenv("DISPLAY")
	if display == "" {
		display = os.Getenv("WAYLAND_DISPLAY")
	}
	if display == "" {
		return errors.New("there is no display to open the window on: run `nhs-passkeys serve` to use the app in a web browser instead")
	}
	return errors.New("cannot open the window on display " + display + ": check the display is running, then try again (or run `nhs-passkeys serve` to use a web browser)")
}
