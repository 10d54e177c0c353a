package webauthndll

import (
	"errors"
	"testing"
	"unsafe"
)

func TestStringsGoToWindowsAsNULTerminatedUTF16(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		units []uint16
		back  string
	}{
		{"ASCII is one unit a letter", "nhs", []uint16{'n', 'h', 's', 0}, "nhs"},
		{"an accented letter is one unit", "é", []uint16{0xe9, 0}, "é"},
		{"an emoji beyond the BMP is a surrogate pair", "🩺", []uint16{0xd83e, 0xde7a, 0}, "🩺"},
		{"the empty string is a lone NUL", "", []uint16{0}, ""},
		{"invalid UTF-8 becomes U+FFFD", "a\xffb", []uint16{'a', 0xfffd, 'b', 0}, "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := utf16z(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := unsafe.Slice(p, len(tt.units))
			for i := range tt.units {
				if got[i] != tt.units[i] {
					t.Fatalf("units %x, want %x", got, tt.units)
				}
			}
			if back := goString(p); back != tt.back {
				t.Errorf("read back %q, want %q", back, tt.back)
			}
		})
	}
	t.Run("a NUL inside is refused, or Windows would read a shorter string", func(t *testing.T) {
		if _, err := utf16z("localhost\x00.evil"); !errors.Is(err, errNUL) {
			t.Errorf("error %v", err)
		}
	})
	t.Run("a NULL string from the DLL reads as empty", func(t *testing.T) {
		if s := goString(nil); s != "" {
			t.Errorf("%q", s)
		}
	})
	t.Run("a lone surrogate from the DLL becomes U+FFFD", func(t *testing.T) {
		u := []uint16{'a', 0xd800, 0}
		if s := goString(&u[0]); s != "a\uFFFD" {
			t.Errorf("%q", s)
		}
	})
}

func TestByteFieldsAreCopiedWithinReason(t *testing.T) {
	b := []byte{1, 2, 3}
	got, err := goBytes(&b[0], 3)
	if err != nil || string(got) != "\x01\x02\x03" {
		t.Fatalf("%x %v", got, err)
	}
	b[0] = 9
	if got[0] != 1 {
		t.Error("not a copy")
	}
	if _, err := goBytes(&b[0], maxResultBytes+1); !errors.Is(err, ErrBadResponse) {
		t.Errorf("a length beyond reason must be refused, not read: %v", err)
	}
	if got, err := goBytes(nil, 5); got != nil || err != nil {
		t.Errorf("NULL: %x %v", got, err)
	}
}
