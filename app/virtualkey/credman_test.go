package virtualkey

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// Credential management requests, as a platform builds them (CTAP 2.1 §6.8): subCommandParams
// are encoded once, so the very bytes sent are the ones the pinUvAuthParam covers.

func encodeParams(t *testing.T, v any) cbor.RawMessage {
	t.Helper()
	if v == nil {
		return nil
	}
	b, err := ctap2.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// credMan sends one authenticatorCredentialManagement command (cmd 0x0A or 0x41). A nil token
// sends no pinUvAuthParam.
func (p *pinPlatform) credMan(cmd byte, token []byte, sub int, params any) (byte, []byte) {
	p.t.Helper()
	raw := encodeParams(p.t, params)
	req := map[int]any{1: sub}
	if raw != nil {
		req[2] = raw
	}
	if token != nil {
		req[3] = p.protocol
		req[4] = p.auth(token, slices.Concat([]byte{byte(sub)}, raw))
	}
	return call(p.t, p.k, cmd, req)
}

type cmReply struct {
	Existing         *int        `cbor:"1,keyasint"`
	Remaining        *int        `cbor:"2,keyasint"`
	RP               *rp         `cbor:"3,keyasint"`
	RPIDHash         []byte      `cbor:"4,keyasint"`
	TotalRPs         *int        `cbor:"5,keyasint"`
	User             *user       `cbor:"6,keyasint"`
	CredentialID     *descriptor `cbor:"7,keyasint"`
	PublicKey        map[int]any `cbor:"8,keyasint"`
	TotalCredentials *int        `cbor:"9,keyasint"`
	CredProtect      *int        `cbor:"10,keyasint"`
}

func (p *pinPlatform) credManOK(cmd byte, token []byte, sub int, params any) cmReply {
	p.t.Helper()
	st, body := p.credMan(cmd, token, sub, params)
	if st != 0 {
		p.t.Fatalf("credential management 0x%02x: status 0x%02x", sub, st)
	}
	var r cmReply
	if err := cbor.Unmarshal(body, &r); err != nil {
		p.t.Fatalf("decode: %v", err)
	}
	return r
}

func rpHash(id string) []byte {
	h := sha256.Sum256([]byte(id))
	return h[:]
}

// managedKey is a PIN-protected key with two passkeys for nhs.uk, one for example.org and a
// server-side credential for nhs.uk (which credential management does not see).
func managedKey(t *testing.T, opts Options) (*Key, map[string][]byte) {
	t.Helper()
	k := newTestKey(t, opts)
	ids := map[string][]byte{}
	for _, r := range []struct{ rp, name string }{{"nhs.uk", "alice"}, {"nhs.uk", "bob"}, {"example.org", "carol"}} {
		id, _ := register(t, k, newMC(r.rp, r.name, true))
		ids[r.name] = id
	}
	ids["dave"], _ = register(t, k, newMC("nhs.uk", "dave", false))
	withPIN(t, k, "2468")
	return k, ids
}

func TestCredentialManagementEnumeratesThePasskeys(t *testing.T) {
	// libfido2 1.12 sends the CTAP 2.1-PRE command 0x41; CTAP 2.1 platforms send 0x0A.
	for _, cmd := range []byte{0x0a, 0x41} {
		t.Run(fmt.Sprintf("command 0x%02x", cmd), func(t *testing.T) {
			k, ids := managedKey(t, Options{Capacity: 5})
			p := newPinPlatform(t, k, 2)
			token, st := p.token("2468", 0x04, "")
			wantStatus(t, st, 0)

			m := p.credManOK(cmd, token, 0x01, nil)
			if m.Existing == nil || *m.Existing != 3 || m.Remaining == nil || *m.Remaining != 2 {
				t.Fatalf("metadata: existing %v remaining %v, want 3 and 2", m.Existing, m.Remaining)
			}

			first := p.credManOK(cmd, token, 0x02, nil)
			if first.TotalRPs == nil || *first.TotalRPs != 2 || first.RP == nil || first.RP.ID != "nhs.uk" ||
				first.RP.Name != "NHS login" || !bytes.Equal(first.RPIDHash, rpHash("nhs.uk")) {
				t.Fatalf("first RP = %+v %x total %v", first.RP, first.RPIDHash, first.TotalRPs)
			}
			next := p.credManOK(cmd, nil, 0x03, nil)
			if next.RP == nil || next.RP.ID != "example.org" || !bytes.Equal(next.RPIDHash, rpHash("example.org")) ||
				next.TotalRPs != nil {
				t.Fatalf("second RP = %+v total %v", next.RP, next.TotalRPs)
			}
			st, _ = p.credMan(cmd, nil, 0x03, nil)
			wantStatus(t, st, 0x30)

			params := map[int]any{1: rpHash("nhs.uk")}
			c1 := p.credManOK(cmd, token, 0x04, params)
			c2 := p.credManOK(cmd, nil, 0x05, nil)
			st, _ = p.credMan(cmd, nil, 0x05, nil)
			wantStatus(t, st, 0x30)
			if c1.TotalCredentials == nil || *c1.TotalCredentials != 2 || c2.TotalCredentials != nil {
				t.Fatalf("totalCredentials %v then %v, want 2 then absent", c1.TotalCredentials, c2.TotalCredentials)
			}
			creds := k.Credentials()
			for i, c := range []cmReply{c1, c2} {
				name := []string{"alice", "bob"}[i]
				if c.User == nil || string(c.User.ID) != "uid-"+name || c.User.Name != name ||
					c.User.DisplayName != "Display "+name {
					t.Errorf("credential %d: user %+v", i, c.User)
				}
				if c.CredentialID == nil || !bytes.Equal(c.CredentialID.ID, ids[name]) || c.CredentialID.Type != "public-key" {
					t.Errorf("credential %d: id %+v", i, c.CredentialID)
				}
				if c.CredProtect == nil || *c.CredProtect != 1 {
					t.Errorf("credential %d: credProtect %v, want 1 (userVerificationOptional)", i, c.CredProtect)
				}
				// The COSE key is the credential's public key.
				j := slices.IndexFunc(creds, func(ci CredentialInfo) bool { return bytes.Equal(ci.ID, ids[name]) })
				priv, _ := k.st.Credentials[j].signer()
				pub, _ := priv.PublicKey.Bytes()
				if c.PublicKey[1] != uint64(2) || c.PublicKey[3] != int64(-7) || c.PublicKey[-1] != uint64(1) ||
					!bytes.Equal(c.PublicKey[-2].([]byte), pub[1:33]) || !bytes.Equal(c.PublicKey[-3].([]byte), pub[33:]) {
					t.Errorf("credential %d: public key %v", i, c.PublicKey)
				}
			}
		})
	}
}

func TestCredentialManagementRefusals(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, k *Key, p *pinPlatform) byte
		want byte
	}{
		{"without a pinUvAuthParam the token is required", func(t *testing.T, k *Key, p *pinPlatform) byte {
			st, _ := p.credMan(0x0a, nil, 0x01, nil)
			return st
		}, 0x36},
		{"a pinUvAuthParam made with another key is refused", func(t *testing.T, k *Key, p *pinPlatform) byte {
			st, _ := p.credMan(0x0a, make([]byte, 32), 0x01, nil)
			return st
		}, 0x33},
		{"a pinUvAuthParam over other parameters is refused", func(t *testing.T, k *Key, p *pinPlatform) byte {
			token, _ := p.token("2468", 0x04, "")
			raw := encodeParams(t, map[int]any{1: rpHash("nhs.uk")})
			st, _ := call(t, k, 0x0a, map[int]any{1: 0x04, 2: raw, 3: 2,
				4: p.auth(token, slices.Concat([]byte{0x04}, encodeParams(t, map[int]any{1: rpHash("example.org")})))})
			return st
		}, 0x33},
		{"a token without the cm permission is refused", func(t *testing.T, k *Key, p *pinPlatform) byte {
			token, _ := p.token("2468", 0x03, "")
			st, _ := p.credMan(0x0a, token, 0x01, nil)
			return st
		}, 0x33},
		{"a token bound to one RP cannot read the whole key's metadata", func(t *testing.T, k *Key, p *pinPlatform) byte {
			token, _ := p.token("2468", 0x04, "nhs.uk")
			st, _ := p.credMan(0x0a, token, 0x01, nil)
			return st
		}, 0x33},
		{"a token bound to one RP cannot list the RPs", func(t *testing.T, k *Key, p *pinPlatform) byte {
			token, _ := p.token("2468", 0x04, "nhs.uk")
			st, _ := p.credMan(0x0a, token, 0x02, nil)
			return st
		}, 0x33},
		{"a token bound to one RP cannot list another RP's credentials", func(t *testing.T, k *Key, p *pinPlatform) byte {
			token, _ := p.token("2468", 0x04, "nhs.uk")
			st, _ := p.credMan(0x0a, token, 0x04, map[int]any{1: rpHash("example.org")})
			return st
		}, 0x33},
		{"a token bound to the RP lists its credentials", func(t *testing.T, k *Key, p *pinPlatform) byte {
			token, _ := p.token("2468", 0x04, "nhs.uk")
			st, _ := p.credMan(0x0a, token, 0x04, map[int]any{1: rpHash("nhs.uk")})
			return st
		}, 0x00},
		{"an RP with no passkeys has no credentials", func(t *testing.T, k *Key, p *pinPlatform) byte {
			token, _ := p.token("2468", 0x04, "")
			st, _ := p.credMan(0x0a, token, 0x04, map[int]any{1: rpHash("nobody.example")})
			return st
		}, 0x2e},
		{"enumerateCredentialsBegin without rpIDHash is a missing parameter", func(t *testing.T, k *Key, p *pinPlatform) byte {
			token, _ := p.token("2468", 0x04, "")
			st, _ := p.credMan(0x0a, token, 0x04, map[int]any{})
			return st
		}, 0x14},
		{"getNextRP without enumerateRPsBegin is not allowed", func(t *testing.T, k *Key, p *pinPlatform) byte {
			st, _ := p.credMan(0x0a, nil, 0x03, nil)
			return st
		}, 0x30},
		{"another command ends an enumeration", func(t *testing.T, k *Key, p *pinPlatform) byte {
			token, _ := p.token("2468", 0x04, "")
			p.credManOK(0x0a, token, 0x02, nil)
			getInfo(t, k)
			st, _ := p.credMan(0x0a, nil, 0x03, nil)
			return st
		}, 0x30},
		{"an unknown sub-command is an invalid subcommand", func(t *testing.T, k *Key, p *pinPlatform) byte {
			st, _ := p.credMan(0x0a, nil, 0x08, nil)
			return st
		}, 0x3e},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, _ := managedKey(t, Options{})
			p := newPinPlatform(t, k, 2)
			wantStatus(t, tt.run(t, k, p), tt.want)
			if n := len(k.Credentials()); n != 4 {
				t.Errorf("the key holds %d credentials, want all 4 still", n)
			}
		})
	}
	t.Run("a key with no passkeys has no RPs to list", func(t *testing.T) {
		k := newTestKey(t, Options{})
		withPIN(t, k, "2468")
		p := newPinPlatform(t, k, 1) // PIN/UV auth protocol 1 works too
		token, _ := p.token("2468", 0x04, "")
		m := p.credManOK(0x0a, token, 0x01, nil)
		if *m.Existing != 0 || *m.Remaining != 25 {
			t.Errorf("metadata %d %d", *m.Existing, *m.Remaining)
		}
		st, _ := p.credMan(0x0a, token, 0x02, nil)
		wantStatus(t, st, 0x2e)
	})
}

