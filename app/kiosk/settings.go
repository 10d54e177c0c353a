// Package kiosk is the desktop app's kiosk mode, for a shared computer that patients use one
// after another (a GP surgery or care home): the administrator's settings file, the
// administrator's secret that is the only way out, and the watch that ends a patient's
// session when the security key they used is taken out.
package kiosk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/internal/adminfile"
)

// DefaultIdleTimeout is how long a kiosk session may sit unused: much shorter than at home
// (30 minutes), as the next person may already be waiting. The warning comes 2 minutes before.
const DefaultIdleTimeout = 5 * time.Minute

// Settings are what an administrator writes in the settings file (README, "Kiosk mode"):
//
//	{"kiosk": true, "idleTimeout": "5m", "adminSecret": "$argon2id$v=19$..."}
//
// adminSecret is the hash that `nhs-passkeys kiosk-secret` prints, never the secret itself.
// A kiosk of a fleet (README, "Fleets") also names the fleet's relying party, and the
// certificate authority of its TLS certificate when that is the organisation's own:
//
//	{"kiosk": true, ..., "relyingParty": "https://passkeys.example.org", "relyingPartyCA": "/etc/nhs-passkeys/ca.pem"}
type Settings struct {
	Kiosk       bool
	IdleTimeout time.Duration
	AdminSecret string
	// RelyingParty is the remote relying party's address, as written (internal/cli checks
	// it with app/remoterp.ParseAddress); "" is the app's own, in-process.
	RelyingParty string
	// RelyingPartyCA is a PEM file of CAs trusted besides the system's; a relative path is
	// taken from the settings file's folder.
	RelyingPartyCA string
}

type settingsFile struct {
	Kiosk          bool   `json:"kiosk"`
	IdleTimeout    string `json:"idleTimeout"`
	AdminSecret    string `json:"adminSecret"`
	RelyingParty   string `json:"relyingParty"`
	RelyingPartyCA string `json:"relyingPartyCA"`
}

// DefaultPath is where the settings file lives, in a folder only an administrator can write:
// /etc/nhs-passkeys/settings.json on Linux, /Library/Application Support/nhs-passkeys on
// macOS, %ProgramData%\NHS passkeys on Windows.
func DefaultPath(getenv func(string) string) string {
	switch runtime.GOOS {
	case "windows":
		dir := getenv("ProgramData")
		if dir == "" {
			dir = `C:\ProgramData`
		}
		return filepath.Join(dir, "NHS passkeys", "settings.json")
	case "darwin":
		return "/Library/Application Support/nhs-passkeys/settings.json"
	default:
		return "/etc/nhs-passkeys/settings.json"
	}
}

// maxSettingsFile bounds the settings file: a few lines of JSON.
const maxSettingsFile = 64 << 10

