package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// Migration is one numbered schema change, from migrations/ENGINE/NNNN_name.sql. Each
// engine has its own table definitions under the same numbers and names.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded SQLite migrations in version order.
func Migrations() ([]Migration, error) { return MigrationsFor(SQLite) }

// MigrationsFor lists engine's embedded migrations in version order.
func MigrationsFor(engine Engine) ([]Migration, error) {
	folder := path.Join("migrations", string(engine))
	entries, err := fs.ReadDir(migrationFiles, folder)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		if !ok || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration %q: name must be NNNN_name.sql", name)
		}
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: bad version number", name)
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(folder, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %q: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migrations %q and %q share a version", out[i-1].Name, out[i].Name)
		}
	}
	return out, nil
}

// unknownMigration returns the first version recorded in q's schema_migrations that known
// does not have (applied by a newer build); newer is false when there is none. Both engines
// refuse such a database before changing anything (checkDatabase, refuseNewerPostgres).
func unknownMigration(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}, known []Migration) (version int, newer bool, err error) {
	rows, err := q.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return 0, false, err
		}
		if !slices.ContainsFunc(known, func(m Migration) bool { return m.Version == v }) {
			return v, true, nil
		}
	}
	return 0, false, rows.Err()
}

// Migrate applies every migration not yet recorded in schema_migrations, each in its own
// transaction together with its record, so a failed migration leaves no trace. On
// PostgreSQL they run under an advisory lock (applyPostgres).
func Migrate(ctx context.Context, db *sql.DB) error {
	engine := EngineOf(db)
	migrations, err := MigrationsFor(engine)
	if err != nil {
		return err
	}
	if engine == Postgres {
		return applyPostgres(ctx, db, migrations)
	}
	return apply(ctx, db, migrations)
}

func apply(ctx context.Context, db *sql.DB, migrations []Migration) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL DEFAULT (unixepoch('subsec') * 1000)
	) STRICT`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	for _, m := range migrations {
		err := InTx(ctx, db, func(tx *sql.Tx) error {
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
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
	}
	return nil
}
