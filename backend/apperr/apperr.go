// Package apperr holds the one error type that may reach a client: a stable code, an HTTP
// status and a plain-English message in NHS content style. The cause is kept for the log
// and never written to a response.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// E is a client-safe error. Every one the API gives is declared in codes.go; name its
// Template and attach the internal cause with Wrap:
//
//	apperr.AlreadySetUp.Wrap(err)
type E struct {
	Code   string            // stable, machine-readable, e.g. "login_failed"
	Status int               // HTTP status
	Msg    string            // for the person: what happened, what to do
	Fields map[string]string // validation only: input name -> inline message
	// RetryAfter, when positive, is sent as the Retry-After header (whole seconds): how long
	// a refused client should wait (a lockout).
	RetryAfter int
	// Paused and PausedUntil, on a 429, say which way in is paused ("password" or
	// "passkey") and until when, for the page to say so in the person's own time.
	Paused      string
	PausedUntil time.Time

	cause error
}

// Wrap returns a copy of e that carries cause for the log. The receiver is a value so that
// a shared template can never be changed by wrapping it.
func (e E) Wrap(cause error) *E {
	e.cause = cause
	return &e
}

// Error describes the error for logs and tests; it includes the cause and so must never be
// sent to a client (the HTTP edge writes Code and Msg only).
func (e *E) Error() string {
	if e.cause == nil {
		return e.Code
	}
	return fmt.Sprintf("%s: %v", e.Code, e.cause)
}

// Unwrap gives errors.Is/As access to the cause.
func (e *E) Unwrap() error { return e.cause }

// Cause is the internal error attached with Wrap, or nil.
func (e *E) Cause() error { return e.cause }

// As finds the first *E in err's chain.
func As(err error) (*E, bool) {
	var e *E
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

// Invalid is the 422 answer for input that fails validation; fields maps each input name to
// its inline message.
func Invalid(fields map[string]string) *E {
	e := invalidInput.New()
	e.Fields = fields
	return e
}

// The answers below are used by more than one feature (declared in codes.go). They are
// functions, not variables, so no package holds a shared value that could be changed.

// InvalidRequest is the answer for a body that is not one JSON object of the expected shape.
func InvalidRequest(cause error) *E { return invalidRequest.Wrap(cause) }

// TooLarge is the answer for a body over the size cap.
func TooLarge(cause error) *E { return requestTooLarge.Wrap(cause) }

// NotSignedIn is the answer for an action that needs a signed-in account.
func NotSignedIn() *E { return notSignedIn.New() }

// NotFound is the answer for no such API path.
func NotFound() *E { return notFound.New() }

// Internal is the answer for anything unexpected. The cause is logged, never shown.
func Internal(cause error) *E { return internalError.Wrap(cause) }

// StorageUnavailable is the answer when the disk refused a write (full, read-only, failing). The transaction
// was rolled back, so nothing saved before is lost; the person can free space and retry.
func StorageUnavailable(cause error) *E { return storageUnavailable.Wrap(cause) }
