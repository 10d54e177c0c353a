package kiosk

import (
	"errors"
	"fmt"
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
	hash  string
	clock func() time.Time

	mu    sync.Mutex
	wrong []time.Time // times of the recent wrong secrets
}

// NewAdmin returns a checker for hash (Settings.AdminSecret). clock nil: time.Now.
func NewAdmin(hash string, clock func() time.Time) *Admin {
	if clock == nil {
		clock = time.Now
	}
	return &Admin{hash: hash, clock: clock}
}

// Check answers nil for the right secret. While the limit is reached even the right secret
// is refused, so guessing gains nothing.
func (a *Admin) Check(secret string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock()
	recent := a.wrong[:0]
	for _, at := range a.wrong {
		if now.Sub(at) < wrongSecretSpan {
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
		return apperr.KioskWrongSecret.Wrap(errors.New("wrong administrator secret"))
	}
	a.wrong = nil
	return nil
}
