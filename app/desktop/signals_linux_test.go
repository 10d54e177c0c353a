//go:build linux && cgo

package desktop

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/nhs-passkeys/companion/app/desktop/internal/sigtest"
)

// The signals whose handlers JavaScriptCore replaces and the fix must repair.
var fixedSignals = []syscall.Signal{syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGILL, syscall.SIGTRAP}

func TestRestoreSignalStacksAddsSAOnStackToEveryHandler(t *testing.T) {
	for _, sig := range fixedSignals {
		restore, err := sigtest.InstallWithoutOnStack(sig)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := restore(); err != nil {
				t.Error(err)
			}
		})
		if on, err := sigtest.HasOnStack(sig); err != nil || on {
			t.Fatalf("%v: SA_ONSTACK = %v, %v before the fix; the test set-up is wrong", sig, on, err)
		}
	}

	if err := restoreSignalStacks(); err != nil {
		t.Fatalf("restoreSignalStacks: %v", err)
	}

	for _, sig := range fixedSignals {
		on, err := sigtest.HasOnStack(sig)
		if err != nil {
			t.Fatal(err)
		}
		if !on {
			t.Errorf("%v: handler still lacks SA_ONSTACK after the fix", sig)
		}
	}
}

// crashChildEnv makes the test binary act as the child of TestANilDereferenceIsRecoverable...
const crashChildEnv = "DESKTOP_TEST_SIGNAL_CHILD"

// The crash itself, in a child process (it kills the process when the fix is missing): a
// JavaScriptCore-like SIGSEGV handler is installed, then Go code dereferences nil under a
// recover, as a handler that panics would.
func TestANilDereferenceIsRecoverableOnlyWithTheFix(t *testing.T) {
	if mode := os.Getenv(crashChildEnv); mode != "" {
		crashChild(mode)
		return
	}
	tests := []struct {
		name       string
		mode       string
		wantOK     bool
		wantOutput string
	}{
		{name: "without the fix the Go runtime aborts the process", mode: "unfixed", wantOK: false, wantOutput: "without SA_ONSTACK"},
		{name: "with the fix the panic is recovered and the process goes on", mode: "fixed", wantOK: true, wantOutput: "recovered: runtime error: invalid memory address or nil pointer dereference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestANilDereferenceIsRecoverableOnlyWithTheFix$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashChildEnv+"="+tt.mode)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			if ok := err == nil; ok != tt.wantOK {
				t.Errorf("child succeeded = %v (%v), want %v", ok, err, tt.wantOK)
			}
			if !strings.Contains(out.String(), tt.wantOutput) {
				t.Errorf("child output lacks %q:\n%s", tt.wantOutput, out.String())
			}
		})
	}
}

func crashChild(mode string) {
	if _, err := sigtest.InstallWithoutOnStack(syscall.SIGSEGV); err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	if mode == "fixed" {
		if err := restoreSignalStacks(); err != nil {
			fmt.Println(err)
			os.Exit(3)
		}
	}
	func() {
		defer func() { fmt.Println("recovered:", recover()) }()
		var p *struct{ n int }
		fmt.Println(p.n)
	}()
}
