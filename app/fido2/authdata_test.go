//go:build cgo && !windows

package fido2

import (
	"bytes"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

func TestUnwrapByteStringGivesTheRawBytes(t *testing.T) {
	for _, n := range []int{0, 23, 24, 37, 255, 256, 70000} {
		raw := bytes.Repeat([]byte{0xab}, n)
		wrapped, err := cbor.Marshal(raw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := unwrapByteString(wrapped)
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("%d bytes: got %d bytes, %v", n, len(got), err)
		}
	}
}

func TestUnwrapByteStringRefusesAnythingElse(t *testing.T) {
	text, _ := cbor.Marshal("text")
	for name, b := range map[string][]byte{
		"empty":            nil,
		"a text string":    text,
		"a short string":   {0x45, 1, 2},
		"trailing bytes":   {0x42, 1, 2, 3},
		"indefinite bytes": {0x5f, 0x41, 1, 0xff},
	} {
		if _, err := unwrapByteString(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCBORItemLengthMatchesAFullDecoder(t *testing.T) {
	items := []any{
		map[int]any{1: 2, 3: -7, -1: 1, -2: bytes.Repeat([]byte{1}, 32), -3: bytes.Repeat([]byte{2}, 32)},
		map[string]any{"alg": -7, "sig": []byte{1, 2, 3}, "x5c": [][]byte{{1}, bytes.Repeat([]byte{9}, 300)}},
		[]any{uint64(1) << 40, -1000000, "héllo", true, nil, 1.5},
		cbor.Tag{Number: 24, Content: []byte{1}},
	}
	for _, item := range items {
		enc, err := cbor.Marshal(item)
		if err != nil {
			t.Fatal(err)
		}
		n, err := cborItemLen(append(enc, 0xff, 0xee))
		if err != nil || n != len(enc) {
			t.Errorf("%T: got %d, %v; want %d", item, n, err, len(enc))
		}
	}
	if _, err := cborItemLen([]byte{0xa5, 0x01}); err == nil {
		t.Error("a truncated map was accepted")
	}
	if _, err := cborItemLen(bytes.Repeat([]byte{0x81}, 100)); err == nil {
		t.Error("nesting without limit was accepted")
	}
}

func TestAttestationObjectIsTheCanonicalMap(t *testing.T) {
	c := &Credential{Format: "packed", AuthData: []byte{1, 2, 3},
		AttestationStatement: []byte{0xa1, 0x63, 's', 'i', 'g', 0x41, 9}}
	var obj struct {
		Fmt      string          `cbor:"fmt"`
		AttStmt  cbor.RawMessage `cbor:"attStmt"`
		AuthData []byte          `cbor:"authData"`
	}
	if err := cbor.Unmarshal(c.AttestationObject(), &obj); err != nil {
		t.Fatal(err)
	}
	if obj.Fmt != "packed" || !bytes.Equal(obj.AttStmt, c.AttestationStatement) ||
		!bytes.Equal(obj.AuthData, c.AuthData) {
		t.Fatalf("got %+v", obj)
	}
	none := &Credential{Format: "none", AuthData: []byte{1}}
	if err := cbor.Unmarshal(none.AttestationObject(), &obj); err != nil || !bytes.Equal(obj.AttStmt, []byte{0xa0}) {
		t.Fatalf("an empty attStmt: %x, %v", obj.AttStmt, err)
	}
}
