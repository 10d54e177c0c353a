package virtualkey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"slices"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

type infoReply struct {
	Versions           []string         `cbor:"1,keyasint"`
	Extensions         []string         `cbor:"2,keyasint"`
	AAGUID             []byte           `cbor:"3,keyasint"`
	Options            map[string]bool  `cbor:"4,keyasint"`
	MaxMsgSize         uint64           `cbor:"5,keyasint"`
	PinUvAuthProtocols []uint64         `cbor:"6,keyasint"`
	MaxCredCount       uint64           `cbor:"7,keyasint"`
	MaxCredIDLen       uint64           `cbor:"8,keyasint"`
	Transports         []string         `cbor:"9,keyasint"`
	Algorithms         []map[string]any `cbor:"10,keyasint"`
	ForcePINChange     bool             `cbor:"12,keyasint"`
	MinPINLength       uint64           `cbor:"13,keyasint"`
	FirmwareVersion    uint64           `cbor:"14,keyasint"`
	UVModality         uint64           `cbor:"18,keyasint"`
	RemainingRKs       *uint64          `cbor:"20,keyasint"`
}

func getInfo(t *testing.T, k Transport) infoReply {
	t.Helper()
	var info infoReply
	callOK(t, k, cborGetInfo, nil, &info)
	return info
}

func TestGetInfo(t *testing.T) {
	aaguid := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	k := newTestKey(t, Options{AAGUID: aaguid, Capacity: 3})

	info := getInfo(t, k)
	if !slices.Equal(info.Versions, []string{"FIDO_2_0", "FIDO_2_1"}) {
		t.Errorf("versions = %v", info.Versions)
	}
	mustEqual(t, "aaguid", info.AAGUID, aaguid[:])
	wantOptions := map[string]bool{"rk": true, "up": true, "clientPin": false, "pinUvAuthToken": true, "makeCredUvNotRqd": false,
		"credMgmt": true, "bioEnroll": false, "uvBioEnroll": true, "authnrCfg": true, "setMinPINLength": true}
	for name, want := range wantOptions {
		got, ok := info.Options[name]
		if !ok || got != want {
			t.Errorf("option %q = %v (present %v), want %v", name, got, ok, want)
		}
	}
	// Built-in user verification is the fingerprint sensor: supported, but not configured
	// until a finger is enrolled (bio_test.go).
	if uv, ok := info.Options["uv"]; !ok || uv {
		t.Errorf("option uv = %v (present %v), want false until a fingerprint is enrolled", uv, ok)
	}
	if info.MaxMsgSize != 2048 {
		t.Errorf("maxMsgSize = %d", info.MaxMsgSize)
	}
	if !slices.Equal(info.PinUvAuthProtocols, []uint64{2, 1}) {
		t.Errorf("pinUvAuthProtocols = %v, want [2 1]", info.PinUvAuthProtocols)
	}
	if !slices.Equal(info.Transports, []string{"usb"}) {
		t.Errorf("transports = %v", info.Transports)
	}
	if len(info.Algorithms) != 1 || info.Algorithms[0]["alg"] != int64(-7) || info.Algorithms[0]["type"] != "public-key" {
		t.Errorf("algorithms = %v, want ES256 only", info.Algorithms)
	}
	if info.UVModality != 2 || info.ForcePINChange {
		t.Errorf("uvModality = %d (want 2, fingerprint), forcePINChange = %v", info.UVModality, info.ForcePINChange)
	}
	if info.MinPINLength != 4 || info.FirmwareVersion == 0 {
		t.Errorf("minPINLength = %d, firmwareVersion = %d", info.MinPINLength, info.FirmwareVersion)
	}
	if info.RemainingRKs == nil || *info.RemainingRKs != 3 {
		t.Fatalf("remainingDiscoverableCredentials = %v, want 3", info.RemainingRKs)
	}

	register(t, k, newMC("nhs.uk", "alice", true))
	register(t, k, newMC("nhs.uk", "bob", false))
	withPIN(t, k, "1234")
	info = getInfo(t, k)
	if *info.RemainingRKs != 2 {
		t.Errorf("after one discoverable and one server-side credential: remaining = %d, want 2", *info.RemainingRKs)
	}
	if !info.Options["clientPin"] {
		t.Errorf("clientPin is still false after setPIN")
	}
}

