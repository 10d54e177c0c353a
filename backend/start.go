package backend

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/httpapi"
	"github.com/nhs-passkeys/companion/backend/store"
)

// Starting is a Server being built in the background (Start), for the desktop app: its
// window's first page needs only the frontend's files, so opening the database, migrating
// it and building the services run beside GTK's and WebKit's start-up instead of before it
// (issue #21, item 2).
type Starting struct {
	static http.Handler // the frontend's files, behind the same edge as the server's
	api    *httpapi.Responder
	locked chan struct{} // closed once the data folder is locked, or New has returned
	done   chan struct{} // closed once New has returned; then srv or err is set
	srv    *Server
	err    error
}

// Start runs New(ctx, cfg, opts...) in the background and returns at once. It fails only
// on settings that New would refuse before touching anything (the origin).
func Start(ctx context.Context, cfg Config, opts ...Option) (*Starting, error) {
	_, edge, err := edgeOf(cfg)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	files := &Server{log: log, responder: httpapi.NewResponder(log), frontend: cfg.Frontend}
	st := &Starting{
		static: cfg.TrustedProxies.Wrap(withFrontend(files.responder, edge, cfg.Frontend, nil)),
		api:    files.responder,
		locked: make(chan struct{}),
		done:   make(chan struct{}),
	}
	closeLocked := sync.OnceFunc(func() { close(st.locked) })
	opts = append(opts[:len(opts):len(opts)], func(o *options) { o.locked = closeLocked })
	go func() {
		// done is closed before locked when New ends without having locked the folder (a
		// second copy of the app): Locked, woken by locked, must then find done closed and
		// return New's error, not nil. (Deferred calls run last first.)
		defer closeLocked()
		defer close(st.done)
		st.srv, st.err = New(ctx, cfg, opts...)
	}()
	return st, nil
}

// Locked waits until the data folder is locked for this process (nil), or New has failed
// (its error: a second copy of the app gets store.InUseError here, before it opens a window).
// With a PostgreSQL database there is no folder to lock: it waits for New.
func (s *Starting) Locked(ctx context.Context) error {
	select {
	case <-s.locked:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Wait waits for New and returns what it returned. Once New has returned, that is the
// answer even if ctx has ended too.
func (s *Starting) Wait(ctx context.Context) (*Server, error) {
	select {
	case <-s.done:
		return s.srv, s.err
	default:
	}
	select {
	case <-s.done:
		return s.srv, s.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Handler serves the server's Handler once it has started. Before that, the frontend's
// files are answered at once, from cfg.Frontend behind the same edge (hosts, origins,
// security headers) as the started server's, and an API request waits for the server, at
// most wait; then, or if the server could not start, it is answered 503 not_started and
// nothing has changed.
func (s *Starting) Handler(wait time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-s.done:
			s.serve(w, r)
			return
		default:
		}
		if !isAPI(r.URL.Path) {
			s.static.ServeHTTP(w, r)
			return
		}
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case <-s.done:
			s.serve(w, r)
		case <-timer.C:
			s.api.Error(w, r, apperr.NotStarted.Wrap(errNotStartedIn(wait)))
		case <-r.Context().Done():
		}
	})
}

// serve answers r once New has returned.
func (s *Starting) serve(w http.ResponseWriter, r *http.Request) {
	if s.err != nil {
		if !isAPI(r.URL.Path) {
			s.static.ServeHTTP(w, r)
			return
		}
		s.api.Error(w, r, notStarted(s.err))
		return
	}
	s.srv.Handler().ServeHTTP(w, r)
}

// notStarted is the answer to an API request when New failed with err: a data folder or
// database that cannot be used is the person's to put right, so its own message for the
// window (the file, and what to do) is the answer's; any other failure is not_started.
func notStarted(err error) *apperr.E {
	var data *store.DataError
	if !errors.As(err, &data) {
		return apperr.NotStarted.Wrap(err)
	}
	e := apperr.DataUnusable.Wrap(err)
	e.Msg = cmp.Or(data.Page, data.Msg)
	return e
}

// errNotStartedIn is the cause logged when an API request waited for the server in vain.
type errNotStartedIn time.Duration

func (e errNotStartedIn) Error() string {
	return "the backend had not started after " + time.Duration(e).String()
}
