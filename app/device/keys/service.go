//go:build cgo && !windows

// Package keys is the security key endpoints (docs/api.md, "Security key endpoints"): what
// the connected keys are, their PIN, the passkeys and fingerprints they hold, and a factory
// reset, joined with the signed-in NHS login account so the page can say which passkeys on a
// key are this account's. Linux and macOS only: Windows lets only administrators open a key,
// and this app reaches keys there through webauthn.dll, which leaves their management to
// Windows Settings (app/device answers that for GET /api/device/keys).
//
// Rules kept here:
//   - One thing at a time per key: a key that a ceremony, another key operation or a
//     background job (fingerprint enrolment, reset) is using is "busy" (409 key_busy), and a
//     new ceremony stops a running job first (the virtual key's transport, like a HID
//     channel, carries one conversation at a time).
//   - A PIN arrives in a request, is used for that request only (libfido2 calls made for it
//     may each get a copy, which app/fido2 wipes) and is zeroed before the handler returns.
//     It is never logged, never kept, and never put in an error.
//   - Nothing removes the account's last way to log in: deleting the account's passkey from
//     a key, or resetting a key that holds the account's passkeys, is refused when the
//     account would keep no password and no other usable passkey (../shared/DESIGN.md, "the last way
//     to log in cannot be removed").
package keys

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/nhs-passkeys/companion/app/device/account"
	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/passkey/aaguid"
)

const (
	// resetWindow: CTAP 2.1 §6.6 lets a key be reset only this soon after it is plugged in.
	// Some keys allow less (a YubiKey 5 s); they refuse later, and the page asks again.
	resetWindow = 10 * time.Second
	// keyOpTimeout bounds one request/response key operation (no touch is needed for any).
	keyOpTimeout = 20 * time.Second
	// jobTimeout bounds a background key job: a fingerprint's samples, or a reset's touch.
	jobTimeout = 3 * time.Minute
	// sampleTimeout is how long the key waits for each fingerprint sample.
	sampleTimeout = 30 * time.Second
	// ticketLifetime: a reset check is good for this long (the person removes and reinserts
	// the key meanwhile).
	ticketLifetime = 5 * time.Minute
	// yieldTimeout bounds how long a new ceremony waits for key operations to let go.
	yieldTimeout = 5 * time.Second
	// yieldRecheck: how often a waiting yield reads the clock when no key is let go.
	yieldRecheck = 50 * time.Millisecond
)

// Config is what the key operations need (app/device.New passes its parts of
// app/device.Config).
type Config struct {
	// Authenticators are this computer's (app/device/authenticator). Required.
	Authenticators *authenticator.Set
	// Lease is the one per-key lease, shared with the ceremonies. Required.
	Lease *authenticator.Lease
	// RPOrigin is the relying party's origin: only its passkeys are related to the account.
	RPOrigin string
	// Names names security keys by model (AAGUID). Nil: by the product name the key gives.
	Names authenticator.Names
	// Kiosk: kiosk mode, where a factory reset is refused for everyone.
	Kiosk bool
	// Log receives what key operations did (never a PIN). Nil discards.
	Log *slog.Logger
	// Now is the clock for forgetting ended jobs and for a key's reset window. Nil: time.Now.
	Now func() time.Time
	// VirtualTakenOut, if not nil, tells whether a tester has taken the virtual key out
	// (app/device/tester): then it stays out after a key operation finds it gone.
	VirtualTakenOut func() bool
}

