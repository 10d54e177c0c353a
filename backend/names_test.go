package backend_test

import (
	"net/http"
	"testing"

	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

// A passkey's name is unique in its account (issue 4, rule 13) as the person sees it: two
// names that look the same are the same name, whether an accented letter was typed as one
// character or as a letter and a combining accent (NFC and NFD), and whatever the case.
func TestPasskeyNamesThatLookTheSameAreOneName(t *testing.T) {
	tests := []struct {
		name, first, second string
	}{
		{"an accent written apart is the same name", "Caf\u00e9 laptop", "Cafe\u0301 laptop"},
		{"an accent written apart in another case is the same name", "Caf\u00e9 laptop", "CAFE\u0301 LAPTOP"},
		{"a Hangul syllable written as its letters is the same name", "\ud55c key", "\u1112\u1161\u11ab key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := testserver.New(t)
			pat := s.Client()
			pat.SignUp("pat@example.com", password)
			first := softauthn.New(testserver.Origin)
			one := pat.RegisterPasskey(first, "")
			two := pat.RegisterPasskey(softauthn.New(testserver.Origin), pat.ReauthWithPasskey(first, "add-passkey"))
			rename := func(id, name, proof string) *testserver.Response {
				return pat.Do(http.MethodPatch, "/api/passkeys/"+id, map[string]any{"name": name, "proof": proof})
			}
			if res := rename(one.ID, tt.first, pat.ReauthWithPasskey(first, "rename-passkey")); res.Status != http.StatusOK {
				t.Fatalf("rename the first: %d %s", res.Status, res.Body)
			}
			proof := pat.ReauthWithPasskey(first, "rename-passkey")
			before := s.Dump("passkeys")

			res := rename(two.ID, tt.second, proof)

			if res.Status != http.StatusConflict || res.Code() != "name_taken" {
				t.Fatalf("rename the second to a name that looks the same = %d %s, want 409 name_taken", res.Status, res.Body)
			}
			if after := s.Dump("passkeys"); after != before {
				t.Errorf("the refused rename changed the passkeys:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}
