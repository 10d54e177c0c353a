package virtualkey

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// bio sends one authenticatorBioEnrollment command (cmd 0x09 or 0x40) for the fingerprint
// modality, as a platform builds it (CTAP 2.1 §6.7). A nil token sends no pinUvAuthParam.
func (p *pinPlatform) bio(cmd byte, token []byte, sub int, params any) (byte, []byte) {
	p.t.Helper()
	raw := encodeParams(p.t, params)
	req := map[int]any{1: 1, 2: sub}
	if raw != nil {
		req[3] = raw
	}
	if token != nil {
		req[4] = p.protocol
		req[5] = p.auth(token, slices.Concat([]byte{1, byte(sub)}, raw))
	}
	return call(p.t, p.k, cmd, req)
}

type bioReply struct {
	Modality        int    `cbor:"1,keyasint"`
	FingerprintKind int    `cbor:"2,keyasint"`
	MaxSamples      int    `cbor:"3,keyasint"`
	TemplateID      []byte `cbor:"4,keyasint"`
	LastStatus      *int   `cbor:"5,keyasint"`
	Remaining       *int   `cbor:"6,keyasint"`
	TemplateInfos   []struct {
		ID   []byte `cbor:"1,keyasint"`
		Name string `cbor:"2,keyasint"`
	} `cbor:"7,keyasint"`
	MaxFriendlyName int `cbor:"8,keyasint"`
}

func (p *pinPlatform) bioOK(cmd byte, token []byte, sub int, params any) bioReply {
	p.t.Helper()
	st, body := p.bio(cmd, token, sub, params)
	if st != 0 {
		p.t.Fatalf("bio enrollment 0x%02x: status 0x%02x", sub, st)
	}
	var r bioReply
	if len(body) > 0 {
		if err := cbor.Unmarshal(body, &r); err != nil {
			p.t.Fatalf("decode: %v", err)
		}
	}
	return r
}

// enrol enrols one finger with four good samples and returns its template ID.
func enrol(t *testing.T, k *Key, pin string) []byte {
	t.Helper()
	p := newPinPlatform(t, k, 2)
	token, st := p.token(pin, 0x08, "")
	wantStatus(t, st, 0)
	r := p.bioOK(0x09, token, 0x01, map[int]any{3: 10000})
	id := r.TemplateID
	for *r.Remaining > 0 {
		r = p.bioOK(0x09, token, 0x02, map[int]any{1: id, 3: 10000})
	}
	return id
}

func TestFingerprintEnrolment(t *testing.T) {
	// libfido2 1.12 sends the CTAP 2.1-PRE command 0x40; CTAP 2.1 platforms send 0x09.
	for _, cmd := range []byte{0x09, 0x40} {
		t.Run(fmt.Sprintf("command 0x%02x", cmd), func(t *testing.T) {
			k := newTestKey(t, Options{})
			withPIN(t, k, "2468")
			info := getInfo(t, k)
			if v, ok := info.Options["bioEnroll"]; !ok || v || info.Options["uv"] {
				t.Fatalf("before enrolment: bioEnroll %v (present %v), uv %v; want false, present, false",
					v, ok, info.Options["uv"])
			}

			p := newPinPlatform(t, k, 2)
			// getFingerprintSensorInfo needs no token.
			sensor := p.bioOK(cmd, nil, 0x07, nil)
			if sensor.Modality != 1 || sensor.FingerprintKind != 1 || sensor.MaxSamples != 4 || sensor.MaxFriendlyName == 0 {
				t.Fatalf("sensor info = %+v, want fingerprint, touch, 4 samples", sensor)
			}

			token, st := p.token("2468", 0x08, "")
			wantStatus(t, st, 0)
			begin := p.bioOK(cmd, token, 0x01, map[int]any{3: 10000})
			if len(begin.TemplateID) == 0 || *begin.LastStatus != 0 || *begin.Remaining != 3 {
				t.Fatalf("enrollBegin = %+v, want a template ID, a good sample and 3 to go", begin)
			}
			id := begin.TemplateID
			next := func() bioReply {
				return p.bioOK(cmd, token, 0x02, map[int]any{1: id, 3: 10000})
			}

			// A sample the tester makes fail is reported and does not count.
			k.BioNextSample(SampleTooFast)
			if r := next(); *r.LastStatus != 0x05 || *r.Remaining != 3 {
				t.Fatalf("failed sample: status %#x remaining %d, want 0x05 and 3", *r.LastStatus, *r.Remaining)
			}
			for want := 2; want >= 0; want-- {
				if r := next(); *r.LastStatus != 0 || *r.Remaining != want {
					t.Fatalf("sample: status %#x remaining %d, want 0 and %d", *r.LastStatus, *r.Remaining, want)
				}
			}
			if e := k.Enrollments(); len(e) != 1 || !bytes.Equal(e[0].ID, id) {
				t.Fatalf("enrollments = %+v", e)
			}
			info = getInfo(t, k)
			if !info.Options["bioEnroll"] || !info.Options["uv"] {
				t.Fatalf("after enrolment: bioEnroll %v uv %v, want both true", info.Options["bioEnroll"], info.Options["uv"])
			}

			// List, name, list again.
			list := p.bioOK(cmd, token, 0x04, nil)
			if len(list.TemplateInfos) != 1 || !bytes.Equal(list.TemplateInfos[0].ID, id) || list.TemplateInfos[0].Name != "" {
				t.Fatalf("enumerateEnrollments = %+v", list.TemplateInfos)
			}
			p.bioOK(cmd, token, 0x05, map[int]any{1: id, 2: "Right thumb"})
			if list = p.bioOK(cmd, token, 0x04, nil); list.TemplateInfos[0].Name != "Right thumb" {
				t.Fatalf("after setFriendlyName: %+v", list.TemplateInfos)
			}

			// Remove it: nothing left to list, and built-in UV is off again.
			p.bioOK(cmd, token, 0x06, map[int]any{1: id})
			st, _ = p.bio(cmd, token, 0x04, nil)
			wantStatus(t, st, 0x2c) // §6.7.6: no enrollments is CTAP2_ERR_INVALID_OPTION
			if info = getInfo(t, k); info.Options["bioEnroll"] || info.Options["uv"] {
				t.Fatalf("after removal: bioEnroll %v uv %v", info.Options["bioEnroll"], info.Options["uv"])
			}
		})
	}
}

