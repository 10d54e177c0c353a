package backend_test

import (
	"crypto/sha256"
	"encoding/base64"
	"github.com/nhs-passkeys/companion/backend/store"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/session"
	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testkit"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

func signedIn(t *testing.T, c *testserver.Client) bool {
	t.Helper()
	var st struct {
		SignedIn bool `json:"signedIn"`
	}
	res := c.Get("/api/session")
	if res.Status != http.StatusOK {
		t.Fatalf("GET /api/session = %d %s", res.Status, res.Body)
	}
	res.Decode(t, &st)
	return st.SignedIn
}

func setCookie(t *testing.T, res *testserver.Response) string {
	t.Helper()
	lines := res.Header.Values("Set-Cookie")
	if len(lines) != 1 {
		t.Fatalf("Set-Cookie lines = %q, want one", lines)
	}
	return lines[0]
}

func TestSessionCookie(t *testing.T) { store.ForEachEngine(t, testSessionCookie) }

func testSessionCookie(t *testing.T, engine store.Engine) {
	tests := []struct {
		name, origin, cookieName string
		secure                   bool
	}{
		{"over HTTP the cookie is nhsp_session, HttpOnly, SameSite=Strict, Path=/", "http://localhost:8080", "nhsp_session", false},
		{"over HTTPS the cookie is __Host-nhsp_session and Secure", "https://passkeys.example.org", "__Host-nhsp_session", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testserver.New(t, testserver.OnEngine(engine), testserver.WithConfig(func(c *backend.Config) { c.Origin = tt.origin }))
			c := s.Client()
			c.Origin = tt.origin
			res := c.Post("/api/accounts", map[string]string{"email": "pat@example.com", "password": "correct horse battery"})
			if res.Status != http.StatusCreated {
				t.Fatalf("sign up = %d %s", res.Status, res.Body)
			}
			line := setCookie(t, res)
			for _, want := range []string{tt.cookieName + "=", "Path=/", "HttpOnly", "SameSite=Strict"} {
				if !strings.Contains(line, want) {
					t.Errorf("Set-Cookie %q lacks %q", line, want)
				}
			}
			if strings.Contains(line, "Secure") != tt.secure || strings.Contains(line, "Domain=") || strings.Contains(line, "Max-Age") {
				t.Errorf("Set-Cookie %q: Secure should be %v, and no Domain or Max-Age", line, tt.secure)
			}
			if c.Cookie == nil || c.Cookie.Name != tt.cookieName {
				t.Fatalf("client cookie = %v", c.Cookie)
			}
			raw, err := base64.RawURLEncoding.DecodeString(c.Cookie.Value)
			if err != nil || len(raw) != 32 {
				t.Errorf("token %q is not 32 random bytes in base64url", c.Cookie.Value)
			}
			sum := sha256.Sum256([]byte(c.Cookie.Value))
			if s.Count(`SELECT count(*) FROM sessions WHERE token_hash = $1`, sum[:]) != 1 {
				t.Errorf("the session is not stored under the SHA-256 of its token")
			}
			if s.Count(`SELECT count(*) FROM sessions WHERE token_hash = $1 OR CAST(token_hash AS TEXT) = $2`, []byte(c.Cookie.Value), c.Cookie.Value) != 0 {
				t.Errorf("the token itself is stored")
			}
			if !signedIn(t, c) {
				t.Errorf("the cookie does not sign in")
			}
		})
	}
	if session.CookieName != "nhsp_session" || session.SecureCookieName != "__Host-nhsp_session" {
		t.Errorf("cookie names changed: the desktop shell's jar depends on them")
	}
}

func TestLoginRotatesTheToken(t *testing.T) { store.ForEachEngine(t, testLoginRotatesTheToken) }

