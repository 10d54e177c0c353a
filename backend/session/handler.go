package session

import (
	"net/http"

	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// Handler serves GET /api/session, POST /api/logout and POST /api/sessions/others/logout.
type Handler struct {
	sessions *Service
}

// NewHandler returns the session endpoints.
func NewHandler(sessions *Service) *Handler {
	return &Handler{sessions: sessions}
}

type stateResponse struct {
	SignedIn bool             `json:"signedIn"`
	Account  *account.Account `json:"account,omitempty"`
}

// State serves GET /api/session.
func (h *Handler) State(w http.ResponseWriter, r *http.Request) error {
	acct, ok := AccountFrom(r.Context())
	if !ok {
		httpapi.Write(w, http.StatusOK, stateResponse{})
		return nil
	}
	httpapi.Write(w, http.StatusOK, stateResponse{SignedIn: true, Account: &acct})
	return nil
}

// Logout serves POST /api/logout: the session row is deleted and the cookie cleared. It
// answers the same when there was no session.
func (h *Handler) Logout(w http.ResponseWriter, r *http.Request) error {
	var req struct{}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	if err := h.sessions.End(r.Context(), h.sessions.Token(r)); err != nil {
		return err
	}
	h.sessions.ClearCookie(w)
	httpapi.Write(w, http.StatusOK, stateResponse{})
	return nil
}

// LogoutOthers serves POST /api/sessions/others/logout ("sign out everywhere else"): every
// other session of the account is deleted; this one stays. 200 {"signedOut": n}.
func (h *Handler) LogoutOthers(w http.ResponseWriter, r *http.Request) error {
	cur, _ := CurrentFrom(r.Context()) // the route requires sign-in (backend/server.go)
	var req struct{}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	n, err := h.sessions.SignOutEverywhereElse(r.Context(), cur.SessionID, cur.Account.ID, httpapi.ClientAddress(r))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, struct {
		SignedOut int64 `json:"signedOut"`
	}{n})
	return nil
}