func TestGetInfoIsCanonicalCBOR(t *testing.T) {
	k := newTestKey(t, Options{})
	st, body := call(t, k, cborGetInfo, nil)
	wantStatus(t, st, 0)
	var v any
	if err := cbor.Unmarshal(body, &v); err != nil {
		t.Fatal(err)
	}
	again, err := ctap2.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, body) {
		t.Errorf("getInfo is not in CTAP2 canonical form:\n got %x\nwant %x", body, again)
	}
}

func TestMakeCredentialAttestation(t *testing.T) {
	tests := []struct {
		name        string
		attestation Attestation
		wantFmt     string
	}{
		{"packed self attestation is signed with the new credential's key", PackedSelf, "packed"},
		{"none attestation has an empty statement", NoAttestation, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			k := newTestKey(t, Options{Attestation: tt.attestation, Clock: clock.Now})
			req := newMC("nhs.uk", "alice", true)
			var r mcReply
			callOK(t, k, cborMakeCredential, req, &r)

			if r.Fmt != tt.wantFmt {
				t.Fatalf("fmt = %q, want %q", r.Fmt, tt.wantFmt)
			}
			a := parseAuthData(t, r.AuthData)
			rpHash := sha256.Sum256([]byte("nhs.uk"))
			mustEqual(t, "rpIdHash", a.rpIDHash, rpHash[:])
			if a.flags != 0x41 {
				t.Errorf("flags = %#02x, want UP|AT (0x41)", a.flags)
			}
			if a.count != 0 {
				t.Errorf("signCount = %d, want 0 for a new credential", a.count)
			}
			aaguid := DefaultAAGUID()
			mustEqual(t, "aaguid", a.aaguid, aaguid[:])
			if len(a.credID) != 32 {
				t.Errorf("credential id is %d bytes", len(a.credID))
			}
			if a.cose[1] != uint64(2) || a.cose[3] != int64(-7) || a.cose[-1] != uint64(1) {
				t.Errorf("COSE key = %v, want kty 2, alg -7, crv 1", a.cose)
			}

			switch tt.wantFmt {
			case "packed":
				var alg int
				var sig []byte
				if err := cbor.Unmarshal(r.AttStmt["alg"], &alg); err != nil || alg != -7 {
					t.Fatalf("attStmt alg = %d (%v), want -7", alg, err)
				}
				if err := cbor.Unmarshal(r.AttStmt["sig"], &sig); err != nil {
					t.Fatal(err)
				}
				if _, ok := r.AttStmt["x5c"]; ok {
					t.Errorf("self attestation must not carry x5c")
				}
				verifyES256(t, a.pub, r.AuthData, req.ClientDataHash, sig)
			case "none":
				if len(r.AttStmt) != 0 {
					t.Errorf("attStmt = %v, want empty", r.AttStmt)
				}
			}

			creds := k.Credentials()
			if len(creds) != 1 {
				t.Fatalf("key holds %d credentials, want 1", len(creds))
			}
			c := creds[0]
			if c.RPID != "nhs.uk" || c.UserName != "alice" || c.UserDisplayName != "Display alice" ||
				!bytes.Equal(c.ID, a.credID) || !c.Discoverable || !c.Created.Equal(clock.Now()) {
				t.Errorf("Credentials() = %+v", c)
			}
		})
	}
}

