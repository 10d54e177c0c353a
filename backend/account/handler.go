package account

import (
	"net/http"

	"github.com/nhs-passkeys/companion/backend/httpapi"
	"github.com/nhs-passkeys/companion/backend/reauth"
)

// Cookies reads the session token a request came with and sets the new one.
type Cookies interface {
	Token(r *http.Request) string
	SetCookie(w http.ResponseWriter, token string)
}

// Handler serves the account endpoints.
type Handler struct {
	svc     *Service
	cookies Cookies
}

// NewHandler returns the HTTP handlers for svc.
func NewHandler(svc *Service, cookies Cookies) *Handler {
	return &Handler{svc: svc, cookies: cookies}
}

type credentialsRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type accountResponse struct {
	Account Account `json:"account"`
}

// Create serves POST /api/accounts: 201 {"account"} and a session cookie.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) error {
	var req credentialsRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	acct, token, err := h.svc.Create(r.Context(), req.Email, req.Password, h.cookies.Token(r))
	if err != nil {
		return err
	}
	h.cookies.SetCookie(w, token)
	httpapi.Write(w, http.StatusCreated, accountResponse{Account: acct})
	return nil
}

// LoginPassword serves POST /api/login/password: 200 {"account"} and a new session cookie.
func (h *Handler) LoginPassword(w http.ResponseWriter, r *http.Request) error {
	var req credentialsRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	acct, token, err := h.svc.Login(r.Context(), req.Email, req.Password, h.cookies.Token(r), httpapi.ClientAddress(r))
	if err != nil {
		return err
	}
	h.cookies.SetCookie(w, token)
	httpapi.Write(w, http.StatusOK, accountResponse{Account: acct})
	return nil
}

// Reauthenticate serves POST /api/reauth/password {action, password}: 200 {"proof"} and
// the session's new (rotated) cookie.
func (h *Handler) Reauthenticate(w http.ResponseWriter, r *http.Request) error {
	cur, _ := SignedInFrom(r.Context()) // the route requires sign-in (backend/server.go)
	var req struct {
		Action   string `json:"action"`
		Password string `json:"password"`
	}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	action, err := reauth.ParseAction(req.Action)
	if err != nil {
		return err
	}
	proof, token, err := h.svc.Reauthenticate(r.Context(), cur, action, req.Password, httpapi.ClientAddress(r))
	if err != nil {
		return err
	}
	h.cookies.SetCookie(w, token)
	httpapi.Write(w, http.StatusOK, struct {
		Proof string `json:"proof"`
	}{proof})
	return nil
}

// ChangePassword serves POST /api/account/password {newPassword, proof?}: 200 {"account"}.
func (h *Handler) ChangePassword(w http.ResponseWriter, r *http.Request) error {
	cur, _ := SignedInFrom(r.Context()) // the route requires sign-in (backend/server.go)
	var req struct {
		NewPassword string `json:"newPassword"`
		Proof       string `json:"proof"`
	}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	acct, err := h.svc.ChangePassword(r.Context(), cur, req.NewPassword, req.Proof, httpapi.ClientAddress(r))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, accountResponse{Account: acct})
	return nil
}
