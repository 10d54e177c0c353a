package cli

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// safeBuffer is a bytes.Buffer the program's logger may write while the test reads it.
type safeBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *safeBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *safeBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serve has no TLS of its own, so an https origin means a TLS proxy in front of it, and then
// every request comes from the proxy's address. Without --trusted-proxy that address is every
// patient's one client: 20 failed attempts by anyone pause everyone's passkey and password
// logins. serve says so as it starts, naming the flag that fixes it; with the flag, or on
// http://localhost (no proxy), it says nothing.
func TestServeBehindATLSProxyWithoutTrustedProxyWarnsThatEveryoneIsOneClient(t *testing.T) {
	tests := []struct {
		name string
		args []string
		warn bool
	}{
		{"an https origin with no --trusted-proxy warns", []string{"--origin", "https://passkeys.example.org"}, true},
		{"an https origin with --trusted-proxy does not", []string{"--origin", "https://passkeys.example.org", "--trusted-proxy", "192.0.2.10"}, false},
		{"http://localhost (no proxy in front) does not", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			started := lineWaiter{lines: make(chan string, 1)}
			var stderr safeBuffer
			done := make(chan error, 1)
			args := append([]string{"nhs-passkeys", "serve", "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0"}, tt.args...)
			go func() { done <- withFrontend.Run(ctx, args, noEnv, strings.NewReader(""), started, &stderr) }()
			select {
			case <-started.lines:
			case err := <-done:
				t.Fatalf("serve ended: %v\n%s", err, stderr.String())
			case <-time.After(20 * time.Second):
				t.Fatal("serve did not start")
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("serve: %v", err)
			}
			logs := stderr.String()
			if got := strings.Contains(logs, "--trusted-proxy"); got != tt.warn {
				t.Errorf("warned about --trusted-proxy = %v, want %v; the log:\n%s", got, tt.warn, logs)
			}
		})
	}
}
