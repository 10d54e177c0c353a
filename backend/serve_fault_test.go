//go:build linux

// Linux only: the full-disk tests mount a tmpfs and set the child's RLIMIT_FSIZE with
// prlimit(2).

package backend_test

// Fault tests of the served backend in a separate process: killed with SIGKILL in the middle
// of a stream of writes, two processes on one data folder, and a disk that refuses writes.
// The child is this test binary re-executed (TestServeChild): backend.New with the
// production options (real argon2id, real clock) on a loopback net/http server, which is
// what `nhs-passkeys serve` runs (internal/cli) minus the flag parsing and the embedded frontend.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/store"
	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

const childDirEnv = "NHS_PASSKEYS_FAULT_CHILD_DIR"

// childDatabaseEnv and childOriginEnv, when set, put the child on a PostgreSQL database and
// a fixed RP origin: the replicas of a fleet share both (replicas_test.go).
const (
	childDatabaseEnv = "NHS_PASSKEYS_FAULT_CHILD_DATABASE"
	childOriginEnv   = "NHS_PASSKEYS_FAULT_CHILD_ORIGIN"
)

// TestServeChild is not a test: it is the served backend, run in a child process by the
// tests below (it returns at once otherwise). It prints "listening ADDR" once it serves and
// runs until it is killed; a refusal to start is printed as "refused: ERROR".
func TestServeChild(t *testing.T) {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		return
	}
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("refused:", err)
		os.Exit(2)
	}
	origin := fmt.Sprintf("http://localhost:%d", ln.Addr().(*net.TCPAddr).Port)
	if o := os.Getenv(childOriginEnv); o != "" {
		origin = o
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := backend.New(context.Background(), backend.Config{DataDir: dir, Origin: origin, Logger: logger,
		Database: os.Getenv(childDatabaseEnv)})
	if err != nil {
		fmt.Println("refused:", err)
		os.Exit(3)
	}
	fmt.Println("listening", ln.Addr())
	_ = (&http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
	os.Exit(4)
}

// child is a running served backend.
type child struct {
	cmd    *exec.Cmd
	Origin string // http://localhost:PORT, what the RP expects in clientDataJSON
	base   string // http://127.0.0.1:PORT, where requests go
	stderr *testkit.Buffer
	done   chan struct{}
}

// startChild starts the backend on dir and waits until it serves. It fails the test if the
// child refuses to start; startChildErr returns the refusal instead.
func startChild(t *testing.T, dir string, env ...string) *child {
	t.Helper()
	c, refusal := startChildErr(t, dir, env...)
	if refusal != "" {
		t.Fatalf("the served backend did not start: %s\n%s", refusal, c.stderr)
	}
	return c
}

func startChildErr(t *testing.T, dir string, env ...string) (*child, string) {
	t.Helper()
	// Not t.Context(): that would kill the child when the test ends, before the clean-up
	// (c.kill) stops it its own way.
	cmd := exec.CommandContext(context.Background(), os.Args[0], "-test.run=^TestServeChild$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), childDirEnv+"="+dir), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stderr: &testkit.Buffer{}, done: make(chan struct{})}
	cmd.Stderr = c.stderr // a pipe, not a file: a size limit on the child does not touch it
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.kill(t) })
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "listening ") || strings.HasPrefix(l, "refused: ") {
				lines <- l
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	go func() { _ = cmd.Wait(); close(c.done) }()
	select {
	case l := <-lines:
		if refusal, ok := strings.CutPrefix(l, "refused: "); ok {
			<-c.done
			return c, refusal
		}
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(l, "listening "))
		c.Origin, c.base = "http://localhost:"+port, "http://127.0.0.1:"+port
		for _, e := range env {
			if o, ok := strings.CutPrefix(e, childOriginEnv+"="); ok {
				c.Origin = o // a fleet's origin: the proxy's, not the replica's port
			}
		}
		return c, ""
	case <-c.done:
		return c, "exited before serving"
	case <-time.After(30 * time.Second):
		t.Fatalf("the served backend did not start within 30 s\n%s", c.stderr)
	}
	return nil, ""
}

// kill sends SIGKILL (no shutdown, no checkpoint, no deferred Close) and waits for the exit.
func (c *child) kill(t *testing.T) {
	t.Helper()
	if c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Kill()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		t.Errorf("the child did not exit after SIGKILL")
	}
}

