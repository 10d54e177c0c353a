// Package activity shows the account holder what happened to their account: sign-ins (how,
// with which passkey, from where), failed attempts, lockouts, and changes to passkeys and the
// password, from the audit trail.
package activity

import (
	"context"
	"database/sql"
	"net/http"

	"github.com/nhs-passkeys/companion/backend/audit"
	"github.com/nhs-passkeys/companion/backend/httpapi"
	"github.com/nhs-passkeys/companion/backend/session"
	"github.com/nhs-passkeys/companion/backend/store"
)

// Limit is how many events GET /api/activity returns: the newest.
const Limit = 50

// Events lists an account's audit events.
type Events interface {
	List(ctx context.Context, q store.DBTX, accountID int64, limit int) ([]audit.Event, error)
}

// Handler serves GET /api/activity.
type Handler struct {
	db     *sql.DB
	events Events
}

// NewHandler returns the handler.
func NewHandler(db *sql.DB, events Events) *Handler {
	return &Handler{db: db, events: events}
}

// List serves GET /api/activity: 200 {"events": [{"type", "at", "passkeyName"?, "method"?,
// "client"?}]}, newest first, the last Limit. Internal details never leave (audit.Event's
// MarshalJSON).
func (h *Handler) List(w http.ResponseWriter, r *http.Request) error {
	acct, _ := session.AccountFrom(r.Context()) // the route requires sign-in (backend/server.go)
	events, err := h.events.List(r.Context(), h.db, acct.ID, Limit)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, struct {
		Events []audit.Event `json:"events"`
	}{events})
	return nil
}
