package httpapi

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/nhs-passkeys/companion/backend/apperr"
)

// The rules every server of the app (the backend's handler, and the desktop shell's device
// endpoints in front of it) applies before anything else reads the request, written once
// here so that `serve` and the desktop app cannot drift apart: Responder.Edge puts them in
// their one order.

// Edge is what differs between the servers that share the edge.
type Edge struct {
	// Hosts are the Host header values answered (OnlyHosts).
	Hosts Hosts
	// Origins are the Origin header values accepted on a state-changing request.
	Origins []string
	// OriginOnReads: every request needs one of Origins, reads included (the desktop's
	// device endpoints drive hardware and hand out credentials; only the app's page may
	// use them at all).
	OriginOnReads bool
	// Headers sets the headers every answer carries (security headers, caching); r is the
	// request answered. Nil sets none.
	Headers func(h http.Header, r *http.Request)
}

// Edge returns next behind the rules every request meets, outermost first: e's headers on
// every answer, the one recover (a panic is logged with its stack and answered 500
// internal_error, its message never sent), a debug-level request log (method, path,
// status, time: never bodies, cookies or queries); then, each before anything reads the
// body or changes anything, another host name (421), another site (403), a body not typed
// JSON (415), a body too large (413).
func (rs *Responder) Edge(e Edge, next http.Handler) http.Handler {
	inner := rs.OnlyHosts(e.Hosts, rs.checkOrigin(e.Origins, e.OriginOnReads, rs.RequireJSON(rs.capBody(next))))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &StatusWriter{ResponseWriter: w}
		if e.Headers != nil {
			e.Headers(sw.Header(), r)
		}
		defer func() {
			if v := recover(); v != nil {
				// net/http's way to abort a response: let the server see it. recover gives the
				// value panic was called with, the sentinel itself, never wrapped (net/http
				// compares it the same way).
				if v == http.ErrAbortHandler { //nolint:errorlint // a recovered panic value, not a returned error
					panic(v)
				}
				rs.log.ErrorContext(r.Context(), "panic serving request", "method", r.Method, "path", r.URL.Path,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if sw.Status == 0 {
					rs.Error(sw, r, apperr.Internal(fmt.Errorf("panic: %v", v)))
				}
			}
			rs.log.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path,
				"status", sw.Status, "duration", time.Since(start))
		}()
		inner.ServeHTTP(sw, r)
	})
}

// stateChanging lists the methods that must carry an allowed Origin.
var stateChanging = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// checkOrigin refuses a state-changing request (every request, with onReads) whose Origin
// header is missing or not one of origins, before anything reads the body: the defence
// against cross-site request forgery (browsers send Origin on every such request, and a
// page cannot forge it; RFC 6454 §7.3). The request must carry exactly one Origin header:
// a browser sends one (RFC 6454 §7.3: "MUST NOT contain more than one"), and with two a
// proxy or another reader may take the other one than Header.Get does, as with two
// Content-Types (RequireJSON).
func (rs *Responder) checkOrigin(origins []string, onReads bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values := r.Header.Values("Origin")
		if onReads || slices.Contains(stateChanging, r.Method) {
			switch origin := r.Header.Get("Origin"); {
			case len(values) > 1:
				rs.Error(w, r, apperr.OriginNotAllowed.Wrap(fmt.Errorf("%d Origin headers not allowed", len(values))))
				return
			case !slices.Contains(origins, origin):
				rs.Error(w, r, apperr.OriginNotAllowed.Wrap(fmt.Errorf("origin %q not allowed", truncate(origin))))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// capBody limits every request body to MaxBody before any handler parses it. A declared
// length over the cap is refused (413 request_too_large) without reading anything.
func (rs *Responder) capBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBody {
			rs.Error(w, r, apperr.TooLarge(fmt.Errorf("Content-Length %d", r.ContentLength)))
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
		}
		next.ServeHTTP(w, r)
	})
}

// Hosts are the Host header values a server answers for.
type Hosts struct {
	names []string // lower case, host or host:port, exactly as a client may write it
}

// defaultPorts are the ports a URL of the scheme has when it names none (RFC 9110 §4.2).
var defaultPorts = map[string]string{"http": "80", "https": "443"}

