//go:build linux

// Linux only: the servers are child processes on the test harness's PostgreSQL cluster
// (Linux), and PostgreSQL's CPU time is read from /proc.

package backend_test

// The load run of `make bench` (scripts/bench.sh): N concurrent clients, each with its own
// account and software authenticator, doing whole passkey logins (begin, sign, finish) over
// loopback HTTP to the backend served in child processes, as `serve` runs it: one process on
// a SQLite file, then one and two replicas on one PostgreSQL database (the requests spread
// over the replicas in turn, so most ceremonies begin on one and finish on the other). Off
// unless -load is given: it is a measurement, not a test, except that every login must
// succeed.
//
// Why child processes: the clients (HTTP, JSON and above all the authenticators' P-256
// signatures) cost about as much CPU as the server, and in one process nothing can tell the
// two apart (Go has no per-goroutine CPU time). Each server process answers "cpu" on its
// standard input with its own getrusage(RUSAGE_SELF); PostgreSQL's processes are read from
// /proc; the clients are this process's getrusage. All share the machine's cores, so
// logins/s is what the whole machine did, and the CPU columns say where the time went.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/store"
	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

var (
	loadRun       = flag.Bool("load", false, "run the load test (TestLoad)")
	loadClients   = flag.String("load.clients", "16,64,256", "concurrent clients, one level after another")
	loadTotal     = flag.Int("load.logins", 1024, "logins per level, split evenly across its clients")
	loadLimit     = flag.Duration("load.timeout", 2*time.Minute, "time limit per level; logins not done by then count as errors")
	loadDatabases = flag.String("load.databases", "sqlite,postgres", "databases to run on, one after another")
	loadReplicas  = flag.String("load.replicas", "1,2", "serve replicas on PostgreSQL, one count after another (SQLite is one process by design)")
)

// The load servers' settings: the directory for their data folder (set only in the child),
// the PostgreSQL database they share, and the one origin every replica answers for (a
// fleet's, the proxy's: requests carry its host name whichever replica they reach).
const (
	loadServerEnv   = "NHS_PASSKEYS_LOAD_SERVER_DIR"
	loadDatabaseEnv = "NHS_PASSKEYS_LOAD_SERVER_DATABASE"
	loadOrigin      = "http://localhost:8443"
)

func TestLoad(t *testing.T) {
	if !*loadRun {
		t.Skip("a measurement: run with -load (make bench)")
	}
	levels := loadCounts(t, "-load.clients", *loadClients)
	replicas := loadCounts(t, "-load.replicas", *loadReplicas)
	// Durable PostgreSQL (fsync and synchronous commit on), to compare with SQLite's
	// synchronous=FULL; this must be set before the first database is made.
	t.Setenv(store.PostgresDurableEnv, "1")

	// The verify bound: how many ecdsa.VerifyASN1 the machine's cores can do per second,
	// from one verification's CPU time (getrusage, as every CPU figure here), measured now.
	verify := testing.Benchmark(BenchmarkVerifyASN1).Extra["cpu-ns/op"]
	if verify <= 0 {
		t.Fatal("BenchmarkVerifyASN1 reported no cpu-ns/op")
	}
	perCore := 1e9 / verify
	bound := perCore * float64(runtime.NumCPU())
	loadavg, _ := os.ReadFile("/proc/loadavg")

	fmt.Printf("\nLoad: whole passkey logins (begin + sign + finish) over loopback HTTP to served backends in\n")
	fmt.Printf("child processes; %d CPUs; load average at the start %s\n", runtime.NumCPU(), strings.Join(strings.Fields(string(loadavg))[:3], " "))
	fmt.Printf("verify bound: %.1f us CPU per VerifyASN1, %.0f/s per core x %d cores = %.0f/s\n", verify/1e3, perCore, runtime.NumCPU(), bound)
	fmt.Printf("CPU per login as a multiple of one VerifyASN1's CPU: server = the serve processes' own getrusage;\n")
	fmt.Printf("database = PostgreSQL's processes (/proc); clients = this process (HTTP, JSON, the authenticators' signatures)\n\n")
	fmt.Printf("%-8s %8s %7s %6s %9s %8s %8s %8s %6s %6s %7s %7s %7s\n",
		"database", "replicas", "clients", "logins", "logins/s", "p50", "p95", "p99", "errors", "bound", "server", "db", "clients")
	for _, database := range strings.Split(*loadDatabases, ",") {
		counts := replicas
		switch database = strings.TrimSpace(database); database {
		case "sqlite":
			counts = []int{1}
		case "postgres":
		default:
			t.Fatalf("-load.databases: %q is neither sqlite nor postgres", database)
		}
		for _, n := range counts {
			for _, clients := range levels {
				t.Run(fmt.Sprintf("%s/%d/%d", database, n, clients), func(t *testing.T) {
					r := runLoad(t, database, n, clients, max(1, *loadTotal/clients))
					if r.setupError != nil {
						fmt.Printf("%-8s %8d %7d  set-up failed, no run\n", database, n, clients)
						t.Errorf("set-up: %v", r.setupError)
						return
					}
					db := "-"
					if database == "postgres" {
						db = fmt.Sprintf("%.1fx", r.databaseCPU/verify)
					}
					fmt.Printf("%-8s %8d %7d %6d %9.0f %8s %8s %8s %6d %5.1f%% %6.1fx %7s %6.1fx\n",
						database, n, clients, r.done, r.rate, r.p(50), r.p(95), r.p(99), r.errors, 100*r.rate/bound,
						r.serverCPU/verify, db, r.clientCPU/verify)
					if r.setupRetries > 0 {
						fmt.Printf("%-8s %8d %7d  (set-up: %d failed steps tried again)\n",
							database, n, clients, r.setupRetries)
					}
					if r.errors > 0 {
						t.Errorf("%d errors, e.g. %s", r.errors, r.firstError)
					}
				})
			}
		}
	}
	fmt.Println()
}