// Service runs key operations and key jobs, and serves the security key endpoints. It owns
// the state the endpoints share: what each key last said, the jobs, the reset tickets and
// when each key was plugged in.
//
// Lock order: app/device.Service's (Service.mu before a job's lock).
type Service struct {
	set   *authenticator.Set
	lease *authenticator.Lease
	log   *slog.Logger
	now   func() time.Time
	kiosk bool
	rpID  string
	names authenticator.Names
	// takenOut tells whether a tester has taken the virtual key out (Config.VirtualTakenOut).
	takenOut func() bool
	// adminRequired reports that this process may not open security keys directly
	// (Windows without administrator rights).
	adminRequired func() bool

	// life is the parent of every job's context: not the request's (a job outlives the
	// request that started it). Close ends it.
	life    context.Context
	stop    context.CancelFunc
	running sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	cache   map[string]keyJSON // the last answer for each key, for when it is busy
	jobs    map[string]*keyJob // by id; several may run, each on its own key (Yield stops them all)
	tickets map[string]*resetTicket
	// seen is when each hardware key (by path) was seen plugged in; the zero time when it
	// was already there at the first look (so its reset window is unknown: closed).
	seen     map[string]time.Time
	observed bool
	// virtualPlugged: when this service last saw the virtual key put back in, whoever did it
	// (this service's replug, the test tools' panel, a ceremony after "key removed"), noticed
	// by its power cycles changing from virtualCycles; the zero time while it is out or
	// has not been put back since the service started.
	virtualPlugged time.Time
	virtualCycles  uint64
}

// New builds the service.
func New(cfg Config) (*Service, error) {
	if cfg.Authenticators == nil || cfg.Lease == nil {
		return nil, errors.New("device: key operations need the authenticators and the lease")
	}
	u, err := url.Parse(cfg.RPOrigin)
	if err != nil || u.Hostname() == "" {
		return nil, fmt.Errorf("device: RP origin %q has no host", cfg.RPOrigin)
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	takenOut := cfg.VirtualTakenOut
	if takenOut == nil {
		takenOut = func() bool { return false }
	}
	var cycles uint64
	if v := cfg.Authenticators.Virtual(); v != nil {
		cycles = v.PowerCycles() // plugged in before we looked: its window is not known
	}
	life, stop := context.WithCancel(context.Background())
	return &Service{set: cfg.Authenticators, lease: cfg.Lease, log: log, now: now, kiosk: cfg.Kiosk,
		rpID: u.Hostname(), names: cfg.Names, takenOut: takenOut, adminRequired: adminRequired,
		life: life, stop: stop, virtualCycles: cycles,
		cache:   map[string]keyJSON{},
		jobs:    map[string]*keyJob{},
		tickets: map[string]*resetTicket{},
		seen:    map[string]time.Time{},
	}, nil
}

// Close stops a running job and waits until it has let go of its key. Later jobs are
// refused.
func (s *Service) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.stop()
	s.running.Wait()
}

// keyJSON is SecurityKey (docs/api.md).
type keyJSON struct {
	ID              string           `json:"id"`
	Kind            string           `json:"kind"`
	Name            string           `json:"name"`
	Readable        bool             `json:"readable"`
	AAGUID          string           `json:"aaguid"`
	FirmwareVersion *uint64          `json:"firmwareVersion"`
	Versions        []string         `json:"versions"`
	PIN             keyPINJSON       `json:"pin"`
	Passkeys        keyPasskeysJSON  `json:"passkeys"`
	Fingerprints    keyFingerprintsJ `json:"fingerprints"`
	// ResetSecondsLeft: how long the key can still be reset after being plugged in, as far
	// as this app saw it plugged in; 0 when the window is closed or unknown.
	ResetSecondsLeft int `json:"resetSecondsLeft"`
}

type keyPINJSON struct {
	Set         bool `json:"set"`
	RetriesLeft *int `json:"retriesLeft"`
	Blocked     bool `json:"blocked"`
	MinLength   int  `json:"minLength"`
	MustChange  bool `json:"mustChange"`
}

type keyPasskeysJSON struct {
	Manageable bool `json:"manageable"`
	Remaining  *int `json:"remaining"`
}

type keyFingerprintsJ struct {
	Supported bool `json:"supported"`
	Enrolled  bool `json:"enrolled"`
}

// nameOf names a key: the virtual key as the test tool it is; a hardware key by its model
// (AAGUID) when known, else by its product name.
func (s *Service) nameOf(a authenticator.Authenticator, aaguid []byte) string {
	if a.Virtual() {
		return authenticator.VirtualName
	}
	if s.names != nil && len(aaguid) == 16 {
		if name, ok := s.names(aaguid); ok && name != "" {
			return name
		}
	}
	return a.Name
}