func TestFingerprintEnrolmentRefusals(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, k *Key, p *pinPlatform, token []byte) byte
		want byte
	}{
		{"enrollBegin without a token is refused", func(t *testing.T, k *Key, p *pinPlatform, token []byte) byte {
			st, _ := p.bio(0x09, nil, 0x01, map[int]any{3: 1000})
			return st
		}, 0x36},
		{"a token without the be permission is refused", func(t *testing.T, k *Key, _ *pinPlatform, _ []byte) byte {
			p := newPinPlatform(t, k, 2)
			token, _ := p.token("2468", 0x04, "")
			st, _ := p.bio(0x09, token, 0x01, map[int]any{3: 1000})
			return st
		}, 0x33},
		{"a sample without an enrolment in progress is not allowed", func(t *testing.T, k *Key, p *pinPlatform, token []byte) byte {
			st, _ := p.bio(0x09, token, 0x02, map[int]any{1: []byte{1, 2}, 3: 1000})
			return st
		}, 0x30},
		{"a sample for another template is an invalid parameter", func(t *testing.T, k *Key, p *pinPlatform, token []byte) byte {
			begin := p.bioOK(0x09, token, 0x01, map[int]any{3: 1000})
			st, _ := p.bio(0x09, token, 0x02, map[int]any{1: append(begin.TemplateID, 0), 3: 1000})
			return st
		}, 0x02},
		{"after cancelCurrentEnrollment a sample is not allowed", func(t *testing.T, k *Key, p *pinPlatform, token []byte) byte {
			begin := p.bioOK(0x09, token, 0x01, map[int]any{3: 1000})
			p.bioOK(0x09, nil, 0x03, nil) // no token needed
			st, _ := p.bio(0x09, token, 0x02, map[int]any{1: begin.TemplateID, 3: 1000})
			return st
		}, 0x30},
		{"a power cycle drops the enrolment in progress", func(t *testing.T, k *Key, p *pinPlatform, token []byte) byte {
			begin := p.bioOK(0x09, token, 0x01, map[int]any{3: 1000})
			if err := k.Replug(); err != nil {
				t.Fatal(err)
			}
			p = newPinPlatform(t, k, 2)
			token, _ = p.token("2468", 0x08, "")
			st, _ := p.bio(0x09, token, 0x02, map[int]any{1: begin.TemplateID, 3: 1000})
			return st
		}, 0x30},
		{"the user cancelling the first sample ends the enrolment", func(t *testing.T, k *Key, p *pinPlatform, token []byte) byte {
			k.SetBehaviour(Cancelled())
			st, _ := p.bio(0x09, token, 0x01, map[int]any{3: 1000})
			if k.bio != nil {
				t.Error("an enrolment is still in progress")
			}
			return st
		}, 0x2d},
		{"renaming an unknown template is an invalid option", func(t *testing.T, k *Key, p *pinPlatform, token []byte) byte {
			st, _ := p.bio(0x09, token, 0x05, map[int]any{1: []byte{9, 9}, 2: "x"})
			return st
		}, 0x2c},
		{"removing an unknown template is an invalid option", func(t *testing.T, k *Key, p *pinPlatform, token []byte) byte {
			st, _ := p.bio(0x09, token, 0x06, map[int]any{1: []byte{9, 9}})
			return st
		}, 0x2c},
		{"another modality is an invalid parameter", func(t *testing.T, k *Key, p *pinPlatform, token []byte) byte {
			st, _ := call(t, k, 0x09, map[int]any{1: 2, 2: 0x07})
			return st
		}, 0x02},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newTestKey(t, Options{})
			withPIN(t, k, "2468")
			p := newPinPlatform(t, k, 2)
			token, st := p.token("2468", 0x08, "")
			wantStatus(t, st, 0)
			wantStatus(t, tt.run(t, k, p, token), tt.want)
			if n := len(k.Enrollments()); n != 0 {
				t.Errorf("%d fingerprints enrolled", n)
			}
		})
	}
	t.Run("getModality says fingerprint", func(t *testing.T) {
		k := newTestKey(t, Options{})
		var r bioReply
		callOK(t, k, 0x09, map[int]any{6: true}, &r)
		if r.Modality != 1 {
			t.Fatalf("modality = %d", r.Modality)
		}
	})
	t.Run("the sensor holds five fingerprints", func(t *testing.T) {
		k := newTestKey(t, Options{})
		withPIN(t, k, "2468")
		for range 5 {
			enrol(t, k, "2468")
		}
		p := newPinPlatform(t, k, 2)
		token, _ := p.token("2468", 0x08, "")
		st, _ := p.bio(0x09, token, 0x01, map[int]any{3: 1000})
		wantStatus(t, st, 0x17)
	})
}

