package sessionjar

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestFallbackStore(t *testing.T) {
	tests := []struct {
		name        string
		primary     Store
		wantMemory  bool
		wantWarning int
	}{
		{name: "a working keyring is used and nothing is logged", primary: NewMemoryStore(), wantMemory: false, wantWarning: 0},
		{name: "a missing keyring is warned about once and memory is used", primary: failingStore{}, wantMemory: true, wantWarning: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			f := NewFallbackStore(tt.primary, slog.New(slog.NewTextHandler(&logs, nil)))

			if _, err := f.Get(); !errors.Is(err, ErrNoSession) {
				t.Fatalf("Get on an empty store = %v, want ErrNoSession", err)
			}
			if err := f.Set("nhsp_session=SECRET"); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if got, err := f.Get(); err != nil || got != "nhsp_session=SECRET" {
				t.Fatalf("Get = %q, %v", got, err)
			}
			if err := f.Delete(); err != nil && !tt.wantMemory {
				t.Fatalf("Delete: %v", err)
			}
			if _, err := f.Get(); !errors.Is(err, ErrNoSession) {
				t.Fatalf("Get after Delete = %v, want ErrNoSession", err)
			}

			if f.UsingMemory() != tt.wantMemory {
				t.Errorf("UsingMemory = %v, want %v", f.UsingMemory(), tt.wantMemory)
			}
			if got := strings.Count(logs.String(), "level=WARN"); got != tt.wantWarning {
				t.Errorf("%d warnings logged, want %d:\n%s", got, tt.wantWarning, logs.String())
			}
			if strings.Contains(logs.String(), "SECRET") {
				t.Errorf("the secret was logged:\n%s", logs.String())
			}
		})
	}
}
