package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Replicas starting together each migrate the same, empty database: the advisory lock lets
// one apply the migrations while the others wait, and then find them applied.
func TestReplicasStartingTogetherMigrateOnce(t *testing.T) {
	c, err := harness.cluster()
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("empty_%d", harness.next.Add(1))
	if _, err := c.admin.ExecContext(t.Context(), `CREATE DATABASE `+name); err != nil {
		t.Fatal(err)
	}
	// A clean-up runs after t.Context() has ended. Best effort: the cluster goes with the run.
	t.Cleanup(func() { _, _ = c.admin.ExecContext(context.Background(), `DROP DATABASE `+name+` WITH (FORCE)`) })
	const replicas = 4
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	dbs := make([]*sql.DB, replicas)
	for i := range replicas {
		wg.Go(func() {
			dbs[i], errs[i] = OpenPostgres(t.Context(), c.url(name))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	migrations, _ := MigrationsFor(Postgres)
	var n int
	if err := dbs[0].QueryRowContext(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(migrations) {
		t.Errorf("schema_migrations has %d rows (%v), want %d", n, err, len(migrations))
	}
}

// A transaction that checks and then writes holds under concurrency: here twenty at once
// each count the failures and add one only while there are fewer than five (the shape of a
// lockout's count). SERIALIZABLE with retries leaves exactly five; READ COMMITTED would
// let several see four and all add theirs.
func TestConcurrentCheckThenWriteTransactionsStaySerial(t *testing.T) {
	db := NewForTestOn(t, Postgres)
	key := randomBytes(t)
	const limit, tries = 5, 20
	var wg sync.WaitGroup
	errs := make(chan error, tries)
	for range tries {
		wg.Go(func() {
			errs <- InTx(t.Context(), db, func(tx *sql.Tx) error {
				var n int
				if err := tx.QueryRowContext(t.Context(), `SELECT count(*) FROM auth_failures WHERE scope = 'client' AND key = $1`, key).Scan(&n); err != nil {
					return err
				}
				if n >= limit {
					return nil
				}
				_, err := tx.ExecContext(t.Context(), `INSERT INTO auth_failures (scope, key, at) VALUES ('client', $1, 0)`, key)
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("InTx: %v", err)
		}
	}
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM auth_failures`).Scan(&n); err != nil || n != limit {
		t.Errorf("failures counted = %d (%v), want exactly %d", n, err, limit)
	}
}

// The address of a PostgreSQL database may carry a password; an address that cannot be read
// is refused without repeating it.
func TestAnUnreadablePostgresAddressIsNotRepeated(t *testing.T) {
	url := "postgres://app:s3cret-pass@host:notaport/db"
	_, err := OpenPostgres(t.Context(), url)
	if err == nil {
		t.Fatal("an unreadable address was accepted")
	}
	if strings.Contains(err.Error(), "s3cret-pass") {
		t.Errorf("the error repeats the password: %v", err)
	}
}

// A cluster left by a test binary that was killed (or stopped by -timeout) is removed by the
// next one; a cluster whose test binary still runs is not touched.
func TestAbandonedTestClustersAreRemovedAndLiveOnesKept(t *testing.T) {
	base := t.TempDir()
	gone := exec.CommandContext(t.Context(), "true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	owners := map[string]int{"abandoned": gone.Process.Pid, "live": os.Getppid()}
	dirs := map[string]string{}
	for name, pid := range owners {
		dir := filepath.Join(base, clusterPrefix+name)
		if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(pid)), 0o600); err != nil {
			t.Fatal(err)
		}
		dirs[name] = dir
	}
	removeAbandonedClusters(base)
	if _, err := os.Stat(dirs["abandoned"]); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the abandoned cluster is still there (%v)", err)
	}
	if _, err := os.Stat(dirs["live"]); err != nil {
		t.Errorf("a live test binary's cluster was removed: %v", err)
	}
}

// A database a newer version has migrated is refused before anything is applied (a replica
// left on an older version after its fleet's upgrade), with the same stable code as the
// desktop's newer file.
func TestPostgresMigratedByANewerVersionIsRefused(t *testing.T) {
	db := NewForTestOn(t, Postgres)
	ctx := t.Context()
	migrations, err := MigrationsFor(Postgres)
	if err != nil {
		t.Fatal(err)
	}
	newer := migrations[len(migrations)-1].Version + 1
	// As a newer build would leave it: its migration recorded, and one of ours undone and
	// unrecorded, so that a migration run here would have something to apply.
	last := migrations[len(migrations)-1]
	if _, err := db.ExecContext(ctx, `DELETE FROM schema_migrations WHERE version = $1`, last.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, 'from_a_newer_version')`, newer); err != nil {
		t.Fatal(err)
	}
	err = Migrate(ctx, db)
	var refused *DataError
	if !errors.As(err, &refused) || refused.ErrorCode() != DataNewerVersion ||
		!strings.Contains(refused.Error(), "newer version") || !strings.Contains(refused.Error(), "every server") {
		t.Fatalf("Migrate = %v, want a %s refusal", err, DataNewerVersion)
	}
	var applied int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, last.Version).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	if applied != 0 {
		t.Errorf("migration %s was applied before the refusal", last.Name)
	}
}