func TestMakeCredentialRefusals(t *testing.T) {
	tests := []struct {
		name   string
		change func(*mcRequest)
		want   byte
	}{
		{"RS256 alone is refused as an unsupported algorithm", func(r *mcRequest) {
			r.Params = []param{{Alg: -257, Type: "public-key"}}
		}, 0x26},
		{"EdDSA and RS256 alone are refused as unsupported algorithms", func(r *mcRequest) {
			r.Params = []param{{Alg: -8, Type: "public-key"}, {Alg: -257, Type: "public-key"}}
		}, 0x26},
		{"ES256 of an unknown credential type is not ES256", func(r *mcRequest) {
			r.Params = []param{{Alg: -7, Type: "secret-key"}}
		}, 0x26},
		{"a missing clientDataHash is a missing parameter", func(r *mcRequest) { r.ClientDataHash = nil }, 0x14},
		{"a missing rp is a missing parameter", func(r *mcRequest) { r.RP = nil }, 0x14},
		{"a missing user is a missing parameter", func(r *mcRequest) { r.User = nil }, 0x14},
		{"missing pubKeyCredParams are a missing parameter", func(r *mcRequest) { r.Params = nil }, 0x14},
		{"up=false is an invalid option for makeCredential", func(r *mcRequest) {
			r.Options = map[string]bool{"up": false}
		}, 0x2c},
		{"uv=true without a token is an invalid option (no built-in UV)", func(r *mcRequest) {
			r.Options = map[string]bool{"uv": true}
		}, 0x2c},
		{"a pinUvAuthParam without its protocol is a missing parameter", func(r *mcRequest) {
			r.PinUvAuthParam = make([]byte, 32)
		}, 0x14},
		{"PIN/UV auth protocol 3 is an invalid parameter", func(r *mcRequest) {
			r.PinUvAuthParam, r.PinUvAuthProtocol = make([]byte, 32), 3
		}, 0x02},
		{"a token that was never issued is an invalid pin auth", func(r *mcRequest) {
			r.PinUvAuthParam, r.PinUvAuthProtocol = make([]byte, 32), 2
		}, 0x33},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newTestKey(t, Options{})
			req := newMC("nhs.uk", "alice", true)
			tt.change(&req)
			st, _ := call(t, k, cborMakeCredential, req)
			wantStatus(t, st, tt.want)
			if n := len(k.Credentials()); n != 0 {
				t.Errorf("a refused makeCredential left %d credentials", n)
			}
		})
	}
}

func TestMakeCredentialPicksES256AmongOthers(t *testing.T) {
	k := newTestKey(t, Options{})
	req := newMC("nhs.uk", "alice", true)
	req.Params = []param{{Alg: -8, Type: "public-key"}, {Alg: -257, Type: "public-key"}, {Alg: -7, Type: "public-key"}}
	var r mcReply
	callOK(t, k, cborMakeCredential, req, &r)
	if a := parseAuthData(t, r.AuthData); a.cose[3] != int64(-7) {
		t.Errorf("alg = %v, want -7", a.cose[3])
	}
}

