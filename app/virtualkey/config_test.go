package virtualkey

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// config sends authenticatorConfig (CTAP 2.1 §6.11). A nil token sends no pinUvAuthParam; the
// pinUvAuthParam covers 32×0xff || 0x0d || subCommand || subCommandParams.
func (p *pinPlatform) config(token []byte, sub int, params any) byte {
	p.t.Helper()
	raw := encodeParams(p.t, params)
	req := map[int]any{1: sub}
	if raw != nil {
		req[2] = raw
	}
	if token != nil {
		req[3] = p.protocol
		req[4] = p.auth(token, slices.Concat(bytes.Repeat([]byte{0xff}, 32), []byte{0x0d, byte(sub)}, raw))
	}
	st, _ := call(p.t, p.k, cborAuthenticatorConfig, req)
	return st
}

// setMinPINLength runs setMinPINLength with a fresh acfg token got with pin.
func setMinPINLength(t *testing.T, k *Key, pin string, params map[int]any) byte {
	t.Helper()
	p := newPinPlatform(t, k, 2)
	token, st := p.token(pin, 0x20, "")
	wantStatus(t, st, 0)
	return p.config(token, 0x03, params)
}

func TestSetMinPINLengthForcesAPINChange(t *testing.T) {
	k := newTestKey(t, Options{})
	withPIN(t, k, "2468")
	if info := getInfo(t, k); !info.Options["setMinPINLength"] || !info.Options["authnrCfg"] || info.MinPINLength != 4 {
		t.Fatalf("options %v, minPINLength %d", info.Options, info.MinPINLength)
	}

	// A minimum longer than the current PIN forces a change (§6.11.4).
	wantStatus(t, setMinPINLength(t, k, "2468", map[int]any{1: 6}), 0)
	info := getInfo(t, k)
	if info.MinPINLength != 6 || !info.ForcePINChange {
		t.Fatalf("minPINLength %d, forcePINChange %v; want 6, true", info.MinPINLength, info.ForcePINChange)
	}
	// The right PIN gets no token until it is changed; a wrong one is still just wrong.
	_, st := newPinPlatform(t, k, 2).token("2468", 0x02, "")
	wantStatus(t, st, 0x37)
	_, st = newPinPlatform(t, k, 2).token("0000", 0x02, "")
	wantStatus(t, st, 0x31)
	_, st = newPinPlatform(t, k, 1).token("2468", 0, "") // getPinToken (0x05) too
	wantStatus(t, st, 0x37)

	// The new PIN must meet the new minimum.
	wantStatus(t, newPinPlatform(t, k, 2).changePIN("2468", "13579"), 0x37)
	wantStatus(t, newPinPlatform(t, k, 2).changePIN("2468", "135791"), 0)
	if info := getInfo(t, k); info.ForcePINChange {
		t.Fatal("forcePINChange is still set after the PIN changed")
	}
	_, st = newPinPlatform(t, k, 2).token("135791", 0x02, "")
	wantStatus(t, st, 0)

	t.Run("the minimum cannot go down, nor past 63", func(t *testing.T) {
		wantStatus(t, setMinPINLength(t, k, "135791", map[int]any{1: 5}), 0x37)
		wantStatus(t, setMinPINLength(t, k, "135791", map[int]any{1: 64}), 0x37)
		wantStatus(t, setMinPINLength(t, k, "135791", map[int]any{1: 6}), 0)
		if info := getInfo(t, k); info.ForcePINChange {
			t.Fatal("the same minimum forced a change of a PIN that meets it")
		}
	})
	t.Run("a forced change refuses the same PIN and keeps the force", func(t *testing.T) {
		wantStatus(t, setMinPINLength(t, k, "135791", map[int]any{3: true}), 0)
		wantStatus(t, newPinPlatform(t, k, 2).changePIN("135791", "135791"), 0x37)
		if info := getInfo(t, k); !info.ForcePINChange {
			t.Fatal("a refused change cleared forcePINChange")
		}
		wantStatus(t, newPinPlatform(t, k, 2).changePIN("135791", "246802"), 0)
		if info := getInfo(t, k); info.ForcePINChange {
			t.Fatal("forcePINChange is still set after the PIN changed")
		}
	})
	t.Run("reset brings the default back", func(t *testing.T) {
		if err := k.Reset(); err != nil {
			t.Fatal(err)
		}
		if info := getInfo(t, k); info.MinPINLength != 4 || info.ForcePINChange {
			t.Fatalf("after reset: %d %v", info.MinPINLength, info.ForcePINChange)
		}
	})
}

func TestForceChangePin(t *testing.T) {
	k := newTestKey(t, Options{})
	withPIN(t, k, "2468")
	wantStatus(t, setMinPINLength(t, k, "2468", map[int]any{3: true}), 0)
	if info := getInfo(t, k); info.MinPINLength != 4 || !info.ForcePINChange {
		t.Fatalf("minPINLength %d forcePINChange %v", info.MinPINLength, info.ForcePINChange)
	}
	// §6.5.5: while a change is forced, the same PIN again is not a change.
	wantStatus(t, newPinPlatform(t, k, 2).changePIN("2468", "2468"), 0x37)
	wantStatus(t, newPinPlatform(t, k, 2).changePIN("2468", "8642"), 0)
	if getInfo(t, k).ForcePINChange {
		t.Fatal("forcePINChange survived the change")
	}
}

