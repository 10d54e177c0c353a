//go:build linux && (production || dev) && webkit2_41

package desktop

// #include <stdint.h>
import "C"

import "runtime/cgo"

// nhspAllowNavigation is how the web view's decide-policy handler (webview_linux.go) asks the
// shell's navigationGuard whether the web view may load uri; 1 lets it. Kept apart from
// webview_linux.go, whose C code defines functions: a file with //export may only declare them.
//
// It runs on GTK's thread, where a Go panic cannot be recovered once the page has run
// JavaScript (PLATFORM-NOTES.md, "Crash trap"): it does nothing that can fail.
//
//export nhspAllowNavigation
func nhspAllowNavigation(guard C.uintptr_t, uri *C.char, newWindow C.int) C.int {
	g, ok := cgo.Handle(guard).Value().(*navigationGuard)
	if ok && g.allow(C.GoString(uri), newWindow != 0) {
		return 1
	}
	return 0
}
