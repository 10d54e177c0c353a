package virtualkey

import (
	"strings"
	"testing"
	"time"
)

func TestClientPINProtocol2EndToEnd(t *testing.T) {
	k := newTestKey(t, Options{})
	if n, _ := retries(t, k); n != 8 {
		t.Fatalf("retries before any PIN = %d, want 8", n)
	}

	// Set the PIN.
	p := newPinPlatform(t, k, 2)
	wantStatus(t, p.setPIN("2468"), 0)
	if !getInfo(t, k).Options["clientPin"] {
		t.Fatalf("clientPin is false after setPIN")
	}
	if _, set := k.PINRetries(); !set {
		t.Fatalf("PINRetries reports no PIN")
	}

	// A token with the mc permission bound to nhs.uk makes a user-verified credential.
	p = newPinPlatform(t, k, 2)
	token, st := p.token("2468", 0x01, "nhs.uk")
	wantStatus(t, st, 0)
	if len(token) != 32 {
		t.Fatalf("token is %d bytes, want 32", len(token))
	}
	req := newMC("nhs.uk", "alice", true)
	req.PinUvAuthParam, req.PinUvAuthProtocol = p.auth(token, req.ClientDataHash), 2
	var r mcReply
	callOK(t, k, cborMakeCredential, req, &r)
	a := parseAuthData(t, r.AuthData)
	if a.flags != 0x45 {
		t.Fatalf("flags = %#02x, want UP|UV|AT (0x45)", a.flags)
	}

	t.Run("the same token cannot make a second credential", func(t *testing.T) {
		again := newMC("nhs.uk", "bob", true)
		again.PinUvAuthParam, again.PinUvAuthProtocol = p.auth(token, again.ClientDataHash), 2
		st, _ := call(t, k, cborMakeCredential, again)
		wantStatus(t, st, 0x33)
	})
	t.Run("without a token a PIN-protected key asks for one", func(t *testing.T) {
		st, _ := call(t, k, cborMakeCredential, newMC("nhs.uk", "bob", true))
		wantStatus(t, st, 0x36)
	})
	for _, tt := range []struct {
		name        string
		permissions int
		rpID        string
	}{
		{"a token bound to another RP is refused", 0x01, "example.org"},
		{"a token without the mc permission cannot make credentials", 0x02, "nhs.uk"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPinPlatform(t, k, 2)
			token, st := p.token("2468", tt.permissions, tt.rpID)
			wantStatus(t, st, 0)
			req := newMC("nhs.uk", "bob", true)
			req.PinUvAuthParam, req.PinUvAuthProtocol = p.auth(token, req.ClientDataHash), 2
			st, _ = call(t, k, cborMakeCredential, req)
			wantStatus(t, st, 0x33)
		})
	}
	t.Run("a pinUvAuthParam over another clientDataHash is refused", func(t *testing.T) {
		p := newPinPlatform(t, k, 2)
		token, _ := p.token("2468", 0x01, "nhs.uk")
		req := newMC("nhs.uk", "bob", true)
		req.PinUvAuthParam, req.PinUvAuthProtocol = p.auth(token, cdhOf("something else")), 2
		st, _ := call(t, k, cborMakeCredential, req)
		wantStatus(t, st, 0x33)
	})
	t.Run("a ga token gives a user-verified assertion that names the user", func(t *testing.T) {
		p := newPinPlatform(t, k, 2)
		token, st := p.token("2468", 0x02, "nhs.uk")
		wantStatus(t, st, 0)
		cdh := cdhOf("login")
		var g gaReply
		callOK(t, k, cborGetAssertion, gaRequest{RPID: "nhs.uk", ClientDataHash: cdh,
			PinUvAuthParam: p.auth(token, cdh), PinUvAuthProtocol: 2}, &g)
		ga := parseAuthData(t, g.AuthData)
		if ga.flags != 0x05 {
			t.Errorf("flags = %#02x, want UP|UV", ga.flags)
		}
		verifyES256(t, a.pub, g.AuthData, cdh, g.Signature)
		if g.User == nil || g.User.Name != "alice" || g.User.DisplayName != "Display alice" {
			t.Errorf("user = %+v, want names after UV", g.User)
		}
	})
	t.Run("getAssertion without a token still works, without UV", func(t *testing.T) {
		var g gaReply
		callOK(t, k, cborGetAssertion, gaRequest{RPID: "nhs.uk", ClientDataHash: cdhOf("x")}, &g)
		if parseAuthData(t, g.AuthData).flags != 0x01 {
			t.Errorf("flags without a token should be UP only")
		}
	})
	t.Run("a token stops working after ten minutes", func(t *testing.T) {
		clock := newFakeClock()
		k := newTestKey(t, Options{Clock: clock.Now})
		withPIN(t, k, "2468")
		p := newPinPlatform(t, k, 2)
		token, _ := p.token("2468", 0x01, "nhs.uk")
		clock.Advance(11 * time.Minute)
		req := newMC("nhs.uk", "alice", true)
		req.PinUvAuthParam, req.PinUvAuthProtocol = p.auth(token, req.ClientDataHash), 2
		st, _ := call(t, k, cborMakeCredential, req)
		wantStatus(t, st, 0x33)
	})
}

