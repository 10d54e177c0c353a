// Package httpapi is the JSON edge of the API: strict request decoding, response writing,
// and the one place where an error becomes an HTTP answer (and its cause a log line).
package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/store"
)

// MaxBody is the largest request body accepted, in bytes (docs/api.md: 64 KiB).
const MaxBody = 64 << 10

// HandlerFunc is an API handler that returns its error rather than writing it, so every
// error goes through Responder.Error and no handler writes an error body of its own.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Responder turns handler errors into JSON answers and logs their causes.
type Responder struct {
	log *slog.Logger
}

// NewResponder returns a Responder that logs to log.
func NewResponder(log *slog.Logger) *Responder {
	return &Responder{log: log}
}

// Handle adapts fn to http.Handler.
func (rs *Responder) Handle(fn HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			rs.Error(w, r, err)
		}
	})
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code        string            `json:"code"`
	Message     string            `json:"message"`
	Fields      map[string]string `json:"fields,omitempty"`
	Paused      string            `json:"paused,omitempty"`
	PausedUntil string            `json:"pausedUntil,omitempty"` // RFC 3339, UTC
}

// Error writes err as {"error": {...}}. Only an *apperr.E's code, message and fields reach
// the client; anything else becomes a 500 internal_error. The cause goes to the log.
func (rs *Responder) Error(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := apperr.As(err)
	switch {
	case (!ok || e.Status >= 500) && store.IsDiskFailure(err):
		e = apperr.StorageUnavailable(err)
	case !ok:
		e = apperr.Internal(err)
	}
	attrs := []any{"code", e.Code, "status", e.Status, "method", r.Method, "path", r.URL.Path}
	if cause := e.Cause(); cause != nil {
		attrs = append(attrs, "cause", cause.Error())
	}
	switch {
	case e.Status >= 500:
		rs.log.ErrorContext(r.Context(), "request failed", attrs...)
	case e.Cause() != nil:
		rs.log.InfoContext(r.Context(), "request refused", attrs...)
	default:
		rs.log.DebugContext(r.Context(), "request refused", attrs...)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	detail := errorDetail{Code: e.Code, Message: e.Msg, Fields: e.Fields, Paused: e.Paused}
	if !e.PausedUntil.IsZero() {
		detail.PausedUntil = e.PausedUntil.UTC().Format(time.RFC3339)
	}
	Write(w, e.Status, errorBody{Error: detail})
}

// Write sends v as JSON with status.
func Write(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Our response types always marshal; if one ever does not, say so plainly.
		status = http.StatusInternalServerError
		body = []byte(`{"error":{"code":"internal_error","message":"Sorry, there is a problem with the service. Try again later."}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// readError is the answer to a body that could not be read: over the server's cap
// (http.MaxBytesReader) or cut off.
func readError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return apperr.TooLarge(err)
	}
	return apperr.InvalidRequest(fmt.Errorf("read body: %w", err))
}

// Decode reads the body as exactly one JSON object into v, refusing unknown fields and
// trailing data (400 invalid_request) and bodies over MaxBody (413 request_too_large), and
// everything CheckJSON refuses: a name given twice, a name in the wrong case, invalid UTF-8
// or a lone surrogate in a string. The server also caps the body with http.MaxBytesReader
// before any handler runs, and refuses a body that is not typed application/json
// (RequireJSON); the limit here keeps Decode safe on its own.
func Decode(r *http.Request, v any) error {
	if r.Body == nil {
		return apperr.InvalidRequest(errors.New("no body"))
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return readError(err)
	}
	if len(body) > MaxBody {
		return apperr.TooLarge(fmt.Errorf("body over %d bytes", MaxBody))
	}
	if err := CheckJSON(body, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apperr.InvalidRequest(fmt.Errorf("decode body: %w", err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apperr.InvalidRequest(errors.New("body has data after the JSON object"))
	}
	return nil
}

// CheckJSON refuses body unless it is exactly one JSON object that means one thing when
// read into v (a pointer to the request's type, or nil for any object): no name twice in an
// object at any depth, no name that matches one of v's fields only when case is ignored,
// only valid UTF-8 and no lone surrogates in strings (strict.go says why). A refusal is
// 400 invalid_request, or 422 invalid_input naming the field when the unreadable text is
// the value of one of v's top-level text fields. It copies no string value out of body,
// so a caller that must wipe a PIN after reading can use it (app/device).
func CheckJSON(body []byte, v any) error {
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		return apperr.InvalidRequest(errors.New("body is not a JSON object"))
	}
	if !json.Valid(body) {
		return apperr.InvalidRequest(errors.New("decode body: not one valid JSON object"))
	}
	return checkStrict(body, v)
}

// ClientAddress is the remote IP address of r ("" when there is none, as for requests the
// desktop shell hands over in process). It identifies the client for rate limiting and is
// shown to the account holder in their activity. It reads no forwarding header itself: behind
// a reverse proxy, TrustedProxies.Wrap has already put the forwarded client's address in
// RemoteAddr, and only for the proxies named.
func ClientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	// netip, not net.ParseIP: a link-local IPv6 peer's address carries its zone
	// ("fe80::1%eth0"), which net.ParseIP refuses, and such a client would have been ""
	// (the desktop app's own client). The zone only names our network interface.
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	return ip.WithZone("").Unmap().String()
}
