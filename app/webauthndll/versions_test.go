package webauthndll

import (
	"errors"
	"testing"
)

func TestTheAPIVersionIsNegotiatedAsWebauthnHListsIt(t *testing.T) {
	tests := []struct {
		name                                     string
		api                                      uint32
		want                                     structVersions
		hybrid, platformCredentials, createHints bool
	}{
		{"API 1 (Windows 10 1903)", 1, structVersions{1, 3, 4, 3, 1, 0}, false, false, false},
		{"API 2 adds only credProtect", 2, structVersions{2, 3, 4, 3, 1, 0}, false, false, false},
		{"API 3", 3, structVersions{3, 4, 5, 4, 2, 0}, false, false, false},
		{"API 4 can list and delete Windows Hello passkeys", 4, structVersions{4, 5, 6, 4, 3, 1}, false, true, false},
		{"API 5", 5, structVersions{5, 5, 6, 4, 3, 2}, false, true, false},
		{"API 6 names the hybrid transport", 6, structVersions{6, 6, 6, 5, 4, 2}, true, true, false},
		{"API 7", 7, structVersions{7, 7, 7, 6, 5, 2}, true, true, false},
		{"API 8 takes hints", 8, structVersions{8, 8, 8, 7, 5, 3}, true, true, true},
		{"API 9", 9, structVersions{9, 9, 9, 8, 6, 4}, true, true, true},
		{"a newer API keeps version 9's layouts", 11, structVersions{11, 9, 9, 8, 6, 4}, true, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := negotiate(tt.api)
			if !ok || got != tt.want {
				t.Fatalf("negotiate(%d) = %+v %v, want %+v", tt.api, got, ok, tt.want)
			}
			if got.hasHybrid() != tt.hybrid || got.hasPlatformCredentials() != tt.platformCredentials || got.hasCreateHints() != tt.createHints {
				t.Errorf("hybrid %v platform credentials %v hints %v", got.hasHybrid(), got.hasPlatformCredentials(), got.hasCreateHints())
			}
		})
	}
	t.Run("a DLL that gives no API version is not used", func(t *testing.T) {
		if _, err := newDLL(newFakeDLL(t, 0)); !errors.Is(err, ErrUnavailable) {
			t.Errorf("error %v", err)
		}
	})
}
