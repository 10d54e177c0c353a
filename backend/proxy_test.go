package backend_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/httpapi"
	"github.com/nhs-passkeys/companion/backend/store"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

// Behind a reverse proxy every request comes from the proxy. With --trusted-proxy the
// client address it forwards is the one counted and shown; without it, or from a peer that
// is not a trusted proxy, X-Forwarded-For is ignored, so a client cannot choose its address
// to escape its lockout or to blame someone else.
func TestClientLockoutsFollowTheForwardedAddressOnlyFromTrustedProxies(t *testing.T) {
	store.ForEachEngine(t, testClientLockoutsFollowTheForwardedAddressOnlyFromTrustedProxies)
}

func testClientLockoutsFollowTheForwardedAddressOnlyFromTrustedProxies(t *testing.T, engine store.Engine) {
	const proxy = "192.0.2.10"
	trusted := testserver.WithConfig(func(c *backend.Config) {
		p, err := httpapi.ParseTrustedProxy(proxy)
		if err != nil {
			t.Fatal(err)
		}
		c.TrustedProxies = httpapi.TrustedProxies{p}
	})
	tests := []struct {
		name   string
		opts   []testserver.Option
		peer   string
		varies bool   // each attempt forwards a different address
		want   string // the client recorded for the attempts
		locked bool   // the 20th attempt (the client limit), from yet another forwarded address, is paused
	}{
		{"clients behind a trusted proxy are counted apart", []testserver.Option{trusted}, proxy, true, "forwarded", false},
		{"a forged header from a peer that is not a trusted proxy changes nothing", []testserver.Option{trusted}, "198.51.100.9", true, "198.51.100.9", true},
		{"without --trusted-proxy the proxy itself is the one client", nil, proxy, true, proxy, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testserver.New(t, append(tt.opts, testserver.OnEngine(engine))...)
			c := s.Client()
			c.RemoteAddr = tt.peer + ":443"
			send := func(i int) *testserver.Response {
				return c.Do("POST", "/api/login/password",
					map[string]string{"email": fmt.Sprintf("someone%d@example.com", i), "password": "not the password"},
					func(r *http.Request) { r.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1)) })
			}
			for i := range 19 {
				if res := send(i); res.Status != http.StatusUnauthorized {
					t.Fatalf("attempt %d = %d %s", i+1, res.Status, res.Body)
				}
			}
			res := send(19)
			if got := res.Status == http.StatusTooManyRequests; got != tt.locked {
				t.Errorf("20th attempt = %d %s, want paused %v", res.Status, res.Body, tt.locked)
			}
			want := tt.want
			if want == "forwarded" {
				want = "203.0.113.1"
			}
			if n := s.Count(`SELECT count(*) FROM audit_events WHERE kind = 'login_failed' AND client = $1`, want); n != 1 && tt.want == "forwarded" || n < 19 && tt.want != "forwarded" {
				t.Errorf("failed logins recorded from %s = %d", want, n)
			}
		})
	}
}
