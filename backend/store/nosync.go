package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// InTxNoSync is InTx for a write that may be lost in a crash of the computer (not of the
// process) without harm: its commit does not wait for the disk. The one such write is a
// ceremony's begin (a challenge and its options): lost, it only means the person begins
// again. Everything else is InTx (or Group), durable before it is answered.
//
// SQLite: the transaction runs on one connection switched to synchronous=NORMAL for it and
// back to FULL after (PRAGMA synchronous is per connection and cannot change inside a
// transaction; https://sqlite.org/pragma.html#pragma_synchronous). In WAL mode a NORMAL
// commit appends its frames to the WAL and returns without fsync; the frames are in the
// operating system's cache, so a killed process loses nothing, and only a crash or power
// cut of the computer can lose them. It can never make a used ceremony usable again:
// using a ceremony (deleting its row and remembering it in used_ceremonies) is a FULL
// commit of a later transaction, and the WAL is one file written in order whose frames
// carry cumulative checksums; the fsync that makes that later commit durable flushes every
// frame before it, the begin's included, and recovery keeps a prefix of the log, never a
// later commit without an earlier one (https://sqlite.org/wal.html, "Durability";
// https://sqlite.org/fileformat2.html#walformat). So after any crash either the begin is
// lost together with anything that used it (never answered, since a finish is answered only
// once durable), or it is kept with every use that was answered. The begin's clean-up of
// expired rows is lost the same way and simply done again by the next begin.
//
// PostgreSQL: SET LOCAL synchronous_commit = off, the same bargain: the commit returns
// before the WAL is flushed, a server crash may lose the last such commits, and the WAL is
// still replayed in order, so a later durable commit keeps everything before it
// (https://www.postgresql.org/docs/15/wal-async-commit.html).
func InTxNoSync(ctx context.Context, db *sql.DB, fn func(tx *sql.Tx) error) error {
	if EngineOf(db) == Postgres {
		return inTxPostgres(ctx, db, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
				return fmt.Errorf("commit without waiting for the disk: %w", err)
			}
			return fn(tx)
		})
	}
	unlock := lockWriter(db)
	defer unlock()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer conn.Close()
	// The connection goes back to the pool with synchronous=FULL or not at all: a pooled
	// connection left at NORMAL would make some later login's commit skip its fsync.
	defer func() {
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = FULL`); rerr != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // database/sql then closes it
		}
	}()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		return fmt.Errorf("commit without waiting for the disk: %w", err)
	}
	return runTx(ctx, conn, nil, fn)
}