// loadCounts reads a comma-separated list of positive counts.
func loadCounts(t *testing.T, name, list string) []int {
	var counts []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			t.Fatalf("%s %q: want positive counts separated by commas", name, list)
		}
		counts = append(counts, n)
	}
	return counts
}

type loadResult struct {
	done, errors int
	rate         float64
	latencies    []time.Duration
	firstError   string
	// CPU time per login (ns) of the serve processes, of PostgreSQL and of the clients.
	serverCPU, databaseCPU, clientCPU float64
	setupError                        error // the accounts and passkeys could not all be made: no run
	setupRetries                      int   // set-up steps that failed and were tried again
}

func (r loadResult) p(q int) string {
	if len(r.latencies) == 0 {
		return "-"
	}
	d := r.latencies[min(len(r.latencies)-1, len(r.latencies)*q/100)]
	return d.Round(100 * time.Microsecond).String()
}

func runLoad(t *testing.T, database string, replicas, clients, perClient int) loadResult {
	ctx, cancel := context.WithTimeout(t.Context(), *loadLimit)
	defer cancel()
	var url string
	if database == "postgres" {
		url = store.PostgresForTest(t)
		checkDurable(t, url)
	}
	servers := make([]*loadServer, replicas)
	for i := range servers {
		servers[i] = startLoadServer(t, t.TempDir(), url)
	}

	transport := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer transport.CloseIdleConnections()
	// Each request goes to the next replica in turn, as a round-robin proxy would send it.
	var turn atomic.Uint64
	post := func(hc *http.Client, path string, body any, out any) error {
		raw, _ := json.Marshal(body)
		s := servers[turn.Add(1)%uint64(len(servers))]
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.base+path, strings.NewReader(string(raw)))
		if err != nil {
			return err
		}
		req.Host = strings.TrimPrefix(loadOrigin, "http://") // the server answers only for its own name
		req.Header.Set("Origin", loadOrigin)
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

	// Set-up (not measured): one account and passkey per client, 8 at a time. A step that
	// fails is tried again (a new account, a new passkey), up to setupAttempts times, so that
	// a server refusing some requests under load still gets measured; how many were tried
	// again is reported beside the row.
	const setupAttempts = 10
	auths := make([]*softauthn.Authenticator, clients)
	var setup sync.WaitGroup
	sem := make(chan struct{}, 8)
	var (
		setupErr   atomic.Value
		setupRetry atomic.Int64
	)
	for i := range clients {
		setup.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var err error
			for attempt := range setupAttempts {
				if attempt > 0 {
					setupRetry.Add(1)
				}
				jar, _ := cookiejar.New(nil)
				hc := &http.Client{Transport: transport, Jar: jar}
				a := softauthn.New(loadOrigin)
				err = post(hc, "/api/accounts", map[string]string{"email": fmt.Sprintf("load%d.%d@example.com", i, attempt), "password": "correct horse battery staple"}, nil)
				if err == nil {
					err = ceremony(hc, a, "/api/passkeys/register/begin", "/api/passkeys/register/finish", map[string]any{}, (*softauthn.Authenticator).Create)
				}
				if err == nil {
					auths[i] = a
					return
				}
			}
			setupErr.Store(err)
		})
	}
	setup.Wait()
	if err, _ := setupErr.Load().(error); err != nil {
		for _, s := range servers {
			if _, line := s.stderr.count(); line != "" {
				return loadResult{setupError: fmt.Errorf("%w; the server logged %s", err, line)}
			}
		}
		return loadResult{setupError: err}
	}
	// The run's errors are the ones logged from here on.
	for _, s := range servers {
		s.stderr.reset()
	}

	// The run: every client logs in perClient times, one login after another.
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      int
		first     string
		wg        sync.WaitGroup
	)
	cpu := func() (server, db, client time.Duration) {
		for _, s := range servers {
			server += s.cpu(t)
		}
		if url != "" {
			db = postgresCPU(t, url)
		}
		client, _ = processCPU(t)
		return server, db, client
	}
	server0, db0, client0 := cpu()
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
	server1, db1, client1 := cpu()
	// Each failed request was logged by its server with the cause ("database is locked" is
	// SQLITE_BUSY after the busy timeout); show the first one rather than the bare 500.
	for _, s := range servers {
		logged, line := s.stderr.count()
		if line != "" && (first == "" || strings.HasPrefix(first, "POST")) {
			first = line
		}
		errs = max(errs, logged) // logged by a server even if no client saw it fail
	}
	slices.Sort(latencies)
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(max(1, len(latencies))) }
	return loadResult{done: len(latencies), errors: errs, rate: float64(len(latencies)) / elapsed.Seconds(),
		latencies: latencies, firstError: first, setupRetries: int(setupRetry.Load()),
		serverCPU: per(server1 - server0), databaseCPU: per(db1 - db0), clientCPU: per(client1 - client0)}
}