func TestClientPINProtocol1(t *testing.T) {
	k := newTestKey(t, Options{})
	p := newPinPlatform(t, k, 1)
	wantStatus(t, p.setPIN("1357"), 0)

	// getPinToken (0x05): the CTAP 2.0 way, with default permissions mc and ga.
	p = newPinPlatform(t, k, 1)
	token, st := p.token("1357", 0, "")
	wantStatus(t, st, 0)
	req := newMC("nhs.uk", "alice", true)
	req.PinUvAuthParam, req.PinUvAuthProtocol = p.auth(token, req.ClientDataHash), 1
	if len(req.PinUvAuthParam) != 16 {
		t.Fatalf("protocol 1 pinUvAuthParam is %d bytes", len(req.PinUvAuthParam))
	}
	var r mcReply
	callOK(t, k, cborMakeCredential, req, &r)
	if f := parseAuthData(t, r.AuthData).flags; f != 0x45 {
		t.Errorf("flags = %#02x, want UP|UV|AT", f)
	}

	t.Run("a protocol 1 token is not accepted as protocol 2", func(t *testing.T) {
		p := newPinPlatform(t, k, 1)
		token, _ := p.token("1357", 0, "")
		req := newMC("nhs.uk", "bob", true)
		p.protocol = 2 // a full protocol 2 HMAC with the protocol 1 token
		req.PinUvAuthParam, req.PinUvAuthProtocol = p.auth(token, req.ClientDataHash), 2
		st, _ := call(t, k, cborMakeCredential, req)
		wantStatus(t, st, 0x33)
	})
}

