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
	}{
		{"sixteen bytes are a UUID", []byte{0xcb, 0x69, 0x48, 0x1e, 0x8f, 0xf7, 0x40, 0x39, 0x93, 0xec, 0x0a, 0x27, 0x29, 0xa1, 0x54, 0xa8},
			"cb69481e-8ff7-4039-93ec-0a2729a154a8"},
		{"the zero AAGUID is the zero UUID", make([]byte, 16), Zero},
		{"nothing reads as the zero UUID", nil, Zero},
		{"an empty slice reads as the zero UUID", []byte{}, Zero},
		{"fifteen bytes are too short and read as the zero UUID", bytes.Repeat([]byte{1}, 15), Zero},
		{"seventeen bytes are too long and read as the zero UUID", bytes.Repeat([]byte{1}, 17), Zero},
		{"a UUID's text is no AAGUID and reads as the zero UUID", []byte("cb69481e-8ff7-4039-93ec-0a2729a154a8"), Zero},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Format(tt.in); got != tt.want {
				t.Errorf("Format(%x) = %q; want %q", tt.in, got, tt.want)
			}
		})
	}
}
