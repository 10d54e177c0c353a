//go:build linux

package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/kiosk"
	"golang.org/x/sys/unix"
)

// terminal is a real pseudo-terminal: the command gets its follower end as stdin and
// stderr, and the test types on the leader end and reads what the screen would show.
type terminal struct {
	leader, follower *os.File

	mu     sync.Mutex
	screen bytes.Buffer
}

func newTerminal(t *testing.T) *terminal {
	t.Helper()
	leader, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { leader.Close() })
	if err := unix.IoctlSetPointerInt(int(leader.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(int(leader.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	follower, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { follower.Close() })
	term := &terminal{leader: leader, follower: follower}
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := leader.Read(buf)
			term.mu.Lock()
			term.screen.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return term
}

func (term *terminal) shown() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return term.screen.String()
}

// echoing reports whether the terminal shows what is typed.
func (term *terminal) echoing(t *testing.T) bool {
	t.Helper()
	tios, err := unix.IoctlGetTermios(int(term.follower.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tios.Lflag&unix.ECHO != 0
}

// waitForPrompt waits until the screen shows prompt and the terminal has stopped echoing
// (the command turns echo off just after its prompt).
func (term *terminal) waitForPrompt(t *testing.T, prompt string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(term.shown(), prompt) || term.echoing(t) {
		if time.Now().After(deadline) {
			t.Fatalf("no prompt %q with echo off; the screen shows %q", prompt, term.shown())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// typeAfter waits for prompt, then types line and Enter.
func (term *terminal) typeAfter(t *testing.T, prompt, line string) {
	t.Helper()
	term.waitForPrompt(t, prompt)
	if _, err := term.leader.WriteString(line + "\r"); err != nil {
		t.Fatal(err)
	}
}

func TestKioskSecretStoppedWhileWaitingLeavesTheTerminalShowingWhatIsTyped(t *testing.T) {
	term := newTerminal(t)
	if !term.echoing(t) {
		t.Fatal("a new terminal should echo")
	}
	ctx, stop := context.WithCancel(t.Context()) // what Ctrl+C does, through main's NotifyContext
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- (Program{}).Run(ctx, []string{"nhs-passkeys", "kiosk-secret"}, noEnv, term.follower, &out, term.follower)
	}()
	term.waitForPrompt(t, "it will not be shown")
	stop()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) || out.Len() != 0 {
			t.Fatalf("err = %v, printed %q; want context.Canceled and nothing printed", err, out.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("kiosk-secret did not stop when its context ended")
	}
	if !term.echoing(t) {
		t.Error("the terminal was left not showing what is typed")
	}
	// The abandoned read is still waiting for a line (the real command exits here). Give it
	// one so that it ends before this terminal closes: its file descriptor number would
	// otherwise be reused by the next test's terminal, which it would then reset.
	if _, err := term.leader.WriteString("\r"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
}

func TestKioskSecretAtATerminalIsNotShownAndIsAskedForTwice(t *testing.T) {
	const secret = "the surgery's secret"
	tests := []struct {
		name, again string
		wantErr     string
	}{
		{name: "the same secret twice gives the settings line", again: secret},
		{name: "a different second secret is refused", again: "the surgery's secreT", wantErr: "the two secrets you typed are different"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term := newTerminal(t)
			var out bytes.Buffer
			done := make(chan error, 1)
			go func() {
				done <- (Program{}).Run(t.Context(), []string{"nhs-passkeys", "kiosk-secret"}, noEnv, term.follower, &out, term.follower)
			}()
			term.typeAfter(t, "it will not be shown", secret)
			term.typeAfter(t, "again", tt.again)
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("kiosk-secret did not finish")
			}
			time.Sleep(50 * time.Millisecond) // let the last of the screen arrive
			if strings.Contains(term.shown(), "surgery") {
				t.Errorf("the terminal showed the secret: %q", term.shown())
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || out.Len() != 0 {
					t.Fatalf("err = %v, printed %q; want %q and nothing printed", err, out.String(), tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			hash := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(out.String()), `"adminSecret": "`), `"`)
			if err := kiosk.NewAdmin(hash, kiosk.AdminOptions{}).Check(secret); err != nil {
				t.Fatalf("printed %q, which does not match the secret: %v", out.String(), err)
			}
		})
	}
}
