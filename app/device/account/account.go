// Package account is the signed-in account as the backend's own API tells it, for the device
// endpoints that join what a device holds with it (app/device/keys, app/device/winhello). It
// builds on every system. The backend stays the only judge of sessions and passkeys:
// nothing here reads its database.
package account

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// Passkey is the part of the API's Passkey (docs/api.md) the device endpoints use. Its ID
// is the credential ID, base64url.
type Passkey struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	AAGUID   string `json:"aaguid"`
	StoredOn string `json:"storedOn"`
	Flagged  bool   `json:"flagged"`
}

// View is the signed-in account, or SignedIn false.
type View struct {
	SignedIn    bool
	Email       string
	HasPassword bool
	Passkeys    []Passkey
}

// Of asks the backend, in process and with the request's own session cookie, who is
// signed in (GET /api/session) and with which passkeys (GET /api/passkeys). The backend
// stays the only judge of sessions and passkeys; nothing here reads its database.
func Of(r *http.Request, backend http.Handler) (View, error) {
	var session struct {
		SignedIn bool `json:"signedIn"`
		Account  struct {
			Email       string `json:"email"`
			HasPassword bool   `json:"hasPassword"`
		} `json:"account"`
	}
	if err := askBackend(r, backend, "/api/session", &session); err != nil {
		return View{}, err
	}
	if !session.SignedIn {
		return View{}, nil
	}
	var list struct {
		Passkeys []Passkey `json:"passkeys"`
	}
	if err := askBackend(r, backend, "/api/passkeys", &list); err != nil {
		return View{}, err
	}
	return View{SignedIn: true, Email: session.Account.Email, HasPassword: session.Account.HasPassword,
		Passkeys: list.Passkeys}, nil
}

type contextKey struct{}

// SignIn is the device endpoints' sign-in check (httpapi.SignIn) for the routes marked
// SignedIn: 401 not_signed_in unless the backend says someone is signed in; the account it
// tells goes into the request's context for the handler (From).
func SignIn(backend http.Handler) httpapi.SignIn {
	return func(r *http.Request) (*http.Request, error) {
		acct, err := Of(r, backend)
		if err != nil {
			return nil, fmt.Errorf("account: %w", err)
		}
		if !acct.SignedIn {
			return nil, apperr.NotSignedIn()
		}
		return r.WithContext(context.WithValue(r.Context(), contextKey{}, acct)), nil
	}
}

// From is the signed-in account SignIn found: the routes that call it require sign-in.
func From(ctx context.Context) View {
	acct, _ := ctx.Value(contextKey{}).(View)
	return acct
}

// askBackend GETs path from the backend's handler as the page's request r would, and decodes
// the 200 answer into v. A 401 is "not signed in" (the session ended in between).
func askBackend(r *http.Request, backend http.Handler, path string, v any) error {
	sub, err := http.NewRequestWithContext(r.Context(), http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	sub.Host = r.Host
	sub.RemoteAddr = r.RemoteAddr
	for _, c := range r.Header.Values("Cookie") {
		sub.Header.Add("Cookie", c)
	}
	sub.Header.Set("Accept", "application/json")
	var rec httpapi.Recorder
	backend.ServeHTTP(&rec, sub)
	switch rec.Status {
	case http.StatusOK:
	case http.StatusUnauthorized:
		return apperr.NotSignedIn()
	default:
		return fmt.Errorf("GET %s: status %d", path, rec.Status)
	}
	if err := json.Unmarshal(rec.Body, v); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

// Relations of a passkey on a device to the signed-in account ("nhsLogin" in KeyPasskey and
// PlatformPasskey).
const (
	InUse        = "in-use"        // the account's passkey, and the account accepts it
	Leftover     = "leftover"      // for this account, but the account no longer accepts it
	OtherAccount = "other-account" // for NHS login, another account (another user name)
	Unknown      = "unknown"       // for NHS login, but nobody is signed in to compare
)

// Relation is how a passkey of this RP stands with the signed-in account (in-use, leftover
// or other-account), for security keys and Windows Hello alike. GET /api/passkeys gives the
// account's credential IDs, so the match is exact; one it does not list is the account's
// leftover when its user name is the account's email (the RP's user.name,
// backend/passkey), another account's otherwise. A flagged passkey no longer logs in:
// leftover.
func Relation(id []byte, userName string, acct View) string {
	want := base64.RawURLEncoding.EncodeToString(id)
	for _, p := range acct.Passkeys {
		if p.ID == want {
			if p.Flagged {
				return Leftover
			}
			return InUse
		}
	}
	if strings.EqualFold(userName, acct.Email) {
		return Leftover
	}
	return OtherAccount
}

// KeepsAnotherWayIn tells whether the account can still log in without the passkeys in
// gone (credential IDs, base64url): with its password, or a usable passkey not in gone.
func KeepsAnotherWayIn(acct View, gone map[string]bool) bool {
	if acct.HasPassword {
		return true
	}
	for _, p := range acct.Passkeys {
		if !p.Flagged && !gone[p.ID] {
			return true
		}
	}
	return false
}
