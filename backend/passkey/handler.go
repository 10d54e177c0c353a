package passkey

import (
	"encoding/json"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/httpapi"
	"github.com/nhs-passkeys/companion/backend/session"
)

// Cookies reads the session token a request came with and sets the new one.
type Cookies interface {
	Token(r *http.Request) string
	SetCookie(w http.ResponseWriter, token string)
}

// Handler serves the passkey endpoints.
type Handler struct {
	svc     *Service
	cookies Cookies
}

// NewHandler returns the HTTP handlers for svc.
func NewHandler(svc *Service, cookies Cookies) *Handler {
	return &Handler{svc: svc, cookies: cookies}
}

type finishRequest struct {
	Ceremony   string          `json:"ceremony"`
	Credential json.RawMessage `json:"credential"` // PublicKeyCredential.toJSON(), parsed by go-webauthn
}

type creationResponse struct {
	Ceremony  string                                      `json:"ceremony"`
	PublicKey protocol.PublicKeyCredentialCreationOptions `json:"publicKey"`
}

type requestResponse struct {
	Ceremony  string                                     `json:"ceremony"`
	PublicKey protocol.PublicKeyCredentialRequestOptions `json:"publicKey"`
}

// List serves GET /api/passkeys.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) error {
	acct, ok := session.AccountFrom(r.Context())
	if !ok {
		return apperr.NotSignedIn()
	}
	passkeys, err := h.svc.List(r.Context(), acct.ID)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, struct {
		Passkeys []Passkey `json:"passkeys"`
	}{passkeys})
	return nil
}

// RegisterBegin serves POST /api/passkeys/register/begin.
func (h *Handler) RegisterBegin(w http.ResponseWriter, r *http.Request) error {
	acct, ok := session.AccountFrom(r.Context())
	if !ok {
		return apperr.NotSignedIn()
	}
	var req struct{}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	id, options, err := h.svc.BeginRegistration(r.Context(), acct)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, creationResponse{Ceremony: id, PublicKey: options})
	return nil
}

// RegisterFinish serves POST /api/passkeys/register/finish: 201 {"passkey"}.
func (h *Handler) RegisterFinish(w http.ResponseWriter, r *http.Request) error {
	acct, ok := session.AccountFrom(r.Context())
	if !ok {
		return apperr.NotSignedIn()
	}
	var req finishRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	p, err := h.svc.FinishRegistration(r.Context(), acct, req.Ceremony, req.Credential)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, struct {
		Passkey Passkey `json:"passkey"`
	}{p})
	return nil
}

// LoginBegin serves POST /api/login/passkey/begin. The email may be omitted or "" for a
// discoverable login.
func (h *Handler) LoginBegin(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Email string `json:"email"`
	}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	id, options, err := h.svc.BeginLogin(r.Context(), req.Email)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, requestResponse{Ceremony: id, PublicKey: options})
	return nil
}

// LoginFinish serves POST /api/login/passkey/finish: 200 {"account"} and a new session cookie.
func (h *Handler) LoginFinish(w http.ResponseWriter, r *http.Request) error {
	var req finishRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	acct, token, err := h.svc.FinishLogin(r.Context(), h.cookies.Token(r), req.Ceremony, req.Credential)
	if err != nil {
		return err
	}
	h.cookies.SetCookie(w, token)
	httpapi.Write(w, http.StatusOK, struct {
		Account account.Account `json:"account"`
	}{acct})
	return nil
}
