package kiosk_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/app/sessionjar"
	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

func TestLoadSettings(t *testing.T) {
	hash, err := kiosk.HashSecret("a long enough secret")
	if err != nil {
		t.Fatal(err)
	}
	hashWith := func(p account.HashParams) string {
		t.Helper()
		h, err := p.Hash("a long enough secret")
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	defaults := account.DefaultHashParams()
	weakMemory, weakTime, shortSalt, shortKey, stronger := defaults, defaults, defaults, defaults, defaults
	weakMemory.Memory, weakTime.Time, shortSalt.SaltLen, shortKey.KeyLen = 64, 1, 8, 16
	stronger.Memory, stronger.Time = 2*defaults.Memory, 3
	strongerHash := hashWith(stronger)
	settingsWith := func(secret string) string { return `{"kiosk": true, "adminSecret": "` + secret + `"}` }
	tests := []struct {
		name      string
		file      string // "" means no file
		mustExist bool
		want      kiosk.Settings
		wantErr   string
	}{
		{"no file at the default place means no settings", "", false, kiosk.Settings{}, ""},
		{"no file at a place the person gave is an error", "", true, kiosk.Settings{}, "no such file"},
		{"a kiosk with its idle timeout and secret", `{"kiosk": true, "idleTimeout": "3m", "adminSecret": "` + hash + `"}`, false,
			kiosk.Settings{Kiosk: true, IdleTimeout: 3 * time.Minute, AdminSecret: hash}, ""},
		{"a kiosk of a fleet names its relying party and CA file", `{"kiosk": true, "relyingParty": "https://passkeys.example.org", "relyingPartyCA": "/etc/nhs-passkeys/ca.pem"}`, false,
			kiosk.Settings{Kiosk: true, RelyingParty: "https://passkeys.example.org", RelyingPartyCA: "/etc/nhs-passkeys/ca.pem"}, ""},
		{"a misspelt setting is refused rather than ignored", `{"kiosk": true, "adminSecrets": "x"}`, false, kiosk.Settings{}, `unknown field "adminSecrets"`},
		{"a timeout without a unit is refused", `{"idleTimeout": "5"}`, false, kiosk.Settings{}, `idleTimeout "5" is not a length of time`},
		{"a timeout of nothing is refused rather than taken as the default", `{"kiosk": true, "idleTimeout": "0s"}`, false, kiosk.Settings{}, `idleTimeout "0s" is not a length of time a session can be left for`},
		{"a bare 0 is refused too", `{"kiosk": true, "idleTimeout": "0"}`, false, kiosk.Settings{}, `idleTimeout "0" is not a length of time a session can be left for`},
		{"a negative timeout is refused", `{"kiosk": true, "idleTimeout": "-5m"}`, false, kiosk.Settings{}, `idleTimeout "-5m" is not a length of time a session can be left for`},
		{"a secret written in plain text is refused", `{"kiosk": true, "adminSecret": "hunter2hunter2"}`, false, kiosk.Settings{}, "must be the hash that `nhs-passkeys kiosk-secret` prints"},
		{"a file that is not JSON is refused", `kiosk = true`, false, kiosk.Settings{}, "is not valid"},
		{"a second object after the first is refused rather than ignored", `{"kiosk": false}` + "\n" + settingsWith(hash), false, kiosk.Settings{}, "something after its closing }"},
		{"a stray brace after the object is refused", settingsWith(hash) + "}", false, kiosk.Settings{}, "something after its closing }"},
		{"text after the object is refused", settingsWith(hash) + ` kiosk`, false, kiosk.Settings{}, "is not valid"},
		{"white space after the object is fine", settingsWith(hash) + "\n\n", false, kiosk.Settings{Kiosk: true, AdminSecret: hash}, ""},
		// A hash no secret can match would keep everyone, staff included, from closing the kiosk.
		{"a hash cut short when copied is refused", settingsWith(hash[:len(hash)-20]), false, kiosk.Settings{}, "was part of it lost when it was copied"},
		{"a hash without its key is refused", settingsWith(hash[:strings.LastIndex(hash, "$")]), false, kiosk.Settings{}, "is not a whole hash"},
		{"a hash with a character that is not base64 is refused", settingsWith(hash[:len(hash)-1] + "!"), false, kiosk.Settings{}, "is not a whole hash"},
		{"a hash of another argon2 version is refused", settingsWith(strings.Replace(hash, "v=19", "v=16", 1)), false, kiosk.Settings{}, "is not a whole hash"},
		{"a hash whose settings are out of range is refused", settingsWith(strings.Replace(hash, "t=2", "t=0", 1)), false, kiosk.Settings{}, "is not a whole hash"},
		{"an argon2i hash is refused", settingsWith(strings.Replace(hash, "$argon2id$", "$argon2i$", 1)), false, kiosk.Settings{}, "must be the hash"},
		// A weak hash makes each guess cheap for anyone who can read the file.
		{"a hash with less memory than kiosk-secret uses is refused", settingsWith(hashWith(weakMemory)), false, kiosk.Settings{}, "weaker settings"},
		{"a hash with fewer passes than kiosk-secret uses is refused", settingsWith(hashWith(weakTime)), false, kiosk.Settings{}, "weaker settings"},
		{"a hash with a shorter salt than kiosk-secret uses is refused", settingsWith(hashWith(shortSalt)), false, kiosk.Settings{}, "shorter than the hash"},
		{"a hash shorter than kiosk-secret makes is refused", settingsWith(hashWith(shortKey)), false, kiosk.Settings{}, "shorter than the hash"},
		{"a hash with stronger settings than kiosk-secret uses is accepted", settingsWith(strongerHash), false, kiosk.Settings{Kiosk: true, AdminSecret: strongerHash}, ""},
		{"a damaged hash is refused even when the file does not turn kiosk mode on", `{"adminSecret": "` + hash[:len(hash)-20] + `"}`, false, kiosk.Settings{}, "was part of it lost when it was copied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "settings.json")
			if tt.file != "" {
				if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			got, err := kiosk.Load(path, tt.mustExist)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("err = %v, want one naming the file and containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Load = %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// A CA file named without a folder is the one beside the settings file, wherever the app was
// started from.
func TestARelativeCAFileIsBesideTheSettingsFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "settings.json")
	if err := os.WriteFile(path, []byte(`{"relyingParty": "https://passkeys.example.org", "relyingPartyCA": "ca.pem"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := kiosk.Load(path, true)
	if err != nil || got.RelyingPartyCA != filepath.Join(dir, "ca.pem") {
		t.Fatalf("Load = %+v, %v; want the CA file in %s", got, err, dir)
	}
}

func TestHashSecretRefusesAShortSecret(t *testing.T) {
	if _, err := kiosk.HashSecret("short"); err == nil || !strings.Contains(err.Error(), "at least 12 characters") {
		t.Fatalf("err = %v", err)
	}
}

func TestAdminSecret(t *testing.T) {
	hash, err := kiosk.HashSecret("the right secret")
	if err != nil {
		t.Fatal(err)
	}
	clock := testkit.NewClock(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	admin := kiosk.NewAdmin(hash, kiosk.AdminOptions{Clock: clock.Now})
	code := func(err error) string {
		var e *apperr.E
		if errors.As(err, &e) {
			return e.Code
		}
		return ""
	}
	if err := admin.Check("the right secret"); err != nil {
		t.Fatalf("the right secret: %v", err)
	}
	for i := range 5 {
		if err := admin.Check("a guess"); code(err) != "wrong_admin_secret" {
			t.Fatalf("wrong try %d: %v, want wrong_admin_secret", i+1, err)
		}
	}
	if err := admin.Check("the right secret"); code(err) != "too_many_tries" {
		t.Fatalf("after 5 wrong tries even the right secret must wait: %v", err)
	}
	clock.Advance(15 * time.Minute)
	if err := admin.Check("the right secret"); err != nil {
		t.Fatalf("15 minutes later the right secret should work: %v", err)
	}
}

// The limit on wrong secrets outlives the app: on Windows each visit is a process of its own,
// which a patient ends with "Log out", and any kiosk may be restarted. Kept in memory only, it
// started again from nothing each time, so guessing had no end.
func TestTheLimitOnWrongSecretsOutlivesTheApp(t *testing.T) {
	hash, err := kiosk.HashSecret("the right secret")
	if err != nil {
		t.Fatal(err)
	}
	code := func(err error) string {
		var e *apperr.E
		if errors.As(err, &e) {
			return e.Code
		}
		return ""
	}
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		run  func(t *testing.T, record string, clock *testkit.Clock)
	}{
		{"5 wrong secrets in one run still lock the next run, until 15 minutes have passed", func(t *testing.T, record string, clock *testkit.Clock) {
			first := kiosk.NewAdmin(hash, kiosk.AdminOptions{Clock: clock.Now, Record: record})
			for range 5 {
				_ = first.Check("a patient's guess")
			}
			next := kiosk.NewAdmin(hash, kiosk.AdminOptions{Clock: clock.Now, Record: record})
			if err := next.Check("the right secret"); code(err) != "too_many_tries" {
				t.Fatalf("the next run: %v, want too_many_tries", err)
			}
			clock.Advance(15 * time.Minute)
			if err := kiosk.NewAdmin(hash, kiosk.AdminOptions{Clock: clock.Now, Record: record}).Check("the right secret"); err != nil {
				t.Fatalf("15 minutes later: %v", err)
			}
		}},
		{"wrong secrets spread over runs (4 a visit) add up", func(t *testing.T, record string, clock *testkit.Clock) {
			for visit := range 2 {
				admin := kiosk.NewAdmin(hash, kiosk.AdminOptions{Clock: clock.Now, Record: record})
				for try := range 4 {
					err := admin.Check("a patient's guess")
					if visit == 1 && try >= 1 {
						if code(err) != "too_many_tries" {
							t.Fatalf("visit 2, try %d: %v, want too_many_tries", try+1, err)
						}
					} else if code(err) != "wrong_admin_secret" {
						t.Fatalf("visit %d, try %d: %v, want wrong_admin_secret", visit+1, try+1, err)
					}
					clock.Advance(time.Second)
				}
			}
		}},
		{"the right secret clears the record", func(t *testing.T, record string, clock *testkit.Clock) {
			admin := kiosk.NewAdmin(hash, kiosk.AdminOptions{Clock: clock.Now, Record: record})
			for range 4 {
				_ = admin.Check("a patient's guess")
			}
			if err := admin.Check("the right secret"); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(record); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the record should be gone after the right secret: %v", err)
			}
			next := kiosk.NewAdmin(hash, kiosk.AdminOptions{Clock: clock.Now, Record: record})
			for range 4 {
				_ = next.Check("a patient's guess")
			}
			if err := next.Check("the right secret"); err != nil {
				t.Fatalf("4 wrong tries after the record was cleared: %v", err)
			}
		}},
		{"the record holds times only, readable by nobody else", func(t *testing.T, record string, clock *testkit.Clock) {
			_ = kiosk.NewAdmin(hash, kiosk.AdminOptions{Clock: clock.Now, Record: record}).Check("a patient's guess")
			raw, err := os.ReadFile(record)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(raw), "guess") || strings.Contains(string(raw), "argon2") {
				t.Errorf("the record holds what was typed or the hash: %s", raw)
			}
			if info, err := os.Stat(record); err != nil || info.Mode().Perm() != 0o600 {
				t.Errorf("the record's mode = %v (%v), want 0600", info.Mode().Perm(), err)
			}
		}},
		{"a damaged record locks nobody out", func(t *testing.T, record string, clock *testkit.Clock) {
			if err := os.WriteFile(record, []byte("{not json"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := kiosk.NewAdmin(hash, kiosk.AdminOptions{Clock: clock.Now, Record: record}).Check("the right secret"); err != nil {
				t.Fatalf("the right secret with a damaged record: %v", err)
			}
		}},
		{"a record that cannot be written still counts in memory", func(t *testing.T, _ string, clock *testkit.Clock) {
			admin := kiosk.NewAdmin(hash, kiosk.AdminOptions{Clock: clock.Now, Record: filepath.Join(t.TempDir(), "missing", kiosk.TriesFile)})
			for range 5 {
				_ = admin.Check("a patient's guess")
			}
			if err := admin.Check("the right secret"); code(err) != "too_many_tries" {
				t.Fatalf("after 5 wrong tries: %v, want too_many_tries", err)
			}
		}},
		{"a clock set back keeps the lock no longer than 15 minutes", func(t *testing.T, record string, clock *testkit.Clock) {
			admin := kiosk.NewAdmin(hash, kiosk.AdminOptions{Clock: clock.Now, Record: record})
			for range 5 {
				_ = admin.Check("a patient's guess")
			}
			clock.Advance(-5 * time.Minute)
			if err := kiosk.NewAdmin(hash, kiosk.AdminOptions{Clock: clock.Now, Record: record}).Check("the right secret"); code(err) != "too_many_tries" {
				t.Fatalf("a clock set back 5 minutes: %v, want too_many_tries", err)
			}
			clock.Advance(-time.Hour)
			if err := kiosk.NewAdmin(hash, kiosk.AdminOptions{Clock: clock.Now, Record: record}).Check("the right secret"); err != nil {
				t.Fatalf("a clock set back an hour: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, filepath.Join(t.TempDir(), kiosk.TriesFile), testkit.NewClock(start))
		})
	}
}

// The watch ends a real session, through the real backend and a memory jar (kiosk mode
// keeps the session nowhere else), when a key seen during it is taken out.
func TestWatchEndsTheSessionWhenAKeyIsTakenOut(t *testing.T) {
	const origin = "http://localhost:8080"
	srv, err := backend.New(t.Context(), backend.Config{DataDir: t.TempDir(), Origin: origin, Ceremonies: "device", Kiosk: true},
		backend.WithPasswordHashing(account.HashParams{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	jar := sessionjar.New(sessionjar.NewMemoryStore(), nil, "nhsp_session")
	h := jar.Wrap(srv.Handler())
	signedIn := func() bool {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, origin+"/api/session", nil))
		return strings.Contains(rec.Body.String(), `"signedIn":true`)
	}
	var mu sync.Mutex
	keys := []string{"virtual"}
	listFails := false
	setKeys := func(k ...string) { mu.Lock(); defer mu.Unlock(); keys = k }
	setListFails := func(fails bool) { mu.Lock(); defer mu.Unlock(); listFails = fails }
	ended := make(chan string, 1)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		kiosk.Watch{
			Keys: func() ([]string, error) {
				mu.Lock()
				defer mu.Unlock()
				if listFails {
					return nil, errors.New("fake: listing failed")
				}
				return append([]string(nil), keys...), nil
			},
			SignedIn: jar.SignedIn,
			End:      kiosk.Logout(h, origin),
			Ended:    func(reason string) { ended <- reason },
			Every:    50 * time.Millisecond,
		}.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	signUp := func(email string) {
		t.Helper()
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, origin+"/api/accounts", strings.NewReader(`{"email":"`+email+`","password":"correct horse battery"}`))
		req.Header.Set("Origin", origin)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated || !jar.SignedIn() {
			t.Fatalf("create account: %d %s", rec.Code, rec.Body)
		}
	}
	endedWithin := func(d time.Duration) string {
		select {
		case r := <-ended:
			return r
		case <-time.After(d):
			return ""
		}
	}

	// Logged in with the key plugged in: nothing happens while it stays.
	time.Sleep(150 * time.Millisecond) // the watch has seen the key with nobody logged in
	signUp("pat@example.com")
	if r := endedWithin(300 * time.Millisecond); r != "" {
		t.Fatalf("ended (%s) while the key was still plugged in", r)
	}
	if !signedIn() {
		t.Fatal("the session ended while the key was still plugged in")
	}
	// Keys that cannot be listed for a while are not keys taken out.
	setListFails(true)
	if r := endedWithin(300 * time.Millisecond); r != "" {
		t.Fatalf("ended (%s) because the keys could not be listed", r)
	}
	setListFails(false)
	if r := endedWithin(200 * time.Millisecond); r != "" || !signedIn() {
		t.Fatalf("ended (%s) after the keys could be listed again, with the key still in", r)
	}
	setKeys()
	if r := endedWithin(5 * time.Second); r != kiosk.ReasonKeyRemoved {
		t.Fatalf("taking the key out: ended = %q, want %q", r, kiosk.ReasonKeyRemoved)
	}
	if jar.SignedIn() || signedIn() {
		t.Fatal("after the key was taken out the jar or the server still has the session")
	}

	// The key plugged in at login and taken out at once, before the watch looks again.
	setKeys("virtual")
	time.Sleep(150 * time.Millisecond)
	signUp("sam@example.com")
	setKeys()
	if r := endedWithin(5 * time.Second); r != kiosk.ReasonKeyRemoved {
		t.Fatalf("a key taken out just after logging in: ended = %q, want %q", r, kiosk.ReasonKeyRemoved)
	}
	if jar.SignedIn() || signedIn() {
		t.Fatal("the session outlived the key taken out just after logging in")
	}
}

// The shell's logout after a key was taken out ends the visit unless it is refused: one the
// backend failed (its database away) ends it too, as the shell's jar forgets the session all
// the same; the watch must not keep trying one that can never succeed while the patient's
// page stays up.
func TestTheShellsLogoutEndsTheVisitUnlessRefused(t *testing.T) {
	const origin = "http://localhost:8080"
	for _, tt := range []struct {
		name   string
		status int
		ends   bool
	}{
		{"an accepted logout ends it", http.StatusOK, true},
		{"a logout the backend could not save ends it", http.StatusServiceUnavailable, true},
		{"a logout the backend failed ends it", http.StatusInternalServerError, true},
		{"a refused logout does not", http.StatusForbidden, false},
		{"a malformed logout does not", http.StatusBadRequest, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/api/logout" || r.Header.Get("Origin") != origin {
					t.Errorf("the shell's logout was %s %s from %q", r.Method, r.URL.Path, r.Header.Get("Origin"))
				}
				w.WriteHeader(tt.status)
			})
			err := kiosk.Logout(h, origin)(t.Context())
			if ends := err == nil; ends != tt.ends || kiosk.LogoutEndsVisit(tt.status) != tt.ends {
				t.Errorf("status %d: Logout's error %v, LogoutEndsVisit %v; want the visit ended: %v", tt.status, err, kiosk.LogoutEndsVisit(tt.status), tt.ends)
			}
		})
	}
}