// checkDurable fails the run if PostgreSQL would acknowledge a commit before it is on disk:
// its figures would then not be comparable with SQLite's synchronous=FULL.
func checkDurable(t *testing.T, url string) {
	db, err := store.OpenPostgres(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, setting := range []string{"fsync", "synchronous_commit", "full_page_writes"} {
		var v string
		if err := db.QueryRowContext(t.Context(), `SHOW `+setting).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != "on" {
			t.Fatalf("PostgreSQL runs with %s = %s: another test started the cluster before %s was set; run TestLoad alone", setting, v, store.PostgresDurableEnv)
		}
	}
}

// TestLoadServer is not a test: it is a load run's server, run in a child process by
// TestLoad (it returns at once otherwise): backend.New with the production settings except
// cheap password hashing (the set-up's sign-ups; no password is checked during the run), on
// a loopback net/http server. It prints "listening ADDR" once it serves, answers each "cpu"
// line on its standard input with "cpu NANOSECONDS" (its own user + system time so far), and
// exits when its standard input closes, so it cannot outlive the test.
func TestLoadServer(t *testing.T) {
	dir := os.Getenv(loadServerEnv)
	if dir == "" {
		return
	}
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("refused:", err)
		os.Exit(2)
	}
	srv, err := backend.New(context.Background(), backend.Config{DataDir: dir, Origin: loadOrigin,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)), Database: os.Getenv(loadDatabaseEnv)},
		backend.WithPasswordHashing(testserver.CheapHashing()))
	if err != nil {
		fmt.Println("refused:", err)
		os.Exit(3)
	}
	go func() { _ = (&http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}).Serve(ln) }()
	fmt.Println("listening", ln.Addr())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "cpu" {
			cpu, _ := processCPU(t)
			fmt.Println("cpu", cpu.Nanoseconds())
		}
	}
	os.Exit(0)
}

// loadServer is a running TestLoadServer.
type loadServer struct {
	base   string // http://127.0.0.1:PORT
	stdin  io.WriteCloser
	lines  chan string // its standard output, line by line
	stderr *errorLog
}