// HostsOf returns the Host values the origins are reached at: for each scheme://host[:port],
// host:port, and the host alone when the port is the scheme's default (a client may write
// "example.org" or "example.org:443" for https://example.org). A scheme with no default port
// (the desktop webview's wails://) is reached at the host alone.
func HostsOf(origins ...string) (Hosts, error) {
	var h Hosts
	for _, origin := range origins {
		u, err := url.Parse(origin)
		if err != nil || u.Host == "" || u.User != nil || strings.ContainsAny(u.Host, "@/\\") {
			return Hosts{}, fmt.Errorf("origin %q has no host", origin)
		}
		host, port := strings.ToLower(u.Hostname()), u.Port()
		if strings.Contains(host, ":") {
			host = "[" + host + "]" // an IPv6 literal, as the Host header writes it
		}
		def, hasDefault := defaultPorts[strings.ToLower(u.Scheme)]
		switch {
		case port == "" && hasDefault:
			h.add(host, host+":"+def)
		case port == "":
			h.add(host)
		case port == def:
			h.add(host, host+":"+port)
		default:
			h.add(host + ":" + port)
		}
	}
	if len(h.names) == 0 {
		return Hosts{}, errors.New("no origins")
	}
	return h, nil
}

func (h *Hosts) add(names ...string) {
	for _, n := range names {
		if !slices.Contains(h.names, n) {
			h.names = append(h.names, n)
		}
	}
}

// Allows reports whether a request with Host header host is for this server. Only the
// names themselves match, ignoring the case of ASCII letters (RFC 9110 §4.2.3: the host is
// case-insensitive); no other spelling is taken for them: not an IP address of the same
// machine, not a trailing dot ("localhost."), not a port written differently ("0080"), not
// userinfo ("x@localhost"), and not Unicode letters that case-fold to ASCII (the Kelvin
// sign K for "k"), which is why strings.ToLower and strings.EqualFold are not used.
func (h Hosts) Allows(host string) bool {
	return slices.Contains(h.names, asciiLower(host))
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

// OnlyHosts answers 421 misdirected_request, with nothing read or changed, to every request
// (API, page and asset alike) whose Host is not one of hosts. The server listens on
// loopback, and a page on any site can have its own host name resolve to 127.0.0.1 (DNS
// rebinding): the browser then sends that page's requests here as same-origin, with the
// attacker's name in Host, and lets it read the answers. Answering only our own name
// closes that. In the desktop app nothing listens on TCP; the webview's requests carry
// the webview's host (Wails' AssetServer sets Request.Host from the page's URL), which the
// desktop shell passes in its hosts.
func (rs *Responder) OnlyHosts(hosts Hosts, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hosts.Allows(r.Host) {
			rs.Error(w, r, apperr.MisdirectedRequest.Wrap(fmt.Errorf("host %q is not one of %v", truncate(r.Host), hosts.names)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// BodyMethods are the methods whose requests carry a JSON body in this API (docs/api.md:
// DELETE takes one too, `{}` at least).
var BodyMethods = []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// RequireJSON answers 415 unsupported_media_type, before anything reads the body, to a
// POST, PUT, PATCH or DELETE that carries a body (or a Content-Type) not typed
// application/json (RFC 8259 §11), with or without parameters; a charset other than UTF-8
// (RFC 8259 §8.1) is refused too. A body of unknown length (chunked, or the desktop
// webview's, which Wails hands over with ContentLength -1) counts as a body.
//
// Decision: a request with no body at all and no Content-Type has nothing to misread, so
// it passes on to the endpoint, which answers as it does to any wrong request: 400
// invalid_request where the API wants a body (every such endpoint does, `{}` at least),
// 405 for a method the path does not have.
//
// This is also a defence against cross-site request forgery besides the Origin check:
// text/plain, application/x-www-form-urlencoded and multipart/form-data are the types a
// page on another site may POST without a CORS preflight (a "simple request": the Fetch
// standard's CORS-safelisted values of Content-Type), so none of them is ever acted on.
func (rs *Responder) RequireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slices.Contains(BodyMethods, r.Method) && (r.ContentLength != 0 || len(r.Header.Values("Content-Type")) > 0) {
			if err := jsonContentType(r.Header.Values("Content-Type")); err != nil {
				rs.Error(w, r, apperr.UnsupportedMediaType.Wrap(err))
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func jsonContentType(values []string) error {
	if len(values) != 1 {
		return fmt.Errorf("%d Content-Type headers", len(values))
	}
	mediaType, params, err := mime.ParseMediaType(values[0])
	if err != nil {
		return fmt.Errorf("Content-Type %q: %w", truncate(values[0]), err)
	}
	if mediaType != "application/json" {
		return fmt.Errorf("Content-Type %q is not application/json", truncate(mediaType))
	}
	if cs, ok := params["charset"]; ok && asciiLower(cs) != "utf-8" {
		return fmt.Errorf("charset %q is not UTF-8", truncate(cs))
	}
	return nil
}
