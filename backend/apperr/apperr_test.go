package apperr_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nhs-passkeys/companion/backend/apperr"
)

func TestWrapKeepsTheTemplateAndTheCause(t *testing.T) {
	template := apperr.E{Code: "login_failed", Status: 401, Msg: "The email address or password is not correct."}
	cause := errors.New("wrong password for account 7")
	err := fmt.Errorf("login: %w", template.Wrap(cause))

	e, ok := apperr.As(err)
	// Identity, not errors.Is: Cause must give back the very error Wrap was given.
	if !ok || e.Code != "login_failed" || e.Status != 401 || e.Cause() != cause { //nolint:errorlint // identity is the assertion
		t.Fatalf("As(%v) = %+v, %v", err, e, ok)
	}
	if !errors.Is(err, cause) {
		t.Errorf("the cause is not reachable with errors.Is")
	}
	if template.Cause() != nil {
		t.Errorf("wrapping changed the template")
	}
	if _, ok := apperr.As(errors.New("plain")); ok {
		t.Errorf("a plain error was taken for a client-safe one")
	}
	if got := apperr.Invalid(map[string]string{"email": "Enter your email address"}); got.Code != "invalid_input" || got.Status != 422 {
		t.Errorf("Invalid = %+v", got)
	}
}
