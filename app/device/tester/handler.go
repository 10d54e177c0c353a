package tester

import (
	"net/http"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

func (s *Service) write(w http.ResponseWriter) {
	httpapi.Write(w, http.StatusOK, struct {
		Tester testerJSON `json:"tester"`
	}{s.state()})
}

// Get serves GET /api/device/tester.
func (s *Service) Get(w http.ResponseWriter, _ *http.Request) error {
	s.write(w)
	return nil
}

// ChooseNext serves POST /api/device/tester/next {"choice"}.
func (s *Service) ChooseNext(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Choice string `json:"choice"`
	}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	if err := s.choose(req.Choice); err != nil {
		return err
	}
	s.write(w)
	return nil
}

// Plug serves POST /api/device/tester/plug {"plugged": bool}.
func (s *Service) Plug(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Plugged *bool `json:"plugged"`
	}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	if req.Plugged == nil {
		return apperr.Invalid(map[string]string{"plugged": "Say whether the virtual key should be in or out"})
	}
	if err := s.plug(*req.Plugged); err != nil {
		return err
	}
	s.write(w)
	return nil
}

// Reset serves POST /api/device/tester/reset {}.
func (s *Service) Reset(w http.ResponseWriter, r *http.Request) error {
	var req struct{}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	if err := s.reset(); err != nil {
		return err
	}
	s.write(w)
	return nil
}