func TestDeleteCredential(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.json")
	k, ids := managedKey(t, Options{State: path})
	p := newPinPlatform(t, k, 2)
	token, _ := p.token("2468", 0x04, "")

	del := func(id []byte) byte {
		st, _ := p.credMan(0x41, token, 0x06, map[int]any{2: descriptor{ID: id, Type: "public-key"}})
		return st
	}
	wantStatus(t, del(ids["bob"]), 0)
	for _, c := range k.Credentials() {
		if bytes.Equal(c.ID, ids["bob"]) {
			t.Fatal("bob's passkey is still on the key")
		}
	}
	// A login with the deleted passkey finds nothing.
	st, _ := call(t, k, cborGetAssertion, gaRequest{RPID: "nhs.uk", ClientDataHash: cdhOf("x"),
		AllowList: []descriptor{{ID: ids["bob"], Type: "public-key"}}})
	wantStatus(t, st, 0x2e)

	t.Run("deleting it again finds nothing", func(t *testing.T) { wantStatus(t, del(ids["bob"]), 0x2e) })
	t.Run("a server-side credential is not managed", func(t *testing.T) { wantStatus(t, del(ids["dave"]), 0x2e) })
	t.Run("a token bound to another RP cannot delete", func(t *testing.T) {
		p := newPinPlatform(t, k, 2)
		token, _ := p.token("2468", 0x04, "example.org")
		st, _ := p.credMan(0x0a, token, 0x06, map[int]any{2: descriptor{ID: ids["alice"], Type: "public-key"}})
		wantStatus(t, st, 0x33)
	})
	t.Run("the deletion is in the state file", func(t *testing.T) {
		k2, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(k2.Credentials()); n != 3 {
			t.Fatalf("the reopened key holds %d credentials, want 3", n)
		}
	})
	t.Run("metadata counts what is left", func(t *testing.T) {
		p := newPinPlatform(t, k, 2)
		token, _ := p.token("2468", 0x04, "")
		if m := p.credManOK(0x0a, token, 0x01, nil); *m.Existing != 2 {
			t.Fatalf("existing = %d, want 2", *m.Existing)
		}
	})
}