func TestMalformedRequests(t *testing.T) {
	tests := []struct {
		name string
		msg  []byte
		want byte
	}{
		{"an unknown command is CTAP1_ERR_INVALID_COMMAND", []byte{0x42}, 0x01},
		{"large blobs are not there yet", []byte{0x0c, 0xa0}, 0x01},
		{"credential management without a subCommand is a missing parameter", []byte{0x0a, 0xa0}, 0x14},
		{"bio enrollment without a modality is a missing parameter", []byte{0x09, 0xa0}, 0x14},
		{"authenticatorConfig without a subCommand is a missing parameter", []byte{0x0d, 0xa0}, 0x14},
		{"truncated CBOR is CTAP2_ERR_INVALID_CBOR", []byte{0x01, 0xa1, 0x01}, 0x12},
		{"a request that is not a map is CTAP2_ERR_CBOR_UNEXPECTED_TYPE", []byte{0x01, 0x80}, 0x11},
		{"a text clientDataHash is CTAP2_ERR_CBOR_UNEXPECTED_TYPE", []byte{0x01, 0xa1, 0x01, 0x61, 0x78}, 0x11},
		{"makeCredential without parameters is a missing parameter", []byte{0x01}, 0x14},
		{"getAssertion without parameters is a missing parameter", []byte{0x02}, 0x14},
		{"clientPIN without a subcommand is a missing parameter", []byte{0x06, 0xa0}, 0x14},
		{"clientPIN subcommand 0x08 is an invalid subcommand", []byte{0x06, 0xa1, 0x02, 0x08}, 0x3e},
		{"a message over maxMsgSize is too large", append([]byte{0x01}, make([]byte, 2048)...), 0x39},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newTestKey(t, Options{})
			if err := k.Tx(cmdCBOR, tt.msg); err != nil {
				t.Fatal(err)
			}
			reply, err := k.Rx(cmdCBOR, rxWait)
			if err != nil {
				t.Fatal(err)
			}
			if len(reply) != 1 {
				t.Fatalf("reply = %x, want a status byte alone", reply)
			}
			wantStatus(t, reply[0], tt.want)
		})
	}
}

func TestExcludeList(t *testing.T) {
	t.Run("a credential already on the key is excluded after a touch", func(t *testing.T) {
		k := newTestKey(t, Options{})
		id, _ := register(t, k, newMC("nhs.uk", "alice", true))
		req := newMC("nhs.uk", "alice", true)
		req.ExcludeList = []descriptor{{ID: []byte("someone else's"), Type: "public-key"}, {ID: id, Type: "public-key"}}
		st, _ := call(t, k, cborMakeCredential, req)
		wantStatus(t, st, 0x19)
		if n := len(k.Credentials()); n != 1 {
			t.Errorf("key holds %d credentials, want still 1", n)
		}
	})
	t.Run("the exclusion waits for the user: a cancel during that touch wins", func(t *testing.T) {
		k := newTestKey(t, Options{})
		id, _ := register(t, k, newMC("nhs.uk", "alice", true))
		req := newMC("nhs.uk", "alice", true)
		req.ExcludeList = []descriptor{{ID: id, Type: "public-key"}}
		k.SetBehaviour(Cancelled())
		st, _ := call(t, k, cborMakeCredential, req)
		wantStatus(t, st, 0x2d)
	})
	t.Run("a credential of another RP does not exclude", func(t *testing.T) {
		k := newTestKey(t, Options{})
		id, _ := register(t, k, newMC("example.org", "alice", true))
		req := newMC("nhs.uk", "alice", true)
		req.ExcludeList = []descriptor{{ID: id, Type: "public-key"}}
		register(t, k, req)
	})
}

func TestKeyStoreFull(t *testing.T) {
	t.Run("a discoverable credential past capacity is refused", func(t *testing.T) {
		k := newTestKey(t, Options{Capacity: 2})
		register(t, k, newMC("nhs.uk", "alice", true))
		register(t, k, newMC("nhs.uk", "bob", true))
		st, _ := call(t, k, cborMakeCredential, newMC("nhs.uk", "carol", true))
		wantStatus(t, st, 0x28)
		if n := len(k.Credentials()); n != 2 {
			t.Errorf("key holds %d credentials, want 2", n)
		}
	})
	t.Run("the same user again replaces their credential and needs no room", func(t *testing.T) {
		k := newTestKey(t, Options{Capacity: 1})
		old, _ := register(t, k, newMC("nhs.uk", "alice", true))
		id, _ := register(t, k, newMC("nhs.uk", "alice", true))
		creds := k.Credentials()
		if len(creds) != 1 || !bytes.Equal(creds[0].ID, id) || bytes.Equal(id, old) {
			t.Errorf("credentials = %+v, want only the new one", creds)
		}
	})
	t.Run("server-side credentials do not use discoverable capacity", func(t *testing.T) {
		k := newTestKey(t, Options{Capacity: 1})
		register(t, k, newMC("nhs.uk", "alice", true))
		register(t, k, newMC("nhs.uk", "bob", false))
	})
	t.Run("the Full behaviour refuses the next makeCredential only", func(t *testing.T) {
		k := newTestKey(t, Options{})
		k.SetBehaviour(Full())
		st, _ := call(t, k, cborMakeCredential, newMC("nhs.uk", "alice", true))
		wantStatus(t, st, 0x28)
		if n := len(k.Credentials()); n != 0 {
			t.Errorf("key holds %d credentials, want 0", n)
		}
		register(t, k, newMC("nhs.uk", "alice", true))
	})
}

