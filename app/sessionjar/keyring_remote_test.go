//go:build linux

package sessionjar

import (
	"errors"
	"testing"
)

// The app's own relying party and each remote one keep their sessions apart in one data
// directory: a token goes back only to the relying party that issued it.
func TestARemoteRelyingPartysSessionHasAKeyringEntryOfItsOwn(t *testing.T) {
	if ranInSecretService(t) {
		return
	}
	dir := t.TempDir()
	local, err := NewKeyringStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := NewRemoteKeyringStore(dir, "https://passkeys.example.org")
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewRemoteKeyringStore(dir, "https://passkeys.example.net")
	if err != nil {
		t.Fatal(err)
	}
	if fleet.User() != local.User()+" https://passkeys.example.org" || other.User() == fleet.User() {
		t.Fatalf("entries %q, %q, %q", local.User(), fleet.User(), other.User())
	}
	if err := local.Set("nhsp_session=local"); err != nil {
		t.Fatal(err)
	}
	for _, remote := range []*KeyringStore{fleet, other} {
		if _, err := remote.Get(); !errors.Is(err, ErrNoSession) {
			t.Fatalf("%s sees %v, want ErrNoSession", remote.User(), err)
		}
	}
	if err := fleet.Set("__Host-nhsp_session=fleet"); err != nil {
		t.Fatal(err)
	}
	if got, err := local.Get(); err != nil || got != "nhsp_session=local" {
		t.Fatalf("the fleet's session changed the app's own: %q, %v", got, err)
	}
}
