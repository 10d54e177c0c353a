package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// Group commit (issue 21). On SQLite every durable commit is an fsync of the WAL, about a
// millisecond here, and the single writer lock is held through it: one login per fsync caps
// logins at about 1,000/s whatever the CPU could do. Group runs the parts of concurrent
// requests in one transaction and one fsync instead: measured here, K logins' writes in one
// transaction cost 345, 138, 84 and 65 us of wall time per login for K = 1, 4, 16, 64.

// Part is one request's share of a group's transaction. ctx is the request's context
// without its cancellation: once a part has started it runs to its end, because a
// statement interrupted inside a shared transaction may make SQLite roll the whole
// transaction back (https://sqlite.org/c3ref/interrupt.html), everyone's parts with it.
type Part func(ctx context.Context, tx *sql.Tx) error

const (
	// maxGroupParts bounds one transaction: past 64 parts the saving per login is small
	// (65 us at 64) while the wait of the first request in the group keeps growing.
	maxGroupParts = 64
	// maxQueuedParts bounds the queue: a request past it waits (or gives up with its
	// context) before it is queued, so a flood cannot grow memory without bound.
	maxQueuedParts = 1024
)

// Group runs part in a transaction shared with the parts of other requests queued at the
// same time, and returns once that transaction is committed (durable: synchronous=FULL) or
// rolled back. What part returns is handled as by InTx, for this request alone: nil commits
// its writes; a refusal marked with CommitRefusal commits them and is returned; any other
// error undoes this part's writes only (each part runs inside its own SAVEPOINT) and is
// returned, while the other parts still commit. Only a failure of the transaction itself
// (BEGIN, a SAVEPOINT, COMMIT, or SQLite rolling everything back after an I/O error or a
// full disk) fails every part of the group, and then nothing of any of them is written.
//
// A request whose context ends while it is queued is answered with the context's error and
// its part never runs; once its part has started, the request waits for the commit (a
// part is a few statements; the answer then says truly what was written).
//
// part runs once on SQLite and must not start a transaction of its own (it would wait on
// the writer lock its group holds). On PostgreSQL Group is InTx: one SERIALIZABLE
// transaction per request, retried whole on a serialization failure (inTxPostgres), so part
// must only assign to its captured variables. Grouping is not done there: a retry of one
// part would re-run the whole group, a conflict between two parts of one group cannot be
// retried apart, and PostgreSQL already shares one WAL flush between concurrent commits
// (commit_delay, group flushing of the WAL writer) without our help.
func Group(ctx context.Context, db *sql.DB, part Part) error {
	return group(ctx, db, part, true)
}

// group is Group (durable) or GroupNoSync (not).
func group(ctx context.Context, db *sql.DB, part Part, durable bool) error {
	if EngineOf(db) == Postgres {
		return inTxPostgres(ctx, db, func(tx *sql.Tx) error {
			if !durable {
				if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
					return fmt.Errorf("commit without waiting for the disk: %w", err)
				}
			}
			return part(context.WithoutCancel(ctx), tx)
		})
	}
	return groupOf(db).submit(ctx, part, durable)
}

// groups holds one group writer per open SQLite database (like writers, keyed by *sql.DB).
var groups sync.Map // *sql.DB -> *groupWriter

func groupOf(db *sql.DB) *groupWriter {
	if w, ok := groups.Load(db); ok {
		return w.(*groupWriter) //nolint:errcheck // groups holds only *groupWriter values
	}
	w, _ := groups.LoadOrStore(db, &groupWriter{db: db, slots: make(chan struct{}, maxQueuedParts)})
	return w.(*groupWriter) //nolint:errcheck // groups holds only *groupWriter values
}

// groupWriter is the single writer of one database's groups. The request that finds the
// queue empty leads: it commits the first group (its own part, and any queued meanwhile) on
// its own goroutine, and only if requests queued behind that group does a writer goroutine
// take over, running while there is work and returning when it finds the queue empty. A
// lone request (the common case: one login at a time) so costs no goroutine and no channel
// hop: measured here (issue 21) a fresh goroutine per commit cost a new stack grown through
// SQLite's deep calls (runtime.newstack/copystack, about 6% of a login's CPU) plus the
// scheduler's hand-offs to it and back. An idle database has no goroutine of ours.
type groupWriter struct {
	db    *sql.DB
	slots chan struct{} // one token per request queued or running: the queue's bound

	mu      sync.Mutex
	queue   []*groupRequest
	running bool // a leader or the writer goroutine is committing
}

type groupRequest struct {
	ctx     context.Context
	part    Part
	durable bool       // Group, not GroupNoSync
	answer  chan error // buffered: the writer never waits for the request
}

