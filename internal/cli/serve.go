package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// serveHTTP serves the app on addr until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, addr, origin string, h http.Handler, stdout io.Writer, logger *slog.Logger) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		// net/http answers "OPTIONS *" (RFC 9110 §9.3.7) itself, 200 before h sees it, for
		// any Host: the one request the server would answer for another host name. h
		// answers it like any other request (421 misdirected_request for another host).
		DisableGeneralOptionsHandler: true,
	}
	fmt.Fprintf(stdout, "NHS passkeys is running. Open %s in your web browser.\n", origin)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	// ctx has ended by now: the grace period needs a context of its own (keeping ctx's
	// values, not its cancellation).
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err = hs.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		// Stopping is what was asked: a connection still open after the grace period (a
		// browser's preconnected socket that never sent a request, which net/http counts as
		// active for its first 5 s, or a request that would not end) is closed, not an error.
		logger.Warn("closed connections still open after the 5-second grace period")
		return hs.Close()
	}
	return err
}