func TestWrongPIN(t *testing.T) {
	k := newTestKey(t, Options{})
	withPIN(t, k, "2468")

	tryPIN := func(pin string) byte {
		_, st := newPinPlatform(t, k, 2).token(pin, 0x01, "nhs.uk")
		return st
	}

	wantStatus(t, tryPIN("0000"), 0x31)
	if n, cycle := retries(t, k); n != 7 || cycle {
		t.Fatalf("after one wrong PIN: retries %d, power cycle %v; want 7, false", n, cycle)
	}
	wantStatus(t, tryPIN("0000"), 0x31)
	// The third wrong PIN in a row blocks PIN auth until a power cycle.
	wantStatus(t, tryPIN("0000"), 0x34)
	if n, cycle := retries(t, k); n != 5 || !cycle {
		t.Fatalf("after three wrong PINs: retries %d, power cycle %v; want 5, true", n, cycle)
	}
	// Even the right PIN is refused now, and the attempt costs nothing.
	wantStatus(t, tryPIN("2468"), 0x34)
	if n, _ := retries(t, k); n != 5 {
		t.Fatalf("a blocked attempt decremented retries to %d", n)
	}
	if n, _ := k.PINRetries(); n != 5 {
		t.Fatalf("PINRetries() = %d, want 5", n)
	}

	// A power cycle lets the user try again; the right PIN restores all 8 retries.
	if err := k.Replug(); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, tryPIN("0000"), 0x31)
	wantStatus(t, tryPIN("2468"), 0)
	if n, cycle := retries(t, k); n != 8 || cycle {
		t.Fatalf("after the right PIN: retries %d, power cycle %v; want 8, false", n, cycle)
	}

	// Eight wrong PINs (with power cycles between blocks of three) block the PIN for good.
	want := []byte{0x31, 0x31, 0x34, 0x31, 0x31, 0x34, 0x31, 0x32}
	for i, w := range want {
		if i == 3 || i == 6 {
			if err := k.Replug(); err != nil {
				t.Fatal(err)
			}
		}
		if st := tryPIN("9999"); st != w {
			t.Fatalf("wrong PIN %d: status 0x%02x, want 0x%02x", i+1, st, w)
		}
	}
	if err := k.Replug(); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, tryPIN("2468"), 0x32)
	if n, _ := retries(t, k); n != 0 {
		t.Fatalf("retries = %d, want 0", n)
	}
	wantStatus(t, newPinPlatform(t, k, 2).changePIN("2468", "1111"), 0x32)

	// Only a reset brings the key back.
	if err := k.Reset(); err != nil {
		t.Fatal(err)
	}
	if n, _ := retries(t, k); n != 8 || getInfo(t, k).Options["clientPin"] {
		t.Fatalf("after reset: retries %d, clientPin still set", n)
	}
}

func TestPINPolicy(t *testing.T) {
	tests := []struct {
		name string
		pin  string
		want byte
	}{
		{"a four-digit PIN is accepted", "1234", 0x00},
		{"a three-digit PIN is too short", "123", 0x37},
		{"three code points are too short even in six bytes", "ééé", 0x37},
		{"four code points are enough in eight bytes", "éééé", 0x00},
		{"a 63-byte PIN is the longest accepted", strings.Repeat("7", 63), 0x00},
		{"a 64-byte PIN is too long", strings.Repeat("7", 64), 0x37},
		{"a 100-byte PIN (padded to 128) is too long", strings.Repeat("7", 100), 0x37},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newTestKey(t, Options{})
			wantStatus(t, newPinPlatform(t, k, 2).setPIN(tt.pin), tt.want)
			if _, set := k.PINRetries(); set != (tt.want == 0) {
				t.Errorf("PIN set = %v after status 0x%02x", set, tt.want)
			}
			if tt.want == 0 {
				_, st := newPinPlatform(t, k, 2).token(tt.pin, 0x02, "")
				wantStatus(t, st, 0)
			}
		})
	}
}

