// Package store opens the SQLite database (pure Go, modernc.org/sqlite) and applies the
// numbered migrations embedded in the binary.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/nhs-passkeys/companion/backend/apperr"
)

// FileName is the database file inside the data folder.
const FileName = "passkeys.db"

// DBTX is what a query needs: either the *sql.DB or a *sql.Tx, so a store method can take
// part in the caller's transaction.
type DBTX interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Connection settings, applied by the driver to every connection in the pool:
//   - WAL: readers never block the writer, and a crash cannot corrupt the file.
//   - foreign_keys: SQLite leaves them off by default; our ON DELETE CASCADE rules need them.
//   - busy_timeout: a second writer waits (up to 5 s) instead of failing at once with SQLITE_BUSY.
//   - synchronous=FULL rather than NORMAL: in WAL mode NORMAL may lose the last commits on a
//     power cut. For us a lost commit is not harmless: a passkey that the person's
//     authenticator holds but we forgot can never log in, and a consumed challenge that comes
//     back could be replayed. Writes are a handful per sign-in, so the extra fsync costs
//     nothing anyone notices.
//   - _txlock=immediate: every transaction takes the write lock at BEGIN, so a transaction
//     that reads and then writes cannot fail half-way with SQLITE_BUSY (deferred
//     transactions cannot wait for an upgrade), and "check, then insert" is race-free.
const dsnParams = "_busy_timeout=5000&_foreign_keys=1&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate"

// Open opens (creating if needed) the database at path with mode 0600 and applies every
// migration. The folder must exist. A file that is not a usable database of ours (see
// checkDatabase) is refused with a *DataError before anything is written: no chmod, no WAL,
// no migration.
func Open(ctx context.Context, path string) (*sql.DB, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open database: the path %q must not contain ? or #", path)
	}
	if err := checkDatabase(ctx, path); err != nil {
		return nil, err
	}
	return open(ctx, path)
}

// open is Open once the file is known to be good.
func open(ctx context.Context, path string) (*sql.DB, error) {
	// Create the file ourselves so its mode is 0600 whatever the umask is; SQLite gives the
	// -wal and -shm files the mode of the database file.
	if err := ensureFileMode(path); err != nil {
		return nil, diskRefusal(path, err)
	}
	connector, err := newCachingConnector(path + "?" + dsnParams)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	db := sql.OpenDB(connector)
	keepConnections(db)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, diskRefusal(path, fmt.Errorf("open database: %w", err))
	}
	if err := Migrate(ctx, db); err != nil {
		db.Close()
		return nil, diskRefusal(path, err)
	}
	// WAL and shared-memory files now exist; make sure they match (belt and braces for
	// builds of SQLite that do not copy the mode).
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Chmod(path+suffix, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			db.Close()
			return nil, fmt.Errorf("restrict %s: %w", filepath.Base(path+suffix), err)
		}
	}
	return db, nil
}

// diskRefusal is err, from opening the database at path, as the person's refusal when the
// disk refused a write (DataDiskFull, naming the folder): a disk already full when the app
// starts fails there, where SQLite first writes (the WAL's shared memory, a new file's first
// page, a migration), with "database or disk is full (13)" or "disk I/O error (4874)",
// which say nothing to a patient and which the desktop window could not show. SQLite rolled
// back what it had begun, so the database is as it was. Any other error is returned as it is.
func diskRefusal(path string, err error) error {
	if !diskFull(err) {
		return err
	}
	return dataError(DataDiskFull, filepath.Dir(path), err)
}

// diskFull says whether err is the disk refusing a write: full (SQLITE_FULL, ENOSPC) or
// failing (SQLITE_IOERR and its extended codes, such as IOERR_SHMSIZE when the WAL's
// shared memory cannot grow on a full disk). Not SQLITE_CANTOPEN or SQLITE_READONLY, which
// IsDiskFailure also counts: at start-up they come from a file CheckDir refuses with its own
// message, and calling them a full disk would send the person the wrong way.
func diskFull(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR:
			return true
		}
	}
	return errors.Is(err, syscall.ENOSPC)
}

// idleConnections is how many SQLite connections the pool keeps open between requests.
// Opening one is not cheap: the file, the connection's PRAGMAs and a parse of the whole
// schema on its first statement. With database/sql's default of 2, concurrent requests kept
// closing connections they had just opened, and a load run at 64 clients spent a third of
// the server's CPU opening connections (issue #21). Connections are opened only as requests
// need them, so a desktop with one window keeps one or two. They are not closed when idle:
// the last one to close would end the WAL (SQLite checkpoints it and removes the -wal and
// -shm files), and the next request would pay for a new connection again.
const idleConnections = 16

// keepConnections sets how db's pool keeps its SQLite connections (idleConnections). The
// number of open connections is not capped: a request that holds one (a transaction, rows
// being read) and asks for another must never wait for itself.
func keepConnections(db *sql.DB) {
	db.SetMaxIdleConns(idleConnections)
}

// OpenDir checks dir (CheckDir: created, mode 0700, if it does not exist) and opens
// FileName inside it.
func OpenDir(ctx context.Context, dir string) (*sql.DB, error) {
	if err := CheckDir(ctx, dir); err != nil {
		return nil, err
	}
	return open(ctx, filepath.Join(dir, FileName))
}

