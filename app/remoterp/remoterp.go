// Package remoterp makes the desktop app a client of a remote relying party: a fleet's
// `serve` (README, "Fleets"), named by --relying-party or the administrator's settings file.
// The app then has no database at all. Its handler serves the page from the binary, answers
// GET /api/config itself, and forwards every other /api/... call of the page to the relying
// party, as a reverse proxy that is the client: the page's Origin becomes the relying
// party's, and the session cookie stays in the shell's jar (app/sessionjar wraps this
// handler in app/desktop, so no Set-Cookie reaches the page and the page's own Cookie is
// never sent on). The device endpoints (app/device) sit in front of it as they do in front
// of the in-process backend, with the relying party's origin in their clientDataJSON.
package remoterp

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"mime"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/httpapi"
	"github.com/nhs-passkeys/companion/backend/session"
	"github.com/nhs-passkeys/companion/internal/adminfile"
)

// Time limits of one forwarded call. The relying party's slowest answer is a password check
// (argon2id, well under a second); a server that has not answered by then is down or
// overloaded, and the page says so (relying_party_unreachable) rather than leave a patient
// looking at a spinner. Connection refused and unknown names fail at once.
const (
	dialTimeout           = 5 * time.Second  // a host that drops packets (firewall, wrong address)
	tlsHandshakeTimeout   = 5 * time.Second  // a server that accepts but never speaks TLS
	responseHeaderTimeout = 20 * time.Second // a server that takes the request but does not answer
)

// forwardedHeaders are the only request headers sent on: what the API reads (docs/api.md;
// Session-Peek asks about the session without it counting as activity).
// Everything else the webview adds (Referer, Sec-Fetch-*, the webview's User-Agent, a
// forwarding header a page could not set anyway) stays here: the relying party needs none of
// it, and the shell, not the webview, is its client.
var forwardedHeaders = [...]string{"Accept", "Content-Type", "Cookie", "Origin", session.PeekHeader}

// Config is what New needs.
type Config struct {
	// Address is the relying party's origin (ParseAddress checks it).
	Address string
	// CAFile, if set, is a PEM file of certificate authorities trusted besides the system's
	// roots: a fleet whose server's certificate comes from the organisation's own CA.
	CAFile string
	// PageOrigins are the origins the page is served from (the webview's): a request that
	// carries one of them is sent on with the relying party's origin instead.
	PageOrigins []string
	// Frontend is the built frontend, served from the binary.
	Frontend fs.FS
	// Kiosk, System: what GET /api/config reports about this app (backend.Config's fields of
	// the same names).
	Kiosk  bool
	System string
	// Logger receives why a call could not be forwarded (never a cookie or a body).
	Logger *slog.Logger
	// IdleTimeout, if not zero, is the shell's own idle timeout (kiosk mode's idleTimeout,
	// --idle-timeout): a session unused for longer is ended here even if the relying party
	// would keep it (session.go).
	IdleTimeout time.Duration
	// Now is the clock of IdleTimeout; nil means time.Now. Tests pass their own.
	Now func() time.Time
	// Timeout, if not zero, is how long a call may wait for the relying party's answer
	// (and, when shorter than their own limits, to connect and finish TLS). Zero means
	// responseHeaderTimeout. Tests shorten it.
	Timeout time.Duration
}

// Client is the desktop app's side of a remote relying party.
type Client struct {
	origin    string
	transport *http.Transport
	handler   http.Handler
	log       *slog.Logger
	idle      *idleLimit
}

// userAgent is the shell's, on every request to the relying party.
const userAgent = "nhs-passkeys-desktop"

