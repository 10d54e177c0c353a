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
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"time"

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
	s := Settings{Kiosk: f.Kiosk, AdminSecret: f.AdminSecret, RelyingParty: f.RelyingParty, RelyingPartyCA: f.RelyingPartyCA}
	if s.RelyingPartyCA != "" && !filepath.IsAbs(s.RelyingPartyCA) {
		s.RelyingPartyCA = filepath.Join(filepath.Dir(path), s.RelyingPartyCA)
	}
	if f.IdleTimeout != "" {
		if s.IdleTimeout, err = time.ParseDuration(f.IdleTimeout); err != nil {
			return Settings{}, fmt.Errorf("settings file %s: idleTimeout %q is not a length of time such as \"5m\"", path, f.IdleTimeout)
		}
	}
	if s.AdminSecret != "" && !strings.HasPrefix(s.AdminSecret, "$argon2id$") {
		return Settings{}, fmt.Errorf("settings file %s: adminSecret must be the hash that `nhs-passkeys kiosk-secret` prints, not the secret itself", path)
	}
	return s, nil
}
