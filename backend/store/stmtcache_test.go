package store

import (
	"database/sql"
	"fmt"
	"testing"
)

// oneConn returns the test database limited to one connection, so every call below meets
// the same statement cache.
func oneConn(t *testing.T) *sql.DB {
	t.Helper()
	db := NewForTest(t)
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(t.Context(), `CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT UNIQUE)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// cached returns how many statements the connection holds and whether query is one.
func cached(t *testing.T, db *sql.DB, query string) (n int, has bool) {
	t.Helper()
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stmtCachingConn)
		if !ok {
			return fmt.Errorf("connection is a %T, not the caching one", dc)
		}
		_, has = c.stmts[query]
		n = len(c.stmts)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n, has
}

func TestAQueryIsPreparedOncePerConnection(t *testing.T) {
	db := oneConn(t)
	const insert = `INSERT INTO things (name) VALUES (?)`
	before, _ := cached(t, db, insert)
	for i := range 3 {
		if _, err := db.ExecContext(t.Context(), insert, fmt.Sprint("thing", i)); err != nil {
			t.Fatal(err)
		}
	}
	after, has := cached(t, db, insert)
	if !has || after != before+1 {
		t.Errorf("after 3 runs of one insert the cache went from %d to %d statements (has it: %v), want one more", before, after, has)
	}
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM things`).Scan(&n); err != nil || n != 3 {
		t.Errorf("rows = %d (%v), want 3: the reused statement must bind each call's arguments", n, err)
	}
}

func TestTheSameQueryNestedInsideItsOwnOpenRowsReadsBothCorrectly(t *testing.T) {
	db := oneConn(t)
	ctx := t.Context()
	for _, name := range []string{"a", "b", "c"} {
		if _, err := db.ExecContext(ctx, `INSERT INTO things (name) VALUES (?)`, name); err != nil {
			t.Fatal(err)
		}
	}
	const list = `SELECT name FROM things WHERE id >= ? ORDER BY id`
	err := InTx(ctx, db, func(tx *sql.Tx) error {
		outer, err := tx.QueryContext(ctx, list, 1)
		if err != nil {
			return err
		}
		defer outer.Close()
		var got []string
		for outer.Next() {
			var name string
			if err := outer.Scan(&name); err != nil {
				return err
			}
			// The same text again while outer is open: if it reused (and so reset) outer's
			// statement, outer would start again or stop early.
			last, err := func() (string, error) {
				inner, err := tx.QueryContext(ctx, list, 3)
				if err != nil {
					return "", err
				}
				defer inner.Close()
				var last string
				for inner.Next() {
					if err := inner.Scan(&last); err != nil {
						return "", err
					}
				}
				if err := inner.Err(); err != nil {
					return "", err
				}
				return last, inner.Close() // closed before outer's next row
			}()
			if err != nil {
				return err
			}
			got = append(got, name+last)
		}
		if err := outer.Err(); err != nil {
			return err
		}
		if fmt.Sprint(got) != "[ac bc cc]" {
			return fmt.Errorf("nested reads gave %v, want [ac bc cc]", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestACachedStatementThatFailsWorksAgainAfterwards(t *testing.T) {
	db := oneConn(t)
	ctx := t.Context()
	const insert = `INSERT INTO things (name) VALUES (?)`
	if _, err := db.ExecContext(ctx, insert, "same"); err != nil {
		t.Fatal(err)
	}
	_, err := db.ExecContext(ctx, insert, "same")
	if !IsUniqueViolation(err) {
		t.Fatalf("second insert of one name: err = %v, want a unique violation", err)
	}
	if _, err := db.ExecContext(ctx, insert, "other"); err != nil {
		t.Fatalf("the insert after a failure: %v", err)
	}
	// A query that fails while stepping, then succeeds.
	var id int64
	if err := db.QueryRowContext(ctx, `INSERT INTO things (name) VALUES (?) RETURNING id`, "other").Scan(&id); !IsUniqueViolation(err) {
		t.Fatalf("RETURNING insert of a taken name: err = %v, want a unique violation", err)
	}
	if err := db.QueryRowContext(ctx, `INSERT INTO things (name) VALUES (?) RETURNING id`, "third").Scan(&id); err != nil || id != 3 {
		t.Fatalf("RETURNING insert after a failure: id %d, err %v; want 3", id, err)
	}
}

func TestAScriptOfSeveralStatementsRunsEveryOneEachTime(t *testing.T) {
	db := oneConn(t)
	const script = `INSERT INTO things (name) VALUES (NULL); INSERT INTO things (name) VALUES (NULL)`
	for range 2 {
		if _, err := db.ExecContext(t.Context(), script); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM things`).Scan(&n); err != nil || n != 4 {
		t.Errorf("rows = %d (%v), want 4", n, err)
	}
}

func TestTheCacheStopsGrowingAtItsBoundAndQueriesStillWork(t *testing.T) {
	db := oneConn(t)
	for i := range maxCachedStatements + 10 {
		var got int
		if err := db.QueryRowContext(t.Context(), fmt.Sprintf(`SELECT %d`, i)).Scan(&got); err != nil || got != i {
			t.Fatalf("SELECT %d = %d (%v)", i, got, err)
		}
	}
	if n, _ := cached(t, db, ""); n != maxCachedStatements {
		t.Errorf("cache holds %d statements, want the bound %d", n, maxCachedStatements)
	}
}

func TestRowsStillDescribeTheirColumns(t *testing.T) {
	db := oneConn(t)
	rows, err := db.QueryContext(t.Context(), `SELECT id, name FROM things`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if err := rows.Err(); err != nil { // no row is read: only the columns are described
		t.Fatal(err)
	}
	types, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ct := range types {
		got = append(got, ct.DatabaseTypeName())
	}
	if fmt.Sprint(got) != "[INTEGER TEXT]" {
		t.Errorf("column types = %v, want [INTEGER TEXT] (as the driver reports them)", got)
	}
}