// uvToken asks for getPinUvAuthTokenUsingUvWithPermissions (CTAP 2.1 §6.5.5.7.3).
func (p *pinPlatform) uvToken(perms int, rpID string) ([]byte, byte) {
	p.t.Helper()
	st, body := call(p.t, p.k, cborClientPIN, cpRequest{Protocol: p.protocol, SubCommand: 6,
		KeyAgreement: p.key, Permissions: perms, RPID: rpID})
	if st != 0 {
		return nil, st
	}
	var r cpReply
	if err := cbor.Unmarshal(body, &r); err != nil {
		p.t.Fatal(err)
	}
	return p.decrypt(r.Token), 0
}

func uvRetries(t *testing.T, k Transport) int {
	t.Helper()
	var r struct {
		UVRetries *int `cbor:"5,keyasint"`
	}
	callOK(t, k, cborClientPIN, cpRequest{SubCommand: 7}, &r)
	if r.UVRetries == nil {
		t.Fatal("getUVRetries reply lacks uvRetries")
	}
	return *r.UVRetries
}

func TestUserVerificationByFingerprint(t *testing.T) {
	k := newTestKey(t, Options{})
	withPIN(t, k, "2468")

	t.Run("without an enrolled finger there is no built-in UV", func(t *testing.T) {
		_, st := newPinPlatform(t, k, 2).uvToken(0x01, "nhs.uk")
		wantStatus(t, st, 0x30)
	})
	enrol(t, k, "2468")
	if n := uvRetries(t, k); n != 5 {
		t.Fatalf("uvRetries = %d, want 5", n)
	}

	t.Run("the finger gives a token, and its touch is the registration's presence", func(t *testing.T) {
		p := newPinPlatform(t, k, 2)
		token, st := p.uvToken(0x01, "nhs.uk")
		wantStatus(t, st, 0)
		k.SetBehaviour(Cancelled()) // a second touch would be cancelled
		defer k.SetBehaviour(Succeed())
		req := newMC("nhs.uk", "alice", true)
		req.PinUvAuthParam, req.PinUvAuthProtocol = p.auth(token, req.ClientDataHash), 2
		var r mcReply
		callOK(t, k, cborMakeCredential, req, &r)
		if f := parseAuthData(t, r.AuthData).flags; f != 0x45 {
			t.Fatalf("flags = %#02x, want UP|UV|AT", f)
		}
	})
	t.Run("the acfg permission is not given for a finger", func(t *testing.T) {
		_, st := newPinPlatform(t, k, 2).uvToken(0x20, "")
		wantStatus(t, st, 0x40)
	})
	t.Run("a wrong finger fails until built-in UV is blocked; the PIN still works", func(t *testing.T) {
		for want := 4; want >= 0; want-- {
			k.SetBehaviour(WrongFinger())
			_, st := newPinPlatform(t, k, 2).uvToken(0x02, "nhs.uk")
			if want > 0 {
				wantStatus(t, st, 0x3f) // CTAP2_ERR_UV_INVALID
			} else {
				wantStatus(t, st, 0x3c) // CTAP2_ERR_UV_BLOCKED
			}
			if n := uvRetries(t, k); n != want {
				t.Fatalf("uvRetries = %d, want %d", n, want)
			}
		}
		_, st := newPinPlatform(t, k, 2).uvToken(0x02, "nhs.uk")
		wantStatus(t, st, 0x3c)
		_, st = newPinPlatform(t, k, 2).token("2468", 0x02, "nhs.uk")
		wantStatus(t, st, 0)
		if n := uvRetries(t, k); n != 5 {
			t.Fatalf("after the right PIN uvRetries = %d, want 5", n)
		}
		_, st = newPinPlatform(t, k, 2).uvToken(0x02, "nhs.uk")
		wantStatus(t, st, 0)
	})
}
