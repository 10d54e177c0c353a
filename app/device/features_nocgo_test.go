//go:build !cgo && !windows

package device

// The stand-in of a Linux or macOS build without cgo (features_nocgo.go and
// authenticator/set_nocgo.go; ceremony/run_nocgo_test.go checks that no ceremony is kept).
// `make lint` runs these with CGO_ENABLED=0 on Linux; the macOS build without cgo, which
// `make lint` vets, is the same code.

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/app/virtualkey"
	"github.com/nhs-passkeys/companion/app/webauthnclient"
)

func TestABuildWithoutCgoRefusesSecurityKeysAndTheVirtualKeyAndSaysWhy(t *testing.T) {
	key, err := virtualkey.New(virtualkey.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
	}{
		{"asked for security keys, it says they need the cgo build", Config{SecurityKeys: HIDKeys{}}},
		{"asked for the virtual key, it says it needs the cgo build", Config{VirtualKey: key}},
		{"asked for both, it says the same", Config{SecurityKeys: HIDKeys{}, VirtualKey: key}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Origins, tt.cfg.RPOrigin = []string{"wails://wails"}, "http://localhost:8080"
			s, err := New(tt.cfg)
			if !errors.Is(err, ErrNeedsCgo) {
				t.Fatalf("New: %v, want ErrNeedsCgo", err)
			}
			if s != nil {
				t.Fatal("a service was built anyway")
			}
			if !strings.Contains(err.Error(), "CGO_ENABLED=1") {
				t.Errorf("%q does not say how to build the app that has them", err)
			}
		})
	}
}

func TestABuildWithoutCgoOffersNoAuthenticatorAndStartsNoCeremony(t *testing.T) {
	s, err := New(Config{Origins: []string{"wails://wails"}, RPOrigin: "http://localhost:8080"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	h := s.Wrap(http.NotFoundHandler())
	options := json.RawMessage(`{"rp": {"id": "localhost", "name": "NHS login"},
		"user": {"id": "dXNlcg", "name": "a@example.com", "displayName": "A"},
		"challenge": "Y2hhbGxlbmdlY2hhbGxlbmdlY2hhbGxlbmdl", "pubKeyCredParams": [{"type": "public-key", "alg": -7}]}`)
	// The options are good ones, so a refusal below is the build's, not the options'.
	client, err := webauthnclient.New("http://localhost:8080")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.PrepareCreate(options); err != nil {
		t.Fatalf("the test's options are refused: %v", err)
	}
	request := func(method, target string, body any) (int, map[string]json.RawMessage) {
		t.Helper()
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		if body == nil {
			raw = nil
		}
		r := httptest.NewRequestWithContext(t.Context(), method, target, strings.NewReader(string(raw)))
		r.Host = "wails" // the webview's, the only host the app answers for
		r.Header.Set("Origin", "wails://wails")
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var out map[string]json.RawMessage
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, target, err, w.Body)
		}
		return w.Code, out
	}

	t.Run("the list of authenticators is empty", func(t *testing.T) {
		status, out := request(http.MethodGet, "/api/device/authenticators", nil)
		if status != http.StatusOK || string(out["authenticators"]) != "[]" {
			t.Fatalf("%d %s", status, out["authenticators"])
		}
	})
	for _, want := range []struct{ label, id string }{
		{"any authenticator", ""}, {"the virtual key", "virtual"}, {"a security key", "usb:0011223344556677"},
	} {
		t.Run("a ceremony on "+want.label+" is refused and nothing starts", func(t *testing.T) {
			status, out := request(http.MethodPost, "/api/device/ceremonies",
				map[string]any{"kind": "create", "authenticator": want.id, "publicKey": options})
			if status != http.StatusBadRequest || !strings.Contains(string(out["error"]), `"invalid_request"`) {
				t.Fatalf("%d %s", status, out["error"])
			}
		})
	}
	for _, path := range []string{"/api/device/keys", "/api/device/tester"} {
		t.Run(path+" does not exist", func(t *testing.T) {
			status, out := request(http.MethodGet, path, nil)
			if status != http.StatusNotFound || !strings.Contains(string(out["error"]), `"not_found"`) {
				t.Fatalf("%d %s", status, out["error"])
			}
		})
	}
	t.Run("kiosk mode cannot watch the keys, and says why", func(t *testing.T) {
		if ids, err := s.ConnectedKeys(); !errors.Is(err, ErrNeedsCgo) || ids != nil {
			t.Fatalf("%v %v", ids, err)
		}
	})
}
