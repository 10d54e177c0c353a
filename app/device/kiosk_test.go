//go:build !windows

package device_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/device"
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

func TestKioskSessionEndedIsReadOnce(t *testing.T) {
	e := newEnv(t, setup{kiosk: &device.Kiosk{}})
	type state struct {
		SessionEnded *string `json:"sessionEnded"`
	}
	if s := decode[state](t, e.do("GET", "/api/device/kiosk", nil)); s.SessionEnded != nil {
		t.Fatalf("nothing ended yet, but sessionEnded = %q", *s.SessionEnded)
	}
	e.svc.SessionEnded(device.SessionEndedKeyRemoved)
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
	hash, err := kiosk.HashSecret("the surgery's secret")
	if err != nil {
		t.Fatal(err)
	}
	quit := make(chan struct{}, 1)
	e := newEnv(t, setup{kiosk: &device.Kiosk{Admin: kiosk.NewAdmin(hash, nil), Quit: func() { quit <- struct{}{} }}})
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
	e := newEnv(t, setup{kiosk: &device.Kiosk{}})
	if got := e.svc.ConnectedKeys(); !slices.Equal(got, []string{"virtual"}) {
		t.Fatalf("ConnectedKeys = %q", got)
	}
	e.key.Unplug()
	if got := e.svc.ConnectedKeys(); len(got) != 0 {
		t.Fatalf("after Unplug, ConnectedKeys = %q", got)
	}
	list := decode[struct {
		Authenticators []struct{ ID string } `json:"authenticators"`
	}](t, e.do("GET", "/api/device/authenticators", nil))
	if len(list.Authenticators) != 0 {
		t.Fatalf("a taken-out key is offered: %+v", list.Authenticators)
	}
}