func ensureFileMode(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600) //nolint:gosec // G304: the database file in the data folder the program was given
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	// The umask can only remove bits, but an existing file may have been created looser.
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("restrict database file: %w", err)
	}
	return nil
}

// InTx runs fn in one transaction: committed when fn returns nil, rolled back when it
// returns an error, except a refusal marked with CommitRefusal, which is committed and then
// returned (unmarked) as InTx's error. On PostgreSQL the transaction is SERIALIZABLE and fn
// may run more than once (inTxPostgres); on SQLite it runs once, alone.
func InTx(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	if EngineOf(db) == Postgres {
		return inTxPostgres(ctx, db, fn)
	}
	// One writing transaction at a time per database, queued in Go. SQLite allows one writer;
	// when many connections wait in its busy handler (a sleep-and-retry loop, not a queue)
	// some starve past busy_timeout and fail with "database is locked" — seen at 16 and 256
	// concurrent logins in the load run. A Go mutex is a fair-enough FIFO and costs nothing
	// when there is no contention. Only one process uses the file (passkeys.lock), so an
	// in-process lock is enough. fn must not start another transaction (it would wait on
	// itself); none does, because nested writers would already fail on SQLite's lock.
	unlock := lockWriter(db)
	defer unlock()
	return runTx(ctx, db, nil, fn)
}

// txBeginner is what runTx starts a transaction on: the pool (*sql.DB) or one connection of
// it (*sql.Conn, when a connection setting must hold for the transaction: GroupNoSync).
type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// runTx is one transaction of fn, on either engine: committed when fn succeeds or returns a
// refusal marked by CommitRefusal (which it then returns), rolled back otherwise.
func runTx(ctx context.Context, db txBeginner, opts *sql.TxOptions, fn func(tx *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	err = fn(tx)
	var kept committedRefusal
	if err != nil && !errors.As(err, &kept) {
		_ = tx.Rollback()
		return err
	}
	if cerr := tx.Commit(); cerr != nil {
		return fmt.Errorf("commit: %w", cerr)
	}
	if err != nil {
		return kept.refusal
	}
	return nil
}

// CommitRefusal marks err, when it is a refusal (an *apperr.E: the answer to the person),
// as one whose transaction keeps what it wrote before refusing: InTx commits, then returns
// the refusal. That is how a refused attempt still leaves its bookkeeping: a ceremony
// consumed before it was checked (single use whatever the outcome), a
// failed attempt audited and counted towards a lockout. Any other error (a failure, not a
// refusal) is returned as it is and rolls the transaction back; nil stays nil.
func CommitRefusal(err error) error {
	var refusal *apperr.E
	if !errors.As(err, &refusal) {
		return err
	}
	return committedRefusal{refusal: refusal}
}

// committedRefusal is a refusal marked by CommitRefusal.
type committedRefusal struct{ refusal *apperr.E }

func (c committedRefusal) Error() string { return c.refusal.Error() }
func (c committedRefusal) Unwrap() error { return c.refusal }

// IsUniqueViolation reports whether err is a UNIQUE (or PRIMARY KEY) constraint failure, on
// either engine (PostgreSQL: 23505 unique_violation).
func IsUniqueViolation(err error) bool {
	if code := pgErrorCode(err); code != "" {
		return code == "23505"
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// ExecOne runs query, an UPDATE of one row found by its key, and fails unless exactly one
// row changed: a write the caller has just checked for (under the same transaction) that
// finds no row, or several, is a bug or a race to surface, never to pass over. what names
// the write in the error.
func ExecOne(ctx context.Context, q DBTX, what, query string, args ...any) error {
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: rows affected: %w", what, err)
	}
	if n != 1 {
		return fmt.Errorf("%s: %d rows", what, n)
	}
	return nil
}

// Bit stores a boolean as the INTEGER 0 or 1 of our boolean columns. SQLite's driver
// converts a Go bool itself; pgx refuses to write a bool into a BIGINT, so every query
// passes Bit(b).
func Bit(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Millis stores a time as Unix milliseconds (all our timestamps are INTEGER columns).
func Millis(t time.Time) int64 { return t.UnixMilli() }

// FromMillis reads a Unix-milliseconds column back as UTC.
func FromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// IsDiskFailure reports whether err is SQLite failing to write to the disk: the disk is
// full (SQLITE_FULL), the file is over a size limit or the write failed (SQLITE_IOERR), the
// database or its folder cannot be written (SQLITE_READONLY, SQLITE_CANTOPEN). SQLite rolls
// the transaction back in each case, so nothing already committed is lost.
func IsDiskFailure(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff { // the primary result code of an extended one
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}

// writers holds one mutex per open database for InTx. It is keyed by the *sql.DB so that
// the many services sharing one database share its lock without each holding a new type.
var writers sync.Map // *sql.DB -> *sync.Mutex

func lockWriter(db *sql.DB) (unlock func()) {
	m, _ := writers.LoadOrStore(db, new(sync.Mutex))
	mu := m.(*sync.Mutex) //nolint:errcheck // writers holds only the *sync.Mutex values stored just above
	mu.Lock()
	return mu.Unlock
}
