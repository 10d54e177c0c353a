package hybrid

import (
	"bytes"
	"testing"
)

// Chromium v2_handshake_unittest.cc "MessageEncrytion": every length up to 530 bytes goes
// through, and a message with any changed bit does not.
func TestCrypterCarriesEveryLengthAndRefusesChangedMessages(t *testing.T) {
	key1, key2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	a, err := newCrypter(bytes.Clone(key1), bytes.Clone(key2))
	if err != nil {
		t.Fatal(err)
	}
	b, err := newCrypter(bytes.Clone(key2), bytes.Clone(key1))
	if err != nil {
		t.Fatal(err)
	}
	var msg []byte
	for i := range 530 {
		ct, err := a.encrypt(msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(ct)%padGranularity != gcmTagSize%padGranularity {
			t.Fatalf("length %d: ciphertext of %d bytes is not padded", i, len(ct))
		}
		bad := bytes.Clone(ct)
		bad[(13*i)%len(bad)] ^= 1
		if _, err := b.decrypt(bad); err == nil {
			t.Fatalf("length %d: a changed message decrypted", i)
		}
		got, err := b.decrypt(ct)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("length %d: %x, %v", i, got, err)
		}
		msg = append(msg, byte(i))
	}
}

// A phone with an old Chromium (the "old construction": little-endian counter first in the
// nonce, additional data {2}) is understood, and answered the same way (webauthn-rs
// noise.rs "encrypt_decrypt").
func TestCrypterFallsBackToTheOldConstructionOfOlderPhones(t *testing.T) {
	phoneWrite, phoneRead := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 32)
	desktop, err := newCrypter(bytes.Clone(phoneWrite), bytes.Clone(phoneRead))
	if err != nil {
		t.Fatal(err)
	}
	w, _ := gcm(phoneWrite)
	r, _ := gcm(phoneRead)

	// A first message that opens in neither construction is refused and settles nothing.
	if _, err := desktop.decrypt(bytes.Repeat([]byte{0}, 48)); err == nil || desktop.settled {
		t.Fatalf("garbage decrypted (%v) or settled the construction", err)
	}
	nonce, ad := construction(true, 0)
	ct := w.Seal(nil, nonce[:], pad([]byte("post-handshake")), ad)
	got, err := desktop.decrypt(ct)
	if err != nil || string(got) != "post-handshake" || !desktop.old {
		t.Fatalf("old-construction message: %q, %v, old=%v", got, err, desktop.old)
	}
	answer, err := desktop.encrypt([]byte{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	padded, err := r.Open(nil, nonce[:], answer, ad)
	if err != nil {
		t.Fatalf("the desktop did not answer in the old construction: %v", err)
	}
	if got, _ := unpad(padded); !bytes.Equal(got, []byte{1, 2, 3}) {
		t.Errorf("answer %x", got)
	}
	// Once settled, a new-construction message is no longer accepted.
	nonce, _ = construction(false, 1)
	if _, err := desktop.decrypt(w.Seal(nil, nonce[:], pad(nil), nil)); err == nil {
		t.Error("the construction changed after the first message")
	}
}