func testLoginRotatesTheToken(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	c := s.Client()
	c.SignUp("pat@example.com", "correct horse battery")
	old := *c.Cookie
	res := c.Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": "correct horse battery"})
	if res.Status != http.StatusOK || c.Cookie == nil || c.Cookie.Value == old.Value {
		t.Fatalf("login = %d, cookie %v (old %v)", res.Status, c.Cookie, old.Value)
	}
	oldHash := sha256.Sum256([]byte(old.Value))
	if s.Count(`SELECT count(*) FROM sessions WHERE token_hash = $1`, oldHash[:]) != 0 {
		t.Errorf("the session of the old token was not deleted at login")
	}
	if s.Count(`SELECT count(*) FROM sessions`) != 1 {
		t.Errorf("sessions = %d, want 1", s.Count(`SELECT count(*) FROM sessions`))
	}
	stale := s.Client()
	stale.Cookie = &old
	if signedIn(t, stale) {
		t.Errorf("the old token still signs in")
	}
	if !signedIn(t, c) {
		t.Errorf("the new token does not sign in")
	}
}

func TestTimeouts(t *testing.T) { store.ForEachEngine(t, testTimeouts) }

func testTimeouts(t *testing.T, engine store.Engine) {
	tests := []struct {
		name  string
		steps []time.Duration // clock advances, each followed by a request
		want  []bool          // signed in after each step
	}{
		{"activity within 30 minutes keeps the session alive",
			[]time.Duration{29 * time.Minute, 29 * time.Minute, 29 * time.Minute}, []bool{true, true, true}},
		{"30 minutes idle ends the session",
			[]time.Duration{10 * time.Minute, 30 * time.Minute, time.Minute}, []bool{true, false, false}},
		// 28 requests 25 minutes apart reach 11 h 40 min; the 29th, at 12 h 05 min, is refused.
		{"12 hours end the session however active it is",
			repeat(25*time.Minute, 29), append(repeatBool(true, 28), false)},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testserver.New(t, testserver.OnEngine(engine))
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			for i, d := range tt.steps {
				s.Clock.Advance(d)
				if got := signedIn(t, c); got != tt.want[i] {
					t.Fatalf("after step %d (+%v): signed in = %v, want %v", i+1, d, got, tt.want[i])
				}
			}
			if !tt.want[len(tt.want)-1] && s.Count(`SELECT count(*) FROM sessions`) != 0 {
				t.Errorf("the expired session is still stored")
			}
			if res := c.Get("/api/passkeys"); tt.want[len(tt.want)-1] == (res.Status == http.StatusUnauthorized) {
				t.Errorf("GET /api/passkeys = %d, signed in should be %v", res.Status, tt.want[len(tt.want)-1])
			}
		})
	}
}

// The page warns before the session ends (WCAG 2.2.1) from what these headers say.
func TestAnswersSayHowLongTheSessionHasLeft(t *testing.T) {
	store.ForEachEngine(t, testAnswersSayHowLongTheSessionHasLeft)
}

func testAnswersSayHowLongTheSessionHasLeft(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	c := s.Client()
	c.SignUp("pat@example.com", "correct horse battery")

	s.Clock.Advance(10 * time.Minute)
	res := c.Get("/api/passkeys")
	if got := res.Header.Get(session.IdleEndsInHeader); got != "1800" {
		t.Errorf("%s = %q, want 1800: any request restarts the 30 minutes", session.IdleEndsInHeader, got)
	}
	if got := res.Header.Get(session.EndsInHeader); got != "42600" {
		t.Errorf("%s = %q, want 42600 (12 hours less the 10 minutes since login)", session.EndsInHeader, got)
	}

	s.Clock.Advance(31 * time.Minute)
	res = c.Get("/api/session")
	for _, h := range []string{session.IdleEndsInHeader, session.EndsInHeader} {
		if got := res.Header.Get(h); got != "" {
			t.Errorf("after the session ended, %s = %q, want no header", h, got)
		}
	}
	if res := s.Client().Get("/api/session"); res.Header.Get(session.IdleEndsInHeader) != "" {
		t.Errorf("a request with no session got %s", session.IdleEndsInHeader)
	}
}

// A peek (Session-Peek: 1) says whether the session is live and how long it has left, but
// does not count as activity: otherwise two windows asking in turn would keep it alive.
func TestAPeekDoesNotKeepTheSessionAlive(t *testing.T) {
	store.ForEachEngine(t, testAPeekDoesNotKeepTheSessionAlive)
}

