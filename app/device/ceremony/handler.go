package ceremony

// The ceremony endpoints (docs/api.md, "Device endpoints"): thin handlers over the ceremonies
// (ceremony.go), which the Service runs (service.go).

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// Routes are the ceremony endpoints under prefix (app/device.Prefix).
func (s *Service) Routes(prefix string) []httpapi.Route {
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: prefix + "/authenticators", Handle: s.listAuthenticators},
		{Method: http.MethodPost, Pattern: prefix + "/ceremonies", Handle: s.startCeremony},
		{Method: http.MethodGet, Pattern: prefix + "/ceremonies/{id}", Handle: s.getCeremony},
		{Method: http.MethodPost, Pattern: prefix + "/ceremonies/{id}/pin", Handle: s.postPIN},
		{Method: http.MethodPost, Pattern: prefix + "/ceremonies/{id}/cancel", Handle: s.cancelCeremony},
	}
}

// authenticatorJSON is Authenticator (docs/api.md).
type authenticatorJSON struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	PINSet bool   `json:"pinSet"`
	// Unavailable says why it cannot be used now (the phone, when Bluetooth is not available).
	Unavailable *authenticator.Failure `json:"unavailable,omitempty"`
}

// listAuthenticators serves GET /api/device/authenticators.
func (s *Service) listAuthenticators(w http.ResponseWriter, r *http.Request) error {
	// A probe of a key's PIN ends with the request (a closed tab) or with the service
	// (Close lets go of every authenticator), whichever comes first.
	probeCtx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.life, cancel)() //nolint:contextcheck // s.life only adds the service's end; probeCtx is r.Context()'s
	list := []authenticatorJSON{}
	for _, a := range s.set.List() {
		list = append(list, authenticatorJSON{ID: a.ID, Kind: a.Kind, Name: a.Name, PINSet: s.set.PINSet(probeCtx, a, a.Path != "" && s.busyPath() == a.Path)})
	}
	if s.phone != nil {
		list = append(list, s.phoneEntry(r.Context()))
	}
	httpapi.Write(w, http.StatusOK, struct {
		Authenticators []authenticatorJSON `json:"authenticators"`
	}{list})
	return nil
}

func writeCeremony(w http.ResponseWriter, status int, c ceremonyJSON) {
	httpapi.Write(w, status, struct {
		Ceremony ceremonyJSON `json:"ceremony"`
	}{c})
}

// startCeremony serves POST /api/device/ceremonies: 202 with the new ceremony, which runs on
// in the background (Service.start).
func (s *Service) startCeremony(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Kind          string          `json:"kind"`
		Authenticator string          `json:"authenticator"`
		PublicKey     json.RawMessage `json:"publicKey"`
		// Account, for a get, is the email the person typed: on a key holding passkeys of
		// several accounts, that account's is used (webauthnclient GetCall.PreferAccount).
		Account string `json:"account"`
	}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	started, err := s.start(req.Kind, req.Authenticator, req.PublicKey, req.Account)
	if err != nil {
		return err
	}
	writeCeremony(w, http.StatusAccepted, started)
	return nil
}

// ceremonyFrom finds the ceremony named in the path.
func (s *Service) ceremonyFrom(r *http.Request) (*ceremony, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgetLocked()
	c, ok := s.ceremonies[r.PathValue("id")]
	if !ok {
		return nil, apperr.NotFound()
	}
	return c, nil
}

// getCeremony serves GET /api/device/ceremonies/{id}.
func (s *Service) getCeremony(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ceremonyFrom(r)
	if err != nil {
		return err
	}
	writeCeremony(w, http.StatusOK, c.snapshot())
	return nil
}

// postPIN serves POST /api/device/ceremonies/{id}/pin: 202, the ceremony goes on with it.
func (s *Service) postPIN(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ceremonyFrom(r)
	if err != nil {
		return err
	}
	pin, err := readPIN(r)
	if err != nil {
		return err
	}
	if !c.givePIN(pin) { // takes the PIN over (zeroes it if not taken)
		return apperr.DevicePINNotNeeded.New()
	}
	writeCeremony(w, http.StatusAccepted, c.snapshot())
	return nil
}

// cancelCeremony serves POST /api/device/ceremonies/{id}/cancel. A ceremony that has already
// ended is answered as it is.
func (s *Service) cancelCeremony(w http.ResponseWriter, r *http.Request) error {
	c, err := s.ceremonyFrom(r)
	if err != nil {
		return err
	}
	var req struct{}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	c.stop(s.now(), failureFor(c.Kind, context.Canceled))
	writeCeremony(w, http.StatusOK, c.snapshot())
	return nil
}
