package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
)

// SecretBytes is the size of a generated server secret (256 bits).
const SecretBytes = 32

// Secret returns the server secret called name, generating it (crypto/rand) the first time.
// It lives in the database, so it survives restarts and moves with the data folder: the
// lockout keys derived from it stay stable.
func Secret(ctx context.Context, db *sql.DB, name string) ([]byte, error) {
	fresh := make([]byte, SecretBytes)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("generate secret %s: %w", name, err)
	}
	var value []byte
	err := InTx(ctx, db, func(tx *sql.Tx) error {
		// The first writer wins; every later call reads what it wrote.
		if _, err := tx.ExecContext(ctx, `INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM server_secrets WHERE name = $1`, name).Scan(&value)
	})
	if err != nil {
		return nil, fmt.Errorf("server secret %s: %w", name, err)
	}
	return value, nil
}