func testAPeekDoesNotKeepTheSessionAlive(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	c := s.Client()
	c.SignUp("pat@example.com", "correct horse battery")
	peek := func() *testserver.Response {
		t.Helper()
		return c.Do(http.MethodGet, "/api/session", nil, func(r *http.Request) { r.Header.Set(session.PeekHeader, "1") })
	}
	s.Clock.Advance(20 * time.Minute)
	res := peek()
	if !strings.Contains(string(res.Body), `"signedIn":true`) {
		t.Fatalf("a peek 20 minutes in: %s", res.Body)
	}
	if got := res.Header.Get(session.IdleEndsInHeader); got != "600" {
		t.Errorf("%s = %q, want 600: a peek must not restart the 30 minutes", session.IdleEndsInHeader, got)
	}
	s.Clock.Advance(11 * time.Minute)
	if res := peek(); !strings.Contains(string(res.Body), `"signedIn":false`) || res.Header.Get(session.IdleEndsInHeader) != "" {
		t.Fatalf("31 minutes after the last activity, with only a peek between: %s", res.Body)
	}
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func repeatBool(b bool, n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func TestLogout(t *testing.T) { store.ForEachEngine(t, testLogout) }

func testLogout(t *testing.T, engine store.Engine) {
	t.Run("logout deletes the session, clears the cookie and is audited", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		c := s.Client()
		c.SignUp("pat@example.com", "correct horse battery")
		token := *c.Cookie
		res := c.Post("/api/logout", map[string]any{})
		if res.Status != http.StatusOK || strings.TrimSpace(string(res.Body)) != `{"signedIn":false}` {
			t.Errorf("logout = %d %s", res.Status, res.Body)
		}
		line := setCookie(t, res)
		if !strings.Contains(line, "nhsp_session=;") || !strings.Contains(line, "Max-Age=0") {
			t.Errorf("Set-Cookie %q does not clear the cookie", line)
		}
		if s.Count(`SELECT count(*) FROM sessions`) != 0 {
			t.Errorf("the session row is still there")
		}
		if s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'signed_out'`) != 1 {
			t.Errorf("sign-out not audited")
		}
		replay := s.Client()
		replay.Cookie = &token
		if signedIn(t, replay) {
			t.Errorf("the token still signs in after logout")
		}
	})
	t.Run("logout without a session answers the same", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		res := s.Client().Post("/api/logout", map[string]any{})
		if res.Status != http.StatusOK || strings.TrimSpace(string(res.Body)) != `{"signedIn":false}` {
			t.Errorf("logout = %d %s", res.Status, res.Body)
		}
	})
	t.Run("logout needs an allowed Origin like every POST", func(t *testing.T) {
		s := testserver.New(t, testserver.OnEngine(engine))
		c := s.Client()
		c.SignUp("pat@example.com", "correct horse battery")
		c.Origin = "http://evil.example"
		if res := c.Post("/api/logout", map[string]any{}); res.Status != http.StatusForbidden || res.Code() != "origin_not_allowed" {
			t.Errorf("cross-site logout = %d %s", res.Status, res.Body)
		}
		if s.Count(`SELECT count(*) FROM sessions`) != 1 {
			t.Errorf("a cross-site logout deleted the session")
		}
	})
}

func TestSignOutEverywhereElse(t *testing.T) { store.ForEachEngine(t, testSignOutEverywhereElse) }

func testSignOutEverywhereElse(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	here := s.Client()
	here.SignUp("pat@example.com", "correct horse battery")
	var others []*testserver.Client
	for range 2 {
		c := s.Client()
		c.Post("/api/login/password", map[string]string{"email": "pat@example.com", "password": "correct horse battery"})
		others = append(others, c)
	}
	sam := s.Client()
	sam.SignUp("sam@example.com", "correct horse battery")

	res := here.Post("/api/sessions/others/logout", map[string]any{})
	if res.Status != http.StatusOK || strings.TrimSpace(string(res.Body)) != `{"signedOut":2}` {
		t.Fatalf("sign out everywhere else = %d %s", res.Status, res.Body)
	}
	if !signedIn(t, here) || !signedIn(t, sam) {
		t.Errorf("this session or another account's session was ended")
	}
	for _, c := range others {
		if signedIn(t, c) {
			t.Errorf("another session of the account survived")
		}
	}
	if s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'signed_out_elsewhere'`) != 1 {
		t.Errorf("not audited")
	}
	if res := s.Client().Post("/api/sessions/others/logout", map[string]any{}); res.Status != http.StatusUnauthorized || res.Code() != "not_signed_in" {
		t.Errorf("signed out = %d %s", res.Status, res.Body)
	}
	here.Origin = "http://evil.example"
	if res := here.Post("/api/sessions/others/logout", map[string]any{}); res.Status != http.StatusForbidden || res.Code() != "origin_not_allowed" {
		t.Errorf("cross-site = %d %s", res.Status, res.Body)
	}
}

func TestALoginStartsAFreshAuthenticationWithItsGrace(t *testing.T) {
	store.ForEachEngine(t, testALoginStartsAFreshAuthenticationWithItsGrace)
}

func testALoginStartsAFreshAuthenticationWithItsGrace(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	c := s.Client()
	c.SignUp("pat@example.com", "correct horse battery")
	if s.Count(`SELECT count(*) FROM sessions WHERE authenticated_at = created_at AND login_grace = 1`) != 1 {
		t.Errorf("the new session does not record its authentication and grace")
	}
}

// A request only reads its session; the last use is written when the stored one is a minute
// old or more (issue 14, rule 5: a read must not need the disk). On PostgreSQL, which
// replicas share, every use is written (see TestNoReplicaEndsASessionAnotherKeptAlive).
func TestTheLastUseIsWrittenAtMostOnceAMinute(t *testing.T) {
	store.ForEachEngine(t, testTheLastUseIsWrittenAtMostOnceAMinute)
}

func testTheLastUseIsWrittenAtMostOnceAMinute(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	c := s.Client()
	c.SignUp("pat@example.com", "correct horse battery")
	start := s.Clock.Now()
	stored := func() time.Time {
		t.Helper()
		var ms int64
		if err := s.DB.QueryRowContext(t.Context(), `SELECT last_seen_at FROM sessions`).Scan(&ms); err != nil {
			t.Fatal(err)
		}
		return time.UnixMilli(ms).UTC()
	}
	steps := []struct {
		advance time.Duration
		want    time.Duration // the stored last use, after the sign-up
	}{
		{30 * time.Second, 0},
		{29 * time.Second, 0},      // 59 s after the stored use
		{time.Second, time.Minute}, // a minute: written
		{59*time.Second + 999*time.Millisecond, time.Minute},
		{time.Millisecond, 2 * time.Minute},
	}
	var at time.Duration
	for i, step := range steps {
		s.Clock.Advance(step.advance)
		at += step.advance
		for range 3 { // more requests at the same moment write nothing more
			if res := c.Get("/api/passkeys"); res.Status != http.StatusOK {
				t.Fatalf("GET /api/passkeys = %d %s", res.Status, res.Body)
			}
		}
		want := step.want
		if engine == store.Postgres {
			want = at
		}
		if got := stored(); !got.Equal(start.Add(want)) {
			t.Errorf("step %d (%v after sign-up): stored last use %v after sign-up, want %v", i+1, at, got.Sub(start), want)
		}
	}
}

// Replicas on one PostgreSQL database cannot see each other's memory, so a use one of them
// knows must be in the database for the others: no replica may end a session that another
// kept alive. A patient used the app on A 50 seconds after signing up and then left it;
// 20 seconds before the countdown's end they press "Stay logged in", and B answers.
func TestNoReplicaEndsASessionAnotherKeptAlive(t *testing.T) {
	const idle = 5 * time.Minute
	storage := testserver.SameStorage(t, store.Postgres)
	clock := testkit.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	replica := func() *testserver.Server {
		return testserver.New(t, storage, testserver.WithConfig(func(c *backend.Config) { c.Now = clock.Now }),
			testserver.WithOptions(backend.WithSessionTimeouts(idle, 0)))
	}
	a, b := replica(), replica()
	onA := a.Client()
	onA.SignUp("pat@example.com", "correct horse battery")
	clock.Advance(50 * time.Second)
	if !signedIn(t, onA) {
		t.Fatal("signed out on A 50 seconds after signing up")
	}
	onB := b.Client()
	onB.Cookie = onA.Cookie
	clock.Advance(idle - 20*time.Second)
	if !signedIn(t, onB) {
		t.Fatalf("B ended the session %v after its last use on A, before the idle timeout of %v", idle-20*time.Second, idle)
	}
	// Nor does it live longer: idle from that use on B, A ends it.
	clock.Advance(idle)
	onA.Cookie = onB.Cookie
	if signedIn(t, onA) {
		t.Errorf("A kept the session %v after its last use on B", idle)
	}
}

// The idle timeout stays exact although the last use is written at most once a minute:
// the service judges a session by its true last use, kept in memory, so a session neither
// outlives its idle timeout nor ends before it, even when the timeout is under a minute.
func TestTheIdleTimeoutIsExactThoughTheLastUseIsWrittenOnceAMinute(t *testing.T) {
	store.ForEachEngine(t, testTheIdleTimeoutIsExactThoughTheLastUseIsWrittenOnceAMinute)
}

func testTheIdleTimeoutIsExactThoughTheLastUseIsWrittenOnceAMinute(t *testing.T, engine store.Engine) {
	tests := []struct {
		name  string
		idle  time.Duration
		steps []time.Duration // clock advances, each followed by a request
		want  []bool          // signed in after each step
	}{
		{"a 40-second timeout, each request 30 to 39.9 seconds after the last",
			40 * time.Second,
			[]time.Duration{30 * time.Second, 35 * time.Second, 39*time.Second + 900*time.Millisecond, 39 * time.Second, 31 * time.Second},
			[]bool{true, true, true, true, true}},
		{"a 40-second timeout ends 40 seconds after a use that was only in memory",
			40 * time.Second, []time.Duration{30 * time.Second, 40 * time.Second}, []bool{true, false}},
		{"a 90-second timeout ends 90 seconds after a use that was only in memory",
			90 * time.Second, []time.Duration{50 * time.Second, 89 * time.Second, 90 * time.Second}, []bool{true, true, false}},
		{"30 minutes after a use 59 seconds after the stored one",
			30 * time.Minute, []time.Duration{59 * time.Second, 30*time.Minute - time.Millisecond, 30 * time.Minute}, []bool{true, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testserver.New(t, testserver.OnEngine(engine), testserver.WithOptions(backend.WithSessionTimeouts(tt.idle, 0)))
			c := s.Client()
			c.SignUp("pat@example.com", "correct horse battery")
			for i, d := range tt.steps {
				s.Clock.Advance(d)
				res := c.Get("/api/session")
				signedIn := strings.Contains(string(res.Body), `"signedIn":true`)
				if res.Status != http.StatusOK || signedIn != tt.want[i] {
					t.Fatalf("after step %d (+%v): %d %s, want signed in %v", i+1, d, res.Status, res.Body, tt.want[i])
				}
				if want := seconds(tt.idle); signedIn && res.Header.Get(session.IdleEndsInHeader) != want {
					t.Errorf("after step %d: %s = %q, want %s", i+1, session.IdleEndsInHeader, res.Header.Get(session.IdleEndsInHeader), want)
				}
			}
			if !tt.want[len(tt.want)-1] && s.Count(`SELECT count(*) FROM sessions`) != 0 {
				t.Errorf("the ended session is still stored")
			}
		})
	}
}

// A peek counts from the true last use, not from the stored one.
func TestAPeekCountsFromAUseNotYetWritten(t *testing.T) {
	store.ForEachEngine(t, testAPeekCountsFromAUseNotYetWritten)
}

func testAPeekCountsFromAUseNotYetWritten(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	c := s.Client()
	c.SignUp("pat@example.com", "correct horse battery")
	s.Clock.Advance(30 * time.Second)
	c.Get("/api/passkeys") // not written: the stored use is 30 seconds old
	s.Clock.Advance(10 * time.Second)
	res := c.Do(http.MethodGet, "/api/session", nil, func(r *http.Request) { r.Header.Set(session.PeekHeader, "1") })
	if got := res.Header.Get(session.IdleEndsInHeader); got != "1790" {
		t.Errorf("%s = %q, want 1790: 30 minutes from the use 10 seconds ago", session.IdleEndsInHeader, got)
	}
}

// Closing the app writes the last uses that were only in memory, so after a restart no
// session ends earlier than it would have.
func TestClosingWritesTheLastUsesOnlyInMemory(t *testing.T) {
	store.ForEachEngine(t, testClosingWritesTheLastUsesOnlyInMemory)
}

func testClosingWritesTheLastUsesOnlyInMemory(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine))
	c := s.Client()
	c.SignUp("pat@example.com", "correct horse battery")
	s.Clock.Advance(30 * time.Second)
	c.Get("/api/passkeys")
	want := s.Clock.Now()
	if err := s.Backend.Close(); err != nil {
		t.Fatal(err)
	}
	var ms int64
	if err := s.DB.QueryRowContext(t.Context(), `SELECT last_seen_at FROM sessions`).Scan(&ms); err != nil {
		t.Fatal(err)
	}
	if got := time.UnixMilli(ms).UTC(); !got.Equal(want) {
		t.Errorf("stored last use = %v, want %v", got, want)
	}
}

