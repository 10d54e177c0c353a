package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
)

// GroupNoSync is Group for a write that may be lost in a crash of the computer (not of the
// process) without harm: its commit does not wait for the disk. The one such write is a
// ceremony's begin (a challenge and its options): lost, it only means the person begins
// again. Everything else is Group or InTx, durable before it is answered.
//
// SQLite: it is a part of a group like any other; a group with at least one durable part
// (Group) is committed durably, and it then shares that fsync without needing it. A group
// of such parts only is committed on one connection switched to synchronous=NORMAL for it
// and back to FULL after (PRAGMA synchronous is per connection and cannot change inside a
// transaction; https://sqlite.org/pragma.html#pragma_synchronous). In WAL mode a NORMAL
// commit appends its frames to the WAL and returns without fsync; the frames are in the
// operating system's cache, so a killed process loses nothing, and only a crash or power
// cut of the computer can lose them. It can never make a used ceremony usable again:
// using a ceremony (marking its row used, 0008) is a FULL
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
func GroupNoSync(ctx context.Context, db *sql.DB, part Part) error {
	return group(ctx, db, part, false)
}

// noSyncConn returns a connection of db switched to synchronous=NORMAL and the function
// that gives it back, switched to FULL again or, if that fails, closed: a pooled connection
// left at NORMAL would make some later login's commit skip its fsync.
func noSyncConn(ctx context.Context, db *sql.DB) (*sql.Conn, func(), error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("begin: %w", err)
	}
	giveBack := func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA synchronous = FULL`); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // database/sql then closes it
		}
		_ = conn.Close()
	}
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		giveBack()
		return nil, nil, fmt.Errorf("commit without waiting for the disk: %w", err)
	}
	return conn, giveBack, nil
}
