package kiosk

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/apperr"
)

// Wrong secrets allowed before the way out locks for a while: an administrator who mistypes
// is not stopped, a patient trying every word is.
const (
	maxWrongSecrets = 5
	wrongSecretSpan = 15 * time.Minute
)

// TriesFile is the file in the data folder that keeps the recent wrong administrator secrets
// (their times, nothing typed), so that the limit outlives the app: on Windows every visit
// is a process of its own (Visits), and a patient ends a visit with "Log out", so a limit
// kept only in memory would start again at every visit and allow guessing without end.
const TriesFile = "kiosk-admin-tries.json"

// HashSecret is what `nhs-passkeys kiosk-secret` prints for the settings file: argon2id with
// the app's password settings, so the file never holds the secret.
func HashSecret(secret string) (string, error) {
	if len(secret) < 12 {
		return "", errors.New("the administrator secret must be at least 12 characters long")
	}
	return account.DefaultHashParams().Hash(secret)
}

// Admin checks the administrator's secret against its hash, with a limit on wrong tries.
type Admin struct {
	hash   string
	clock  func() time.Time
	record string // TriesFile's path, or "" to keep the tries in memory only
	log    *slog.Logger

	mu    sync.Mutex
	wrong []time.Time // times of the recent wrong secrets
}

// AdminOptions are NewAdmin's optional parts.
type AdminOptions struct {
	// Clock is the time (nil: time.Now).
	Clock func() time.Time
	// Record is where the recent wrong tries are kept across runs (a TriesFile in the data
	// folder); "" keeps them in memory only. A record that cannot be read or written never
	// locks anyone out: the tries are then counted in memory, and Logger hears why.
	Record string
	Logger *slog.Logger
}

// triesRecord is TriesFile's content.
type triesRecord struct {
	WrongSecrets []time.Time `json:"wrongSecrets"`
}

// NewAdmin returns a checker for hash (Settings.AdminSecret), with the wrong tries of earlier
// runs read from opts.Record.
func NewAdmin(hash string, opts AdminOptions) *Admin {
	a := &Admin{hash: hash, clock: opts.Clock, record: opts.Record, log: opts.Logger}
	if a.clock == nil {
		a.clock = time.Now
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.wrong = a.load()
	return a
}

// Check answers nil for the right secret. While the limit is reached even the right secret
// is refused, so guessing gains nothing.
func (a *Admin) Check(secret string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock()
	recent := a.wrong[:0]
	for _, at := range a.wrong {
		// Read back from the record, a time may be in the future after the computer's clock
		// was set back: it still counts, but never for longer than the span.
		if since := now.Sub(at); since < wrongSecretSpan && since > -wrongSecretSpan {
			recent = append(recent, at)
		}
	}
	a.wrong = recent
	if len(a.wrong) >= maxWrongSecrets {
		return apperr.KioskTooManyTries.Wrap(fmt.Errorf("%d wrong administrator secrets in %v", len(a.wrong), wrongSecretSpan))
	}
	ok, err := account.VerifyPassword(secret, a.hash)
	if err != nil {
		return apperr.Internal(fmt.Errorf("check the administrator secret: %w", err))
	}
	if !ok {
		a.wrong = append(a.wrong, now)
		a.save()
		return apperr.KioskWrongSecret.Wrap(errors.New("wrong administrator secret"))
	}
	a.wrong = nil
	a.save()
	return nil
}

// load reads the record; none, or one that cannot be read, is no wrong tries.
func (a *Admin) load() []time.Time {
	if a.record == "" {
		return nil
	}
	raw, err := os.ReadFile(a.record)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	var r triesRecord
	if err == nil {
		err = json.Unmarshal(raw, &r)
	}
	if err != nil {
		a.log.Warn("read the record of wrong administrator secrets; counting from none", "path", a.record, "err", err)
		return nil
	}
	return r.WrongSecrets
}

// save writes the record whole (a file beside it, then renamed over it, so a crash leaves
// the old record or the new one), or deletes it when there are no wrong tries to keep.
func (a *Admin) save() {
	if a.record == "" {
		return
	}
	err := a.write()
	if err != nil {
		a.log.Warn("keep the record of wrong administrator secrets; counting in memory", "path", a.record, "err", err)
	}
}

func (a *Admin) write() error {
	if len(a.wrong) == 0 {
		if err := os.Remove(a.record); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	raw, err := json.Marshal(triesRecord{WrongSecrets: a.wrong})
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(a.record), ".kiosk-admin-tries-*")
	if err != nil {
		return err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // gone already once renamed
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), a.record)
}