func seconds(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }

// Every login clears out ended sessions; it must not take a live one whose latest use is
// only in memory for an ended one.
func TestALoginsClearOutLeavesASessionUsedSinceItsStoredUse(t *testing.T) {
	store.ForEachEngine(t, testALoginsClearOutLeavesASessionUsedSinceItsStoredUse)
}

func testALoginsClearOutLeavesASessionUsedSinceItsStoredUse(t *testing.T, engine store.Engine) {
	s := testserver.New(t, testserver.OnEngine(engine), testserver.WithOptions(backend.WithSessionTimeouts(40*time.Second, 0)))
	pat := s.Client()
	pat.SignUp("pat@example.com", "correct horse battery")
	s.Clock.Advance(30 * time.Second)
	if !signedIn(t, pat) { // used at 30 s; stored still says 0 s
		t.Fatal("signed out 30 seconds in")
	}
	s.Clock.Advance(35 * time.Second)
	s.Client().SignUp("sam@example.com", "correct horse battery") // at 65 s: its login clears out ended sessions
	s.Clock.Advance(4 * time.Second)
	if !signedIn(t, pat) {
		t.Errorf("signed out 39 seconds after the last use: another person's login ended the session")
	}
}

// A patient whose phone is lost or stolen removes the passkey that was on it. Whoever has
// the phone may already be logged in with that passkey; that session ends with the removal,
// however long it had left. Sessions logged in some other way (the password, another
// passkey) go on, and so does the session that removes it, even one that passkey logged in.
func TestRemovingAPasskeyEndsTheSessionsItLoggedIn(t *testing.T) {
	store.ForEachEngine(t, testRemovingAPasskeyEndsTheSessionsItLoggedIn)
}

