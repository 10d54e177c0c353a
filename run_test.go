package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func noEnv(string) string { return "" }

func TestHelpExplainsEveryFlagAndChangesNothing(t *testing.T) {
	for _, args := range [][]string{{"nhs-passkeys", "--help"}, {"nhs-passkeys", "serve", "-h"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			dir := t.TempDir()
			if err := run(t.Context(), append(args, "--data-dir", dir), noEnv, &stdout, &stderr); err != nil {
				t.Fatalf("--help should not fail: %v", err)
			}
			help := stderr.String()
			for _, want := range []string{"serve", "-data-dir", "-origin", "-addr", "-virtual-key", "-idle-timeout"} {
				if !strings.Contains(help, want) {
					t.Errorf("--help does not explain %q:\n%s", want, help)
				}
			}
		})
	}
}

func TestBadArgumentsAreRefusedWithAMessage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"an unknown flag is refused", []string{"serve", "--colour", "blue"}, "flag provided but not defined"},
		{"a stray argument is refused", []string{"serve", "now"}, `unknown argument "now"`},
		{"an address without a port is refused", []string{"serve", "--addr", "localhost"}, "--addr"},
		{"the virtual key is refused in serve mode", []string{"serve", "--virtual-key", "key.json"}, "--virtual-key works only in the desktop app"},
		{"an idle timeout too short to warn about is refused", []string{"serve", "--idle-timeout", "5s"}, "--idle-timeout 5s is too short: give at least 20s"},
		{"an idle timeout without a unit is refused", []string{"serve", "--idle-timeout", "30"}, "invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel() // if the arguments were wrongly accepted, serve stops at once
			var out bytes.Buffer
			args := append([]string{"nhs-passkeys"}, tt.args...)
			err := run(ctx, append(args, "--data-dir", t.TempDir()), noEnv, &out, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
