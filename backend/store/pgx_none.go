//go:build nopostgres

package store

import (
	"database/sql"
	"errors"
)

// A build without PostgreSQL (the nopostgres tag: the desktop app's, `make build`): pgx.go
// says why. `serve --database` is refused at start-up with errNoPostgres.

// errNoPostgres says what to run instead.
var errNoPostgres = errors.New("open database: this build of nhs-passkeys (the desktop app's) has no PostgreSQL driver: " +
	"run a fleet's replicas with the server build (`make server`: build/bin/nhs-passkeys-server)")

func isPgx(*sql.DB) bool { return false }

func openPgx(string) (*sql.DB, error) { return nil, errNoPostgres }

func pgErrorCode(error) string { return "" }
