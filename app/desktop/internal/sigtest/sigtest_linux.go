//go:build linux

// Package sigtest installs signal handlers the way JavaScriptCore does (no SA_ONSTACK,
// chaining to the previous handler), so tests can reproduce the crash the desktop shell
// works around. Test code only: cgo is not allowed in _test.go files.
package sigtest

/*
#include <errno.h>
#include <signal.h>
#include <string.h>

static struct sigaction previous[NSIG];

// chain is what JavaScriptCore's handler does for a fault that is not its own: call the
// handler that was there before, Go's.
static void chain(int sig, siginfo_t *info, void *uctx) {
	struct sigaction *p = &previous[sig];
	if (p->sa_flags & SA_SIGINFO) {
		p->sa_sigaction(sig, info, uctx);
	} else if (p->sa_handler != SIG_DFL && p->sa_handler != SIG_IGN) {
		p->sa_handler(sig);
	}
}

static int install_chaining(int sig) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = chain;
	sa.sa_flags = SA_SIGINFO | SA_RESTART; // no SA_ONSTACK, like JavaScriptCore
	return sigaction(sig, &sa, &previous[sig]) == 0 ? 0 : errno;
}

static int restore(int sig) {
	return sigaction(sig, &previous[sig], NULL) == 0 ? 0 : errno;
}

static int flags(int sig, int *out) {
	struct sigaction sa;
	if (sigaction(sig, NULL, &sa) != 0) return errno;
	*out = sa.sa_flags;
	return 0;
}

static int onstack_flag(void) { return SA_ONSTACK; }
*/
import "C"

import (
	"fmt"
	"syscall"
)

// InstallWithoutOnStack replaces the handler of sig with one that lacks SA_ONSTACK and
// chains to the old one. Call the returned function to put the old handler back.
func InstallWithoutOnStack(sig syscall.Signal) (restore func() error, err error) {
	if e := C.install_chaining(C.int(sig)); e != 0 {
		return nil, fmt.Errorf("install handler for %v: %w", sig, syscall.Errno(e))
	}
	return func() error {
		if e := C.restore(C.int(sig)); e != 0 {
			return fmt.Errorf("restore handler for %v: %w", sig, syscall.Errno(e))
		}
		return nil
	}, nil
}

// HasOnStack reports whether the handler of sig has SA_ONSTACK, read back with sigaction.
func HasOnStack(sig syscall.Signal) (bool, error) {
	var f C.int
	if e := C.flags(C.int(sig), &f); e != 0 {
		return false, fmt.Errorf("read handler for %v: %w", sig, syscall.Errno(e))
	}
	return f&C.onstack_flag() != 0, nil
}