func testRemovingAPasskeyEndsTheSessionsItLoggedIn(t *testing.T, engine store.Engine) {
	const email, password = "pat@example.com", "correct horse battery"
	s := testserver.New(t, testserver.OnEngine(engine))
	laptop := s.Client()
	laptop.SignUp(email, password)
	phone, key := softauthn.New(testserver.Origin), softauthn.New(testserver.Origin)
	lost := laptop.RegisterPasskey(phone, "")
	laptop.RegisterPasskey(key, laptop.ReauthWithPasskey(phone, "add-passkey"))

	logIn := func(a *softauthn.Authenticator) *testserver.Client {
		c := s.Client()
		if res := c.LoginWithPasskey(a, email); res.Status != http.StatusOK {
			t.Fatalf("log in with a passkey: %d %s", res.Status, res.Body)
		}
		return c
	}
	thief, thiefAgain := logIn(phone), logIn(phone)
	withKey := logIn(key)
	withPassword := s.Client()
	if res := withPassword.Post("/api/login/password", map[string]string{"email": email, "password": password}); res.Status != http.StatusOK {
		t.Fatalf("password login: %d %s", res.Status, res.Body)
	}
	// The phone's own session removes it: that one is the person's, and stays.
	removing := logIn(phone)
	sam := s.Client()
	sam.SignUp("sam@example.com", password)

	proof := removing.ReauthWithPassword(password, "remove-passkey")
	if res := removing.Do(http.MethodDelete, "/api/passkeys/"+lost.ID, map[string]any{"proof": proof}); res.Status != http.StatusOK {
		t.Fatalf("remove the lost passkey: %d %s", res.Status, res.Body)
	}

	for name, c := range map[string]*testserver.Client{"a session the lost passkey logged in": thief, "another one": thiefAgain} {
		if res := c.Get("/api/passkeys"); res.Status != http.StatusUnauthorized || res.Code() != "not_signed_in" {
			t.Errorf("%s still works after the passkey was removed: %d %s", name, res.Status, res.Body)
		}
	}
	for name, c := range map[string]*testserver.Client{"the session that removed it": removing, "a session of the other passkey": withKey,
		"a password session": withPassword, "another account's session": sam} {
		if !signedIn(t, c) {
			t.Errorf("%s was ended", name)
		}
	}
	if n := s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'passkey_removed' AND detail = '2 sessions it logged in ended'`); n != 1 {
		t.Errorf("the removal's audit does not say that it ended 2 sessions (%d)", n)
	}
}

// A passkey whose signature counter went backwards may have been copied (WebAuthn L3 §7.2,
// signCount), and nobody can tell whether the copy or the original logged in before. So
// when it is flagged, every session it logged in ends, as when it is removed; sessions
// logged in another way go on.
func TestAFlaggedPasskeyEndsTheSessionsItLoggedIn(t *testing.T) {
	store.ForEachEngine(t, testAFlaggedPasskeyEndsTheSessionsItLoggedIn)
}

func testAFlaggedPasskeyEndsTheSessionsItLoggedIn(t *testing.T, engine store.Engine) {
	const email, password = "pat@example.com", "correct horse battery"
	for _, path := range []string{"login", "re-authentication"} {
		t.Run("flagged at "+path, func(t *testing.T) {
			s := testserver.New(t, testserver.OnEngine(engine))
			laptop := s.Client()
			laptop.SignUp(email, password)
			original := softauthn.New(testserver.Origin)
			laptop.RegisterPasskey(original, "")
			copied := s.Client()
			if res := copied.LoginWithPasskey(original, email); res.Status != http.StatusOK {
				t.Fatalf("log in with the passkey: %d %s", res.Status, res.Body)
			}
			withPassword := s.Client()
			if res := withPassword.Post("/api/login/password", map[string]string{"email": email, "password": password}); res.Status != http.StatusOK {
				t.Fatalf("password login: %d %s", res.Status, res.Body)
			}
			// A copy of the authenticator, with the counter as it was before that login.
			original.Credentials[0].SignCount = 0
			var res *testserver.Response
			if path == "login" {
				res = s.Client().LoginWithPasskey(original, email)
			} else {
				b := withPassword.Begin("/api/reauth/passkey/begin", map[string]any{"action": "rename-passkey"})
				cred, err := original.Get(b.PublicKey)
				if err != nil {
					t.Fatal(err)
				}
				res = withPassword.Finish("/api/reauth/passkey/finish", b.Ceremony, cred)
			}
			if res.Status != http.StatusUnauthorized || res.Code() != "passkey_flagged" {
				t.Fatalf("the copy's %s = %d %s, want 401 passkey_flagged", path, res.Status, res.Body)
			}
			if signedIn(t, copied) {
				t.Errorf("the session the flagged passkey logged in still works")
			}
			if !signedIn(t, laptop) || !signedIn(t, withPassword) {
				t.Errorf("a session logged in another way was ended")
			}
			if n := s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'passkey_flagged' AND detail LIKE '%1 sessions it logged in ended%'`); n != 1 {
				t.Errorf("the flag's audit does not say that it ended 1 session (%d)", n)
			}
		})
	}
}
