package backend

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/backend/httpapi"
)

func TestAPanicBecomesA500WithoutItsMessage(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s := &Server{log: log, responder: httpapi.NewResponder(log)}
	h := s.edge(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("database password is hunter2")
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/session", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), `"code":"internal_error"`) {
		t.Errorf("answer = %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "hunter2") {
		t.Errorf("the panic message reached the client")
	}
	if !strings.Contains(logs.String(), "panic serving request") {
		t.Errorf("the panic was not logged")
	}
}

func TestHandlersSeeABodyCappedAt64KiB(t *testing.T) {
	s := &Server{log: slog.New(slog.DiscardHandler), responder: httpapi.NewResponder(slog.New(slog.DiscardHandler))}
	var readErr error
	h := s.capBody(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, readErr = io.ReadAll(r.Body)
	}))
	req := httptest.NewRequest(http.MethodPost, "/api/accounts", strings.NewReader(strings.Repeat("x", httpapi.MaxBody+1)))
	req.ContentLength = -1 // unknown length: only the reader can stop it
	h.ServeHTTP(httptest.NewRecorder(), req)
	var tooLarge *http.MaxBytesError
	if !errors.As(readErr, &tooLarge) || tooLarge.Limit != httpapi.MaxBody {
		t.Errorf("reading past the cap gave %v, want an http.MaxBytesError at %d", readErr, httpapi.MaxBody)
	}
}
