package session

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/apperr"
)

// Accounts loads the account of a session.
type Accounts interface {
	ByID(ctx context.Context, id int64) (account.Account, bool, error)
}

// ErrorWriter writes an error answer (the API's one error edge).
type ErrorWriter interface {
	Error(w http.ResponseWriter, r *http.Request, err error)
}

// Middleware puts the signed-in account, if any, into the request context.
type Middleware struct {
	sessions *Service
	accounts Accounts
	errors   ErrorWriter
}

// NewMiddleware returns the middleware.
func NewMiddleware(sessions *Service, accounts Accounts, errors ErrorWriter) *Middleware {
	return &Middleware{sessions: sessions, accounts: accounts, errors: errors}
}

// AccountFrom returns the signed-in account of the request context.
func AccountFrom(ctx context.Context) (account.Account, bool) {
	cur, ok := account.SignedInFrom(ctx)
	return cur.Account, ok
}

// CurrentFrom returns the signed-in account and its session of the request context.
func CurrentFrom(ctx context.Context) (account.SignedIn, bool) {
	return account.SignedInFrom(ctx)
}

// RequireSignIn is the API's sign-in check (httpapi.SignIn) for the routes marked SignedIn:
// 401 not_signed_in unless Wrap found a live session. The handlers of those routes read who
// is signed in with CurrentFrom and need not check again.
func RequireSignIn(r *http.Request) (*http.Request, error) {
	if _, ok := CurrentFrom(r.Context()); !ok {
		return nil, apperr.NotSignedIn()
	}
	return r, nil
}

// Headers that tell the page how long the session has left, in whole seconds, on every
// answer to a request made with a live session. The page warns before the session ends and
// offers to extend it (WCAG 2.2 success criterion 2.2.1, Timing Adjustable); an answer
// without them means the request was signed out.
const (
	// IdleEndsInHeader: seconds until the idle timeout ends the session unless it is used.
	IdleEndsInHeader = "Session-Idle-Ends-In"
	// EndsInHeader: seconds until the absolute timeout ends it whatever happens.
	EndsInHeader = "Session-Ends-In"
	// PeekHeader, "1" on a GET, asks about the session without it counting as activity.
	PeekHeader = "Session-Peek"
)

// Wrap resolves the session cookie before next runs. A cookie for no live session leaves
// the request signed out. The stale cookie is not cleared here: a login answering the same
// request sets the new one, and two Set-Cookie lines for one name would depend on order.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := m.sessions.Token(r)
		if token == "" {
			next.ServeHTTP(w, r)
			return
		}
		resolve := m.sessions.Resolve
		if r.Method == http.MethodGet && r.Header.Get(PeekHeader) == "1" {
			resolve = m.sessions.Peek
		}
		live, found, err := resolve(r.Context(), token)
		if err != nil {
			m.errors.Error(w, r, err)
			return
		}
		var acct account.Account
		if found {
			acct, found, err = m.accounts.ByID(r.Context(), live.AccountID)
			if err != nil {
				m.errors.Error(w, r, err)
				return
			}
		}
		if !found {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set(IdleEndsInHeader, seconds(live.IdleLeft))
		w.Header().Set(EndsInHeader, seconds(live.Left))
		next.ServeHTTP(w, r.WithContext(account.WithSignedIn(r.Context(), account.SignedIn{SessionID: live.ID, Account: acct})))
	})
}

// seconds rounds down, so the page never believes it has longer than it has.
func seconds(d time.Duration) string {
	return strconv.FormatInt(max(int64(d/time.Second), 0), 10)
}
