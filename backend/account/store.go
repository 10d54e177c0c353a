package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/nhs-passkeys/companion/backend/store"
)

// Store reads and writes the accounts table.
type Store struct{}

// errNotFound: no account matches.
var errNotFound = errors.New("account not found")

// accountColumns reads an account row; has_passkey counts its usable (unflagged) passkeys.
const accountColumns = `id, email, user_handle, password_hash, created_at,
	EXISTS (SELECT 1 FROM passkeys WHERE passkeys.account_id = accounts.id AND passkeys.clone_warning = 0)`

func scanAccount(row interface{ Scan(...any) error }) (Account, string, error) {
	var (
		a       Account
		hash    sql.NullString
		created int64
	)
	if err := row.Scan(&a.ID, &a.Email, &a.UserHandle, &hash, &created, &a.HasPasskey); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Account{}, "", errNotFound
		}
		return Account{}, "", err
	}
	a.CreatedAt = store.FromMillis(created)
	a.HasPassword = hash.Valid && hash.String != ""
	return a, hash.String, nil
}

// earlierForm is how an account made before emails were stored in Unicode NFC may hold the
// normalised email: then only trimmed and lower-cased, so an address whose accent was typed as
// a letter and a combining mark was stored decomposed (NFD). Looking an address up under both
// forms keeps that patient's account theirs (nothing saved is lost) and one with the address
// however it is typed now; for an address with no accent the two forms are the same.
func earlierForm(email string) string { return norm.NFD.String(email) }

// byEmail returns the account with this (normalised) email and its password hash ("" when
// it has none), or errNotFound. An account stored under the email's earlier form is found
// too; where both exist (made apart before), the one stored in NFC is the address's.
func (Store) byEmail(ctx context.Context, q store.DBTX, email string) (Account, string, error) {
	a, hash, err := scanAccount(q.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE email IN ($1, $2)
		ORDER BY CASE WHEN email = $1 THEN 0 ELSE 1 END LIMIT 1`, email, earlierForm(email)))
	if err != nil && !errors.Is(err, errNotFound) {
		return Account{}, "", fmt.Errorf("find account by email: %w", err)
	}
	return a, hash, err
}

// byID returns the account with this id, or errNotFound.
func (st Store) byID(ctx context.Context, q store.DBTX, id int64) (Account, error) {
	a, _, err := st.byIDWithHash(ctx, q, id)
	return a, err
}

// byIDWithHash returns the account with this id and its password hash ("" when it has
// none), or errNotFound.
func (Store) byIDWithHash(ctx context.Context, q store.DBTX, id int64) (Account, string, error) {
	a, hash, err := scanAccount(q.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
	if err != nil && !errors.Is(err, errNotFound) {
		return Account{}, "", fmt.Errorf("find account: %w", err)
	}
	return a, hash, err
}

// setPassword replaces the password hash of account id.
func (Store) setPassword(ctx context.Context, q store.DBTX, id int64, hash string) error {
	return store.ExecOne(ctx, q, "set password", `UPDATE accounts SET password_hash = $1 WHERE id = $2`,
		hash, id)
}

// emailExists reports whether an account already uses email, in its normalised or its
// earlier form.
func (Store) emailExists(ctx context.Context, q store.DBTX, email string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE email IN ($1, $2)`, email, earlierForm(email)).Scan(&n); err != nil {
		return false, fmt.Errorf("check email: %w", err)
	}
	return n > 0, nil
}

// insert adds an account and returns its id. A taken email comes back as a UNIQUE
// violation (see store.IsUniqueViolation).
func (Store) insert(ctx context.Context, q store.DBTX, email string, userHandle []byte, passwordHash string, now time.Time) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx,
		`INSERT INTO accounts (email, user_handle, password_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id`,
		email, userHandle, passwordHash, store.Millis(now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert account: %w", err)
	}
	return id, nil
}
