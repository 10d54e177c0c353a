package winhello

import (
	"net/http"

	"github.com/nhs-passkeys/companion/app/device/account"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// List serves GET /api/device/platform-passkeys?credentialId=... (a signed-in route).
func (s *Service) List(w http.ResponseWriter, r *http.Request) error {
	id, err := credentialID(r.URL.Query().Get("credentialId"))
	if err != nil {
		return err
	}
	answer, err := s.look(id, account.From(r.Context()))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, answer)
	return nil
}

// Delete serves DELETE /api/device/platform-passkeys/{credentialId} {} (a signed-in route):
// 200 with what is left under that ID.
func (s *Service) Delete(w http.ResponseWriter, r *http.Request) error {
	id, err := credentialID(r.PathValue("credentialId"))
	if err != nil {
		return err
	}
	var body struct{}
	if err := httpapi.Decode(r, &body); err != nil {
		return err
	}
	answer, err := s.delete(id, account.From(r.Context()))
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, answer)
	return nil
}
