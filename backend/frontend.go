package backend

import (
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// LocalConfig is what FrontendWith needs: the desktop app whose relying party is remote
// (app/remoterp) serves the page itself but has no database.
type LocalConfig struct {
	Frontend fs.FS        // the built frontend (contents of frontend/dist)
	Origins  []string     // the page's origins (the webview's): its Host names, and the Origins accepted
	Logger   *slog.Logger // nil = discard
}

// FrontendWith is New's handler without the relying party: the same edge (hosts, origins,
// body cap, security headers on every answer) and the same frontend for every GET outside
// /api, with api answering /api/.... So the page is served from the binary, the same way
// whether the relying party runs in this process or on a fleet's server, and it loads even
// when that server is down.
func FrontendWith(cfg LocalConfig, api http.Handler) (http.Handler, error) {
	hosts, err := httpapi.HostsOf(cfg.Origins...)
	if err != nil {
		return nil, fmt.Errorf("backend: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rs := httpapi.NewResponder(log)
	edge := httpapi.Edge{Hosts: hosts, Origins: cfg.Origins, Headers: securityHeaders}
	return withFrontend(rs, edge, cfg.Frontend, api), nil
}

// withFrontend is the one way the app is served: behind edge (hosts, origins, body cap,
// security headers on every answer), api answers /api/... and frontend every other GET.
// The in-process relying party (New), the desktop app while it starts (Start: api nil, as
// it answers /api/... itself) and the client of a remote one (FrontendWith) all use it, so
// the page is served the same way whichever relying party is behind it.
func withFrontend(rs *httpapi.Responder, edge httpapi.Edge, frontend fs.FS, api http.Handler) http.Handler {
	return rs.Edge(edge, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if api != nil && isAPI(r.URL.Path) {
			api.ServeHTTP(w, r)
			return
		}
		serveFrontend(rs, frontend, w, r)
	}))
}

// serveFrontend answers a GET outside /api with the built asset at that path, or with
// index.html so the app can route on the client. It never redirects.
func serveFrontend(rs *httpapi.Responder, frontend fs.FS, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		rs.Error(w, r, httpapi.MethodNotAllowed())
		return
	}
	if frontend == nil {
		rs.Error(w, r, apperr.NotFound())
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" || !fs.ValidPath(name) {
		name = "index.html"
	}
	if info, err := fs.Stat(frontend, name); err != nil || info.IsDir() {
		name = "index.html"
	}
	if name == "index.html" {
		// The page names hashed assets; always check for a new one.
		w.Header().Set("Cache-Control", "no-cache")
	}
	f, err := frontend.Open(name)
	if err != nil {
		rs.Error(w, r, apperr.NotFound())
		return
	}
	defer f.Close()
	content, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			rs.Error(w, r, fmt.Errorf("read %s: %w", name, err))
			return
		}
		content = strings.NewReader(string(b))
	}
	// A zero modification time: no Last-Modified, so no 304 (we never answer 3xx).
	http.ServeContent(w, r, name, time.Time{}, content)
}
