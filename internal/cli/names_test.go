//go:build cgo && !windows

// Not on Windows, nor without cgo: the keys here are libfido2's (app/fido2), which the
// Windows build and a build without cgo lack.

package cli

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/nhs-passkeys/companion/app/desktop"
	"github.com/nhs-passkeys/companion/app/device"
	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/internal/testkit/usb"
)

// yubiKey5 is the AAGUID of the YubiKey 5 Series (cb69481e-8ff7-4039-93ec-0a2729a154a8),
// which backend/passkey's aaguids.json names "YubiKey 5 Series".
var yubiKey5 = [16]byte{0xcb, 0x69, 0x48, 0x1e, 0x8f, 0xf7, 0x40, 0x39, 0x93, 0xec, 0x0a, 0x27, 0x29, 0xa1, 0x54, 0xa8}

func TestTheDesktopAppNamesSecurityKeysByTheirModel(t *testing.T) {
	newKey := func(aaguid [16]byte) *virtualkey.Key {
		key, err := virtualkey.New(virtualkey.Options{AAGUID: aaguid})
		if err != nil {
			t.Fatal(err)
		}
		return key
	}
	// The virtual key reports a YubiKey's AAGUID too: it must still say it is the test tool.
	cfg := deviceConfig("http://localhost:8080", newKey(yubiKey5), slog.New(slog.DiscardHandler))
	bus := &usb.Bus{}
	bus.Plug("/dev/hidraw1", newKey(yubiKey5))
	bus.Plug("/dev/hidraw2", newKey(virtualkey.DefaultAAGUID())) // a model nobody has registered
	cfg.SecurityKeys = bus
	devices, err := device.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer devices.Close()

	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, desktop.WebviewOrigins()[0]+"/api/device/keys", nil)
	req.Header.Set("Origin", desktop.WebviewOrigins()[0])
	rec := httptest.NewRecorder()
	devices.Wrap(http.NotFoundHandler()).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/device/keys: %d %s", rec.Code, rec.Body)
	}
	var list struct {
		Keys []struct {
			Kind   string `json:"kind"`
			Name   string `json:"name"`
			AAGUID string `json:"aaguid"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range list.Keys {
		names = append(names, k.Kind+": "+k.Name)
	}
	want := []string{
		"security-key: YubiKey 5 Series",      // known AAGUID: the model's name
		"security-key: Test Key /dev/hidraw2", // unknown AAGUID: the USB product name
		"virtual: Virtual security key (for testing)",
	}
	if !slices.Equal(names, want) {
		t.Errorf("the keys are listed as %q, want %q", names, want)
	}
}
