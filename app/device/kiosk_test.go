//go:build cgo && !windows

package device_test

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/device"
	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/app/kiosk"
)

func TestKioskEndpointsExistOnlyInKioskMode(t *testing.T) {
	e := newEnv(t, setup{})
	for _, r := range []response{e.do("GET", "/api/device/kiosk", nil), e.do("POST", "/api/device/kiosk/exit", map[string]string{"secret": "x"})} {
		if r.status != http.StatusNotFound {
			t.Errorf("outside kiosk mode: %d %s, want 404", r.status, r.body)
		}
	}
}

// kioskDevices is kiosk mode's part of the device endpoints, with a real administrator
// secret ("the surgery's secret").
func kioskDevices(t *testing.T, quit func()) *device.Kiosk {
	t.Helper()
	hash, err := kiosk.HashSecret("the surgery's secret")
	if err != nil {
		t.Fatal(err)
	}
	return &device.Kiosk{Admin: kiosk.NewAdmin(hash, kiosk.AdminOptions{}), Quit: quit}
}

func TestKioskModeNeedsTheAdministratorSecret(t *testing.T) {
	_, err := device.New(device.Config{Origins: []string{pageOrigin}, RPOrigin: rpOrigin, Kiosk: &device.Kiosk{}})
	if err == nil || !strings.Contains(err.Error(), "administrator's secret") {
		t.Fatalf("kiosk mode without Admin: %v", err)
	}
}

func TestKioskSessionEndedIsReadOnce(t *testing.T) {
	e := newEnv(t, setup{kiosk: kioskDevices(t, nil)})
	type state struct {
		SessionEnded *string `json:"sessionEnded"`
	}
	if s := decode[state](t, e.do("GET", "/api/device/kiosk", nil)); s.SessionEnded != nil {
		t.Fatalf("nothing ended yet, but sessionEnded = %q", *s.SessionEnded)
	}
	e.svc.SessionEnded(kiosk.ReasonKeyRemoved)
	if s := decode[state](t, e.do("GET", "/api/device/kiosk", nil)); s.SessionEnded == nil || *s.SessionEnded != "key-removed" {
		t.Fatalf("sessionEnded = %v, want key-removed", s.SessionEnded)
	}
	if s := decode[state](t, e.do("GET", "/api/device/kiosk", nil)); s.SessionEnded != nil {
		t.Fatal("sessionEnded should be read once")
	}
	if r := e.request(e.h, "GET", "/api/device/kiosk", nil, "https://elsewhere.example"); r.status != http.StatusForbidden {
		t.Errorf("another origin: %d, want 403", r.status)
	}
}

func TestKioskExitNeedsTheAdministratorSecret(t *testing.T) {
	quit := make(chan struct{}, 1)
	e := newEnv(t, setup{kiosk: kioskDevices(t, func() { quit <- struct{}{} })})
	tests := []struct {
		name, secret string
		status       int
		code         string
	}{
		{"an empty secret is asked for", "", http.StatusUnprocessableEntity, "invalid_input"},
		{"a wrong secret is refused", "let me out", http.StatusForbidden, "wrong_admin_secret"},
		{"the right secret closes the app", "the surgery's secret", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/api/device/kiosk/exit", map[string]string{"secret": tt.secret})
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("%d %s, want %d %q", r.status, r.body, tt.status, tt.code)
			}
			select {
			case <-quit:
				if tt.code != "" {
					t.Fatal("the app quit after a refused secret")
				}
			case <-time.After(50 * time.Millisecond):
				if tt.code == "" {
					t.Fatal("the right secret did not quit the app")
				}
			}
		})
	}
}

func TestATakenOutVirtualKeyIsNotListed(t *testing.T) {
	e := newEnv(t, setup{kiosk: kioskDevices(t, nil)})
	if got, err := e.svc.ConnectedKeys(); err != nil || !slices.Equal(got, []string{"virtual"}) {
		t.Fatalf("ConnectedKeys = %q, %v", got, err)
	}
	e.key.Unplug()
	if got, err := e.svc.ConnectedKeys(); err != nil || len(got) != 0 {
		t.Fatalf("after Unplug, ConnectedKeys = %q, %v", got, err)
	}
	list := decode[struct {
		Authenticators []struct{ ID string } `json:"authenticators"`
	}](t, e.do("GET", "/api/device/authenticators", nil))
	if len(list.Authenticators) != 0 {
		t.Fatalf("a taken-out key is offered: %+v", list.Authenticators)
	}
}

// A factory reset needs the key taken out and put back, which ends a kiosk session; on a
// shared computer it is refused before anything is asked of the key.
func TestKioskModeRefusesAFactoryReset(t *testing.T) {
	e := newEnv(t, setup{kiosk: kioskDevices(t, nil)})
	for _, path := range []string{"/api/device/keys/virtual/reset/check", "/api/device/keys/virtual/reset"} {
		if r := e.do("POST", path, map[string]string{}); r.status != http.StatusForbidden || r.code() != "not_in_kiosk" {
			t.Errorf("POST %s in kiosk mode: %d %s, want 403 not_in_kiosk", path, r.status, r.body)
		}
	}
}

// A failed listing of keys is an error, not "no keys": the kiosk watch would otherwise log
// the patient out.
func TestConnectedKeysSaysWhenKeysCannotBeListed(t *testing.T) {
	e := newEnv(t, setup{kiosk: kioskDevices(t, nil), keys: failingKeys{}})
	if got, err := e.svc.ConnectedKeys(); err == nil {
		t.Fatalf("ConnectedKeys = %q with no error, though the keys could not be listed", got)
	}
}

// failingKeys is a fake USB stack whose listing fails, as libfido2's can.
type failingKeys struct{}

func (failingKeys) List() ([]fido2.DeviceInfo, error) {
	return nil, errors.New("fake: listing HID devices failed")
}

func (failingKeys) Open(string) (*fido2.Device, error) { return nil, errors.New("fake: no device") }
