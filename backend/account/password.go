package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/nhs-passkeys/companion/backend/apperr"
)

// HashParams are the argon2id settings for new password hashes. Existing hashes keep the
// settings recorded in their PHC string, so changing these never locks anyone out.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultHashParams is what production uses: argon2id with m=19 MiB, t=2, p=1, a 16-byte
// salt and a 32-byte key. This is the first of OWASP's equivalent argon2id settings
// (Password Storage Cheat Sheet) and RFC 9106's guidance for memory-hard hashing on
// modest machines: it takes about 30-60 ms and 19 MiB on one core of the desktops and
// kiosk machines we run on, which a person does not notice at log-in, while each guess
// costs an attacker the same memory. p=1 because a login should not take every core of
// a shared GP surgery machine.
func DefaultHashParams() HashParams {
	return HashParams{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Limits on what a stored hash may ask for, so a damaged row cannot make a login take
// gigabytes or minutes.
const (
	maxMemoryKiB = 1 << 20 // 1 GiB
	maxTime      = 64
	minKeyLen    = 16
	maxKeyLen    = 128
	minSaltLen   = 8
	maxSaltLen   = 64
)

// Hash returns password hashed with p, as a PHC string (unpadded standard base64):
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>
func (p HashParams) Hash(password string) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return p.encode(salt, key), nil
}

// DummyHash returns a PHC string with p's settings, a random salt and a random key: the hash
// of no password. VerifyPassword against it does the same work as against a real hash with
// these settings (one argon2id derivation: the cost is in the settings and the password, not
// in the stored key) and matches no password (a random 256-bit key; a match would be a
// preimage of argon2id). So making it costs no argon2id derivation at all: no 19 MiB buffer
// and no 85 ms at start-up for a hash that only evens out timing (issue #21, item 2).
func (p HashParams) DummyHash() (string, error) {
	random := make([]byte, p.SaltLen+p.KeyLen)
	if _, err := rand.Read(random); err != nil {
		return "", fmt.Errorf("dummy password hash: %w", err)
	}
	return p.encode(random[:p.SaltLen], random[p.SaltLen:]), nil
}

// encode is the PHC string of a hash: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>.
func (p HashParams) encode(salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// VerifyPassword reports whether password matches the PHC string encoded, using the
// settings recorded in it. The comparison takes constant time.
func VerifyPassword(password, encoded string) (bool, error) {
	p, salt, key, err := parsePHC(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key))) //nolint:gosec // G115: parsePHC keeps len(key) <= maxKeyLen (128)
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// ParseHash returns the settings recorded in encoded, a PHC string VerifyPassword can check,
// or why it cannot check it (not argon2id, damaged, or settings out of range): for a hash
// that comes from a file, read before anyone needs it to match.
func ParseHash(encoded string) (HashParams, error) {
	p, _, _, err := parsePHC(encoded)
	return p, err
}

func parsePHC(encoded string) (HashParams, []byte, []byte, error) {
	var p HashParams
	bad := errors.New("password hash is not an argon2id PHC string")
	parts := strings.Split(encoded, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, key
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, bad
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return p, nil, nil, fmt.Errorf("%w: unsupported version", bad)
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads); err != nil {
		return p, nil, nil, fmt.Errorf("%w: parameters", bad)
	}
	if p.Memory == 0 || p.Memory > maxMemoryKiB || p.Time == 0 || p.Time > maxTime || threads == 0 || threads > 255 || p.Memory < 8*threads {
		return p, nil, nil, fmt.Errorf("%w: parameters out of range", bad)
	}
	p.Threads = uint8(threads)
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil || len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return p, nil, nil, fmt.Errorf("%w: salt", bad)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < minKeyLen || len(key) > maxKeyLen {
		return p, nil, nil, fmt.Errorf("%w: key", bad)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key)) //nolint:gosec // G115: both lengths are checked against maxSaltLen and maxKeyLen above
	return p, salt, key, nil
}

// derivations bounds how many argon2id derivations (a new password's hash, a password's check,
// the dummy check of an unknown email) run at once. Each holds HashParams.Memory (19 MiB) for
// its whole run, and anyone can start one without an account (a sign-up, a password login
// for any email), so without a bound N requests at once hold N x 19 MiB: a few hundred are
// gigabytes, and `serve` is killed for memory (OWASP Password Storage Cheat Sheet: limit the
// concurrency of memory-hard hashing). More slots than cores would not check passwords any
// sooner (p=1: one thread each), so a set has one per core: at most 19 MiB per core (the
// Service has two sets, so at most twice that).
type derivations chan struct{}

// maxDerivationWait is how long a request waits for a free slot before it is answered 503
// busy: longer than any queue of honest logins (each derivation is 30-60 ms), short enough
// that a person is told what happened rather than left with a spinner.
const maxDerivationWait = 10 * time.Second

func newDerivations() derivations { return make(derivations, max(1, runtime.GOMAXPROCS(0))) }

// run runs derive once a slot is free. Waiting ends with the request (ctx) or after wait;
// then derive has not run and the error says why (apperr.PasswordCheckBusy after wait).
func (d derivations) run(ctx context.Context, wait time.Duration, derive func()) error {
	select {
	case d <- struct{}{}:
	default:
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case d <- struct{}{}:
		case <-timer.C:
			return apperr.PasswordCheckBusy.Wrap(fmt.Errorf("every one of the %d password hashing slots stayed taken for %s", cap(d), wait))
		case <-ctx.Done():
			return fmt.Errorf("waiting for a password hashing slot: %w", context.Cause(ctx))
		}
	}
	defer func() { <-d }()
	derive()
	return nil
}