func TestGetAssertion(t *testing.T) {
	t.Run("an allowList assertion verifies with the credential public key and counts up", func(t *testing.T) {
		k := newTestKey(t, Options{})
		id, pub := register(t, k, newMC("nhs.uk", "alice", false))
		for want := uint32(1); want <= 3; want++ {
			cdh := cdhOf("login")
			var r gaReply
			callOK(t, k, cborGetAssertion, gaRequest{RPID: "nhs.uk", ClientDataHash: cdh,
				AllowList: []descriptor{{ID: []byte("unknown"), Type: "public-key"}, {ID: id, Type: "public-key"}}}, &r)
			mustEqual(t, "credential id", r.Credential.ID, id)
			if r.Credential.Type != "public-key" {
				t.Errorf("credential type = %q", r.Credential.Type)
			}
			a := parseAuthData(t, r.AuthData)
			rpHash := sha256.Sum256([]byte("nhs.uk"))
			mustEqual(t, "rpIdHash", a.rpIDHash, rpHash[:])
			if a.flags != 0x01 {
				t.Errorf("flags = %#02x, want UP only", a.flags)
			}
			if a.count != want {
				t.Errorf("signCount = %d, want %d", a.count, want)
			}
			verifyES256(t, pub, r.AuthData, cdh, r.Signature)
			if r.User != nil {
				t.Errorf("a server-side credential returned a user entity %+v", r.User)
			}
			if got := k.Credentials()[0].SignCount; got != want {
				t.Errorf("stored signCount = %d, want %d", got, want)
			}
		}
	})
	t.Run("an unknown RP has no credentials", func(t *testing.T) {
		k := newTestKey(t, Options{})
		register(t, k, newMC("nhs.uk", "alice", true))
		st, _ := call(t, k, cborGetAssertion, gaRequest{RPID: "evil.example", ClientDataHash: cdhOf("x")})
		wantStatus(t, st, 0x2e)
	})
	t.Run("a credential of another RP in the allowList is not used", func(t *testing.T) {
		k := newTestKey(t, Options{})
		id, _ := register(t, k, newMC("nhs.uk", "alice", true))
		st, _ := call(t, k, cborGetAssertion, gaRequest{RPID: "evil.example", ClientDataHash: cdhOf("x"),
			AllowList: []descriptor{{ID: id, Type: "public-key"}}})
		wantStatus(t, st, 0x2e)
	})
	t.Run("up=false signs without a touch and without the UP flag", func(t *testing.T) {
		k := newTestKey(t, Options{})
		id, pub := register(t, k, newMC("nhs.uk", "alice", true))
		k.SetBehaviour(Cancelled()) // would fail if a touch were asked for
		var r gaReply
		callOK(t, k, cborGetAssertion, gaRequest{RPID: "nhs.uk", ClientDataHash: cdhOf("probe"),
			AllowList: []descriptor{{ID: id, Type: "public-key"}}, Options: map[string]bool{"up": false}}, &r)
		if a := parseAuthData(t, r.AuthData); a.flags != 0 {
			t.Errorf("flags = %#02x, want 0", a.flags)
		}
		verifyES256(t, pub, r.AuthData, cdhOf("probe"), r.Signature)
	})
	t.Run("the rk option is not supported in getAssertion", func(t *testing.T) {
		k := newTestKey(t, Options{})
		st, _ := call(t, k, cborGetAssertion, gaRequest{RPID: "nhs.uk", ClientDataHash: cdhOf("x"), Options: map[string]bool{"rk": true}})
		wantStatus(t, st, 0x2b)
	})
	t.Run("a discoverable credential returns its user handle but, without UV, no names", func(t *testing.T) {
		k := newTestKey(t, Options{})
		register(t, k, newMC("nhs.uk", "alice", true))
		var r gaReply
		callOK(t, k, cborGetAssertion, gaRequest{RPID: "nhs.uk", ClientDataHash: cdhOf("x")}, &r)
		if r.User == nil || string(r.User.ID) != "uid-alice" || r.User.Name != "" || r.User.DisplayName != "" {
			t.Errorf("user = %+v, want the id only", r.User)
		}
		if r.NumberOfCredentials != 0 {
			t.Errorf("numberOfCredentials = %d for a single credential", r.NumberOfCredentials)
		}
	})
}

