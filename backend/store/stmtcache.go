package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"reflect"

	"modernc.org/sqlite"
)

// Why a statement cache: database/sql prepares every ExecContext and QueryContext afresh,
// and for modernc.org/sqlite preparing means running SQLite's SQL parser (transpiled C) on
// each call. Profiled on a passkey login finish, parsing was about 40% of the time spent in
// SQLite. modernc keeps a single-statement sqlite3_stmt inside its driver.Stmt and resets it
// after each use, so keeping those driver statements per connection, keyed by their text,
// parses each query once per connection instead of once per call. It sits under database/sql
// so that no store method changes: they keep passing SQL text.

// maxCachedStatements bounds each connection's cache. The app has well under a hundred
// distinct queries; anything past the bound (a caller building SQL text) is prepared and
// closed per call as before.
const maxCachedStatements = 256

// cachingConnector wraps modernc's connector (sqlite.NewConnector: the driver's registered
// functions and hooks apply) and its connections in stmtCachingConn.
type cachingConnector struct{ inner driver.Connector }

func newCachingConnector(dsn string) (cachingConnector, error) {
	inner, err := sqlite.NewConnector(dsn)
	if err != nil {
		return cachingConnector{}, err
	}
	return cachingConnector{inner: inner}, nil
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newStmtCachingConn(conn)
}

func (c cachingConnector) Driver() driver.Driver { return c.inner.Driver() }

// modernConn is the part of modernc's connection that database/sql uses.
type modernConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmtCachingConn is one SQLite connection with its prepared statements. database/sql uses
// a connection from one goroutine at a time, so the map needs no lock.
type stmtCachingConn struct {
	modernConn
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	stmt driver.Stmt
	// inUse is true from the start of a call until its rows are closed: a second query with
	// the same text while the first's rows are still open (a nested loop) must not reset the
	// statement under them, so it gets a statement of its own.
	inUse bool
}

func newStmtCachingConn(conn driver.Conn) (*stmtCachingConn, error) {
	mc, ok := conn.(modernConn)
	if !ok {
		conn.Close()
		return nil, errors.New("open database: the SQLite driver's connection lacks a method database/sql needs")
	}
	return &stmtCachingConn{modernConn: mc, stmts: map[string]*cachedStmt{}}, nil
}

// statement returns a prepared statement for query and the function that gives it back.
func (c *stmtCachingConn) statement(ctx context.Context, query string) (driver.Stmt, func() error, error) {
	if cs, ok := c.stmts[query]; ok && !cs.inUse {
		cs.inUse = true
		return cs.stmt, func() error { cs.inUse = false; return nil }, nil
	}
	st, err := c.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := c.stmts[query]; ok || len(c.stmts) >= maxCachedStatements {
		return st, st.Close, nil
	}
	cs := &cachedStmt{stmt: st, inUse: true}
	c.stmts[query] = cs
	return st, func() error { cs.inUse = false; return nil }, nil
}

// errNoContextStmt: the driver's statements must take a context (modernc.org/sqlite's do), so
// that a cancelled request stops its query.
var errNoContextStmt = errors.New("store: the SQLite driver's statement does not take a context")

// ExecContext runs query on its cached statement (driver.ExecerContext).
func (c *stmtCachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st, release, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	ste, ok := st.(driver.StmtExecContext)
	if !ok {
		_ = release()
		return nil, errNoContextStmt
	}
	res, err := ste.ExecContext(ctx, args)
	if rerr := release(); err == nil {
		err = rerr
	}
	return res, err
}

// QueryContext runs query on its cached statement (driver.QueryerContext); the statement is
// given back when the rows are closed.
func (c *stmtCachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	st, release, err := c.statement(ctx, query)
	if err != nil {
		return nil, err
	}
	stq, ok := st.(driver.StmtQueryContext)
	if !ok {
		_ = release()
		return nil, errNoContextStmt
	}
	rows, err := stq.QueryContext(ctx, args)
	if err != nil {
		_ = release()
		return nil, err
	}
	return &releasingRows{Rows: rows, release: release}, nil
}

// Unwrap returns modernc's connection, for the driver's own extras (sqlite.Limit and the
// like see through wrappers with this method).
func (c *stmtCachingConn) Unwrap() driver.Conn { return c.modernConn }

// Close finalises the cached statements, then closes the connection.
func (c *stmtCachingConn) Close() error {
	var errs []error
	for query, cs := range c.stmts {
		errs = append(errs, cs.stmt.Close())
		delete(c.stmts, query)
	}
	errs = append(errs, c.modernConn.Close())
	return errors.Join(errs...)
}

// releasingRows gives its statement back to the cache when closed. It passes on the
// driver's column type methods, which database/sql's Rows.ColumnTypes looks for.
type releasingRows struct {
	driver.Rows
	release func() error
}

// modernRows is the column type part of modernc's rows.
type modernRows interface {
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

func (r *releasingRows) types() modernRows {
	mr, _ := r.Rows.(modernRows)
	return mr
}

func (r *releasingRows) ColumnTypeDatabaseTypeName(i int) string {
	if mr := r.types(); mr != nil {
		return mr.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *releasingRows) ColumnTypeLength(i int) (int64, bool) {
	if mr := r.types(); mr != nil {
		return mr.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *releasingRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if mr := r.types(); mr != nil {
		return mr.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *releasingRows) ColumnTypePrecisionScale(i int) (precision, scale int64, ok bool) {
	if mr := r.types(); mr != nil {
		return mr.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *releasingRows) ColumnTypeScanType(i int) reflect.Type {
	if mr := r.types(); mr != nil {
		return mr.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *releasingRows) Close() error {
	err := r.Rows.Close()
	if r.release != nil {
		if rerr := r.release(); err == nil {
			err = rerr
		}
		r.release = nil
	}
	return err
}