func TestClientPINRefusals(t *testing.T) {
	t.Run("setPIN when a PIN is set is not allowed", func(t *testing.T) {
		k := newTestKey(t, Options{})
		withPIN(t, k, "1234")
		wantStatus(t, newPinPlatform(t, k, 2).setPIN("5678"), 0x30)
	})
	t.Run("setPIN with a bad pinUvAuthParam is refused and sets nothing", func(t *testing.T) {
		k := newTestKey(t, Options{})
		p := newPinPlatform(t, k, 2)
		enc := p.encrypt(padPIN("1234"))
		st, _ := call(t, k, cborClientPIN, cpRequest{Protocol: 2, SubCommand: 3, KeyAgreement: p.key,
			NewPinEnc: enc, PinUvAuthParam: p.auth(p.shared, []byte("other"))})
		wantStatus(t, st, 0x33)
		if _, set := k.PINRetries(); set {
			t.Errorf("PIN set after a refused setPIN")
		}
	})
	t.Run("a malformed key agreement key is an invalid parameter", func(t *testing.T) {
		k := newTestKey(t, Options{})
		p := newPinPlatform(t, k, 2)
		p.key[-2] = make([]byte, 32) // (0, y) is not on the curve
		wantStatus(t, p.setPIN("1234"), 0x02)
	})
	t.Run("a token without a PIN is PIN_NOT_SET", func(t *testing.T) {
		k := newTestKey(t, Options{})
		_, st := newPinPlatform(t, k, 2).token("1234", 0x01, "nhs.uk")
		wantStatus(t, st, 0x35)
	})
	t.Run("getPinUvAuthTokenUsingPinWithPermissions without permissions is a missing parameter", func(t *testing.T) {
		k := newTestKey(t, Options{})
		withPIN(t, k, "1234")
		p := newPinPlatform(t, k, 2)
		st, _ := call(t, k, cborClientPIN, cpRequest{Protocol: 2, SubCommand: 9, KeyAgreement: p.key,
			PinHashEnc: p.encrypt(pinHash("1234"))})
		wantStatus(t, st, 0x14)
	})
	t.Run("the lbw permission is refused while large blobs are missing", func(t *testing.T) {
		k := newTestKey(t, Options{})
		withPIN(t, k, "1234")
		_, st := newPinPlatform(t, k, 2).token("1234", 0x01|0x10, "")
		wantStatus(t, st, 0x40)
		if n, _ := retries(t, k); n != 8 {
			t.Errorf("a refused permission cost a retry")
		}
	})
	for _, perm := range []struct {
		name string
		bit  int
	}{{"cm", 0x04}, {"be", 0x08}, {"acfg", 0x20}} {
		t.Run("the "+perm.name+" permission is granted now that its command is there", func(t *testing.T) {
			k := newTestKey(t, Options{})
			withPIN(t, k, "1234")
			_, st := newPinPlatform(t, k, 2).token("1234", 0x01|perm.bit, "")
			wantStatus(t, st, 0)
		})
	}
	t.Run("getKeyAgreement needs a protocol", func(t *testing.T) {
		k := newTestKey(t, Options{})
		st, _ := call(t, k, cborClientPIN, cpRequest{SubCommand: 2})
		wantStatus(t, st, 0x14)
		st, _ = call(t, k, cborClientPIN, cpRequest{Protocol: 7, SubCommand: 2})
		wantStatus(t, st, 0x02)
	})
}

func TestChangePIN(t *testing.T) {
	k := newTestKey(t, Options{})
	withPIN(t, k, "1234")

	wantStatus(t, newPinPlatform(t, k, 2).changePIN("0000", "5678"), 0x31)
	if n, _ := retries(t, k); n != 7 {
		t.Fatalf("a wrong current PIN should cost a retry")
	}
	wantStatus(t, newPinPlatform(t, k, 2).changePIN("1234", "56"), 0x37)
	wantStatus(t, newPinPlatform(t, k, 2).changePIN("1234", "5678"), 0)

	_, st := newPinPlatform(t, k, 2).token("1234", 0x01, "")
	wantStatus(t, st, 0x31)
	_, st = newPinPlatform(t, k, 2).token("5678", 0x01, "")
	wantStatus(t, st, 0)
}

func TestZeroLengthPinUvAuthParam(t *testing.T) {
	// libfido2's fido_dev_get_touch_begin sends this to let the user pick a key by touch.
	k := newTestKey(t, Options{})
	req := newMC("", "", false)
	req.PinUvAuthParam, req.PinUvAuthProtocol = []byte{}, 2
	req.Options = nil
	st, body := callRaw(t, k, req)
	wantStatus(t, st, 0x35)
	if len(body) != 0 {
		t.Errorf("body = %x", body)
	}
	withPIN(t, k, "1234")
	st, _ = callRaw(t, k, req)
	wantStatus(t, st, 0x31)
}

// callRaw sends a makeCredential with the zero-length pinUvAuthParam kept (omitempty would drop
// it from an mcRequest).
func callRaw(t *testing.T, k Transport, req mcRequest) (byte, []byte) {
	t.Helper()
	return call(t, k, cborMakeCredential, map[int]any{
		1: req.ClientDataHash, 2: req.RP, 3: req.User, 4: req.Params,
		8: req.PinUvAuthParam, 9: req.PinUvAuthProtocol,
	})
}
