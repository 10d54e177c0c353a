package hybrid

import (
	"bytes"
	"crypto/ecdh"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/flynn/noise"

	"github.com/nhs-passkeys/companion/internal/phonetest/noisep256"
)

// No fixed caBLE handshake transcript is published (Chromium and libwebauthn test with
// random ephemerals; HYBRID-NOTES §3.3). These tests pin one made with fixed keys, and check
// the handshake against an independent implementation: github.com/flynn/noise with a P-256
// DH function, the combination HYBRID-NOTES Part 2 §1.2 found byte-identical to Chromium's
// transcript.

// fixedKey is a P-256 key whose scalar is SHA-256(seed).
func fixedKey(t *testing.T, seed string) *ecdh.PrivateKey {
	t.Helper()
	s := sha256.Sum256([]byte(seed))
	k, err := ecdh.P256().NewPrivateKey(s[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// flynnResponder is the phone's side in flynn/noise.
func flynnResponder(t *testing.T, identityPub, psk []byte, ephemeralSeed string) *noise.HandshakeState {
	t.Helper()
	eph := sha256.Sum256([]byte(ephemeralSeed))
	hs, err := noise.NewHandshakeState(noise.Config{
		CipherSuite:           noisep256.CipherSuite,
		Random:                bytes.NewReader(eph[:]),
		Pattern:               noise.HandshakeKN,
		Initiator:             false,
		Prologue:              []byte{prologueQR},
		PresharedKey:          psk,
		PresharedKeyPlacement: 0,
		PeerStatic:            identityPub,
	})
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

// The pinned transcript: identity scalar SHA-256("identity"), desktop ephemeral
// SHA-256("desktop ephemeral"), phone ephemeral SHA-256("phone ephemeral"), PSK 32×0x42.
const (
	pinnedInitiatorMessage = "04580f047f36ce693f3ce29297646ec134744ba0dab9b1db7b7d3f6c5e32a0557fc1e91405261e5ee86ea7844add405abb5b478880d75e07d17e3debb56242fd3be61e0d9319da4dadfa17392e858bcfda"
	pinnedResponderMessage = "0476fae8d460c16438298e2dc6b02c21f0c1f7faf1f9673f84585925d718989eecd15341a6f7e720aa53c354e0fa7ea825900c3b8eb89466e2370867c73591241406c9ce9b4eaf13cb4c05603136082e3f"
	pinnedHandshakeHash    = "48a7f269d9c84fd3380c9956647350b0499ca732b7cf529d9137a39f8f557112"
)

func TestHandshakeIsByteIdenticalToFlynnNoise(t *testing.T) {
	identity := fixedKey(t, "identity")
	ephemeral := fixedKey(t, "desktop ephemeral")
	psk := bytes.Repeat([]byte{0x42}, 32)

	// The desktop's first message equals flynn/noise's initiator's with the same keys.
	init, msg1, err := startHandshake(identity, ephemeral, bytes.Clone(psk))
	if err != nil {
		t.Fatal(err)
	}
	ephSeed := sha256.Sum256([]byte("desktop ephemeral"))
	flynnInit, err := noise.NewHandshakeState(noise.Config{
		CipherSuite:           noisep256.CipherSuite,
		Random:                bytes.NewReader(ephSeed[:]),
		Pattern:               noise.HandshakeKN,
		Initiator:             true,
		Prologue:              []byte{prologueQR},
		PresharedKey:          psk,
		PresharedKeyPlacement: 0,
		StaticKeypair:         noise.DHKey{Private: identity.Bytes(), Public: identity.PublicKey().Bytes()},
	})
	if err != nil {
		t.Fatal(err)
	}
	want1, _, _, err := flynnInit.WriteMessage(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(msg1) != handshakeMessageSize || !bytes.Equal(msg1, want1) {
		t.Fatalf("first message\n got %x\nwant %x", msg1, want1)
	}

	// The phone (flynn responder) accepts it and answers; the desktop reads the answer.
	phone := flynnResponder(t, identity.PublicKey().Bytes(), psk, "phone ephemeral")
	if _, _, _, err := phone.ReadMessage(nil, msg1); err != nil {
		t.Fatalf("the responder refused the first message: %v", err)
	}
	msg2, cs1, cs2, err := phone.WriteMessage(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(msg2) != handshakeMessageSize {
		t.Fatalf("answer is %d bytes", len(msg2))
	}
	c, hash, err := init.finish(msg2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(hash[:], phone.ChannelBinding()) {
		t.Errorf("handshake hash %x, flynn's channel binding %x", hash, phone.ChannelBinding())
	}

	// flynn returns (initiator→responder, responder→initiator) on both sides.
	toPhone, fromPhone := cs1, cs2
	ct, err := fromPhone.Encrypt(nil, nil, pad([]byte("post-handshake")))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.decrypt(ct); err != nil || string(got) != "post-handshake" {
		t.Fatalf("desktop read the phone's message as %q, %v", got, err)
	}
	ct, err = c.encrypt([]byte{1, 2, 0xa0})
	if err != nil {
		t.Fatal(err)
	}
	got, err := toPhone.Decrypt(nil, nil, ct)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := unpad(got); err != nil || !bytes.Equal(got, []byte{1, 2, 0xa0}) {
		t.Fatalf("phone read %x, %v", got, err)
	}
}

func TestHandshakeFailsWithTheWrongKeysOrATamperedAnswer(t *testing.T) {
	identity := fixedKey(t, "identity")
	psk := bytes.Repeat([]byte{0x42}, 32)
	wrongPSK := bytes.Clone(psk)
	wrongPSK[0] ^= 1

	// Chromium "KNHandshake": a phone with another PSK, or that read another QR code's
	// identity, refuses the desktop's message.
	for name, phone := range map[string]*noise.HandshakeState{
		"a phone with another PSK refuses the first message":      flynnResponder(t, identity.PublicKey().Bytes(), wrongPSK, "p"),
		"a phone that knows another identity refuses the message": flynnResponder(t, fixedKey(t, "other").PublicKey().Bytes(), psk, "p"),
	} {
		_, msg1, err := startHandshake(identity, fixedKey(t, "e"), bytes.Clone(psk))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := phone.ReadMessage(nil, msg1); err == nil {
			t.Errorf("%s: it accepted", name)
		}
	}

	// Every changed byte of the answer, and every other length, is refused.
	answer := func() (*initiator, []byte) {
		init, msg1, err := startHandshake(identity, fixedKey(t, "e"), bytes.Clone(psk))
		if err != nil {
			t.Fatal(err)
		}
		phone := flynnResponder(t, identity.PublicKey().Bytes(), psk, "p")
		if _, _, _, err := phone.ReadMessage(nil, msg1); err != nil {
			t.Fatal(err)
		}
		msg2, _, _, err := phone.WriteMessage(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return init, msg2
	}
	_, good := answer()
	for i := range good {
		init, _ := answer()
		bad := bytes.Clone(good)
		bad[i] ^= 0x01
		if _, _, err := init.finish(bad); err == nil {
			t.Errorf("answer with byte %d changed was accepted", i)
		}
	}
	for _, n := range []int{0, 65, 80, 82, 97} {
		init, msg2 := answer()
		bad := make([]byte, n)
		copy(bad, msg2)
		if _, _, err := init.finish(bad); err == nil {
			t.Errorf("answer of %d bytes was accepted", n)
		}
	}
	// An answer from a phone with another PSK is refused by the desktop.
	init, _, err := startHandshake(identity, fixedKey(t, "e"), bytes.Clone(psk))
	if err != nil {
		t.Fatal(err)
	}
	impostor := flynnResponder(t, identity.PublicKey().Bytes(), wrongPSK, "p")
	_, other, err := startHandshake(identity, fixedKey(t, "e"), bytes.Clone(wrongPSK))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := impostor.ReadMessage(nil, other); err != nil {
		t.Fatal(err)
	}
	msg2, _, _, err := impostor.WriteMessage(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := init.finish(msg2); err == nil {
		t.Error("an answer made with another PSK was accepted")
	}
}

func TestHandshakeMatchesThePinnedTranscript(t *testing.T) {
	identity := fixedKey(t, "identity")
	init, msg1, err := startHandshake(identity, fixedKey(t, "desktop ephemeral"), bytes.Repeat([]byte{0x42}, 32))
	if err != nil {
		t.Fatal(err)
	}
	phone := flynnResponder(t, identity.PublicKey().Bytes(), bytes.Repeat([]byte{0x42}, 32), "phone ephemeral")
	if _, _, _, err := phone.ReadMessage(nil, msg1); err != nil {
		t.Fatal(err)
	}
	msg2, _, _, err := phone.WriteMessage(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, hash, err := init.finish(msg2)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"initiator message", hex.EncodeToString(msg1), pinnedInitiatorMessage},
		{"responder message", hex.EncodeToString(msg2), pinnedResponderMessage},
		{"handshake hash", hex.EncodeToString(hash[:]), pinnedHandshakeHash},
	} {
		if c.got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.name, c.got, c.want)
		}
	}
}
