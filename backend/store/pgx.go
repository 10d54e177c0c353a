//go:build !nopostgres

package store

import (
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Every use of pgx, PostgreSQL's driver, is in this file, so that a build with the
// nopostgres tag leaves it out (pgx_none.go): the desktop app's (`make build`), which never
// runs a fleet's database and is about 3 MB smaller without it (issue #21, item 4).

// isPgx reports whether db talks to PostgreSQL through pgx.
func isPgx(db *sql.DB) bool {
	_, ok := db.Driver().(*stdlib.Driver)
	return ok
}

// openPgx opens (without connecting) the PostgreSQL database named by url.
func openPgx(url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's message quotes the string it could not parse, which may hold a password:
		// give only its kind.
		return nil, errors.New("open database: the PostgreSQL address could not be read (expected postgres://user@host:port/database)")
	}
	return stdlib.OpenDB(*cfg), nil
}

// pgErrorCode is the SQLSTATE of a PostgreSQL error in err's chain, or "" if there is none.
func pgErrorCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
