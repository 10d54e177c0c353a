package aaguid

import (
	"bytes"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
		ok   bool
	}{
		{"sixteen bytes are a UUID", []byte{0xcb, 0x69, 0x48, 0x1e, 0x8f, 0xf7, 0x40, 0x39, 0x93, 0xec, 0x0a, 0x27, 0x29, 0xa1, 0x54, 0xa8},
			"cb69481e-8ff7-4039-93ec-0a2729a154a8", true},
		{"the zero AAGUID is the zero UUID", make([]byte, 16), Zero, true},
		{"nothing is no AAGUID", nil, "", false},
		{"an empty slice is no AAGUID", []byte{}, "", false},
		{"fifteen bytes are no AAGUID", bytes.Repeat([]byte{1}, 15), "", false},
		{"seventeen bytes are no AAGUID", bytes.Repeat([]byte{1}, 17), "", false},
		{"a UUID's text is no AAGUID", []byte(Zero), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Format(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Format(%x) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
