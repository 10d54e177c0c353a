package harness

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

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
	// Served counts the requests the front sent each replica.
	Served []*atomic.Int32
}

// StartFleet runs replicas `nhs-passkeys serve` programs (in-process, through
// cli.Program.Run, with --origin, --database and --trusted-proxy) on a fresh PostgreSQL database (store.PostgresForTest: the package's
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

	var targets []*url.URL
	for range replicas {
		port := freePort(t)
		// As README "Fleets" runs them: the fleet's origin, the database, and the front as the
		// trusted proxy whose X-Forwarded-For is believed.
		runServe(t, port, func(string) string { return "" },
			"--origin", f.Origin, "--database", f.Database, "--trusted-proxy", "127.0.0.1")
		targets = append(targets, &url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", port)})
		f.Served = append(f.Served, &atomic.Int32{})
	}

	var next atomic.Uint32
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		i := int(next.Add(1)) % len(targets)
		f.Served[i].Add(1)
		pr.SetURL(targets[i])
		pr.Out.Host = pr.In.Host // the replicas answer only for the fleet's own host name
		pr.SetXForwarded()
	}}
	hs := httpServer(proxy)
	go func() { _ = hs.Serve(tls.NewListener(front, ca.ServerConfig(t, "localhost"))) }()
	t.Cleanup(func() { hs.Close() })
	return f
}

func httpServer(h http.Handler) *http.Server {
	return &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: h}
}
