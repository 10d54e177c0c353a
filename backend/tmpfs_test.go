//go:build unix

package backend_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// mountTmpfs mounts a tmpfs with options (e.g. "size=2m", "ro") on dir and unmounts it when
// the test ends. It skips the test only where mounting is truly not allowed: not root, or
// root without the right to mount (a container without CAP_SYS_ADMIN); CI runs as root,
// where it mounts. Any other failure fails the test.
func mountTmpfs(t *testing.T, dir, options string) {
	t.Helper()
	if notAllowed := tryMountTmpfs(t, dir, options); notAllowed != "" {
		t.Skip(notAllowed)
	}
}

// tryMountTmpfs is mountTmpfs for a test that has another way to go: it returns why
// mounting is not allowed here, or "" once the tmpfs is mounted (and unmounted when the test
// ends).
func tryMountTmpfs(t *testing.T, dir, options string) (notAllowed string) {
	t.Helper()
	if os.Geteuid() != 0 {
		return "mounting a tmpfs needs root (CI runs as root)"
	}
	out, err := exec.CommandContext(t.Context(), "mount", "-t", "tmpfs", "-o", options, "tmpfs", dir).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if strings.Contains(msg, "ermission denied") || strings.Contains(msg, "not permitted") {
			return "root may not mount file systems here (no CAP_SYS_ADMIN): mount: " + msg
		}
		t.Fatalf("mount -t tmpfs -o %s tmpfs %s: %s %v", options, dir, msg, err)
	}
	t.Cleanup(func() { unmount(t, dir) })
	return ""
}

// unmount runs in a clean-up, after t.Context() has ended: its commands take a context of
// their own.
func unmount(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	if out, err := exec.CommandContext(ctx, "umount", dir).CombinedOutput(); err != nil {
		// Something may still have a file open (a child being killed); try lazily.
		if out2, err2 := exec.CommandContext(ctx, "umount", "-l", dir).CombinedOutput(); err2 != nil {
			t.Errorf("umount %s: %s %v; umount -l: %s %v", dir, out, err, out2, err2)
		}
	}
}

// remount changes the options of the tmpfs on dir, e.g. to "ro" or "rw".
func remount(t *testing.T, dir, options string) {
	t.Helper()
	if out, err := exec.CommandContext(t.Context(), "mount", "-o", "remount,"+options, dir).CombinedOutput(); err != nil {
		t.Fatalf("mount -o remount,%s %s: %s %v", options, dir, out, err)
	}
}
