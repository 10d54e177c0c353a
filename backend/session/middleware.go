package session

import (
	"context"
	"net/http"

	"github.com/nhs-passkeys/companion/backend/account"
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
		sessionID, accountID, found, err := m.sessions.Resolve(r.Context(), token)
		if err != nil {
			m.errors.Error(w, r, err)
			return
		}
		var acct account.Account
		if found {
			acct, found, err = m.accounts.ByID(r.Context(), accountID)
			if err != nil {
				m.errors.Error(w, r, err)
				return
			}
		}
		if !found {
			next.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r.WithContext(account.WithSignedIn(r.Context(), account.SignedIn{SessionID: sessionID, Account: acct})))
	})
}