// New checks cfg and builds the handler. It does not contact the relying party: the app
// starts, and shows its page, whether or not the server is up.
func New(cfg Config) (*Client, error) {
	origin, err := ParseAddress(cfg.Address)
	if err != nil {
		return nil, err
	}
	roots, err := trustedRoots(cfg.CAFile)
	if err != nil {
		return nil, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	target, err := url.Parse(origin)
	if err != nil {
		return nil, fmt.Errorf("relying party: %w", err)
	}
	answer := cmp.Or(cfg.Timeout, responseHeaderTimeout)
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: min(dialTimeout, answer), KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   min(tlsHandshakeTimeout, answer),
		ResponseHeaderTimeout: answer,
		ForceAttemptHTTP2:     true,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
	}
	rs := httpapi.NewResponder(logger)
	pageOrigins := slices.Clone(cfg.PageOrigins)
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	c := &Client{origin: origin, transport: transport, log: logger, idle: &idleLimit{limit: cfg.IdleTimeout, now: now}}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target) // the relying party's scheme, host and Host header; path and query kept
			out := http.Header{}
			for _, name := range forwardedHeaders {
				if v := pr.In.Header.Values(name); len(v) > 0 {
					out[name] = slices.Clone(v)
				}
			}
			// The shell is the client of the relying party, which accepts state-changing
			// requests only from its own origin (RFC 6454 §7.3; httpapi's checkOrigin). The
			// page's own origin becomes the relying party's; any other Origin is sent as it
			// came, so the relying party refuses it as it would from a browser.
			if slices.Contains(pageOrigins, out.Get("Origin")) {
				out.Set("Origin", origin)
			}
			out.Set("User-Agent", userAgent)
			pr.Out.Header = out
		},
		Transport: transport,
		ModifyResponse: func(res *http.Response) error {
			if err := fromTheAPI(res); err != nil {
				return err // ErrorHandler: relying_party_unreachable
			}
			if err := readWhole(res, answer); err != nil {
				return err // ErrorHandler: relying_party_unreachable
			}
			c.idle.lower(res.Header)
			if ended, _ := res.Request.Context().Value(idleEnded{}).(bool); ended {
				// The shell ended the session (it went idle) before forwarding the request:
				// the answer that goes on tells the jar so. Set here, on the final answer,
				// since ReverseProxy empties the answer's headers after an interim one (a
				// 103 from a proxy in front of the fleet).
				clearSession(res.Header)
			}
			if res.StatusCode >= 500 && res.Request != nil && res.Request.URL.Path == "/api/logout" && res.Request.Header.Get("Cookie") != "" {
				// The relying party failed the logout, so the session may still be alive there:
				// fail closed, as when it cannot be reached (ErrorHandler; session.go). A refusal
				// (4xx) is not a failure, and ends nothing.
				clearSession(res.Header)
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if local, ok := r.Context().Value(edgeHeaders{}).(http.Header); ok {
				maps.Copy(w.Header(), local)
			}
			ended, _ := r.Context().Value(idleEnded{}).(bool)
			if ended || (r.URL.Path == "/api/logout" && r.Header.Get("Cookie") != "") {
				// Fail closed (session.go): the session is forgotten here though the
				// relying party could not be told.
				clearSession(w.Header())
			}
			rs.Error(w, r, apperr.RelyingPartyUnreachable.Wrap(unreachable(origin, r, err)))
		},
		// The relying party's Set-Cookie passes to the jar that wraps this handler, which
		// keeps it and takes it out of the answer (app/sessionjar): nothing to change here.
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/config":
			config(cfg, target.Hostname(), rs, w, r)
		case strings.HasPrefix(r.URL.Path, "/api/device/"):
			// The shell's own endpoints (app/device) answer these in front of this handler;
			// one they did not answer does not exist, and is not the relying party's either.
			rs.Error(w, r, apperr.NotFound())
		default:
			// The relying party's answer carries its own security and caching headers (the
			// same code sets them there): the edge's here would be sent twice. They are put
			// back if no answer comes.
			local := w.Header().Clone()
			clear(w.Header())
			ctx := context.WithValue(r.Context(), edgeHeaders{}, local)
			if c.idle.check(r) {
				c.endIdleSession(r.Context(), r.Header.Get("Cookie"))
				r = r.Clone(r.Context())
				r.Header.Del("Cookie") // sent on signed out: the session has ended
				ctx = context.WithValue(ctx, idleEnded{}, true)
			}
			proxy.ServeHTTP(finalOnly{w}, r.WithContext(ctx))
		}
	})
	if c.handler, err = backend.FrontendWith(backend.LocalConfig{Frontend: cfg.Frontend, Origins: pageOrigins, Logger: logger}, api); err != nil {
		return nil, err
	}
	return c, nil
}

