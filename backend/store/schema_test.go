package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The two engines' table definitions are written separately (migrations/sqlite and
// migrations/postgres) under the same numbers; this proves they describe the same tables:
// the same columns, each meaning the same (an integer, text or bytes), nullable or not
// alike, the same unique keys, foreign keys (with their ON DELETE) and indexes.
func TestBothEnginesMigrateToTheSameSchema(t *testing.T) {
	lite := describeSQLite(t, NewForTestOn(t, SQLite))
	pg := describePostgres(t, NewForTestOn(t, Postgres))
	if lite != pg {
		t.Errorf("the schemas differ.\nSQLite:\n%s\nPostgreSQL:\n%s", lite, pg)
	}
	if !strings.Contains(lite, "passkeys.credential_id bytes not null") || !strings.Contains(lite, "foreign key sessions(account_id) -> accounts(id) on delete cascade") {
		t.Errorf("the description misses what it should describe:\n%s", lite)
	}
	for _, engine := range Engines {
		ms, err := MigrationsFor(engine)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, m := range ms {
			names = append(names, m.Name)
		}
		want, _ := MigrationsFor(SQLite)
		var wantNames []string
		for _, m := range want {
			wantNames = append(wantNames, m.Name)
		}
		if !slices.Equal(names, wantNames) {
			t.Errorf("%s migrations %v, want the same numbers and names as SQLite's %v", engine, names, wantNames)
		}
	}
}

// meaning maps a column type, as each engine reports it, to what it holds. SQLite's INTEGER
// holds 64 bits, as PostgreSQL's bigint does; PostgreSQL's own integer holds only 32, so a
// column declared that way there is not the same column (times are Unix milliseconds).
func meaning(engine, declared string) string {
	switch d := strings.ToLower(declared); {
	case d == "integer" && engine == "sqlite", d == "bigint" && engine == "postgres":
		return "integer (64-bit)"
	case d == "integer" || d == "smallint":
		return "integer (" + d + ", narrower than 64 bits)"
	case d == "text":
		return "text"
	case d == "blob" && engine == "sqlite", d == "bytea" && engine == "postgres":
		return "bytes"
	}
	return "unknown type " + declared
}

type schemaLines []string

func (s *schemaLines) add(format string, args ...any) { *s = append(*s, fmt.Sprintf(format, args...)) }

func (s schemaLines) String() string {
	slices.Sort(s)
	return strings.Join(s, "\n")
}

func queryStrings(t *testing.T, db *sql.DB, query string, args ...any) [][]string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func nullability(notNull bool) string {
	if notNull {
		return "not null"
	}
	return "null"
}

func describeSQLite(t *testing.T, db *sql.DB) string {
	var s schemaLines
	tables := queryStrings(t, db, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	for _, tr := range tables {
		table := tr[0]
		s.add("table %s", table)
		var pk []string
		for _, c := range queryStrings(t, db, `SELECT name, type, "notnull", pk FROM pragma_table_info($1) ORDER BY pk`, table) {
			// A PRIMARY KEY column is never NULL (an INTEGER PRIMARY KEY is the rowid).
			s.add("%s.%s %s %s", table, c[0], meaning("sqlite", c[1]), nullability(c[2] == "1" || c[3] != "0"))
			if c[3] != "0" {
				pk = append(pk, c[0])
			}
		}
		if len(pk) > 0 {
			s.add("unique %s(%s)", table, strings.Join(pk, ", "))
		}
		for _, ix := range queryStrings(t, db, `SELECT name, "unique", origin FROM pragma_index_list($1)`, table) {
			var cols []string
			for _, c := range queryStrings(t, db, `SELECT name FROM pragma_index_info($1) ORDER BY seqno`, ix[0]) {
				cols = append(cols, c[0])
			}
			switch {
			case ix[2] == "pk":
				// the primary key, listed above
			case ix[1] == "1":
				s.add("unique %s(%s)", table, strings.Join(cols, ", "))
			default:
				s.add("index %s on %s(%s)", ix[0], table, strings.Join(cols, ", "))
			}
		}
		fks := map[string][]string{}
		var ids []string
		for _, fk := range queryStrings(t, db, `SELECT id, "table", "from", "to", on_delete FROM pragma_foreign_key_list($1) ORDER BY id, seq`, table) {
			if _, ok := fks[fk[0]]; !ok {
				ids = append(ids, fk[0])
			}
			fks[fk[0]] = append(fks[fk[0]], fk[1], fk[2], fk[3], fk[4])
		}
		for _, id := range ids {
			f := fks[id] // single-column keys: table, from, to, on delete
			s.add("foreign key %s(%s) -> %s(%s) on delete %s", table, f[1], f[0], f[2], strings.ToLower(f[3]))
		}
	}
	return s.String()
}

func describePostgres(t *testing.T, db *sql.DB) string {
	var s schemaLines
	for _, tr := range queryStrings(t, db, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`) {
		table := tr[0]
		s.add("table %s", table)
		for _, c := range queryStrings(t, db, `SELECT column_name, data_type, is_nullable FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name = $1`, table) {
			s.add("%s.%s %s %s", table, c[0], meaning("postgres", c[1]), nullability(c[2] == "NO"))
		}
		// Unique keys and indexes, each with its columns in key order.
		for _, ix := range queryStrings(t, db, `SELECT i.relname, x.indisunique, x.indisprimary,
				(SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
				 JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum)
			FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class r ON r.oid = x.indrelid
			JOIN pg_namespace ns ON ns.oid = r.relnamespace
			WHERE ns.nspname = 'public' AND r.relname = $1`, table) {
			switch {
			case ix[1] == "true" || ix[2] == "true":
				s.add("unique %s(%s)", table, ix[3])
			default:
				s.add("index %s on %s(%s)", ix[0], table, ix[3])
			}
		}
		for _, fk := range queryStrings(t, db, `SELECT a.attname, rt.relname, ra.attname, c.confdeltype
			FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid JOIN pg_namespace ns ON ns.oid = r.relnamespace
			JOIN pg_class rt ON rt.oid = c.confrelid
			JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
			JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = c.confkey[1]
			WHERE c.contype = 'f' AND ns.nspname = 'public' AND r.relname = $1`, table) {
			onDelete := map[string]string{"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}[fk[3]]
			s.add("foreign key %s(%s) -> %s(%s) on delete %s", table, fk[0], fk[1], fk[2], onDelete)
		}
	}
	return s.String()
}
