package backend_test

// The load run of `make bench` (scripts/bench.sh): the backend on a loopback net/http
// server, N concurrent clients each with its own account and software authenticator doing
// whole passkey logins (begin, sign, finish) over HTTP. Off unless -load is given: it is a
// measurement, not a test, except that every login must succeed.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

var (
	loadRun     = flag.Bool("load", false, "run the load test (TestLoad)")
	loadClients = flag.String("load.clients", "16,64,256", "concurrent clients, one level after another")
	loadTotal   = flag.Int("load.logins", 1024, "logins per level, split evenly across its clients")
	loadLimit   = flag.Duration("load.timeout", 2*time.Minute, "time limit per level; logins not done by then count as errors")
)

func TestLoad(t *testing.T) {
	if !*loadRun {
		t.Skip("a measurement: run with -load (make bench)")
	}
	var levels []int
	for _, s := range strings.Split(*loadClients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			t.Fatalf("-load.clients %q", *loadClients)
		}
		levels = append(levels, n)
	}

	// The verify-bound rate: single-core ecdsa.VerifyASN1 rate x cores, measured now.
	verify := testing.Benchmark(BenchmarkVerifyASN1)
	perCore := 1e9 / float64(verify.NsPerOp())
	bound := perCore * float64(runtime.NumCPU())

	fmt.Printf("\nLoad: whole passkey logins (begin + sign + finish) over loopback HTTP, %d CPUs\n", runtime.NumCPU())
	fmt.Printf("verify-bound rate: %.0f VerifyASN1/s per core x %d = %.0f/s\n\n", perCore, runtime.NumCPU(), bound)
	fmt.Printf("%8s %8s %10s %9s %9s %9s %7s %14s\n", "clients", "logins", "logins/s", "p50", "p95", "p99", "errors", "share of bound")
	for _, n := range levels {
		r := runLoad(t, n, max(1, *loadTotal/n))
		fmt.Printf("%8d %8d %10.0f %9s %9s %9s %7d %13.1f%%\n", n, r.done, r.rate, r.p(50), r.p(95), r.p(99), r.errors,
			100*r.rate/bound)
		if r.errors > 0 {
			t.Errorf("%d clients: %d errors, e.g. %s", n, r.errors, r.firstError)
		}
	}
	fmt.Println()
}

type loadResult struct {
	done, errors int
	rate         float64
	latencies    []time.Duration
	firstError   string
}

func (r loadResult) p(q int) string {
	if len(r.latencies) == 0 {
		return "-"
	}
	d := r.latencies[min(len(r.latencies)-1, len(r.latencies)*q/100)]
	return d.Round(100 * time.Microsecond).String()
}

// logWatch counts the backend's error log lines (a "database is locked" would be one).
type logWatch struct {
	mu     sync.Mutex
	errors []string
}

func (l *logWatch) Write(p []byte) (int, error) {
	if s := string(p); strings.Contains(s, "level=ERROR") || strings.Contains(s, "database is locked") {
		l.mu.Lock()
		l.errors = append(l.errors, s)
		l.mu.Unlock()
	}
	return len(p), nil
}

func runLoad(t *testing.T, clients, perClient int) loadResult {
	ctx, cancel := context.WithTimeout(t.Context(), *loadLimit)
	defer cancel()
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	origin := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	watch := &logWatch{}
	// Production settings, except cheap password hashing for the set-up sign-ups (no
	// password is checked during the run).
	srv, err := backend.New(ctx, backend.Config{DataDir: t.TempDir(), Origin: origin,
		Logger: slog.New(slog.NewTextHandler(watch, nil))}, backend.WithPasswordHashing(testserver.CheapHashing()))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()

	transport := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer transport.CloseIdleConnections()
	base := "http://" + ln.Addr().String()
	post := func(hc *http.Client, path string, body any, out any) error {
		raw, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+path, strings.NewReader(string(raw)))
		if err != nil {
			return err
		}
		req.Host = strings.TrimPrefix(origin, "http://") // the server answers only for its own name
		req.Header.Set("Origin", origin)
		req.Header.Set("Content-Type", "application/json")
		res, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		var answer json.RawMessage
		if err := json.NewDecoder(res.Body).Decode(&answer); err != nil {
			return fmt.Errorf("POST %s: %d, %w", path, res.StatusCode, err)
		}
		if res.StatusCode/100 != 2 {
			return fmt.Errorf("POST %s: %d %s", path, res.StatusCode, answer)
		}
		if out != nil {
			return json.Unmarshal(answer, out)
		}
		return nil
	}
	type begun struct {
		Ceremony  string          `json:"ceremony"`
		PublicKey json.RawMessage `json:"publicKey"`
	}
	ceremony := func(hc *http.Client, a *softauthn.Authenticator, begin, finish string, beginBody any, sign func(*softauthn.Authenticator, []byte) ([]byte, error)) error {
		var b begun
		if err := post(hc, begin, beginBody, &b); err != nil {
			return err
		}
		cred, err := sign(a, b.PublicKey)
		if err != nil {
			return err
		}
		return post(hc, finish, map[string]any{"ceremony": b.Ceremony, "credential": json.RawMessage(cred)}, nil)
	}

	// Set-up (not measured): one account and passkey per client, 8 at a time.
	auths := make([]*softauthn.Authenticator, clients)
	var setup sync.WaitGroup
	sem := make(chan struct{}, 8)
	var setupErr atomic.Value
	for i := range clients {
		setup.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			jar, _ := cookiejar.New(nil)
			hc := &http.Client{Transport: transport, Jar: jar}
			a := softauthn.New(origin)
			if err := post(hc, "/api/accounts", map[string]string{"email": fmt.Sprintf("load%d@example.com", i), "password": "correct horse battery staple"}, nil); err != nil {
				setupErr.Store(err)
				return
			}
			if err := ceremony(hc, a, "/api/passkeys/register/begin", "/api/passkeys/register/finish", map[string]any{}, (*softauthn.Authenticator).Create); err != nil {
				setupErr.Store(err)
				return
			}
			auths[i] = a
		})
	}
	setup.Wait()
	if err := setupErr.Load(); err != nil {
		t.Fatalf("set-up: %v", err)
	}

	// The run: every client logs in perClient times, one login after another.
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      int
		first     string
		wg        sync.WaitGroup
	)
	start := time.Now()
	for i := range clients {
		wg.Go(func() {
			for range perClient {
				jar, _ := cookiejar.New(nil) // signed out: a fresh browser each time
				hc := &http.Client{Transport: transport, Jar: jar}
				t0 := time.Now()
				err := ceremony(hc, auths[i], "/api/login/passkey/begin", "/api/login/passkey/finish", map[string]any{"email": ""}, (*softauthn.Authenticator).Get)
				d := time.Since(t0)
				mu.Lock()
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
				} else {
					latencies = append(latencies, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	// Each failed request was logged by the server with its cause ("database is locked" is
	// SQLITE_BUSY after the 5 s busy_timeout); show the first one rather than the bare 500.
	watch.mu.Lock()
	if len(watch.errors) > 0 {
		first = strings.TrimSpace(watch.errors[0])
		if len(watch.errors) > errs { // logged by the server even if no client saw it fail
			errs = len(watch.errors)
		}
	}
	watch.mu.Unlock()
	slices.Sort(latencies)
	return loadResult{done: len(latencies), errors: errs, rate: float64(len(latencies)) / elapsed.Seconds(),
		latencies: latencies, firstError: first}
}