// browser is one person's browser talking to a child over loopback HTTP.
type browser struct {
	t      *testing.T
	c      *child
	http   *http.Client
	passes *softauthn.Authenticator
}

func newBrowser(t *testing.T, c *child) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, c: c, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}, passes: softauthn.New(c.Origin)}
}

// post sends a JSON POST and returns the status and body; err is a transport error (the
// server died, or never answered).
func (b *browser) post(path string, body any) (int, []byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(http.MethodPost, path, bytes.NewReader(raw))
}

func (b *browser) do(method, path string, body io.Reader) (int, []byte, error) {
	req, err := http.NewRequestWithContext(b.t.Context(), method, b.c.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Host = strings.TrimPrefix(b.c.Origin, "http://") // the server answers only for its own name
	req.Header.Set("Origin", b.c.Origin)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := b.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	return res.StatusCode, out, err
}

// ceremony runs begin, the authenticator, and finish; it returns finish's answer.
func (b *browser) ceremony(begin, finish string, beginBody any, sign func([]byte) ([]byte, error)) (int, []byte, error) {
	status, body, err := b.post(begin, beginBody)
	if err != nil || status != http.StatusOK {
		return status, body, err
	}
	var begun struct {
		Ceremony  string          `json:"ceremony"`
		PublicKey json.RawMessage `json:"publicKey"`
	}
	if err := json.Unmarshal(body, &begun); err != nil {
		b.t.Fatalf("begin answer %s: %v", body, err)
	}
	cred, err := sign(begun.PublicKey)
	if err != nil {
		b.t.Fatalf("authenticator: %v", err)
	}
	return b.post(finish, map[string]any{"ceremony": begun.Ceremony, "credential": json.RawMessage(cred)})
}

func (b *browser) signUp(email string) (int, []byte, error) {
	return b.post("/api/accounts", map[string]string{"email": email, "password": "correct horse battery staple"})
}

func (b *browser) registerPasskey() (int, []byte, error) {
	return b.ceremony("/api/passkeys/register/begin", "/api/passkeys/register/finish", map[string]any{}, b.passes.Create)
}

func (b *browser) loginWithPasskey() (int, []byte, error) {
	return b.ceremony("/api/login/passkey/begin", "/api/login/passkey/finish", map[string]any{"email": ""}, b.passes.Get)
}

// signedInAs returns the email of the session the browser holds ("" when signed out).
func (b *browser) signedInAs() string {
	status, body, err := b.do(http.MethodGet, "/api/session", nil)
	if err != nil || status != http.StatusOK {
		b.t.Fatalf("GET /api/session: %d %s %v", status, body, err)
	}
	var s struct {
		Account *struct {
			Email string `json:"email"`
		} `json:"account"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		b.t.Fatalf("GET /api/session %s: %v", body, err)
	}
	if s.Account == nil {
		return ""
	}
	return s.Account.Email
}

// moveTo points the browser (and its authenticator's clientDataJSON) at a restarted child.
// The RP ID is "localhost" whatever the port, so passkeys made before still match.
func (b *browser) moveTo(c *child) {
	b.c = c
	b.passes.Origin = c.Origin
	// Cookies are per host, not per port: the jar sends the old session to the new port.
}

// integrityCheck runs PRAGMA integrity_check on the data folder's database.
func integrityCheck(t *testing.T, dir string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(dir, store.FileName)+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(t.Context(), `PRAGMA integrity_check`).Scan(&result); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if result != "ok" {
		t.Fatalf("PRAGMA integrity_check = %q, want ok", result)
	}
}

// acked is what the server acknowledged (answered 2xx) before it was killed.
type acked struct {
	email       string
	passkey     bool     // the passkey registration was answered 201
	loggedIn    *browser // a browser whose passkey login was answered 200
	setUpClient *browser
}

func TestAnAcknowledgedWriteSurvivesKillDashNine(t *testing.T) {
	store.ForEachEngine(t, testAnAcknowledgedWriteSurvivesKillDashNine)
}

// On PostgreSQL the served process is killed, not the database server: what it had
// acknowledged must have been committed before the answer, not left in the process.
func testAnAcknowledgedWriteSurvivesKillDashNine(t *testing.T, engine store.Engine) {
	dir := t.TempDir()
	var env []string
	if engine == store.Postgres {
		env = append(env, childDatabaseEnv+"="+store.PostgresForTest(t))
	}
	srv := startChild(t, dir, env...)

	// Four people at once: sign up (argon2id, a session), set up a passkey, log out by
	// dropping the cookie, log in with the passkey (the passkey's counter and a new session).
	var (
		mu     sync.Mutex
		writes []*acked
		wg     sync.WaitGroup
		killed = make(chan struct{})
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-killed:
					return
				default:
				}
				b := newBrowser(t, srv)
				a := &acked{email: fmt.Sprintf("crash-%d-%d@example.com", w, i), setUpClient: b}
				if status, _, err := b.signUp(a.email); err != nil || status != http.StatusCreated {
					return // the server is gone (or refused: the checks below will say)
				}
				mu.Lock()
				writes = append(writes, a)
				mu.Unlock()
				if status, _, err := b.registerPasskey(); err != nil || status != http.StatusCreated {
					return
				}
				mu.Lock()
				a.passkey = true
				mu.Unlock()
				again := &browser{t: t, c: srv, passes: b.passes}
				jar, _ := cookiejar.New(nil)
				again.http = &http.Client{Jar: jar, Timeout: 30 * time.Second}
				if status, _, err := again.loginWithPasskey(); err != nil || status != http.StatusOK {
					return
				}
				mu.Lock()
				a.loggedIn = again
				mu.Unlock()
			}
		})
	}
	// Kill it once enough has been acknowledged, while the workers are mid-request.
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		n := 0
		for _, a := range writes {
			if a.loggedIn != nil {
				n++
			}
		}
		mu.Unlock()
		if n >= 8 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	srv.kill(t)
	close(killed)
	wg.Wait()

	if engine == store.SQLite {
		integrityCheck(t, dir) // before SQLite's recovery on the next open
	}
	restarted := startChild(t, dir, env...)
	if engine == store.SQLite {
		integrityCheck(t, dir)
	}

	mu.Lock()
	defer mu.Unlock()
	var accounts, passkeys, sessions int
	for _, a := range writes {
		// The account: its sign-up session is still signed in.
		a.setUpClient.moveTo(restarted)
		if got := a.setUpClient.signedInAs(); got != a.email {
			t.Errorf("%s: the sign-up session answered %q after the restart, want it signed in", a.email, got)
		}
		accounts++
		if a.passkey {
			// The passkey: it still logs in, as its account.
			b := newBrowser(t, restarted)
			b.passes = a.setUpClient.passes
			if status, body, err := b.loginWithPasskey(); err != nil || status != http.StatusOK || !strings.Contains(string(body), a.email) {
				t.Errorf("%s: the acknowledged passkey does not log in after the restart: %d %s %v", a.email, status, body, err)
			}
			passkeys++
		}
		if a.loggedIn != nil {
			a.loggedIn.moveTo(restarted)
			if got := a.loggedIn.signedInAs(); got != a.email {
				t.Errorf("%s: the passkey login's session answered %q after the restart", a.email, got)
			}
			sessions++
		}
	}
	t.Logf("after SIGKILL and a restart: %d accounts, %d passkeys, %d passkey logins acknowledged, all present", accounts, passkeys, sessions)
	if sessions < 8 {
		t.Fatalf("only %d passkey logins were acknowledged before the kill; the stream did not run", sessions)
	}
}

func TestASecondCopyOnTheSameDataFolderIsRefused(t *testing.T) {
	dir := t.TempDir()
	first := startChild(t, dir)
	b := newBrowser(t, first)
	if status, body, err := b.signUp("first@example.com"); err != nil || status != http.StatusCreated {
		t.Fatalf("sign up: %d %s %v", status, body, err)
	}

	// Another process: refused, with a message that says what to do.
	want := "Another copy of NHS login passkeys is already using " + dir + ". Close it and try again."
	second, refusal := startChildErr(t, dir)
	if refusal != want {
		t.Fatalf("a second process on the same folder: %q (stderr %s), want refused with %q", refusal, second.stderr, want)
	}
	// The same process, a second time (flock locks belong to the open file).
	if _, err := backend.New(t.Context(), backend.Config{DataDir: dir, Origin: "http://localhost:8080"}); err == nil || err.Error() != want {
		t.Fatalf("a second backend in this process: %v, want %q", err, want)
	}
	// The first copy is untouched by the attempts.
	if got := b.signedInAs(); got != "first@example.com" {
		t.Fatalf("the first copy lost its session: %q", got)
	}

	// A copy that died (even by SIGKILL) does not leave a stale lock behind.
	first.kill(t)
	again := startChild(t, dir)
	b.moveTo(again)
	if got := b.signedInAs(); got != "first@example.com" {
		t.Fatalf("after the first copy died, its session is %q", got)
	}
	integrityCheck(t, dir)
}

// A full disk, imitated with RLIMIT_FSIZE set on the running server from outside
// (prlimit(2), as `prlimit --pid PID --fsize=1` does): the kernel then refuses every write
// the server makes to its database files at offset 1 or beyond (EFBIG; Go ignores the
// SIGXFSZ that comes with it). Root ignores file modes, so a read-only folder cannot be
// tested as root; a size limit binds root too.
func TestAFullDiskGivesAClearErrorAndLosesNothing(t *testing.T) {
	dir := t.TempDir()
	srv := startChild(t, dir)
	b := newBrowser(t, srv)
	if status, body, err := b.signUp("saved@example.com"); err != nil || status != http.StatusCreated {
		t.Fatalf("sign up: %d %s %v", status, body, err)
	}
	if status, body, err := b.registerPasskey(); err != nil || status != http.StatusCreated {
		t.Fatalf("register: %d %s %v", status, body, err)
	}

	// Setting up another passkey needs a fresh re-authentication; it is made while there is
	// space, so that the set-up below is refused for the disk alone.
	proof := b.reauthWithPasskey("add-passkey")

	pid := srv.cmd.Process.Pid
	full := unix.Rlimit{Cur: 1, Max: unix.RLIM_INFINITY}
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &full, nil); err != nil {
		t.Fatalf("prlimit: %v", err)
	}

	// Every kind of write is refused the same way: 503 storage_unavailable, a message that
	// says what happened, that nothing is lost, and what to do.
	other := newBrowser(t, srv)
	checks := []struct {
		name string
		do   func() (int, []byte, error)
	}{
		{"a sign-up", func() (int, []byte, error) { return other.signUp("new@example.com") }},
		{"a passkey login", func() (int, []byte, error) {
			login := newBrowser(t, srv)
			login.passes = b.passes
			return login.loginWithPasskey()
		}},
		{"a passkey set-up", func() (int, []byte, error) {
			return b.post("/api/passkeys/register/begin", map[string]any{"proof": proof})
		}},
	}
	for _, c := range checks {
		status, body, err := c.do()
		if err != nil {
			t.Fatalf("%s on a full disk: %v", c.name, err)
		}
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		if status != http.StatusServiceUnavailable || e.Error.Code != "storage_unavailable" ||
			!strings.Contains(e.Error.Message, "disk is full") || !strings.Contains(e.Error.Message, "Nothing you saved before has been lost") {
			t.Errorf("%s on a full disk: %d %s, want 503 storage_unavailable with a clear message", c.name, status, body)
		}
	}
	if !strings.Contains(srv.stderr.String(), "storage_unavailable") {
		t.Errorf("the log does not record the refusals:\n%s", srv.stderr)
	}

	// Space again: nothing saved before was lost, and the same writes now work.
	roomy := unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &roomy, nil); err != nil {
		t.Fatalf("prlimit: %v", err)
	}
	if got := b.signedInAs(); got != "saved@example.com" {
		t.Fatalf("the session made before the disk filled is %q", got)
	}
	login := newBrowser(t, srv)
	login.passes = b.passes
	if status, body, err := login.loginWithPasskey(); err != nil || status != http.StatusOK {
		t.Fatalf("the passkey made before the disk filled: %d %s %v", status, body, err)
	}
	if status, body, err := other.signUp("new@example.com"); err != nil || status != http.StatusCreated {
		t.Fatalf("sign-up once there is space again: %d %s %v", status, body, err)
	}
	srv.kill(t)
	integrityCheck(t, dir)
}

// fullDisk fills and frees the file system under a served backend's data folder.
type fullDisk struct {
	dir  string // the data folder to start the backend on
	fill func(c *child)
	free func(c *child)
}

// realFullDisk puts the data folder on a size-limited tmpfs that fill fills with a file
// until the kernel answers ENOSPC, so SQLite meets the real thing (SQLITE_FULL). Where
// root may not mount (not in CI, which runs as root), it falls back to RLIMIT_FSIZE on the
// child, saying why.
func realFullDisk(t *testing.T) fullDisk {
	mnt := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if notAllowed := tryMountTmpfs(t, mnt, "size=4m,mode=0700"); notAllowed != "" {
		t.Logf("no tmpfs (%s): the disk is filled with RLIMIT_FSIZE instead", notAllowed)
		limit := func(c *child, n uint64) {
			if err := unix.Prlimit(c.cmd.Process.Pid, unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: n, Max: unix.RLIM_INFINITY}, nil); err != nil {
				t.Fatalf("prlimit: %v", err)
			}
		}
		return fullDisk{dir: t.TempDir(),
			fill: func(c *child) { limit(c, 1) },
			free: func(c *child) { limit(c, unix.RLIM_INFINITY) }}
	}
	dir, filler := filepath.Join(mnt, "data"), filepath.Join(mnt, "filler")
	return fullDisk{dir: dir,
		fill: func(*child) {
			f, err := os.OpenFile(filler, os.O_CREATE|os.O_WRONLY, 0o600)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			chunk := make([]byte, 64<<10)
			for size := len(chunk); size > 0; size /= 2 { // down to the last byte
				for {
					if _, err := f.Write(chunk[:size]); errors.Is(err, unix.ENOSPC) {
						break
					} else if err != nil {
						t.Fatalf("fill the disk: %v", err)
					}
				}
			}
			var st unix.Statfs_t
			if err := unix.Statfs(mnt, &st); err != nil || st.Bavail != 0 {
				t.Fatalf("the tmpfs is not full: %d blocks free (%v)", st.Bavail, err)
			}
		},
		free: func(*child) {
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
		}}
}

// A full disk never breaks reading (issue 14, rule 5): with nothing able to be written, a
// signed-in person's reads answer as usual (the session's last use, which a read would
// record, fails quietly into the log), while every real change answers 503
// storage_unavailable and changes nothing; once there is space, the changes work and
// nothing acknowledged was lost.
func TestAFullDiskNeverBreaksReading(t *testing.T) {
	disk := realFullDisk(t)
	srv := startChild(t, disk.dir)
	b := newBrowser(t, srv)
	if status, body, err := b.signUp("pat@example.com"); err != nil || status != http.StatusCreated {
		t.Fatalf("sign up: %d %s %v", status, body, err)
	}
	status, body, err := b.registerPasskey()
	if err != nil || status != http.StatusCreated {
		t.Fatalf("register: %d %s %v", status, body, err)
	}
	var made struct {
		Passkey struct{ ID, Name string } `json:"passkey"`
	}
	if err := json.Unmarshal(body, &made); err != nil || made.Passkey.ID == "" {
		t.Fatalf("register answer %s: %v", body, err)
	}
	proof := b.reauthWithPasskey("rename-passkey")
	reads := []string{"/api/passkeys", "/api/activity", "/api/session", "/api/config"}
	before := map[string]string{}
	for _, path := range reads {
		status, body, err := b.do(http.MethodGet, path, nil)
		if err != nil || status != http.StatusOK {
			t.Fatalf("GET %s: %d %s %v", path, status, body, err)
		}
		before[path] = string(body)
	}

	// The session's stored last use is made older than a minute, so the reads below do try
	// to record it; and the WAL is folded into the file and emptied, so that any write at
	// all needs new space.
	db, err := sql.Open("sqlite", filepath.Join(disk.dir, store.FileName)+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	stale := time.Now().Add(-5 * time.Minute).UnixMilli()
	if _, err := db.ExecContext(t.Context(), `UPDATE sessions SET last_seen_at = ?`, stale); err != nil {
		t.Fatal(err)
	}
	var busy, walFrames, checkpointed int
	if err := db.QueryRowContext(t.Context(), `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &walFrames, &checkpointed); err != nil || busy != 0 {
		t.Fatalf("wal_checkpoint(TRUNCATE): busy %d, %v", busy, err)
	}
	fullAt := time.Now()
	disk.fill(srv)

	for _, path := range reads {
		status, body, err := b.do(http.MethodGet, path, nil)
		if err != nil || status != http.StatusOK || string(body) != before[path] {
			t.Errorf("GET %s on a full disk: %d %s %v\nwant 200 %s", path, status, body, err, before[path])
		}
	}
	logs := srv.stderr.String()
	if !strings.Contains(logs, "could not record a session's last use") {
		t.Errorf("the failed write of the last use is not logged:\n%s", logs)
	}
	for _, c := range b.http.Jar.Cookies(mustURL(t, srv.base)) {
		if strings.Contains(logs, c.Value) {
			t.Errorf("the log holds the session token")
		}
	}

	// Real changes are refused, the same way each time, and change nothing.
	other := newBrowser(t, srv)
	changes := []struct {
		name string
		do   func() (int, []byte, error)
	}{
		{"renaming the passkey", func() (int, []byte, error) {
			raw, _ := json.Marshal(map[string]string{"name": "Work laptop", "proof": proof})
			return b.do(http.MethodPatch, "/api/passkeys/"+made.Passkey.ID, bytes.NewReader(raw))
		}},
		{"logging out", func() (int, []byte, error) { return b.post("/api/logout", map[string]any{}) }},
		{"signing up", func() (int, []byte, error) { return other.signUp("sam@example.com") }},
	}
	for _, c := range changes {
		status, body, err := c.do()
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		if err != nil || status != http.StatusServiceUnavailable || e.Error.Code != "storage_unavailable" {
			t.Errorf("%s on a full disk: %d %s %v, want 503 storage_unavailable", c.name, status, body, err)
		}
	}
	for _, path := range reads {
		if status, body, err := b.do(http.MethodGet, path, nil); err != nil || status != http.StatusOK || string(body) != before[path] {
			t.Errorf("GET %s after the refused changes: %d %s %v\nwant 200 %s", path, status, body, err, before[path])
		}
	}

	// Space again: the same changes work, and nothing acknowledged was lost.
	disk.free(srv)
	if status, body, err := other.signUp("sam@example.com"); err != nil || status != http.StatusCreated {
		t.Fatalf("sign-up once there is space: %d %s %v", status, body, err)
	}
	// That login's clean-up wrote the last use the full disk refused, so the session does
	// not end earlier than it should after a restart.
	var lastSeen int64
	if err := db.QueryRowContext(t.Context(), `SELECT last_seen_at FROM sessions WHERE account_id = (SELECT id FROM accounts WHERE email = 'pat@example.com')`).Scan(&lastSeen); err != nil {
		t.Fatal(err)
	}
	if lastSeen < fullAt.UnixMilli() {
		t.Errorf("the last use refused by the full disk was never written: stored %v, used after %v",
			time.UnixMilli(lastSeen), fullAt)
	}
	raw, _ := json.Marshal(map[string]string{"name": "Work laptop", "proof": proof})
	if status, body, err := b.do(http.MethodPatch, "/api/passkeys/"+made.Passkey.ID, bytes.NewReader(raw)); err != nil ||
		status != http.StatusOK || !strings.Contains(string(body), "Work laptop") {
		t.Fatalf("rename once there is space: %d %s %v", status, body, err)
	}
	login := newBrowser(t, srv)
	login.passes = b.passes
	if status, body, err := login.loginWithPasskey(); err != nil || status != http.StatusOK || !strings.Contains(string(body), "pat@example.com") {
		t.Fatalf("the passkey made before the disk filled: %d %s %v", status, body, err)
	}
	if status, body, err := b.post("/api/logout", map[string]any{}); err != nil || status != http.StatusOK {
		t.Fatalf("logout once there is space: %d %s %v", status, body, err)
	}
	if got := b.signedInAs(); got != "" {
		t.Fatalf("still signed in as %q after logging out", got)
	}
	srv.kill(t)
	integrityCheck(t, disk.dir)
}

// reauthWithPasskey re-authenticates with the browser's passkey for action and returns the
// proof.
func (b *browser) reauthWithPasskey(action string) string {
	b.t.Helper()
	status, body, err := b.ceremony("/api/reauth/passkey/begin", "/api/reauth/passkey/finish", map[string]any{"action": action}, b.passes.Get)
	var out struct{ Proof string }
	if err != nil || status != http.StatusOK || json.Unmarshal(body, &out) != nil || out.Proof == "" {
		b.t.Fatalf("re-authenticate: %d %s %v", status, body, err)
	}
	return out.Proof
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
