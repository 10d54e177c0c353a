//go:build !cgo && !windows

package ceremony

import (
	"encoding/json"
	"testing"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/backend/apperr"
)

// A build without cgo has no authenticator: a ceremony on any of them is refused as it
// starts (400 invalid_request), and none is kept or left running.
func TestABuildWithoutCgoStartsNoCeremonyAndKeepsNone(t *testing.T) {
	set, err := authenticator.New(authenticator.Config{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Authenticators: set, Lease: authenticator.NewLease(), RPOrigin: "http://localhost:8080"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	options := json.RawMessage(`{"rp": {"id": "localhost", "name": "NHS login"},
		"user": {"id": "dXNlcg", "name": "a@example.com", "displayName": "A"},
		"challenge": "Y2hhbGxlbmdlY2hhbGxlbmdlY2hhbGxlbmdl", "pubKeyCredParams": [{"type": "public-key", "alg": -7}]}`)
	// The options are good ones, so a refusal below is the build's, not the options'.
	if _, err := s.client.PrepareCreate(options); err != nil {
		t.Fatalf("the test's options are refused: %v", err)
	}
	for _, want := range []struct{ label, id string }{
		{"any authenticator", ""}, {"the virtual key", "virtual"}, {"a security key", "usb:0011223344556677"},
	} {
		t.Run("a ceremony on "+want.label+" is refused and nothing starts", func(t *testing.T) {
			_, err := s.start(authenticator.KindCreate, want.id, options, "")
			if e, ok := apperr.As(err); !ok || e.Code != "invalid_request" {
				t.Fatalf("start: %v, want invalid_request", err)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if len(s.ceremonies) != 0 || s.current != nil {
				t.Fatalf("%d ceremonies kept", len(s.ceremonies))
			}
		})
	}
}
