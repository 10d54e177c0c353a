package passkey

import (
	"encoding/json"
	"net/http"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/httpapi"
	"github.com/nhs-passkeys/companion/backend/reauth"
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

type passkeysResponse struct {
	Passkeys []Passkey `json:"passkeys"`
}

type passkeyResponse struct {
	Passkey Passkey `json:"passkey"`
}

// signedIn is who is signed in: the routes that call it require sign-in
// (httpapi.Route.SignedIn, backend/server.go), so there always is someone.
func signedIn(r *http.Request) account.SignedIn {
	cur, _ := session.CurrentFrom(r.Context())
	return cur
}

// List serves GET /api/passkeys.
func (h *Handler) List(w http.ResponseWriter, r *http.Request) error {
	cur := signedIn(r)
	passkeys, err := h.svc.List(r.Context(), cur.Account.ID)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, passkeysResponse{passkeys})
	return nil
}

// RegisterBegin serves POST /api/passkeys/register/begin {proof?}.
func (h *Handler) RegisterBegin(w http.ResponseWriter, r *http.Request) error {
	cur := signedIn(r)
	var req struct {
		Proof string `json:"proof"`
	}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	id, options, err := h.svc.BeginRegistration(r.Context(), cur, req.Proof)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, creationResponse{Ceremony: id, PublicKey: options})
	return nil
}

// RegisterFinish serves POST /api/passkeys/register/finish: 201 {"passkey"}.
func (h *Handler) RegisterFinish(w http.ResponseWriter, r *http.Request) error {
	cur := signedIn(r)
	var req finishRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	p, err := h.svc.FinishRegistration(r.Context(), cur, req.Ceremony, req.Credential)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusCreated, passkeyResponse{p})
	return nil
}

// Rename serves PATCH /api/passkeys/{id} {name, proof?}: 200 {"passkey"}.
func (h *Handler) Rename(w http.ResponseWriter, r *http.Request) error {
	cur := signedIn(r)
	var req struct {
		Name  string `json:"name"`
		Proof string `json:"proof"`
	}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	p, err := h.svc.Rename(r.Context(), cur, r.PathValue("id"), req.Name, req.Proof)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, passkeyResponse{p})
	return nil
}

// Remove serves DELETE /api/passkeys/{id} {proof?}: 200 {"passkeys"} (the ones left).
func (h *Handler) Remove(w http.ResponseWriter, r *http.Request) error {
	cur := signedIn(r)
	var req struct {
		Proof string `json:"proof"`
	}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	left, err := h.svc.Remove(r.Context(), cur, r.PathValue("id"), req.Proof)
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, passkeysResponse{left})
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
	id, options, err := h.svc.BeginLogin(r.Context(), req.Email, httpapi.ClientAddress(r))
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
	acct, token, err := h.svc.FinishLogin(r.Context(), h.cookies.Token(r), req.Ceremony, req.Credential, httpapi.ClientAddress(r))
	if err != nil {
		return err
	}
	h.cookies.SetCookie(w, token)
	httpapi.Write(w, http.StatusOK, struct {
		Account account.Account `json:"account"`
	}{acct})
	return nil
}

// ReauthBegin serves POST /api/reauth/passkey/begin {action}: 200 {ceremony, publicKey}.
func (h *Handler) ReauthBegin(w http.ResponseWriter, r *http.Request) error {
	cur := signedIn(r)
	var req struct {
		Action string `json:"action"`
	}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	action, err := reauth.ParseAction(req.Action)
	if err != nil {
		return err
	}
	id, options, err := h.svc.BeginReauth(r.Context(), cur, action, httpapi.ClientAddress(r))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, requestResponse{Ceremony: id, PublicKey: options})
	return nil
}

// ReauthFinish serves POST /api/reauth/passkey/finish {ceremony, credential}: 200 {"proof"}
// and the session's new (rotated) cookie.
func (h *Handler) ReauthFinish(w http.ResponseWriter, r *http.Request) error {
	cur := signedIn(r)
	var req finishRequest
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	proof, token, err := h.svc.FinishReauth(r.Context(), cur, req.Ceremony, req.Credential, httpapi.ClientAddress(r))
	if err != nil {
		return err
	}
	h.cookies.SetCookie(w, token)
	httpapi.Write(w, http.StatusOK, struct {
		Proof string `json:"proof"`
	}{proof})
	return nil
}
