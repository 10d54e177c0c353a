// Package audit records what happened to an account (sign-ins, failed logins, lockouts,
// changes to passkeys and the password) so it can be shown to the person later
// (GET /api/activity).
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/nhs-passkeys/companion/backend/store"
)

// Kind names an event. The values are stored and are the "type" of an activity entry in the
// API: never change one.
type Kind string

// The events recorded.
const (
	AccountCreated     Kind = "account_created"
	SignedIn           Kind = "signed_in"       // Method, PasskeyName (passkey logins), Client
	LoginFailed        Kind = "login_failed"    // Method, Client
	LockedOut          Kind = "locked_out"      // too many failed attempts; Client
	Reauthenticated    Kind = "reauthenticated" // Method, PasskeyName, Client
	ReauthFailed       Kind = "reauth_failed"   // Method, Client
	PasskeyAdded       Kind = "passkey_added"   // PasskeyName
	PasskeyRenamed     Kind = "passkey_renamed" // PasskeyName (the new name; Detail holds the old one)
	PasskeyRemoved     Kind = "passkey_removed" // PasskeyName
	PasskeyFlagged     Kind = "passkey_flagged" // PasskeyName: its signature counter went backwards
	PasswordChanged    Kind = "password_changed"
	PasswordSet        Kind = "password_set" // the account had no password before
	SignedOut          Kind = "signed_out"
	SignedOutElsewhere Kind = "signed_out_elsewhere" // "sign out everywhere else"; Detail: how many
)

// Methods of proving who you are.
const (
	MethodPassword = "password"
	MethodPasskey  = "passkey"
)

// Event is one row of audit_events. AccountID is 0 when no known account is involved
// (a failed login with an email we do not know). Detail is internal (never shown), short,
// and never holds a secret or the email address typed: e.g. "wrong password".
// Method, PasskeyName and Client are what the account holder sees.
type Event struct {
	ID          int64
	AccountID   int64
	Kind        Kind
	Detail      string
	Method      string // MethodPassword, MethodPasskey or ""
	PasskeyName string // the passkey's name at the time, or ""
	Client      string // the remote IP address, or ""
	At          time.Time
}

// MarshalJSON writes the API's activity entry (docs/api.md): type, at, and the optional
// passkeyName, method and client. Detail stays internal.
func (e Event) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Type        Kind   `json:"type"`
		At          string `json:"at"`
		PasskeyName string `json:"passkeyName,omitempty"`
		Method      string `json:"method,omitempty"`
		Client      string `json:"client,omitempty"`
	}{e.Kind, e.At.UTC().Format(time.RFC3339), e.PasskeyName, e.Method, e.Client})
}

// Store writes and reads audit_events.
type Store struct {
	clock func() time.Time
}

// NewStore returns a Store that stamps events with clock.
func NewStore(clock func() time.Time) *Store {
	return &Store{clock: clock}
}

// Record writes e (At is set from the clock) through q, so it commits or rolls back with
// the caller's transaction.
func (s *Store) Record(ctx context.Context, q store.DBTX, e Event) error {
	var account any
	if e.AccountID != 0 {
		account = e.AccountID
	}
	_, err := q.ExecContext(ctx,
		`INSERT INTO audit_events (account_id, kind, detail, method, passkey_name, client, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		account, string(e.Kind), e.Detail, e.Method, e.PasskeyName, e.Client, store.Millis(s.clock()))
	if err != nil {
		return fmt.Errorf("record audit event %s: %w", e.Kind, err)
	}
	return nil
}

// List returns the newest limit events of one account, newest first (limit <= 0: all).
func (s *Store) List(ctx context.Context, q store.DBTX, accountID int64, limit int) ([]Event, error) {
	if limit <= 0 {
		// No limit: SQLite's -1 is refused by PostgreSQL and PostgreSQL's NULL by SQLite, so
		// the largest number is the one text for both.
		limit = math.MaxInt64
	}
	rows, err := q.QueryContext(ctx,
		`SELECT id, account_id, kind, detail, method, passkey_name, client, at FROM audit_events
		 WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, accountID, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var (
			e       Event
			account sql.NullInt64
			kind    string
			at      int64
		)
		if err := rows.Scan(&e.ID, &account, &kind, &e.Detail, &e.Method, &e.PasskeyName, &e.Client, &at); err != nil {
			return nil, fmt.Errorf("list audit events: %w", err)
		}
		e.AccountID = account.Int64
		e.Kind = Kind(kind)
		e.At = store.FromMillis(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return out, nil
}