func (w *groupWriter) submit(ctx context.Context, part Part, durable bool) error {
	select {
	case w.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("wait for the writer: %w", ctx.Err())
	}
	r := &groupRequest{ctx: ctx, part: part, durable: durable, answer: make(chan error, 1)}
	w.mu.Lock()
	w.queue = append(w.queue, r)
	lead := !w.running
	w.running = true
	w.mu.Unlock()
	if lead {
		// The group's transaction is everyone's: it keeps this context's values, not its end.
		writerCtx := context.WithoutCancel(ctx)
		w.round(writerCtx) // r is first in the queue, so this group holds its part
		w.mu.Lock()
		more := len(w.queue) > 0
		w.running = more
		w.mu.Unlock()
		if more {
			// Requests queued behind this one: a writer goroutine serves them, so that this
			// request is answered now rather than after other people's groups.
			go w.drain(writerCtx)
		}
	}
	return <-r.answer
}

// drain commits groups while requests are queued: each group is what queued while the one
// before it was being committed, so the busier the database, the larger the groups.
func (w *groupWriter) drain(ctx context.Context) {
	for {
		if !w.round(ctx) {
			return
		}
	}
}

// round commits the next group (up to maxGroupParts of the queue, oldest first) and reports
// whether there was one; when the queue is empty it stops the writer (running = false).
func (w *groupWriter) round(ctx context.Context) bool {
	w.mu.Lock()
	n := min(len(w.queue), maxGroupParts)
	if n == 0 {
		w.running = false
		w.mu.Unlock()
		return false
	}
	batch := make([]*groupRequest, n)
	copy(batch, w.queue)
	w.queue = append(w.queue[:0], w.queue[n:]...)
	w.mu.Unlock()

	w.commit(ctx, batch)
	for range batch {
		<-w.slots
	}
	return true
}

// commit runs batch as one transaction and answers each request. ctx is the writer's: the
// transaction is everyone's, so no one request's context may end it.
func (w *groupWriter) commit(ctx context.Context, batch []*groupRequest) {
	live := batch[:0:0]
	durable := false
	for _, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.answer <- fmt.Errorf("wait for the writer: %w", err) // not started: nothing written
			continue
		}
		live = append(live, r)
		durable = durable || r.durable
	}
	if len(live) == 0 {
		return
	}
	unlock := lockWriter(w.db)
	defer unlock()
	var on txBeginner = w.db
	if !durable {
		// Only GroupNoSync parts: no fsync (GroupNoSync says why that is safe).
		conn, giveBack, err := noSyncConn(ctx, w.db)
		if err != nil {
			for _, r := range live {
				r.answer <- err
			}
			return
		}
		defer giveBack()
		on = conn
	}
	if len(live) == 1 {
		// Alone: a transaction of its own, without the savepoint's two statements.
		r := live[0]
		r.answer <- runTx(ctx, on, nil, func(tx *sql.Tx) error { //nolint:contextcheck // the part runs with its own request's values (see Part), not the writer's
			return runPart(context.WithoutCancel(r.ctx), r, tx)
		})
		return
	}
	results, err := commitGroup(ctx, on, live)
	for i, r := range live {
		if err != nil {
			r.answer <- err
			continue
		}
		r.answer <- results[i]
	}
}

// commitGroup runs each request's part in its own savepoint of one transaction and commits
// it; results[i] is what the request live[i] is answered when the commit succeeds.
func commitGroup(ctx context.Context, on txBeginner, live []*groupRequest) (results []error, err error) {
	tx, err := on.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	results = make([]error, len(live))
	for i, r := range live {
		if _, err := tx.ExecContext(ctx, `SAVEPOINT part`); err != nil {
			return nil, fmt.Errorf("begin a request's part: %w", err)
		}
		perr := runPart(context.WithoutCancel(r.ctx), r, tx) //nolint:contextcheck // the part runs with its own request's values (see Part), not the writer's
		var kept committedRefusal
		switch {
		case perr == nil:
		case errors.As(perr, &kept):
			perr = kept.refusal
		default:
			// This request's writes go; the parts before it (released) and after it stay.
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO part`); err != nil {
				return nil, fmt.Errorf("undo a request's part after %w: %w", perr, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE part`); err != nil {
			return nil, fmt.Errorf("end a request's part: %w", err)
		}
		results[i] = perr
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return results, nil
}

// runPart runs r's part with ctx (r's context without its end, see Part); a panic in it is
// that request's failure, not the writer's (the writer goroutine is shared: a panic there
// would end the process).
func runPart(ctx context.Context, r *groupRequest, tx *sql.Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("a request's part panicked: %v", p)
		}
	}()
	return r.part(ctx, tx)
}
