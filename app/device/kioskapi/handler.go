package kioskapi

import (
	"net/http"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// State serves GET /api/device/kiosk: {"sessionEnded": null | "key-removed"}, read once.
// It never asks the backend about the session, so the page's polling keeps no session alive.
func (s *Service) State(w http.ResponseWriter, _ *http.Request) error {
	var ended *string
	if reason := s.takeEnded(); reason != "" {
		ended = &reason
	}
	httpapi.Write(w, http.StatusOK, struct {
		SessionEnded *string `json:"sessionEnded"`
	}{ended})
	return nil
}

// Exit serves POST /api/device/kiosk/exit {"secret"}: the administrator leaves kiosk mode,
// which closes the app. A patient cannot: the secret is checked (app/kiosk.Admin, argon2id,
// at most 5 wrong tries in 15 minutes) and a wrong one changes nothing.
func (s *Service) Exit(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Secret string `json:"secret"`
	}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	if req.Secret == "" {
		return apperr.Invalid(map[string]string{"secret": "Enter the administrator secret"})
	}
	if err := s.exit(req.Secret); err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, struct {
		Closing bool `json:"closing"`
	}{true})
	s.quit()
	return nil
}
