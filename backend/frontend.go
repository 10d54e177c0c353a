package backend

import (
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
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
		if info, err := fs.Stat(frontend, name+".gz"); err == nil && !info.IsDir() {
			serveGzipped(rs, frontend, name, w, r)
			return
		}
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

// serveGzipped answers a GET for name with the asset the build stored gzipped as name.gz
// (frontend/scripts/compress-dist.mjs: scripts, styles and SVG images, which makes the
// program about 350 KB smaller), decompressed as it is sent. Every client gets the asset as
// Vite built it: Wails' WebKitGTK scheme handler, for one, does not decode a
// Content-Encoding. Streaming keeps the decompressed copy out of memory; the names carry a
// content hash, so the answer needs no validators or ranges.
func serveGzipped(rs *httpapi.Responder, frontend fs.FS, name string, w http.ResponseWriter, r *http.Request) {
	f, err := frontend.Open(name + ".gz")
	if err != nil {
		rs.Error(w, r, apperr.NotFound())
		return
	}
	defer f.Close()
	size, err := gzipSize(f)
	if err != nil {
		rs.Error(w, r, fmt.Errorf("read %s.gz: %w", name, err))
		return
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		rs.Error(w, r, fmt.Errorf("read %s.gz: %w", name, err))
		return
	}
	defer zr.Close()
	w.Header().Set("Content-Type", mime.TypeByExtension(path.Ext(name)))
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	// The status is sent: an error here can only end the answer short. No more than the
	// stated size is ever decompressed.
	_, _ = io.Copy(w, io.LimitReader(zr, size))
}

// gzipSize is the decompressed size a gzip file states in its last four bytes (RFC 1952
// §2.3.1, ISIZE: the size modulo 2^32, exact for any asset under 4 GiB). The file must be
// readable at an offset, as embed's, os.DirFS's and fstest's files are.
func gzipSize(f fs.File) (int64, error) {
	at, ok := f.(io.ReaderAt)
	if !ok {
		return 0, errors.New("cannot be read at an offset")
	}
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	var trailer [4]byte
	if _, err := at.ReadAt(trailer[:], info.Size()-int64(len(trailer))); err != nil {
		return 0, fmt.Errorf("gzip trailer: %w", err)
	}
	return int64(binary.LittleEndian.Uint32(trailer[:])), nil
}