// describe builds a key's answer from its getInfo and PIN retries.
func (s *Service) describe(a authenticator.Authenticator, info fido2.Info, retries int) keyJSON {
	out := keyJSON{
		ID: a.ID, Kind: a.Kind, Name: s.nameOf(a, info.AAGUID), Readable: true,
		AAGUID: aaguid.Format(info.AAGUID), Versions: info.Versions,
	}
	if out.Versions == nil {
		out.Versions = []string{}
	}
	if info.FirmwareVersion != 0 {
		fw := info.FirmwareVersion
		out.FirmwareVersion = &fw
	}
	set, _ := info.Option("clientPin")
	out.PIN = keyPINJSON{Set: set, MinLength: authenticator.MinPINLength(info), MustChange: set && info.ForcePINChange}
	if set && retries >= 0 {
		n := retries
		out.PIN.RetriesLeft = &n
		out.PIN.Blocked = retries == 0
	}
	out.Passkeys.Manageable = info.CredentialManagement
	if info.RemainingKeys >= 0 {
		n := int(info.RemainingKeys)
		out.Passkeys.Remaining = &n
	}
	out.Fingerprints = keyFingerprintsJ{Supported: info.BioEnrollSupported, Enrolled: info.BioEnrolled}
	return out
}

// readInfo asks an open key for its getInfo and, when it has a PIN, the tries left.
func readInfo(ctx context.Context, dev *fido2.Device) (fido2.Info, int, error) {
	info, err := dev.Info(ctx)
	if err != nil {
		return fido2.Info{}, -1, err
	}
	retries := -1
	if set, _ := info.Option("clientPin"); set {
		if n, err := dev.PINRetries(ctx); err == nil {
			retries = n
		}
	}
	return info, retries, nil
}

// listKeys answers GET /api/device/keys: every connected key, read now unless something is
// using it (then as last read).
func (s *Service) listKeys(ctx context.Context) []keyJSON {
	list := s.set.List()
	s.observe(list, s.now())
	out := make([]keyJSON, 0, len(list))
	for _, a := range list {
		out = append(out, s.readKey(ctx, a))
	}
	return out
}

// readKey reads one key's answer (or the last one, if it is busy).
func (s *Service) readKey(ctx context.Context, a authenticator.Authenticator) keyJSON {
	unreadable := keyJSON{ID: a.ID, Kind: a.Kind, Name: s.nameOf(a, nil), Versions: []string{}}
	release, err := s.acquire(a.ID)
	if err != nil {
		s.mu.Lock()
		cached, ok := s.cache[a.ID]
		s.mu.Unlock()
		if !ok {
			cached = unreadable
		}
		cached.ResetSecondsLeft = s.resetSecondsLeft(a, s.now())
		return cached
	}
	defer release()
	ctx, cancel := context.WithTimeout(ctx, authenticator.ProbeTimeout)
	defer cancel()
	out := unreadable
	if dev, err := s.set.Open(a); err != nil {
		s.log.Info("open security key", "key", a.ID, "err", err)
	} else {
		info, retries, err := readInfo(ctx, dev)
		dev.Close()
		if err != nil {
			s.log.Info("read security key", "key", a.ID, "err", err)
		} else {
			out = s.describe(a, info, retries)
			s.set.RememberPINSet(a, out.PIN.Set)
		}
	}
	out.ResetSecondsLeft = s.resetSecondsLeft(a, s.now())
	s.mu.Lock()
	if out.Readable {
		s.cache[a.ID] = out
	}
	s.mu.Unlock()
	return out
}

// observe notes which hardware keys are plugged in, to know when each was plugged in.
func (s *Service) observe(list []authenticator.Authenticator, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	present := map[string]bool{}
	for _, a := range list {
		if a.Virtual() {
			continue
		}
		present[a.Path] = true
		if _, ok := s.seen[a.Path]; !ok {
			at := now
			if !s.observed {
				at = time.Time{} // there before we looked: when it came is not known
			}
			s.seen[a.Path] = at
		}
	}
	for path := range s.seen {
		if !present[path] {
			delete(s.seen, path)
		}
	}
	s.observed = true
}

