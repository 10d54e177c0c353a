package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The PostgreSQL test harness. A test binary (one package) that runs anything on PostgreSQL
// starts one throwaway PostgreSQL 15 cluster of its own at first use: initdb and pg_ctl in a
// temporary folder, listening only on a unix socket in that folder, as the postgres user when
// the tests run as root (PostgreSQL refuses to run as root, and CI runs as root). Every test
// gets a database of its own, cloned from a template that holds every migration
// (CREATE DATABASE ... TEMPLATE is a file copy: much faster than migrating afresh). RunTests,
// called from the package's TestMain, stops the cluster and removes its folder when the tests
// end. PostgreSQL missing is a failure that says how to install it, never a skip: a skipped
// engine would pass a suite that tests nothing on it.

// RunTests runs m and then stops and removes the package's PostgreSQL cluster, if a test
// started one. Every package whose tests use PostgreSQL calls it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(store.RunTests(m)) }
func RunTests(m *testing.M) int {
	harness.inMain.Store(true)
	code := m.Run()
	if err := harness.stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop the test PostgreSQL cluster:", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// ForEachEngine runs body as a subtest on each engine (named "sqlite" and "postgres").
func ForEachEngine(t *testing.T, body func(t *testing.T, engine Engine)) {
	t.Helper()
	for _, engine := range Engines {
		t.Run(string(engine), func(t *testing.T) { body(t, engine) })
	}
}

// NewForTestOn opens a fresh, migrated, empty database on engine (NewForTest for SQLite; a
// database of its own in the package's cluster for PostgreSQL), closed and removed when the
// test ends.
func NewForTestOn(t testing.TB, engine Engine) *sql.DB {
	t.Helper()
	if engine == SQLite {
		return NewForTest(t)
	}
	db, err := OpenPostgres(t.Context(), PostgresForTest(t))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// PostgresForTest creates a fresh, migrated, empty PostgreSQL database for the test (no
// server secret yet) and returns its URL, for a server or a `serve` process to open. It is
// dropped when the test ends.
func PostgresForTest(t testing.TB) string {
	t.Helper()
	c, err := harness.cluster()
	if err != nil {
		t.Fatalf("%v", err)
	}
	name := fmt.Sprintf("test_%d", harness.next.Add(1))
	ctx := context.WithoutCancel(t.Context())
	if _, err := c.admin.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE migrated STRATEGY FILE_COPY`); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		// WITH (FORCE) ends the sessions a test left open (a killed process's, say).
		if _, err := c.admin.ExecContext(ctx, `DROP DATABASE `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("drop test database: %v", err)
		}
	})
	return c.url(name)
}

// PostgresDurableEnv, set to "1" before a test binary's first PostgreSQL test, starts its
// cluster with PostgreSQL's own durability (fsync, synchronous commit, full-page writes)
// instead of none: the load run of `make bench` compares PostgreSQL with SQLite's
// synchronous=FULL, and a commit that never waits for the disk would make that meaningless.
const PostgresDurableEnv = "NHS_PASSKEYS_TEST_PG_DURABLE"

// harness is the package's cluster: test state, one per test binary, which is what the
// cluster's lifetime is.
var harness pgHarness

type pgHarness struct {
	inMain atomic.Bool
	next   atomic.Int64
	mu     sync.Mutex
	c      *pgCluster
	err    error
}

type pgCluster struct {
	dir   string // the cluster's folder: data/, the socket, the log
	bin   string // PostgreSQL's programs
	runAs *user.User
	admin *sql.DB // to the postgres database, for CREATE and DROP DATABASE
}

// pgUser is the superuser initdb makes; the cluster trusts local connections (it listens
// on a socket in a folder only root and the postgres user may enter).
const pgUser = "app"

func (c *pgCluster) url(database string) string {
	q := url.Values{"host": {c.dir}, "user": {pgUser}}
	return "postgres:///" + database + "?" + q.Encode()
}

func (h *pgHarness) cluster() (*pgCluster, error) {
	if !h.inMain.Load() {
		return nil, errors.New("this package's tests use PostgreSQL, so its TestMain must call store.RunTests " +
			"(func TestMain(m *testing.M) { os.Exit(store.RunTests(m)) }), which removes the cluster at the end")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.c == nil && h.err == nil {
		h.c, h.err = startCluster()
	}
	return h.c, h.err
}

func (h *pgHarness) stop() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.c == nil {
		return nil
	}
	c := h.c
	h.c = nil
	c.admin.Close()
	err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "immediate", "-w", "stop")
	return errors.Join(err, os.RemoveAll(c.dir))
}

// installHelp is how to get PostgreSQL 15 where it is missing.
const installHelp = "PostgreSQL 15 is needed to run these tests and was not found. Install it with " +
	"`scripts/deps.sh test` (Debian: apt-get install postgresql-15), or put its bin folder " +
	"(the one with initdb and pg_ctl) on PATH" // an error's text: no full stop (ST1005)

// pgBin finds the folder holding initdb and pg_ctl: Debian keeps them out of PATH, in
// /usr/lib/postgresql/VERSION/bin.
func pgBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	slices.Sort(found)
	for _, want := range []string{"/usr/lib/postgresql/15/bin/initdb"} {
		if slices.Contains(found, want) {
			return filepath.Dir(want), nil
		}
	}
	if len(found) > 0 {
		return filepath.Dir(found[len(found)-1]), nil
	}
	return "", errors.New(installHelp)
}

func startCluster() (c *pgCluster, err error) {
	bin, err := pgBin()
	if err != nil {
		return nil, err
	}
	// The socket's path must stay under 108 bytes, so the folder goes in /tmp even when
	// TMPDIR is some long test folder.
	base := os.TempDir()
	if len(base) > 40 {
		base = "/tmp"
	}
	removeAbandonedClusters(base)
	dir, err := os.MkdirTemp(base, clusterPrefix)
	if err != nil {
		return nil, fmt.Errorf("start the test PostgreSQL cluster: %w", err)
	}
	// Whose cluster this is, for removeAbandonedClusters.
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start the test PostgreSQL cluster: %w", err)
	}
	c = &pgCluster{dir: dir, bin: bin}
	defer func() {
		if err != nil {
			_ = c.run("pg_ctl", "-D", filepath.Join(dir, "data"), "-m", "immediate", "stop")
			os.RemoveAll(dir)
			err = fmt.Errorf("start the test PostgreSQL cluster: %w", err)
		}
	}()
	if os.Geteuid() == 0 {
		if c.runAs, err = user.Lookup("postgres"); err != nil {
			return c, fmt.Errorf("running as root, the cluster must run as the postgres user: %w. %s", err, installHelp)
		}
		uid, _ := strconv.Atoi(c.runAs.Uid)
		gid, _ := strconv.Atoi(c.runAs.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return c, err
		}
	}
	// No fsync: the cluster is thrown away, and the tests that kill processes kill ours, not
	// PostgreSQL. trust: only root and the postgres user can reach the socket's folder.
	if err := c.run("initdb", "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", pgUser, "--no-sync",
		"-E", "UTF8", "--locale", "C"); err != nil {
		return c, err
	}
	settings := "-c listen_addresses= -k " + dir + " -c max_connections=300"
	if os.Getenv(PostgresDurableEnv) != "1" {
		settings += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	if err := c.run("pg_ctl", "-D", filepath.Join(dir, "data"), "-l", filepath.Join(dir, "log"), "-w", "-t", "60",
		"-o", settings, "start"); err != nil {
		return c, err
	}
	admin, err := OpenPostgresNoMigrate(c.url("postgres"))
	if err != nil {
		return c, err
	}
	c.admin = admin
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE migrated`); err != nil {
		return c, err
	}
	tmpl, err := OpenPostgres(ctx, c.url("migrated"))
	if err != nil {
		return c, err
	}
	// CREATE DATABASE ... TEMPLATE needs the template to have no connections.
	if err := tmpl.Close(); err != nil {
		return c, err
	}
	return c, nil
}

// clusterPrefix begins the name of every test cluster's folder; ownerFile in it holds the
// process id of the test binary that made it.
const (
	clusterPrefix = "nhs-pg-"
	ownerFile     = "owner.pid"
)

// removeAbandonedClusters stops and removes the clusters left by test binaries that ended
// without running RunTests' clean-up (killed, or stopped by -timeout, which exits at once).
// A cluster whose test binary is still running (another package's, in parallel) is left
// alone.
func removeAbandonedClusters(base string) {
	dirs, _ := filepath.Glob(filepath.Join(base, clusterPrefix+"*"))
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, ownerFile)) //nolint:gosec // G304: a file of a cluster folder this package made (clusterPrefix under base)
		if err != nil {
			continue // being made right now, or not ours
		}
		pid, err := strconv.Atoi(string(raw))
		if err != nil || pid == os.Getpid() {
			continue
		}
		p, err := os.FindProcess(pid)
		if err == nil && !errors.Is(p.Signal(syscall.Signal(0)), os.ErrProcessDone) {
			continue // its test binary still runs
		}
		bin, err := pgBin()
		if err != nil {
			return
		}
		c := &pgCluster{dir: dir, bin: bin}
		if os.Geteuid() == 0 {
			c.runAs, _ = user.Lookup("postgres")
		}
		_ = c.run("pg_ctl", "-D", filepath.Join(dir, "data"), "-m", "immediate", "-w", "stop")
		os.RemoveAll(dir)
	}
}

// run runs one of PostgreSQL's programs, as the postgres user when we are root.
func (c *pgCluster) run(program string, args ...string) error {
	path := filepath.Join(c.bin, program)
	var cmd *exec.Cmd
	if c.runAs != nil {
		// The program is one of PostgreSQL's own (initdb, pg_ctl) from pgBin, with this
		// package's arguments; no shell is involved.
		cmd = exec.CommandContext(context.Background(), "runuser", append([]string{"-u", c.runAs.Username, "--", path}, args...)...) //nolint:gosec // G204: PostgreSQL's own programs, run without a shell
	} else {
		cmd = exec.CommandContext(context.Background(), path, args...) //nolint:gosec // G204: PostgreSQL's own programs, run without a shell
	}
	cmd.Dir = c.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.dir, "log"))
		return fmt.Errorf("%s: %w\n%s\n%s", program, err, out.Bytes(), log)
	}
	return nil
}
