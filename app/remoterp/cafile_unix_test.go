//go:build unix

package remoterp_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/app/remoterp"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

// The CA file decides which servers the app believes to be the relying party. One that
// another user of the computer can change (a kiosk's patient, any local account) would let
// them add their own authority and then read and change every patient's session, password
// and ceremonies on the way to the server. So the file must be writable by nobody but its
// owner, and owned by root or by the user the app runs as; anything else is refused at
// start-up with what to do, before any request is made.
func TestACAFileOthersCouldChangeIsRefused(t *testing.T) {
	tests := []struct {
		name    string
		mode    os.FileMode
		owner   int // -1: the test's own user
		refused bool
	}{
		{"a CA file only its owner can write is read", 0o644, -1, false},
		{"a CA file only its owner can read is read", 0o600, -1, false},
		{"a CA file everyone can write is refused", 0o666, -1, true},
		{"a CA file its group can write is refused", 0o664, -1, true},
		{"a CA file others can write but not read is refused", 0o602, -1, true},
		{"a CA file owned by another user is refused", 0o644, 65534, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca := testkit.NewCA(t)
			if err := os.Chmod(ca.File, tt.mode); err != nil {
				t.Fatal(err)
			}
			if tt.owner >= 0 {
				if os.Geteuid() != 0 {
					t.Skip("needs root to give the file to another user")
				}
				if err := os.Chown(ca.File, tt.owner, -1); err != nil {
					t.Fatal(err)
				}
			}
			client, err := remoterp.New(remoterp.Config{Address: "https://passkeys.example.org", CAFile: ca.File, PageOrigins: pageOrigins, Frontend: localPage})
			if !tt.refused {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				client.Close()
				return
			}
			var setup *remoterp.SetupError
			if !errors.As(err, &setup) || setup.ErrorCode() != remoterp.CAInvalid {
				t.Fatalf("got %v, want a refusal with code %s", err, remoterp.CAInvalid)
			}
			if !strings.Contains(err.Error(), ca.File) {
				t.Errorf("the refusal %q does not name the file", err)
			}
		})
	}
}
