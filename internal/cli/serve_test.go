package cli

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/internal/testserver"
)

// lineWaiter is serveHTTP's stdout: its first write (the "is running" line) says the server
// is listening.
type lineWaiter struct {
	lines chan string
}

func (w lineWaiter) Write(p []byte) (int, error) {
	select {
	case w.lines <- string(p):
	default:
	}
	return len(p), nil
}

// Rule: serve answers only for its own host name, for every request the server reads,
// "OPTIONS *" too (net/http answers it itself unless told not to, for any Host).
func TestServeAnswersOnlyForItsOwnHostNameEvenForOptionsStar(t *testing.T) {
	s := testserver.New(t)
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	started := lineWaiter{lines: make(chan string, 1)}
	go func() {
		done <- serveHTTP(ctx, addr, testserver.Origin, s.Handler, started, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case <-started.lines:
	case err := <-done:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}

	for _, tc := range []struct {
		name, request string
		want          int
	}{
		{"OPTIONS * for another host name is misdirected", "OPTIONS * HTTP/1.1\r\nHost: attacker.example:8080\r\n", http.StatusMisdirectedRequest},
		{"OPTIONS * for the loopback address is misdirected", "OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n", http.StatusMisdirectedRequest},
		{"OPTIONS * without a Host (HTTP/1.0) is misdirected", "OPTIONS * HTTP/1.0\r\n", http.StatusMisdirectedRequest},
		{"a GET for another host name is misdirected", "GET /api/session HTTP/1.1\r\nHost: attacker.example:8080\r\n", http.StatusMisdirectedRequest},
		{"a GET for the app's own name is answered", "GET /api/session HTTP/1.1\r\nHost: localhost:8080\r\n", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := (&net.Dialer{}).DialContext(t.Context(), "tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write([]byte(tc.request + "Connection: close\r\n\r\n")); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tc.want {
				t.Errorf("%d %s, want %d", res.StatusCode, body, tc.want)
			}
			if tc.want == http.StatusMisdirectedRequest && !bytes.Contains(body, []byte(`"misdirected_request"`)) {
				t.Errorf("body %s has no misdirected_request", body)
			}
		})
	}
}