// resetSecondsLeft is how much of the reset window is left, in whole seconds rounded up.
func (s *Service) resetSecondsLeft(a authenticator.Authenticator, now time.Time) int {
	if a.Virtual() {
		s.noticeVirtual(now)
	}
	s.mu.Lock()
	at := s.virtualPlugged
	if !a.Virtual() {
		at = s.seen[a.Path]
	}
	s.mu.Unlock()
	if at.IsZero() {
		return 0
	}
	left := resetWindow - now.Sub(at)
	if left <= 0 {
		return 0
	}
	return int((left + time.Second - 1) / time.Second)
}

// noticeVirtual notes when the virtual key was put back in, as observe does for hardware
// keys: a power cycle since the last look (its PowerCycles changed) that left it plugged in
// starts its reset window now.
func (s *Service) noticeVirtual(now time.Time) {
	if s.set == nil || s.set.Virtual() == nil {
		return
	}
	v := s.set.Virtual()
	cycles, plugged := v.PowerCycles(), v.Plugged()
	s.mu.Lock()
	defer s.mu.Unlock()
	if cycles == s.virtualCycles {
		return
	}
	s.virtualCycles = cycles
	s.virtualPlugged = time.Time{}
	if plugged {
		s.virtualPlugged = now
	}
}

// replugVirtual pulls the virtual key out and plugs it back in, as the person is asked to do
// with a real key, and notes when (its reset window starts again).
func (s *Service) replugVirtual() error {
	if err := s.set.Virtual().Replug(); err != nil {
		return err
	}
	s.noticeVirtual(s.now())
	return nil
}

// acquire gives key id to a key operation until release is called (the one lease).
func (s *Service) acquire(id string) (release func(), err error) {
	return s.lease.Acquire(id)
}

// Yield stops the running key jobs and waits (a little) until no key operation holds a key:
// a ceremony is about to start, and the latest thing the person asked for wins.
func (s *Service) Yield() {
	s.mu.Lock()
	running := make([]*keyJob, 0, len(s.jobs))
	for _, j := range s.jobs {
		running = append(running, j) // Stop leaves a job that has ended as it ended
	}
	s.mu.Unlock()
	for _, j := range running {
		j.Stop(s.now(), s.jobFailure(authenticator.Authenticator{}, j.Kind, context.Canceled), nil)
	}
	if !s.lease.WaitIdle(s.now, yieldTimeout, yieldRecheck) {
		s.log.Warn("a key operation still holds a security key as a ceremony starts")
	}
}

// connected finds the connected key named id.
func (s *Service) connected(id string) (authenticator.Authenticator, error) {
	for _, a := range s.set.List() {
		if a.ID == id {
			return a, nil
		}
	}
	return authenticator.Authenticator{}, apperr.DeviceKeyNotConnected.Wrap(fmt.Errorf("no key %q", id))
}

// openedKey is a connected key opened for one key operation, with its getInfo.
type openedKey struct {
	a       authenticator.Authenticator
	dev     *fido2.Device
	info    fido2.Info
	release func()
}

// close closes the device and lets go of the key.
func (o *openedKey) close() {
	o.dev.Close()
	o.release()
}

// openKey acquires and opens the connected key id and reads its getInfo, then refuses it
// (closed again, the refusal through keyError) unless it passes each of checks in turn. The
// caller closes it (or hands it to a job).
func (s *Service) openKey(ctx context.Context, id string, checks ...func(fido2.Info) error) (*openedKey, error) {
	a, err := s.connected(id)
	if err != nil {
		return nil, err
	}
	release, err := s.acquire(id)
	if err != nil {
		return nil, err
	}
	dev, err := s.set.Open(a)
	if err != nil {
		release()
		return nil, s.keyError(a, err)
	}
	info, err := dev.Info(ctx)
	if err != nil {
		dev.Close()
		release()
		return nil, s.keyError(a, err)
	}
	set, _ := info.Option("clientPin")
	s.set.RememberPINSet(a, set)
	o := &openedKey{a: a, dev: dev, info: info, release: release}
	for _, check := range checks {
		if err := check(info); err != nil {
			o.close()
			return nil, s.keyError(a, err)
		}
	}
	return o, nil
}