func TestUpdateUserInformation(t *testing.T) {
	k, ids := managedKey(t, Options{})
	p := newPinPlatform(t, k, 2)
	token, _ := p.token("2468", 0x04, "")
	update := func(u user) byte {
		st, _ := p.credMan(0x0a, token, 0x07, map[int]any{
			2: descriptor{ID: ids["alice"], Type: "public-key"}, 3: u})
		return st
	}
	wantStatus(t, update(user{ID: []byte("uid-alice"), Name: "alice.smith", DisplayName: "Alice Smith"}), 0)
	i := slices.IndexFunc(k.Credentials(), func(c CredentialInfo) bool { return bytes.Equal(c.ID, ids["alice"]) })
	if c := k.Credentials()[i]; c.UserName != "alice.smith" || c.UserDisplayName != "Alice Smith" {
		t.Fatalf("after update: %+v", c)
	}
	t.Run("another user handle is an invalid parameter", func(t *testing.T) {
		wantStatus(t, update(user{ID: []byte("uid-mallory"), Name: "mallory"}), 0x02)
	})
	t.Run("a field left out is removed", func(t *testing.T) {
		wantStatus(t, update(user{ID: []byte("uid-alice"), Name: "alice"}), 0)
		if c := k.Credentials()[i]; c.UserName != "alice" || c.UserDisplayName != "" {
			t.Fatalf("after update: %+v", c)
		}
	})
}
