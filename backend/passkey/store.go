package passkey

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/nhs-passkeys/companion/backend/reauth"
	"github.com/nhs-passkeys/companion/backend/store"
)

// Store reads and writes the passkeys and ceremonies tables.
type Store struct{}

//nolint:gosec // G101: column names (public_key), not a credential
const passkeyColumns = `id, account_id, credential_id, public_key, aaguid, sign_count, clone_warning,
	user_present, user_verified, backup_eligible, backup_state, transports, attachment,
	attestation_type, attestation_format, name, created_at, last_used_at`

func scanPasskey(row interface{ Scan(...any) error }) (Passkey, error) {
	var (
		p          Passkey
		transports string
		created    int64
		lastUsed   sql.NullInt64
	)
	err := row.Scan(&p.ID, &p.AccountID, &p.CredentialID, &p.PublicKey, &p.AAGUID, &p.SignCount, &p.CloneWarning,
		&p.UserPresent, &p.UserVerified, &p.BackupEligible, &p.BackupState, &transports, &p.Attachment,
		&p.AttestationType, &p.AttestationFormat, &p.Name, &created, &lastUsed)
	if err != nil {
		return Passkey{}, err
	}
	if err := json.Unmarshal([]byte(transports), &p.Transports); err != nil {
		return Passkey{}, fmt.Errorf("passkey %d transports: %w", p.ID, err)
	}
	p.CreatedAt = store.FromMillis(created)
	if lastUsed.Valid {
		t := store.FromMillis(lastUsed.Int64)
		p.LastUsedAt = &t
	}
	return p, nil
}

