//go:build cgo && !windows

package keys

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/device/account"
	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

func TestAKeyBodyTakesOnlyTheMembersAskedForAndNeverQuotesAPIN(t *testing.T) {
	r := httptest.NewRequestWithContext(t.Context(), "POST", "/", strings.NewReader(`{"pin":"4829\u0031\u0033","newPin":"caf\u00e9 1"}`))
	var b newPINBody
	err := httpapi.DecodeSecrets(r, &b)
	if err != nil || string(b.PIN) != "482913" || string(b.NewPIN) != "café 1" {
		t.Fatalf("read %q %q, %v", b.PIN, b.NewPIN, err)
	}
	pin := b.PIN
	b.wipe()
	if string(pin) != "\x00\x00\x00\x00\x00\x00" {
		t.Errorf("wipe left %q", pin)
	}
	for _, body := range []string{
		`{"pin":"482913","ticket":"x"}`, // not asked for here
		`{"pin":482913}`,
		`{"pin":"482913"`,
		`["482913"]`,
	} {
		var b pinBody
		err := httpapi.DecodeSecrets(httptest.NewRequestWithContext(t.Context(), "POST", "/", strings.NewReader(body)), &b)
		b.wipe()
		if e, ok := apperr.As(err); !ok || e.Code != "invalid_request" || strings.Contains(err.Error(), "482913") {
			t.Errorf("%s: %v", body, err)
		}
	}
}

func TestNewPINRules(t *testing.T) {
	for _, tt := range []struct {
		pin  string
		min  int
		want string
	}{
		{"", 4, "Enter a new PIN"},
		{"123", 4, "PIN must be 4 characters or more"},
		{"1234", 4, ""},
		{"ñññ😀", 4, ""}, // code points, not bytes
		{"123456", 8, "PIN must be 8 characters or more"},
		{strings.Repeat("a", 63), 4, ""},
		{strings.Repeat("a", 64), 4, "PIN must be 63 characters or fewer"},
		{strings.Repeat("é", 32), 4, "PIN is too long. Letters with accents and some symbols take up more space, so use fewer of them"},
		{"12\x0034", 4, "PIN must only include letters, numbers and symbols"},
		{"12\xff34", 4, "PIN must only include letters, numbers and symbols"},
	} {
		if got := newPINProblem([]byte(tt.pin), tt.min); got != tt.want {
			t.Errorf("newPINProblem(%q, %d) = %q, want %q", tt.pin, tt.min, got, tt.want)
		}
	}
}

func TestHowAPasskeyOnAKeyStandsWithTheAccount(t *testing.T) {
	k := &Service{rpID: "localhost"}
	acct := account.View{SignedIn: true, Email: "pat@example.com", Passkeys: []account.Passkey{
		{ID: b64([]byte("used")), Name: "Security key"},
		{ID: b64([]byte("copied")), Name: "Old key", Flagged: true},
	}}
	for _, tt := range []struct {
		rpID, id, user string
		acct           account.View
		want           string
	}{
		{"localhost", "used", "pat@example.com", acct, account.InUse},
		{"localhost", "copied", "pat@example.com", acct, account.Leftover},  // the account refuses it
		{"localhost", "removed", "PAT@example.com", acct, account.Leftover}, // the account no longer has it
		{"localhost", "theirs", "sam@example.com", acct, account.OtherAccount},
		{"example.org", "used", "pat@example.com", acct, ""},
		{"localhost", "used", "pat@example.com", account.View{}, account.Unknown},
	} {
		if got, _ := k.relate(tt.rpID, []byte(tt.id), tt.user, tt.acct); got != tt.want {
			t.Errorf("relate(%s, %s, %s) = %q, want %q", tt.rpID, tt.id, tt.user, got, tt.want)
		}
	}
}

func TestAnotherWayIn(t *testing.T) {
	one := account.Passkey{ID: "a"}
	flagged := account.Passkey{ID: "b", Flagged: true}
	for _, tt := range []struct {
		name string
		acct account.View
		gone map[string]bool
		want bool
	}{
		{"a password", account.View{HasPassword: true, Passkeys: []account.Passkey{one}}, map[string]bool{"a": true}, true},
		{"another passkey", account.View{Passkeys: []account.Passkey{one, {ID: "c"}}}, map[string]bool{"a": true}, true},
		{"only the one going", account.View{Passkeys: []account.Passkey{one}}, map[string]bool{"a": true}, false},
		{"only a flagged one left", account.View{Passkeys: []account.Passkey{one, flagged}}, map[string]bool{"a": true}, false},
	} {
		if got := account.KeepsAnotherWayIn(tt.acct, tt.gone); got != tt.want {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
}

func TestTheResetWindowIsCountedInWholeSecondsLeft(t *testing.T) {
	k := &Service{seen: map[string]time.Time{}}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	k.virtualPlugged = at
	v := authenticator.Authenticator{ID: authenticator.VirtualID}
	for _, tt := range []struct {
		after time.Duration
		want  int
	}{{0, 10}, {100 * time.Millisecond, 10}, {9 * time.Second, 1}, {9900 * time.Millisecond, 1}, {10 * time.Second, 0}, {time.Hour, 0}} {
		if got := k.resetSecondsLeft(v, at.Add(tt.after)); got != tt.want {
			t.Errorf("after %s: %d, want %d", tt.after, got, tt.want)
		}
	}
	if got := k.resetSecondsLeft(authenticator.Authenticator{ID: "usb:1", Path: "/dev/hidraw1"}, at); got != 0 {
		t.Errorf("a key never seen plugged in: %d", got)
	}
}