func startLoadServer(t *testing.T, dir, database string) *loadServer {
	t.Helper()
	// Not t.Context(): the clean-up below ends the child its own way, by closing its input.
	cmd := exec.CommandContext(context.Background(), os.Args[0], "-test.run=^TestLoadServer$", "-test.count=1")
	cmd.Env = append(os.Environ(), loadServerEnv+"="+dir, loadDatabaseEnv+"="+database)
	s := &loadServer{lines: make(chan string, 1), stderr: &errorLog{}}
	cmd.Stderr = s.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if s.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		s.stdin.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
	}()
	select {
	case l, ok := <-s.lines:
		addr, listening := strings.CutPrefix(l, "listening ")
		if !ok || !listening {
			t.Fatalf("the load server did not start: %s\n%s", l, s.stderr.text())
		}
		s.base = "http://" + addr
		return s
	case <-time.After(60 * time.Second):
		t.Fatalf("the load server did not start within 60 s\n%s", s.stderr.text())
		return nil
	}
}

// cpu asks the server for its CPU time so far.
func (s *loadServer) cpu(t *testing.T) time.Duration {
	if _, err := io.WriteString(s.stdin, "cpu\n"); err != nil {
		t.Fatalf("ask the load server for its CPU time: %v\n%s", err, s.stderr.text())
	}
	select {
	case l := <-s.lines:
		ns, err := strconv.ParseInt(strings.TrimPrefix(l, "cpu "), 10, 64)
		if err != nil {
			t.Fatalf("the load server answered %q to cpu", l)
		}
		return time.Duration(ns)
	case <-time.After(10 * time.Second):
		t.Fatalf("the load server did not tell its CPU time\n%s", s.stderr.text())
		return 0
	}
}

// errorLog keeps a server's log and counts its errors (a "database is locked" is one).
type errorLog struct {
	mu  sync.Mutex
	log strings.Builder
}

func (l *errorLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.log.Len() < 1<<20 {
		l.log.Write(p)
	}
	return len(p), nil
}

// reset forgets what was logged so far.
func (l *errorLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.log.Reset()
}

func (l *errorLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.log.String()
}

// count returns how many error lines the server logged, and the first.
func (l *errorLog) count() (int, string) {
	n, first := 0, ""
	for line := range strings.Lines(l.text()) {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, "database is locked") {
			n++
			if first == "" {
				first = strings.TrimSpace(line)
			}
		}
	}
	return n, first
}

// postgresCPU is the CPU time used so far by the PostgreSQL cluster serving database: its
// postmaster, the children it has reaped (their time is added to its cutime and cstime when
// they end) and the children still running (backends, the WAL writer, the checkpointer).
// /proc counts in USER_HZ ticks, which Linux fixes at 100 per second for user space.
func postgresCPU(t *testing.T, database string) time.Duration {
	u, err := url.Parse(database)
	if err != nil {
		t.Fatal(err)
	}
	pidFile, err := os.ReadFile(filepath.Join(u.Query().Get("host"), "data", "postmaster.pid"))
	if err != nil {
		t.Fatalf("find PostgreSQL's postmaster: %v", err)
	}
	postmaster, _, _ := strings.Cut(string(pidFile), "\n")
	const tick = 10 * time.Millisecond
	stat := func(pid string) (ppid string, fields []int64, err error) {
		raw, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
		if err != nil {
			return "", nil, err
		}
		// The command name (field 2) is in parentheses and may hold spaces: the rest starts
		// after the last ")", with field 3 (state), then 4 (ppid), ..., 14-17 (utime, stime,
		// cutime, cstime).
		rest := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
		if len(rest) < 15 {
			return "", nil, errors.New("short /proc stat")
		}
		for _, f := range rest[11:15] {
			v, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return "", nil, err
			}
			fields = append(fields, v)
		}
		return rest[1], fields, nil
	}
	_, own, err := stat(postmaster)
	if err != nil {
		t.Fatalf("read PostgreSQL's CPU time: %v", err)
	}
	ticks := own[0] + own[1] + own[2] + own[3]
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if p.Name()[0] < '0' || p.Name()[0] > '9' {
			continue
		}
		if ppid, f, err := stat(p.Name()); err == nil && ppid == postmaster {
			ticks += f[0] + f[1]
		}
	}
	return time.Duration(ticks) * tick
}