// Load reads the settings file at path. A file that does not exist means no settings
// (mustExist false: the default path) or an error (mustExist true: a path the person gave).
// Anything it cannot use is an error that names the file and says what to fix: a kiosk that
// started without its lock would be worse than one that does not start.
func Load(path string, mustExist bool) (Settings, error) {
	// Only its owner (root, or the user the app runs as) may be able to change it
	// (internal/adminfile): it decides who may close a kiosk and which relying party the app
	// believes.
	raw, err := adminfile.Read(path, maxSettingsFile)
	var unsafe *adminfile.UnsafeError
	switch {
	case errors.Is(err, fs.ErrNotExist) && !mustExist:
		return Settings{}, nil
	case errors.As(err, &unsafe):
		return Settings{}, fmt.Errorf("settings file %s %s", path, unsafe.Problem)
	case err != nil:
		return Settings{}, fmt.Errorf("settings file %s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var f settingsFile
	if err := dec.Decode(&f); err != nil {
		return Settings{}, fmt.Errorf("settings file %s is not valid: %w (it should look like {\"kiosk\": true, \"idleTimeout\": \"5m\", \"adminSecret\": \"...\"})", path, err)
	}
	// One object and nothing after it: Decode stops at the end of the first value, so a
	// second object (an edit pasted below the old one, `{"kiosk": false}{"kiosk": true}`)
	// would otherwise be ignored without a word, and the kiosk start in the wrong mode.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Settings{}, fmt.Errorf("settings file %s is not valid: it has something after its closing } (it should hold one {...} and nothing else)", path)
	}
	s := Settings{Kiosk: f.Kiosk, AdminSecret: f.AdminSecret, RelyingParty: f.RelyingParty, RelyingPartyCA: f.RelyingPartyCA}
	if s.RelyingPartyCA != "" && !filepath.IsAbs(s.RelyingPartyCA) {
		s.RelyingPartyCA = filepath.Join(filepath.Dir(path), s.RelyingPartyCA)
	}
	if f.IdleTimeout != "" {
		if s.IdleTimeout, err = time.ParseDuration(f.IdleTimeout); err != nil {
			return Settings{}, fmt.Errorf("settings file %s: idleTimeout %q is not a length of time such as \"5m\"", path, f.IdleTimeout)
		}
		// Settings.IdleTimeout 0 means "not set" (the kiosk's 5 minutes): a "0s" written in
		// the file, perhaps meant as "never", must not quietly become that, nor never.
		if s.IdleTimeout <= 0 {
			return Settings{}, fmt.Errorf("settings file %s: idleTimeout %q is not a length of time a session can be left for: give one such as \"5m\", or leave idleTimeout out for the default", path, f.IdleTimeout)
		}
	}
	if s.AdminSecret != "" {
		if err := checkSecretHash(s.AdminSecret); err != nil {
			return Settings{}, fmt.Errorf("settings file %s: %w", path, err)
		}
	}
	return s, nil
}

// checkSecretHash refuses an adminSecret the kiosk could not rely on, before the kiosk starts:
//   - the secret itself, or anything else that is not an argon2id PHC string;
//   - a damaged hash (cut short when copied, a character lost): Admin.Check could never match
//     it, so once the kiosk had started nobody, staff included, could close it;
//   - a hash with weaker settings than `nhs-passkeys kiosk-secret` makes (account's
//     DefaultHashParams: OWASP's argon2id minimum, RFC 9106 §4): the settings file is often
//     readable by every account on the computer, and each guess against a weak hash costs
//     an attacker little. Stronger settings are fine.
func checkSecretHash(hash string) error {
	const again = "run `nhs-passkeys kiosk-secret` and put the line it prints in the settings file"
	if !strings.HasPrefix(hash, "$argon2id$") {
		return errors.New("adminSecret must be the hash that `nhs-passkeys kiosk-secret` prints, not the secret itself")
	}
	p, err := account.ParseHash(hash)
	if err != nil {
		return fmt.Errorf("adminSecret is not a whole hash from `nhs-passkeys kiosk-secret`, so no secret could ever close the kiosk (%w): was part of it lost when it was copied? %s", err, again)
	}
	least := account.DefaultHashParams()
	if p.SaltLen < least.SaltLen || p.KeyLen < least.KeyLen {
		// The likeliest cause is a line cut short, which also leaves a hash no secret matches.
		return fmt.Errorf("adminSecret is shorter than the hash `nhs-passkeys kiosk-secret` makes (a %d-byte salt and a %d-byte hash, not at least %d and %d): was part of it lost when it was copied? %s",
			p.SaltLen, p.KeyLen, least.SaltLen, least.KeyLen, again)
	}
	if p.Memory < least.Memory || p.Time < least.Time {
		return fmt.Errorf("adminSecret is hashed with weaker settings (m=%d, t=%d) than `nhs-passkeys kiosk-secret` uses (at least m=%d, t=%d): %s",
			p.Memory, p.Time, least.Memory, least.Time, again)
	}
	return nil
}
