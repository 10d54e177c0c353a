package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/nhs-passkeys/companion/backend/apperr"
)

// Engine names a database engine. Every query is one text for both: $N placeholders (both
// accept them), RETURNING instead of LastInsertId, and no function only one of them has
// (SQLite's two-argument max() and PostgreSQL's greatest() are each missing in the other;
// a CASE works in both). Only the table definitions are per engine
// (migrations/sqlite, migrations/postgres: the same numbers, schema_test.go proves they match).
type Engine string

const (
	// SQLite is a file in the data folder, one process at a time (the desktop app, and
	// `serve` by default).
	SQLite Engine = "sqlite"
	// Postgres is a PostgreSQL server shared by several `serve` replicas (a fleet).
	Postgres Engine = "postgres"
)

// Engines lists every engine, for tests that run on each.
var Engines = []Engine{SQLite, Postgres}

// EngineOf tells which engine db talks to, from its driver.
func EngineOf(db *sql.DB) Engine {
	if isPgx(db) {
		return Postgres
	}
	return SQLite
}

// IsPostgresURL reports whether s names a PostgreSQL database (postgres:// or
// postgresql://) rather than a folder.
func IsPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// OpenPostgres connects to the PostgreSQL database named by url (a libpq URL or key=value
// string) through pgx's database/sql driver and applies every migration (under an advisory
// lock, so replicas starting together take turns). The error never repeats the URL: it may
// hold a password.
func OpenPostgres(ctx context.Context, url string) (*sql.DB, error) {
	db, err := OpenPostgresNoMigrate(url)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database: connect to PostgreSQL: %w", err)
	}
	if err := Migrate(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenPostgresNoMigrate is OpenPostgres without connecting or migrating (the test harness
// uses it for the cluster's own database).
func OpenPostgresNoMigrate(url string) (*sql.DB, error) {
	db, err := openPgx(url)
	if err != nil {
		return nil, err
	}
	// Each replica keeps a small pool: a login is a handful of short statements, and
	// PostgreSQL's default max_connections (100) must serve every replica. Every connection
	// may stay open between requests: a new one is a new server process and a login to it,
	// which under load cost more than the requests themselves (as for SQLite: keepConnections).
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// pgMaxAttempts bounds the retries of a serializable transaction that PostgreSQL aborted.
// A conflict needs two requests for the same rows at the same instant (one person's double
// click, a lockout counter under attack); eight attempts with growing random pauses have
// never all failed in the tests, and a request must not wait for ever.
const pgMaxAttempts = 8

// inTxPostgres is InTx on PostgreSQL. Every transaction runs at SERIALIZABLE: the checks
// that come before a write (a ceremony still there, a proof unused, an email free, a
// lockout's count, the last way to log in) then hold under concurrent replicas exactly as
// SQLite's single writer makes them hold, with no row locks to forget at a new call site.
// PostgreSQL aborts one of two conflicting transactions with 40001 (serialization_failure)
// or, rarely, 40P01 (deadlock_detected); the whole of fn then runs again, from a fresh
// snapshot, up to pgMaxAttempts times. fn must therefore only assign to its captured
// variables (every call site does), never append or count across attempts.
func inTxPostgres(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	var err error
	for attempt := range pgMaxAttempts {
		if attempt > 0 {
			if werr := pause(ctx, attempt); werr != nil {
				return fmt.Errorf("retry transaction: %w (after %w)", werr, err)
			}
		}
		err = inTxPostgresOnce(ctx, db, fn)
		if !isSerializationFailure(err) {
			return err
		}
	}
	// Every attempt was rolled back, so nothing of this request was written: the answer is
	// the stable 503 busy (try again), not a 500 that would read as a fault of the service.
	return apperr.DatabaseBusy.Wrap(fmt.Errorf("transaction still conflicting after %d attempts: %w", pgMaxAttempts, err))
}

func inTxPostgresOnce(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	return runTx(ctx, db, &sql.TxOptions{Isolation: sql.LevelSerializable}, fn)
}

// pause waits a random time that grows with the attempt (up to 2^attempt ms, at most
// 128 ms), so that two transactions that conflicted do not meet again in step.
func pause(ctx context.Context, attempt int) error {
	ceiling := int64(1) << min(attempt, 7)
	n, err := rand.Int(rand.Reader, big.NewInt(ceiling*1000))
	if err != nil {
		return err
	}
	t := time.NewTimer(time.Duration(n.Int64()) * time.Microsecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// isSerializationFailure reports whether err is PostgreSQL aborting a transaction that may
// simply be run again: 40001 serialization_failure or 40P01 deadlock_detected
// (https://www.postgresql.org/docs/15/mvcc-serialization-failure-handling.html).
func isSerializationFailure(err error) bool {
	code := pgErrorCode(err)
	return code == "40001" || code == "40P01"
}

// migrationLockKey is the key of the advisory lock that migrations take on PostgreSQL:
// replicas starting together apply them one at a time (the second finds them applied).
// Any constant works; this one is "nhspk" in ASCII.
const migrationLockKey = 0x6e6870736b

// applyPostgres applies migrations on PostgreSQL, holding the advisory lock on one
// connection throughout (pg_advisory_lock is per session).
func applyPostgres(ctx context.Context, db *sql.DB, migrations []Migration) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLockKey)); err != nil {
		return fmt.Errorf("migrate: take the migration lock: %w", err)
	}
	defer func() {
		// A failed unlock leaves the lock held until this connection closes, just below.
		if _, uerr := conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLockKey)); uerr != nil && err == nil {
			err = fmt.Errorf("migrate: release the migration lock: %w", uerr)
		}
	}()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		name       TEXT   NOT NULL,
		applied_at BIGINT NOT NULL DEFAULT ((extract(epoch FROM clock_timestamp()) * 1000)::BIGINT)
	)`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	if err := refuseNewerPostgres(ctx, conn, migrations); err != nil {
		return err
	}
	for _, m := range migrations {
		if err := applyOne(ctx, conn, m); err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// refuseNewerPostgres refuses a database that a newer version has migrated (a version
// recorded that this build does not have), before anything is applied: a replica left on an
// older version after its fleet's upgrade would otherwise start, and then fail at every
// request whose tables the newer version changed (as the SQLite file's check does for the
// desktop: checkDatabase).
func refuseNewerPostgres(ctx context.Context, conn *sql.Conn, known []Migration) error {
	v, newer, err := unknownMigration(ctx, conn, known)
	if err != nil {
		return fmt.Errorf("migrate: read the applied migrations: %w", err)
	}
	if !newer {
		return nil
	}
	return &DataError{Code: DataNewerVersion, Path: "the PostgreSQL database",
		Msg: "The database was changed by a newer version of NHS login passkeys. It has not been changed. " +
			"Start the newest version instead, on every server that shares the database.",
		Err: fmt.Errorf("migration %d is not in this build", v)}
}

// applyOne applies m with its record in one transaction (PostgreSQL's DDL is transactional),
// unless it is recorded already.
func applyOne(ctx context.Context, conn *sql.Conn, m Migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it does nothing
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
		return err
	}
	return tx.Commit()
}
