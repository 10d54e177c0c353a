//go:build nopostgres

package store

import (
	"errors"
	"strings"
	"testing"
)

// The desktop app's build (nopostgres: make build) has no PostgreSQL driver: a database
// address is refused at start-up with a message that names the build to use, before any
// connection is tried, and never repeats the address (it may hold a password).
func TestABuildWithoutPostgresRefusesADatabaseAddress(t *testing.T) {
	const url = "postgres://passkeys:s3cret@db.surgery.example:5432/passkeys?sslmode=verify-full"
	db, err := OpenPostgres(t.Context(), url)
	if db != nil || !errors.Is(err, errNoPostgres) {
		t.Fatalf("OpenPostgres = %v, %v; want errNoPostgres", db, err)
	}
	for _, want := range []string{"no PostgreSQL driver", "make server"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the message %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("the message repeats the address's password: %q", err)
	}
	if IsUniqueViolation(errors.New("duplicate key value violates unique constraint")) {
		t.Error("a plain error taken for PostgreSQL's unique violation")
	}
}
