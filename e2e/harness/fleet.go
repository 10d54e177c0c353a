package harness

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/store"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

// Fleet is a fleet's relying party as README "Fleets" sets it up: `serve` replicas on one
// PostgreSQL database, behind one TLS front with a certificate from the fleet's own CA.
type Fleet struct {
	// Origin is the front's origin, https://localhost:PORT: the replicas' --origin and the
	// kiosks' --relying-party.
	Origin string
	// CAFile is the CA's certificate (the kiosks' --relying-party-ca).
	CAFile string
	// Database is the replicas' PostgreSQL database, for checking what is stored.
	Database string
	// Served counts the requests each replica answered.
	Served []*atomic.Int32
}

// StartFleet starts replicas `serve` backends (as internal/cli builds them with --database
// and --origin) on a fresh PostgreSQL database (store.PostgresForTest: the package's
// TestMain must call store.RunTests), and a TLS front that sends each request to the next
// replica in turn, so every ceremony and session crosses between them.
func StartFleet(t *testing.T, replicas int) *Fleet {
	t.Helper()
	ca := testkit.NewCA(t)
	front, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr, ok := front.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("a TCP listener has the address %T", front.Addr())
	}
	f := &Fleet{Origin: fmt.Sprintf("https://localhost:%d", addr.Port), CAFile: ca.File, Database: store.PostgresForTest(t)}
	logs := &testkit.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("relying party's log:\n%s", logs.String())
		}
	})

	var targets []*url.URL
	for i := range replicas {
		srv, err := backend.New(context.Background(), backend.Config{
			Origin:     f.Origin,
			Ceremonies: "browser",
			Frontend:   builtFrontend(t),
			Logger:     logger.With("replica", i),
			Database:   f.Database,
		})
		if err != nil {
			t.Fatal(err)
		}
		served := &atomic.Int32{}
		f.Served = append(f.Served, served)
		hs := httpServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served.Add(1)
			srv.Handler().ServeHTTP(w, r)
		}))
		ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = hs.Serve(ln) }()
		t.Cleanup(func() { hs.Close(); srv.Close() })
		targets = append(targets, &url.URL{Scheme: "http", Host: ln.Addr().String()})
	}

	var next atomic.Uint32
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(targets[int(next.Add(1))%len(targets)])
		pr.Out.Host = pr.In.Host // the replicas answer only for the fleet's own host name
	}}
	hs := httpServer(proxy)
	go func() { _ = hs.Serve(tls.NewListener(front, ca.ServerConfig(t, "localhost"))) }()
	t.Cleanup(func() { hs.Close() })
	return f
}

func httpServer(h http.Handler) *http.Server {
	return &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: h}
}
