package httpapi

import (
	"net/http"
	"path"
	"strings"

	"github.com/nhs-passkeys/companion/backend/apperr"
)

// Route is one API endpoint, declared in its feature's route table.
type Route struct {
	Method  string // GET, POST, PATCH or DELETE (a GET route answers HEAD too)
	Pattern string // an http.ServeMux pattern path: {name} matches one non-empty segment
	Handle  HandlerFunc
	// SignedIn: the endpoint needs a signed-in person. The mount's SignIn runs before Handle
	// and answers for everyone else (401 not_signed_in), before the body is read; so the rule
	// sits on the route, not in each handler (pocket-id attaches its auth middleware per route).
	SignedIn bool
}

// SignIn is a mount's sign-in check for the routes that need one: the request to hand on
// (carrying who is signed in, for the handler to read), or the refusal (apperr.NotSignedIn).
type SignIn func(r *http.Request) (*http.Request, error)

// Mount serves routes under prefix (e.g. "/api"): each route by its method and pattern; a
// path under prefix that fits no route is 404 not_found, or 405 method_not_allowed with
// Allow when it fits routes of other methods (RFC 9110 §15.5.6). signIn guards the routes
// marked SignedIn; it may be nil only when none is. around, if not nil, wraps the routes
// (the backend's session middleware) but not the answer to a path that is not clean, which
// reaches nothing. Mount answers no path outside prefix.
func (rs *Responder) Mount(prefix string, routes []Route, signIn SignIn, around func(http.Handler) http.Handler) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		h := rt.Handle
		if rt.SignedIn {
			if signIn == nil {
				panic("httpapi: route " + rt.Method + " " + rt.Pattern + " needs sign-in, and the mount has no SignIn")
			}
			h = signedIn(signIn, h)
		}
		mux.Handle(rt.Method+" "+rt.Pattern, rs.Handle(h))
	}
	unknown := rs.Handle(noRoute(routes))
	// Registering the prefix itself too stops ServeMux from redirecting it to prefix+"/".
	mux.Handle(prefix+"/", unknown)
	mux.Handle(prefix, unknown)
	var served http.Handler = mux
	if around != nil {
		served = around(mux)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// ServeMux would answer a path that is not clean (//, /./, /../) with a 301; the API
		// never answers 3xx (the desktop webview follows no redirect), so such a path is
		// simply not found.
		if p := r.URL.Path; p != path.Clean(p) {
			rs.Error(w, r, apperr.NotFound())
			return
		}
		served.ServeHTTP(w, r)
	})
}

// signedIn runs h only for a signed-in person.
func signedIn(check SignIn, h HandlerFunc) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		r, err := check(r)
		if err != nil {
			return err
		}
		return h(w, r)
	}
}

// noRoute answers paths that match no route: 405 with Allow (the methods in the table's
// order) when the path exists for another method, 404 not_found otherwise.
func noRoute(routes []Route) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var allowed []string
		for _, rt := range routes {
			if pathMatches(rt.Pattern, r.URL.Path) {
				allowed = append(allowed, rt.Method)
				if rt.Method == http.MethodGet {
					allowed = append(allowed, http.MethodHead)
				}
			}
		}
		if len(allowed) == 0 {
			return apperr.NotFound()
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		return MethodNotAllowed()
	}
}

// pathMatches reports whether path fits pattern, where a {name} segment matches any one
// non-empty segment (as in http.ServeMux patterns).
func pathMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		wildcard := strings.HasPrefix(ps[i], "{") && strings.HasSuffix(ps[i], "}")
		if (wildcard && xs[i] == "") || (!wildcard && ps[i] != xs[i]) {
			return false
		}
	}
	return true
}

// MethodNotAllowed is the 405 answer; the caller sets Allow.
func MethodNotAllowed() *apperr.E {
	return apperr.MethodNotAllowed.New()
}