// needPINReady refuses what cannot work before the key is asked with the PIN: no PIN yet,
// or a PIN the key wants changed first (CTAP 2.1 §6.4 forcePINChange: until then every use
// of the PIN fails).
func needPINReady(info fido2.Info) error {
	if set, _ := info.Option("clientPin"); !set {
		return apperr.DevicePINNotSet.New()
	}
	if info.ForcePINChange {
		return apperr.DevicePINChangeRequired.New()
	}
	return nil
}

// needClientPIN refuses a key without CTAP 2.1 §6.5 clientPin: it can have no PIN.
func needClientPIN(info fido2.Info) error {
	if _, supported := info.Option("clientPin"); !supported {
		return fido2.ErrUnsupportedOption
	}
	return nil
}

// needCredentialManagement refuses a key without CTAP 2.1 §6.8 credential management.
func needCredentialManagement(info fido2.Info) error {
	if !info.CredentialManagement {
		return fido2.ErrUnsupportedOption
	}
	return nil
}

// needBioEnrollment refuses a key without CTAP 2.1 §6.7 fingerprint enrolment.
func needBioEnrollment(info fido2.Info) error {
	if !info.BioEnrollSupported {
		return fido2.ErrUnsupportedOption
	}
	return nil
}

// keyError turns what a key operation failed with into the answer for the page. The cause
// is kept for the log; it never holds a PIN (app/fido2 errors do not).
func (s *Service) keyError(a authenticator.Authenticator, err error) error {
	if _, ok := apperr.As(err); ok {
		return err
	}
	var fe *fido2.Error
	switch {
	case errors.Is(err, fido2.ErrPINInvalid):
		e := apperr.DevicePINInvalid.Wrap(err)
		if errors.As(err, &fe) && fe.RetriesLeft >= 0 {
			// The declared message, with how many tries the key says are left.
			e.Msg = fmt.Sprintf("The PIN is not correct. You have %d %s left.", fe.RetriesLeft, plural(fe.RetriesLeft, "try", "tries"))
		}
		return e
	case errors.Is(err, fido2.ErrPINAuthBlocked):
		e := apperr.DevicePINAuthBlocked.Wrap(err)
		next := "Remove your security key and insert it again, then try again."
		if s.putBackVirtual(a) {
			next = virtualPutBack
		}
		tries := ""
		if errors.As(err, &fe) && fe.RetriesLeft > 0 {
			// The third wrong PIN in a row also cost a try: say how many are left before the
			// PIN is blocked, as after any wrong PIN, so the person can weigh the next one.
			tries = fmt.Sprintf(" You have %d %s left before the PIN is blocked.", fe.RetriesLeft, plural(fe.RetriesLeft, "try", "tries"))
		}
		e.Msg = "The wrong PIN was entered too many times in a row." + tries + " " + next
		return e
	case errors.Is(err, fido2.ErrPINBlocked):
		return apperr.DevicePINBlocked.Wrap(err)
	case errors.Is(err, fido2.ErrPINPolicy):
		// A use of the PIN refused by policy: the key wants a new PIN first (forcePINChange).
		return apperr.DevicePINChangeRequired.Wrap(err)
	case errors.Is(err, fido2.ErrPINNotSet):
		return apperr.DevicePINNotSet.Wrap(err)
	case errors.Is(err, fido2.ErrPINRequired):
		return apperr.DevicePINRequired.Wrap(err)
	case errors.Is(err, fido2.ErrUnsupportedOption):
		return apperr.DeviceKeyNotSupported.Wrap(err)
	case errors.Is(err, fido2.ErrNoCredentials):
		return apperr.DevicePasskeyNotOnKey.Wrap(err)
	case errors.Is(err, fido2.ErrNoEnrollment):
		return apperr.DeviceFingerprintNotFound.Wrap(err)
	case errors.Is(err, fido2.ErrFingerprintStoreFull):
		return apperr.DeviceFingerprintsFull.Wrap(err)
	case errors.Is(err, fido2.ErrDeviceGone):
		e := apperr.DeviceKeyRemoved.Wrap(err)
		if s.putBackVirtual(a) {
			e.Msg = "The virtual security key was taken out before it finished. The app has put it back in, so you can try again."
		}
		return e
	case errors.Is(err, fido2.ErrBusy):
		return apperr.DeviceKeyBusy.Wrap(err)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, fido2.ErrActionTimeout):
		return apperr.DeviceTimedOut.Wrap(err)
	case errors.Is(err, fido2.ErrNotAllowed):
		return apperr.DeviceNotAllowed.Wrap(err)
	}
	return apperr.DeviceKeyError.Wrap(err)
}