// listByAccount returns an account's passkeys, oldest first.
func (Store) listByAccount(ctx context.Context, q store.DBTX, accountID int64) ([]Passkey, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE account_id = $1 ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	defer rows.Close()
	out := []Passkey{}
	for rows.Next() {
		p, err := scanPasskey(rows)
		if err != nil {
			return nil, fmt.Errorf("list passkeys: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list passkeys: %w", err)
	}
	return out, nil
}

// accountOfCredential returns the account that owns credentialID; found is false when no
// account does.
func (Store) accountOfCredential(ctx context.Context, q store.DBTX, credentialID []byte) (accountID int64, found bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT account_id FROM passkeys WHERE credential_id = $1`, credentialID).Scan(&accountID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("find passkey: %w", err)
	}
	return accountID, true, nil
}

// byCredentialID returns the passkey with credentialID; found is false when there is none.
func (Store) byCredentialID(ctx context.Context, q store.DBTX, credentialID []byte) (p Passkey, found bool, err error) {
	p, err = scanPasskey(q.QueryRowContext(ctx, `SELECT `+passkeyColumns+` FROM passkeys WHERE credential_id = $1`, credentialID))
	if errors.Is(err, sql.ErrNoRows) {
		return Passkey{}, false, nil
	}
	if err != nil {
		return Passkey{}, false, fmt.Errorf("find passkey: %w", err)
	}
	return p, true, nil
}

// insert adds p and returns its id. A credential ID already registered (to any account)
// comes back as a UNIQUE violation.
func (Store) insert(ctx context.Context, q store.DBTX, p Passkey) (int64, error) {
	transports, err := json.Marshal(p.Transports)
	if err != nil {
		return 0, err
	}
	var id int64
	err = q.QueryRowContext(ctx, `INSERT INTO passkeys (account_id, credential_id, public_key, aaguid, sign_count,
		clone_warning, user_present, user_verified, backup_eligible, backup_state, transports, attachment,
		attestation_type, attestation_format, name, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		p.AccountID, p.CredentialID, p.PublicKey, p.AAGUID, p.SignCount,
		store.Bit(p.CloneWarning), store.Bit(p.UserPresent), store.Bit(p.UserVerified), store.Bit(p.BackupEligible),
		store.Bit(p.BackupState), string(transports), p.Attachment,
		p.AttestationType, p.AttestationFormat, p.Name, store.Millis(p.CreatedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert passkey: %w", err)
	}
	return id, nil
}

// recordUse writes back what a successful login changed: the signature counter, the flags
// (backup state can change, e.g. when a passkey gets synced) and the time of use.
func (Store) recordUse(ctx context.Context, q store.DBTX, credentialID []byte, c *webauthn.Credential, now time.Time) error {
	return store.ExecOne(ctx, q, "update passkey after login", `UPDATE passkeys SET sign_count = $1, user_present = $2, user_verified = $3,
		backup_eligible = $4, backup_state = $5, last_used_at = $6 WHERE credential_id = $7`,
		c.Authenticator.SignCount, store.Bit(c.Flags.UserPresent), store.Bit(c.Flags.UserVerified),
		store.Bit(c.Flags.BackupEligible), store.Bit(c.Flags.BackupState), store.Millis(now), credentialID)
}

// recordUseIf is recordUse for a login checked outside the writer lock: it writes only if
// the stored passkey is still the one seen when the assertion was checked (the same
// account, public key and signature counter, and still not flagged), and reports whether it
// wrote. The check and the write are one statement.
func (Store) recordUseIf(ctx context.Context, q store.DBTX, seen Passkey, c *webauthn.Credential, now time.Time) (bool, error) {
	res, err := q.ExecContext(ctx, `UPDATE passkeys SET sign_count = $1, user_present = $2, user_verified = $3,
		backup_eligible = $4, backup_state = $5, last_used_at = $6
		WHERE credential_id = $7 AND account_id = $8 AND public_key = $9 AND sign_count = $10 AND clone_warning = 0`,
		c.Authenticator.SignCount, store.Bit(c.Flags.UserPresent), store.Bit(c.Flags.UserVerified),
		store.Bit(c.Flags.BackupEligible), store.Bit(c.Flags.BackupState), store.Millis(now),
		seen.CredentialID, seen.AccountID, seen.PublicKey, seen.SignCount)
	if err != nil {
		return false, fmt.Errorf("update passkey after login: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("update passkey after login: rows affected: %w", err)
	}
	return n == 1, nil
}

// rename sets the name of passkey id, if account accountID owns it.
func (Store) rename(ctx context.Context, q store.DBTX, id, accountID int64, name string) error {
	return store.ExecOne(ctx, q, "rename passkey", `UPDATE passkeys SET name = $1 WHERE id = $2 AND account_id = $3`,
		name, id, accountID)
}

// deleteOwned deletes the passkey with credentialID if account accountID owns it, and
// returns it; found is false when the account has no such passkey (someone else's, or none).
func (Store) deleteOwned(ctx context.Context, q store.DBTX, credentialID []byte, accountID int64) (Passkey, bool, error) {
	p, err := scanPasskey(q.QueryRowContext(ctx, `DELETE FROM passkeys WHERE credential_id = $1 AND account_id = $2
		RETURNING `+passkeyColumns, credentialID, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return Passkey{}, false, nil
	}
	if err != nil {
		return Passkey{}, false, fmt.Errorf("delete passkey: %w", err)
	}
	return p, true, nil
}

// flagCloneWarning marks a passkey whose signature counter went backwards.
func (Store) flagCloneWarning(ctx context.Context, q store.DBTX, credentialID []byte) error {
	if _, err := q.ExecContext(ctx, `UPDATE passkeys SET clone_warning = 1 WHERE credential_id = $1`, credentialID); err != nil {
		return fmt.Errorf("flag passkey: %w", err)
	}
	return nil
}

// Ceremony purposes (the ceremonies.purpose CHECK lists the same values).
const (
	purposeRegistration      = "registration"
	purposeLoginEmail        = "login_email"
	purposeLoginDiscoverable = "login_discoverable"
	purposeReauth            = "reauth"
)

// ceremony is the server-side state of one WebAuthn ceremony between begin and finish.
type ceremony struct {
	ID        string
	Purpose   string
	Action    string       // reauth: the action the proof will allow
	AccountID int64        // 0 = none
	SessionID int64        // 0 = none
	Subject   []byte       // login_email: the lockout key of the email typed
	Grant     reauth.Grant // registration: what allowed it (used up at finish)
	Data      webauthn.SessionData
	CreatedAt time.Time
	ExpiresAt time.Time
}

// deleteEnded clears out the open ceremonies expired at now, and the used ones no longer
// remembered (used at or before forgetBefore: usedCeremonyMemory ago), so the table stays
// small. A used ceremony is forgotten usedCeremonyMemory after its use, no sooner than a
// ceremony's whole life, so it has expired by then too: every row to delete is in one range
// of ceremonies_by_expiry.
func (Store) deleteEnded(ctx context.Context, q store.DBTX, now, forgetBefore time.Time) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM ceremonies WHERE expires_at <= $1 AND (used_at IS NULL OR used_at <= $2)`,
		store.Millis(now), store.Millis(forgetBefore)); err != nil {
		return fmt.Errorf("delete ended ceremonies: %w", err)
	}
	return nil
}

// saveCeremony stores c, open.
func (Store) saveCeremony(ctx context.Context, q store.DBTX, c ceremony) error {
	data, err := json.Marshal(c.Data)
	if err != nil {
		return fmt.Errorf("encode ceremony: %w", err)
	}
	_, err = q.ExecContext(ctx, `INSERT INTO ceremonies (id, purpose, action, account_id, session_id, subject, reauth_proof,
		session_data, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.ID, c.Purpose, c.Action, nullID(c.AccountID), nullID(c.SessionID), c.Subject, c.Grant.ProofHash,
		string(data), store.Millis(c.CreatedAt), store.Millis(c.ExpiresAt))
	if err != nil {
		return fmt.Errorf("insert ceremony: %w", err)
	}
	return nil
}

// ceremonyColumns reads a ceremony row (scanCeremony).
const ceremonyColumns = `id, purpose, action, account_id, session_id, subject, reauth_proof, session_data, created_at, expires_at`

func scanCeremony(row interface{ Scan(...any) error }) (c ceremony, found bool, err error) {
	var (
		account, session sql.NullInt64
		data             string
		created, expires int64
	)
	err = row.Scan(&c.ID, &c.Purpose, &c.Action, &account, &session, &c.Subject, &c.Grant.ProofHash, &data, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return ceremony{}, false, nil
	}
	if err != nil {
		return ceremony{}, false, err
	}
	if err := json.Unmarshal([]byte(data), &c.Data); err != nil {
		return ceremony{}, false, fmt.Errorf("decode ceremony: %w", err)
	}
	c.AccountID, c.SessionID = account.Int64, session.Int64
	c.CreatedAt, c.ExpiresAt = store.FromMillis(created), store.FromMillis(expires)
	return c, true, nil
}

// openCeremony returns the open (not yet used) ceremony with id, without consuming it;
// found is false when there is none. An open row changes only when it is consumed
// (useCeremony), so the row read here is the row a later useCeremony consumes, if it
// consumes any.
func (Store) openCeremony(ctx context.Context, q store.DBTX, id string) (c ceremony, found bool, err error) {
	c, found, err = scanCeremony(q.QueryRowContext(ctx, `SELECT `+ceremonyColumns+` FROM ceremonies WHERE id = $1 AND used_at IS NULL`, id))
	if err != nil {
		return ceremony{}, false, fmt.Errorf("read ceremony: %w", err)
	}
	return c, found, nil
}

// useColumns is how a finish consumes an open ceremony: it marks it used (not, or not yet,
// successfully: ceremonySucceeded records a success in the same transaction) and empties
// what only an open ceremony needs (the challenge, the email's lockout key, the proof, the
// action a re-authentication was for), keeping what a second finish's answer needs. Only
// one statement can consume a row (... AND used_at IS NULL), on either engine.
const useColumns = `UPDATE ceremonies SET used_at = $1, session_data = '', subject = NULL, reauth_proof = NULL, action = ''
	WHERE id = $2 AND used_at IS NULL`

// useCeremony consumes the open ceremony with id at now (useColumns); used is false when it
// was not open (another finish consumed it first, or there is none).
func (Store) useCeremony(ctx context.Context, q store.DBTX, id string, now time.Time) (used bool, err error) {
	res, err := q.ExecContext(ctx, useColumns, store.Millis(now), id)
	if err != nil {
		return false, fmt.Errorf("use ceremony: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use ceremony: rows affected: %w", err)
	}
	return n == 1, nil
}

// useLoginCeremony is useCeremony for a login: the same statement reads the end of the
// pause (lockouts row scope, key: see lockout.Limiter.PasskeyPause) still running at now,
// the zero time for none or for a nil key, so that "is this client paused?" costs no
// statement of its own.
func (Store) useLoginCeremony(ctx context.Context, q store.DBTX, id, scope string, key []byte, now time.Time) (used bool, pausedUntil time.Time, err error) {
	var until sql.NullInt64
	err = q.QueryRowContext(ctx, useColumns+`
		RETURNING (SELECT max(until) FROM lockouts WHERE scope = $3 AND key = $4 AND until > $1)`,
		store.Millis(now), id, scope, key).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return false, time.Time{}, nil
	}
	if err != nil {
		return false, time.Time{}, fmt.Errorf("use ceremony: %w", err)
	}
	if until.Valid {
		pausedUntil = store.FromMillis(until.Int64)
	}
	return true, pausedUntil, nil
}

// usedCeremony is what is remembered of a ceremony a finish has used (0008).
type usedCeremony struct {
	Purpose   string
	AccountID int64
	SessionID int64
	Succeeded bool
	UsedAt    time.Time
	ExpiresAt time.Time
}

// ceremonySucceeded records that the finish that used ceremony id succeeded.
func (Store) ceremonySucceeded(ctx context.Context, q store.DBTX, id string) error {
	return store.ExecOne(ctx, q, "remember ceremony outcome", `UPDATE ceremonies SET succeeded = 1 WHERE id = $1`, id)
}

// usedCeremony returns what is remembered of the used ceremony id; found is false when no
// used ceremony has that id.
func (Store) usedCeremony(ctx context.Context, q store.DBTX, id string) (u usedCeremony, found bool, err error) {
	var (
		account, session sql.NullInt64
		used, expires    int64
	)
	err = q.QueryRowContext(ctx, `SELECT purpose, account_id, session_id, succeeded, used_at, expires_at
		FROM ceremonies WHERE id = $1 AND used_at IS NOT NULL`, id).
		Scan(&u.Purpose, &account, &session, &u.Succeeded, &used, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return usedCeremony{}, false, nil
	}
	if err != nil {
		return usedCeremony{}, false, fmt.Errorf("find used ceremony: %w", err)
	}
	u.AccountID, u.SessionID = account.Int64, session.Int64
	u.UsedAt, u.ExpiresAt = store.FromMillis(used), store.FromMillis(expires)
	return u, true, nil
}

// nullID stores 0 as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