// finalOnly passes on only the relying party's final answer. ReverseProxy passes an interim
// one (1xx: 103 Early Hints from a CDN or proxy in front of a fleet, 100 Continue) on as it
// came, but the webview's writers (Wails') take the first status written as the final one:
// the page would get 103 with the real answer's body, and the hint's headers (a cookie among
// them) past the session jar, which acts on the final answer only. ReverseProxy clears the
// header map after a 1xx, so the hint's headers go nowhere.
type finalOnly struct{ http.ResponseWriter }

func (w finalOnly) WriteHeader(code int) {
	if code >= 100 && code < 200 {
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController (ReverseProxy's flushes) reach the writer beneath.
func (w finalOnly) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// edgeHeaders is the context key of the headers the local edge had set on an answer that is
// being forwarded.
type edgeHeaders struct{}

// idleEnded is the context key that marks a request whose session the shell has just ended
// (it went idle): its answer, or the error in its place, tells the jar to forget it.
type idleEnded struct{}

// Origin is the relying party's origin: the origin the native client writes into
// clientDataJSON (WebAuthn L3 §5.8.1, CollectedClientData.origin).
func (c *Client) Origin() string { return c.origin }

// Handler serves the page and the API. Wrap it in the session jar (app/desktop does).
func (c *Client) Handler() http.Handler { return c.handler }

// Close drops the idle connections to the relying party.
func (c *Client) Close() { c.transport.CloseIdleConnections() }

// config answers GET /api/config here rather than forwarding it. Its fields describe the
// app the page runs in, not the server: "ceremonies" is "device" because the webview has no
// WebAuthn and the shell's native client runs the ceremonies (the remote `serve` says
// "browser", which is right for a browser and wrong here); "kiosk" and "system" are this
// computer's. Only "rpId" is the server's, and it is the host name of its origin (WebAuthn
// L3 §5.1.2), known without asking. Answered here, the page learns how to run even while the
// server is down, and then shows relying_party_unreachable on its first real call.
func config(cfg Config, rpID string, rs *httpapi.Responder, w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET")
		rs.Error(w, r, httpapi.MethodNotAllowed())
		return
	}
	httpapi.Write(w, http.StatusOK, struct {
		Ceremonies string `json:"ceremonies"`
		RPID       string `json:"rpId"`
		Kiosk      bool   `json:"kiosk"`
		System     string `json:"system,omitempty"`
		// IdleTimeout: backend's GET /api/config has the same field; the kiosk's idle
		// timeout is the shell's own here (Config.IdleTimeout).
		IdleTimeout int64 `json:"idleTimeout,omitempty"`
	}{"device", rpID, cfg.Kiosk, cfg.System, kioskIdleSeconds(cfg)})
}

// kioskIdleSeconds is GET /api/config's idleTimeout: the shell's idle timeout in whole
// seconds in kiosk mode, else 0 (left out).
func kioskIdleSeconds(cfg Config) int64 {
	if !cfg.Kiosk {
		return 0
	}
	return int64(cfg.IdleTimeout / time.Second)
}

// fromTheAPI says whether res is the relying party's API answering. Every answer of the
// API, success or refusal, is JSON (httpapi.Write; docs/api.md), so an answer that is not is
// someone else's: the fleet's TLS proxy saying 502, 503 or 504 because no replica is up, a
// captive portal, a load balancer's maintenance page. Passed on, the page could only say
// "there is a problem with the service" on every click; treated as no answer, the start page
// says the patient cannot log in here at the moment and what to do instead. Its headers
// (a Set-Cookie, say) are not kept either. Nor does the API ever redirect (docs/api.md), so a
// 3xx, JSON or not, is someone else's answer too.
func fromTheAPI(res *http.Response) error {
	if res.StatusCode >= 300 && res.StatusCode < 400 {
		return fmt.Errorf("the answer (status %d) is a redirect, which is not the relying party's API: a proxy in front of it?", res.StatusCode)
	}
	media, _, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if err != nil || media != "application/json" {
		return fmt.Errorf("the answer (status %d, Content-Type %q) is not the relying party's API: a proxy in front of it, with no server behind?",
			res.StatusCode, res.Header.Get("Content-Type"))
	}
	return nil
}

// maxAnswer bounds an API answer read from the relying party: its largest (a list of
// passkeys or of recent activity) is a few KiB.
const maxAnswer = 1 << 20

// readWhole reads res's whole body within limit and gives it back to the proxy from memory.
// ResponseHeaderTimeout ends only the wait for the headers: a server that sent them and then
// stopped (or trickles the body a byte at a time) would otherwise hold the page's request,
// and the patient's spinner, for as long as the connection lives. Read first, such an answer
// is no answer (relying_party_unreachable), rather than half of one passed to the page. An
// answer over maxAnswer is not the API's either.
func readWhole(res *http.Response, limit time.Duration) error {
	if res.Request != nil && res.Request.Method == http.MethodHead {
		return nil // no body, and its Content-Length is the GET's
	}
	from := res.Body // the timer's own copy: res.Body is replaced below
	// Closing the body ends a Read that is waiting for the server.
	timer := time.AfterFunc(limit, func() { from.Close() })
	body, err := io.ReadAll(io.LimitReader(from, maxAnswer+1))
	late := !timer.Stop() // the timer closed it: what was read may end early without an error
	from.Close()
	switch {
	case late:
		return fmt.Errorf("the answer (status %d) did not arrive whole within %v: timeout", res.StatusCode, limit)
	case err != nil:
		return fmt.Errorf("read the answer (status %d): %w", res.StatusCode, err)
	case len(body) > maxAnswer:
		return fmt.Errorf("the answer (status %d) is over %d bytes: not the relying party's API", res.StatusCode, maxAnswer)
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	res.ContentLength = int64(len(body))
	res.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return nil
}

// unreachable is the cause logged for a call that got no answer: the relying party, the
// path and the network's reason, never the query, a header or the body.
func unreachable(origin string, r *http.Request, err error) error {
	err = sanitise(err)
	if r.Context().Err() != nil {
		return fmt.Errorf("%s %s%s: the page stopped waiting: %w", r.Method, origin, r.URL.Path, err)
	}
	return fmt.Errorf("%s %s%s: no answer from the relying party: %w", r.Method, origin, r.URL.Path, err)
}

// sanitise drops the URL a *url.Error repeats (with its query) and keeps its reason.
func sanitise(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// trustedRoots is the system's certificate roots plus those in caFile, if any.
func trustedRoots(caFile string) (*x509.CertPool, error) {
	roots, err := x509.SystemCertPool()
	if err != nil {
		// Windows before Go 1.18 and some minimal systems have none to read; the CA file
		// may still name the fleet's.
		roots = x509.NewCertPool()
	}
	if caFile == "" {
		return roots, nil
	}
	raw, err := readCAFile(caFile)
	if err != nil {
		return nil, err
	}
	added := 0
	for block, rest := pem.Decode(raw); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, &SetupError{Code: CAInvalid, Msg: fmt.Sprintf("the relying party's CA file %s holds a certificate that cannot be read: give the CA's certificate in PEM form (-----BEGIN CERTIFICATE-----)", caFile), Err: err}
		}
		roots.AddCert(cert)
		added++
	}
	if added == 0 {
		return nil, &SetupError{Code: CAInvalid, Msg: fmt.Sprintf("the relying party's CA file %s holds no certificate: give the CA's certificate in PEM form (-----BEGIN CERTIFICATE-----)", caFile)}
	}
	return roots, nil
}

// readCAFile reads caFile, which only its owner may be able to change (internal/adminfile):
// it decides which servers the app believes to be the relying party.
func readCAFile(caFile string) ([]byte, error) {
	raw, err := adminfile.Read(caFile, maxCAFile)
	var unsafe *adminfile.UnsafeError
	switch {
	case errors.As(err, &unsafe):
		return nil, &SetupError{Code: CAInvalid, Msg: fmt.Sprintf("the relying party's CA file %s %s", caFile, unsafe.Problem), Err: err}
	case errors.Is(err, adminfile.ErrTooLarge):
		return nil, &SetupError{Code: CAInvalid, Msg: fmt.Sprintf("the relying party's CA file %s is over %d bytes: give only the CA's certificate, in PEM form", caFile, maxCAFile), Err: err}
	case err != nil:
		return nil, &SetupError{Code: CAInvalid, Msg: fmt.Sprintf("the relying party's CA file %s cannot be read: %v", caFile, cmp.Or(errors.Unwrap(err), err)), Err: err}
	}
	return raw, nil
}

// maxCAFile bounds the CA file: a whole system bundle is about 200 KiB.
const maxCAFile = 4 << 20