// putBackVirtual: the person is told to take the key out and put it back in (PIN_AUTH_BLOCKED),
// or to insert it again (it was pulled out mid-operation, the test tools' "be unplugged").
// Nobody can do that to the virtual key, so the app does, as after a ceremony
// (app/device/ceremony), unless a tester took it out on purpose: then it stays out.
// It tells whether it did: then the page says so rather than ask the person to do it
// (virtualPutBack).
func (s *Service) putBackVirtual(a authenticator.Authenticator) bool {
	if !a.Virtual() || s.takenOut() {
		return false
	}
	if err := s.replugVirtual(); err != nil {
		s.log.Warn("plug the virtual security key back in", "err", err)
		return false
	}
	return true
}

// virtualPutBack ends a message where a real key would have to be taken out and put back in.
const virtualPutBack = "The app has taken the virtual security key out and put it back in for you, so you can try again."

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// newPINProblem checks a new PIN against CTAP 2.1 §6.5.1 and the key's minimum: at least
// minLength code points (4 unless the key asks for more), at most 63 bytes of UTF-8, no NUL.
// "" when it is fine.
func newPINProblem(pin []byte, minLength int) string {
	if len(pin) == 0 {
		return "Enter a new PIN"
	}
	return authenticator.PINShapeProblem(pin, minLength)
}

// relate says how a passkey on a key (for rpID, with this credential ID and user name)
// stands with the account: "" when it is for another site, unknown when nobody is signed
// in, else account.Relation's answer (app/device/account), with the account's passkey when it lists it.
func (s *Service) relate(rpID string, credentialID []byte, userName string, acct account.View) (string, *account.Passkey) {
	if rpID != s.rpID {
		return "", nil
	}
	if !acct.SignedIn {
		return account.Unknown, nil
	}
	rel := account.Relation(credentialID, userName, acct)
	id := base64.RawURLEncoding.EncodeToString(credentialID)
	for i := range acct.Passkeys {
		if p := &acct.Passkeys[i]; p.ID == id {
			return rel, p
		}
	}
	return rel, nil
}

// resetTicket is a passed reset check: for the key (by id and model), the account (by
// email), the account's passkeys that the reset will stop working (onKey), and every
// passkey the account had when it was checked (known, by ID).
type resetTicket struct {
	keyID   string
	aaguid  string
	email   string
	onKey   map[string]bool
	known   map[string]bool
	expires time.Time
}

func newToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// issueTicket keeps a passed reset check and returns its token.
func (s *Service) issueTicket(t *resetTicket, now time.Time) (string, error) {
	token, err := newToken()
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, old := range s.tickets {
		if !now.Before(old.expires) {
			delete(s.tickets, tok)
		}
	}
	s.tickets[token] = t
	return token, nil
}

// ticket returns the live ticket for token, without using it up.
func (s *Service) ticket(token string, now time.Time) (*resetTicket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[token]
	if !ok || !now.Before(t.expires) {
		delete(s.tickets, token)
		return nil, apperr.DeviceResetCheckNeeded.Wrap(errors.New("no live reset ticket"))
	}
	return t, nil
}

func (s *Service) dropTicket(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tickets, token)
}

func (s *Service) forgetKey(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cache, id)
}