func TestGetNextAssertion(t *testing.T) {
	clock := newFakeClock()
	k := newTestKey(t, Options{Clock: clock.Now})
	pubs := map[string]*ecdsa.PublicKey{}
	for _, name := range []string{"alice", "bob", "carol"} {
		id, pub := register(t, k, newMC("nhs.uk", name, true))
		pubs[string(id)] = pub
		clock.Advance(time.Minute)
	}
	register(t, k, newMC("example.org", "dave", true))

	cdh := cdhOf("who are you")
	var first gaReply
	callOK(t, k, cborGetAssertion, gaRequest{RPID: "nhs.uk", ClientDataHash: cdh}, &first)
	if first.NumberOfCredentials != 3 {
		t.Fatalf("numberOfCredentials = %d, want 3", first.NumberOfCredentials)
	}
	got := []gaReply{first}
	for range 2 {
		var next gaReply
		callOK(t, k, cborGetNextAssertion, nil, &next)
		if next.NumberOfCredentials != 0 {
			t.Errorf("getNextAssertion returned numberOfCredentials %d", next.NumberOfCredentials)
		}
		got = append(got, next)
	}
	var users []string
	for _, r := range got {
		users = append(users, string(r.User.ID))
		pub := pubs[string(r.Credential.ID)]
		if pub == nil {
			t.Fatalf("unknown credential %x", r.Credential.ID)
		}
		verifyES256(t, pub, r.AuthData, cdh, r.Signature)
		if a := parseAuthData(t, r.AuthData); a.flags != 0x01 || a.count != 1 {
			t.Errorf("flags %#02x count %d, want UP and 1", a.flags, a.count)
		}
	}
	if !slices.Equal(users, []string{"uid-carol", "uid-bob", "uid-alice"}) {
		t.Errorf("order = %v, want newest first", users)
	}

	st, _ := call(t, k, cborGetNextAssertion, nil)
	wantStatus(t, st, 0x30)

	t.Run("another command in between ends the sequence", func(t *testing.T) {
		callOK(t, k, cborGetAssertion, gaRequest{RPID: "nhs.uk", ClientDataHash: cdh}, nil)
		getInfo(t, k)
		st, _ := call(t, k, cborGetNextAssertion, nil)
		wantStatus(t, st, 0x30)
	})
	t.Run("the sequence expires after 30 seconds", func(t *testing.T) {
		callOK(t, k, cborGetAssertion, gaRequest{RPID: "nhs.uk", ClientDataHash: cdh}, nil)
		clock.Advance(31 * time.Second)
		st, _ := call(t, k, cborGetNextAssertion, nil)
		wantStatus(t, st, 0x30)
	})
	t.Run("without a getAssertion first it is not allowed", func(t *testing.T) {
		st, _ := call(t, newTestKey(t, Options{}), cborGetNextAssertion, nil)
		wantStatus(t, st, 0x30)
	})
}
