package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/nhs-passkeys/companion/app/device/account"
	"github.com/nhs-passkeys/companion/app/device/kioskapi"
	"github.com/nhs-passkeys/companion/app/webauthnclient"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// Prefix is where the device endpoints live.
const Prefix = "/api/device"

func (s *Service) routes(backend http.Handler) []httpapi.Route {
	return append([]httpapi.Route{
		{Method: http.MethodGet, Pattern: Prefix + "/authenticators", Handle: s.listAuthenticators},
		{Method: http.MethodPost, Pattern: Prefix + "/ceremonies", Handle: s.startCeremony},
		{Method: http.MethodGet, Pattern: Prefix + "/ceremonies/{id}", Handle: s.getCeremony},
		{Method: http.MethodPost, Pattern: Prefix + "/ceremonies/{id}/pin", Handle: s.postPIN},
		{Method: http.MethodPost, Pattern: Prefix + "/ceremonies/{id}/cancel", Handle: s.cancelCeremony},
	}, slices.Concat(s.keyRoutes(backend), s.testerRoutes(), s.kioskRoutes(), s.platformPasskeyRoutes())...)
}

// platformPasskeyRoutes are Windows Hello's passkeys (app/device/winhello): only where there
// is a Windows Hello store to manage, and never in kiosk mode.
func (s *Service) platformPasskeyRoutes() []httpapi.Route {
	if s.hello == nil {
		return nil
	}
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: Prefix + "/platform-passkeys", Handle: s.hello.List, SignedIn: true},
		{Method: http.MethodDelete, Pattern: Prefix + "/platform-passkeys/{credentialId}", Handle: s.hello.Delete, SignedIn: true},
	}
}

// kioskRoutes are kiosk mode's endpoints (app/device/kioskapi): only in kiosk mode.
func (s *Service) kioskRoutes() []httpapi.Route {
	if s.kiosk == nil {
		return nil
	}
	return []httpapi.Route{
		{Method: http.MethodGet, Pattern: Prefix + "/kiosk", Handle: s.kiosk.State},
		{Method: http.MethodPost, Pattern: Prefix + "/kiosk/exit", Handle: s.kiosk.Exit},
	}
}

// Wrap returns next with the device endpoints in front of it: requests under /api/device
// are answered here, through the same edge as the backend's (httpapi.Edge: another host
// name 421, another origin 403, reads included here, a body not typed JSON 415, a body too
// large 413, the one recover); everything else goes to next unchanged.
func (s *Service) Wrap(next http.Handler) http.Handler {
	device := s.responder.Edge(httpapi.Edge{Hosts: s.hosts, Origins: s.origins, OriginOnReads: true, Headers: deviceHeaders},
		s.responder.Mount(Prefix, s.routes(next), account.SignIn(next), nil))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; p == Prefix || strings.HasPrefix(p, Prefix+"/") {
			device.ServeHTTP(w, r)
			return
		}
		if s.kiosk != nil && kioskapi.EndsVisit(r) {
			rec := &httpapi.StatusWriter{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			s.kiosk.VisitEnded(rec.Status)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// deviceHeaders are on every answer of the device endpoints (which do not pass through the
// backend's edge): never cached, never sniffed, never framed, no content of their own.
func deviceHeaders(h http.Header, _ *http.Request) {
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
}

// authenticatorJSON is Authenticator (docs/api.md).
type authenticatorJSON struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	PINSet bool   `json:"pinSet"`
	// Unavailable says why it cannot be used now (the phone, when Bluetooth is not available).
	Unavailable *failure `json:"unavailable,omitempty"`
}

// listAuthenticators serves GET /api/device/authenticators.
func (s *Service) listAuthenticators(w http.ResponseWriter, r *http.Request) error {
	list := []authenticatorJSON{}
	for _, a := range s.authenticators() {
		list = append(list, authenticatorJSON{ID: a.id, Kind: a.kind, Name: a.name, PINSet: s.pinSetOf(a)})
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
// in the background. A ceremony still running is cancelled first (one at a time).
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
	var (
		prepared call
		err      error
	)
	switch req.Kind {
	case kindCreate:
		prepared, err = s.client.PrepareCreate(req.PublicKey)
	case kindGet:
		var get *webauthnclient.GetCall
		if get, err = s.client.PrepareGet(req.PublicKey); err == nil {
			get.PreferAccount(req.Account)
			prepared = get
		}
	default:
		return apperr.InvalidRequest(fmt.Errorf("kind %q", req.Kind))
	}
	if err != nil {
		// The options come from the backend's begin endpoint; ones this client refuses
		// (malformed, an RP ID that is not the origin's, no ES256) are a bad request.
		return apperr.InvalidRequest(err)
	}
	phone := s.phoneOffered(req.Authenticator)
	if !phone && !s.known(req.Authenticator) {
		return apperr.InvalidRequest(fmt.Errorf("authenticator %q is not one of this app's", req.Authenticator))
	}
	id, err := newCeremonyID()
	if err != nil {
		return fmt.Errorf("ceremony id: %w", err)
	}

	timeout := s.maxTimeout
	if t := prepared.Timeout(); t > 0 && t < timeout {
		timeout = t // the RP's hint (WebAuthn L3 §5.1.3 step 11)
	}
	c := &ceremony{
		id: id, kind: req.Kind, want: req.Authenticator, call: prepared,
		pins: make(chan []byte, 1), finished: make(chan struct{}),
		state: stateWorking, retriesLeft: -1,
	}
	if !phone {
		if _, ok := s.find(req.Authenticator); !ok {
			c.state = stateInsertKey
		}
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return apperr.Internal(errors.New("device service closed"))
	}
	s.forgetLocked()
	prev := s.current
	if prev != nil {
		prev.stop(s.now(), failureFor(prev.kind, context.Canceled))
	}
	ctx, cancel := context.WithTimeout(s.life, timeout)
	c.cancel = cancel
	s.current = c
	s.lease.ceremonyStarted(c.finished)
	s.ceremonies[id] = c
	s.running.Add(1)
	s.mu.Unlock()

	// One thing at a time: a key job (a fingerprint, a reset) stops, and key operations let
	// go of their keys, before the ceremony opens one (keys.go).
	s.yield()
	// The answer is the ceremony as it starts: once its goroutine runs, it may already be
	// further on (pin-needed) by the time a snapshot taken afterwards is written.
	started := c.snapshot()
	go s.run(ctx, c, prev)
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
		return &apperr.E{Code: "pin_not_needed", Status: http.StatusConflict,
			Msg: "Your security key is not waiting for a PIN. Go back and try again."}
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
	c.stop(s.now(), failureFor(c.kind, context.Canceled))
	writeCeremony(w, http.StatusOK, c.snapshot())
	return nil
}

// forgetLocked drops ceremonies that ended more than forgetAfter ago, and the oldest ended
// ones beyond keepEnded. Called with s.mu held.
func (s *Service) forgetLocked() {
	now := s.now()
	var ended []*ceremony
	for id, c := range s.ceremonies {
		done, at := c.ended()
		switch {
		case !done:
		case now.Sub(at) >= forgetAfter:
			delete(s.ceremonies, id)
		default:
			ended = append(ended, c)
		}
	}
	if len(ended) > keepEnded {
		slices.SortFunc(ended, func(a, b *ceremony) int {
			_, ta := a.ended()
			_, tb := b.ended()
			return ta.Compare(tb)
		})
		for _, c := range ended[:len(ended)-keepEnded] {
			delete(s.ceremonies, c.id)
		}
	}
}

var _ call = (*webauthnclient.CreateCall)(nil)
var _ call = (*webauthnclient.GetCall)(nil)