func TestAuthenticatorConfigRefusals(t *testing.T) {
	t.Run("a PIN-protected key needs a token", func(t *testing.T) {
		k := newTestKey(t, Options{})
		withPIN(t, k, "2468")
		wantStatus(t, newPinPlatform(t, k, 2).config(nil, 0x03, map[int]any{1: 8}), 0x36)
		if getInfo(t, k).MinPINLength != 4 {
			t.Fatal("the minimum changed")
		}
	})
	t.Run("a token without acfg is refused", func(t *testing.T) {
		k := newTestKey(t, Options{})
		withPIN(t, k, "2468")
		p := newPinPlatform(t, k, 2)
		token, _ := p.token("2468", 0x04, "")
		wantStatus(t, p.config(token, 0x03, map[int]any{1: 8}), 0x33)
	})
	t.Run("a pinUvAuthParam over other parameters is refused", func(t *testing.T) {
		k := newTestKey(t, Options{})
		withPIN(t, k, "2468")
		p := newPinPlatform(t, k, 2)
		token, _ := p.token("2468", 0x20, "")
		auth := p.auth(token, slices.Concat(bytes.Repeat([]byte{0xff}, 32), []byte{0x0d, 0x03},
			encodeParams(t, map[int]any{1: 6})))
		st, _ := call(t, k, cborAuthenticatorConfig, map[int]any{1: 3,
			2: encodeParams(t, map[int]any{1: 12}), 3: 2, 4: auth})
		wantStatus(t, st, 0x33)
	})
	t.Run("enterprise attestation and alwaysUv are not supported", func(t *testing.T) {
		k := newTestKey(t, Options{})
		wantStatus(t, newPinPlatform(t, k, 2).config(nil, 0x01, nil), 0x3e)
		wantStatus(t, newPinPlatform(t, k, 2).config(nil, 0x02, nil), 0x3e)
	})
	t.Run("an unprotected key takes the command without a token", func(t *testing.T) {
		k := newTestKey(t, Options{})
		p := newPinPlatform(t, k, 2)
		wantStatus(t, p.config(nil, 0x03, map[int]any{1: 8}), 0)
		// forceChangePin needs a PIN to change.
		wantStatus(t, p.config(nil, 0x03, map[int]any{3: true}), 0x35)
		// The first PIN must meet the minimum.
		wantStatus(t, newPinPlatform(t, k, 2).setPIN("1234567"), 0x37)
		wantStatus(t, newPinPlatform(t, k, 2).setPIN("12345678"), 0)
		if getInfo(t, k).ForcePINChange {
			t.Fatal("a PIN that meets the minimum is forced to change")
		}
	})
	t.Run("minPinLengthRPIDs are not kept", func(t *testing.T) {
		k := newTestKey(t, Options{})
		wantStatus(t, newPinPlatform(t, k, 2).config(nil, 0x03, map[int]any{2: []string{"nhs.uk"}}), 0x02)
	})
}

func TestNewStateSurvivesOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.json")
	k, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	withPIN(t, k, "2468")
	id := enrol(t, k, "2468")
	p := newPinPlatform(t, k, 2)
	token, _ := p.token("2468", 0x08, "")
	p.bioOK(0x09, token, 0x05, map[int]any{1: id, 2: "Left index"})
	wantStatus(t, setMinPINLength(t, k, "2468", map[int]any{1: 5}), 0)
	k.SetBehaviour(WrongFinger())
	_, st := newPinPlatform(t, k, 2).uvToken(0x02, "nhs.uk")
	wantStatus(t, st, 0x3f)

	k2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	info := getInfo(t, k2)
	if info.MinPINLength != 5 || !info.ForcePINChange || !info.Options["bioEnroll"] || !info.Options["uv"] {
		t.Fatalf("after reopening: minPINLength %d forcePINChange %v options %v",
			info.MinPINLength, info.ForcePINChange, info.Options)
	}
	if e := k2.Enrollments(); len(e) != 1 || !bytes.Equal(e[0].ID, id) || e[0].Name != "Left index" {
		t.Fatalf("enrollments after reopening: %+v", e)
	}
	if n := uvRetries(t, k2); n != 4 {
		t.Fatalf("uvRetries after reopening: %d, want 4", n)
	}
	// A state file from before these fields loads as it did.
	old := filepath.Join(t.TempDir(), "old.json")
	legacy := `{"version": 1, "aaguid": "6e68736b-6579-0000-4a1c-9b528d0e4107", "pinRetries": 8, "credentials": []}`
	if err := os.WriteFile(old, []byte(legacy), 0o600); err != nil {
		t.Fatal(err)
	}
	k3, err := Open(old, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if info := getInfo(t, k3); info.MinPINLength != 4 || info.ForcePINChange || info.Options["uv"] || uvRetries(t, k3) != 5 {
		t.Fatalf("legacy state: %+v", info)
	}
}
