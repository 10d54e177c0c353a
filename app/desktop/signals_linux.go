//go:build linux && cgo

package desktop

/*
#include <errno.h>
#include <signal.h>
#include <stddef.h>

// add_onstack re-adds SA_ONSTACK to the installed handler of each signal Go relies on for
// panics and preemption. It returns 0, or the first signal it could not fix (errno in *err).
static int add_onstack(int *err) {
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGUSR1, SIGUSR2, SIGILL, SIGTRAP};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction sa;
		if (sigaction(sigs[i], NULL, &sa) != 0) {
			*err = errno;
			return sigs[i];
		}
		// Nothing to fix for the default action, an ignored signal, or a handler that already
		// runs on the alternate stack.
		if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_ONSTACK)) {
			continue;
		}
		sa.sa_flags |= SA_ONSTACK;
		if (sigaction(sigs[i], &sa, NULL) != 0) {
			*err = errno;
			return sigs[i];
		}
	}
	return 0;
}
*/
import "C"

import (
	"fmt"
	"syscall"
)

// restoreSignalStacks works around Wails issues 5506/5507 (unfixed in v2.12): once the page
// has run JavaScript, JavaScriptCore has installed its own SIGSEGV/SIGBUS/... handlers
// without SA_ONSTACK. They chain to Go's handlers but run on the goroutine's stack, and the
// Go runtime then aborts the whole process ("non-Go code set up signal handler without
// SA_ONSTACK flag") on any fault, even a nil dereference that a recover would have caught.
// Re-adding the flag keeps JavaScriptCore's handlers but runs them on the signal stack.
// It is called on every DOM ready, since each page load may install them again.
func restoreSignalStacks() error {
	var errno C.int
	if sig := C.add_onstack(&errno); sig != 0 {
		return fmt.Errorf("add SA_ONSTACK to the handler of %v: %w", syscall.Signal(sig), syscall.Errno(errno))
	}
	return nil
}
