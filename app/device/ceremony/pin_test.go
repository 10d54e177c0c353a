//go:build cgo && !windows

package ceremony

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/backend/apperr"
)

func TestReadPINDecodesTheJSONStringIntoBytes(t *testing.T) {
	tests := []struct {
		body string
		want string
	}{
		{`{"pin":"482913"}`, "482913"},
		{` {"pin" : "4829\u0031\u0033"} `, "482913"},
		{`{"pin":"p\"in\\\/\b\f\n\r\t"}`, "p\"in\\/\b\f\n\r\t"},
		{`{"pin":"caf\u00e9 \ud83d\ude00"}`, "café 😀"},
		{`{"pin":"café"}`, "café"},
	}
	for _, tt := range tests {
		r := httptest.NewRequestWithContext(t.Context(), "POST", "/api/device/ceremonies/x/pin", strings.NewReader(tt.body))
		got, err := readPIN(r)
		if err != nil || string(got) != tt.want {
			t.Errorf("readPIN(%s) = %q, %v; want %q", tt.body, got, err, tt.want)
		}
	}
}

func TestReadPINRefusesWhatIsNotOnePIN(t *testing.T) {
	tests := []struct {
		body string
		code string
	}{
		{``, "invalid_request"},
		{`[]`, "invalid_request"},
		{`{"pin":"1234"`, "invalid_request"},
		{`{"pin":null}`, "invalid_request"},
		{`{"pin":["1234"]}`, "invalid_request"},
		{`{"pin":"\udc00"}`, "invalid_request"},
		{`{"pin":"\ud800x"}`, "invalid_request"},
		{"{\"pin\":\"\xff\"}", "invalid_request"},
		{`{"pin":"1234","other":1}`, "invalid_request"},
		// A repeated member: which PIN was meant? (httpapi.CheckJSON)
		{`{"pin":"wrong","pin":"482913"}`, "invalid_request"},
		{`{"pin":"wrong","PIN":"482913"}`, "invalid_request"},
		{`{"PIN":"482913"}`, "invalid_request"},
		{`{"pin":""}`, "invalid_input"},
		{`{}`, "invalid_input"},
		{`{"pin":"` + strings.Repeat("1", 70<<10) + `"}`, "request_too_large"},
	}
	for _, tt := range tests {
		r := httptest.NewRequestWithContext(t.Context(), "POST", "/api/device/ceremonies/x/pin", strings.NewReader(tt.body))
		got, err := readPIN(r)
		e, ok := apperr.As(err)
		if !ok || e.Code != tt.code || got != nil {
			t.Errorf("readPIN(%.40s) = %q, %v; want %s", tt.body, got, err, tt.code)
			continue
		}
		// The log gets the cause: it never holds the body.
		if strings.Contains(err.Error(), "1234") {
			t.Errorf("the error quotes the PIN: %v", err)
		}
	}
}

func TestAPINTheCeremonyDoesNotTakeIsZeroed(t *testing.T) {
	job, err := authenticator.NewJob(authenticator.KindGet, authenticator.StateTouch)
	if err != nil {
		t.Fatal(err)
	}
	c := &ceremony{Job: job, pins: make(chan []byte, 1)}
	p := []byte("482913")
	if c.givePIN(p) {
		t.Fatal("a ceremony waiting for a touch took a PIN")
	}
	if !bytes.Equal(p, make([]byte, 6)) {
		t.Errorf("the refused PIN was not zeroed: %q", p)
	}

	c.Update(func(state *string) { *state = authenticator.StatePINNeeded })
	p = []byte("482913")
	if !c.givePIN(p) || c.State() != authenticator.StateWorking {
		t.Fatal("a ceremony waiting for the PIN did not take it")
	}
	c.dropPIN() // the ceremony ended before using it
	if !bytes.Equal(p, make([]byte, 6)) {
		t.Errorf("the unused PIN was not zeroed: %q", p)
	}
}

// A new PIN that passes the check every key shares (CheckPIN: 4 characters) can still be
// under a key's own minPINLength (CTAP 2.1 §6.4); the key's refusal says its minimum.
func TestAKeysRefusalOfANewPINSaysTheKeysMinimum(t *testing.T) {
	got := failureFor(authenticator.KindCreate, &pinPolicyError{minLength: 6, err: fido2.ErrPINPolicy})
	want := authenticator.Failure{Code: authenticator.CodePINPolicy, Message: "Your security key did not accept that PIN. It needs a PIN of at least 6 characters."}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := failureFor(authenticator.KindCreate, fido2.ErrPINPolicy); got.Code != authenticator.CodePINPolicy {
		t.Errorf("a policy refusal without the minimum: %+v", got)
	}
}
