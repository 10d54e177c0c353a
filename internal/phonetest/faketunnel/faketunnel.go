// Package faketunnel is a caBLE v2 tunnel server for tests, on loopback: it parks a
// simulated phone that connects to /cable/new/<tunnel ID>, answers it with a routing ID in
// X-caBLE-Routing-ID, and pipes it to the desktop that connects to
// /cable/connect/<routing ID>/<tunnel ID>, binary message for binary message. Like Google's
// server it answers HTTP 400 to a WebSocket request without the fido.cable sub-protocol.
// Its Faults make it misbehave as a real tunnel or network can.
package faketunnel

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
)

// Fault is a way the tunnel misbehaves towards the desktop.
type Fault int

const (
	// Relay: no fault, the messages go through.
	Relay Fault = iota
	// Refuse: /cable/connect answers HTTP RefuseStatus (default 404) and accepts nothing.
	Refuse
	// NoSubprotocol: /cable/connect accepts the WebSocket without selecting fido.cable.
	NoSubprotocol
	// CloseMidHandshake: the desktop's first handshake message reaches the phone, then the
	// tunnel closes both sides before the phone's answer goes back.
	CloseMidHandshake
	// TamperHandshake: one bit of the phone's handshake answer is flipped on the way.
	TamperHandshake
	// Silent: /cable/connect accepts the WebSocket and then never forwards anything.
	Silent
)

const subprotocol = "fido.cable"

// Server is the fake tunnel.
type Server struct {
	Fault        Fault
	RefuseStatus int

	srv     *httptest.Server
	mu      sync.Mutex
	phones  map[string]*parked // by upper-case hex routing ID + "/" + tunnel ID
	domains []string           // the domains the desktop asked for, through BaseURL
	next    byte
	open    int // desktop connections accepted and not yet closed
}

type parked struct {
	ready chan struct{} // closed once conn is set
	conn  *websocket.Conn
	done  chan struct{} // closed when the relay is over, which ends the phone's handler
	once  sync.Once
}

func (p *parked) finish() { p.once.Do(func() { close(p.done) }) }

// New starts a fake tunnel with fault; it stops at the end of the test.
func New(t testing.TB, fault Fault) *Server {
	s := &Server{Fault: fault, RefuseStatus: http.StatusNotFound, phones: map[string]*parked{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cable/new/{tunnel}", s.newTunnel)
	mux.HandleFunc("GET /cable/connect/{routing}/{tunnel}", s.connect)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		s.mu.Lock()
		for _, p := range s.phones {
			select {
			case <-p.ready:
				_ = p.conn.CloseNow()
			default:
			}
			p.finish()
		}
		s.mu.Unlock()
		s.srv.Close()
	})
	return s
}

// URL is the server's ws:// base URL, for the simulated phone.
func (s *Server) URL() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") }

// BaseURL is hybrid.Tunnel's BaseURL: every tunnel domain is this server. It records the
// domain the desktop chose (from the phone's advert).
func (s *Server) BaseURL(domain string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.domains = append(s.domains, domain)
	return s.URL()
}

// Open is how many desktop connections the tunnel holds now: one while a transaction is
// connected, none once the desktop has closed its side (or the relay has ended).
func (s *Server) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open
}

// Domains are the tunnel domains the desktop resolved.
func (s *Server) Domains() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.domains)
}

func offersSubprotocol(r *http.Request) bool {
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			if strings.TrimSpace(p) == subprotocol {
				return true
			}
		}
	}
	return false
}

func (s *Server) newTunnel(w http.ResponseWriter, r *http.Request) {
	if !offersSubprotocol(r) {
		http.Error(w, "fido.cable sub-protocol required", http.StatusBadRequest)
		return
	}
	tunnel := strings.ToUpper(r.PathValue("tunnel"))
	s.mu.Lock()
	s.next++
	routing := strings.ToUpper(hex.EncodeToString([]byte{0x0a, 0x0b, s.next}))
	s.mu.Unlock()
	w.Header().Set("X-caBLE-Routing-ID", routing)
	// Parked before the upgrade completes: the phone advertises as soon as it has the
	// routing ID, and the desktop may connect at once.
	p := &parked{ready: make(chan struct{}), done: make(chan struct{})}
	s.mu.Lock()
	s.phones[routing+"/"+tunnel] = p
	s.mu.Unlock()
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{subprotocol}})
	if err != nil {
		s.mu.Lock()
		delete(s.phones, routing+"/"+tunnel)
		s.mu.Unlock()
		return
	}
	p.conn = conn
	close(p.ready)
	select {
	case <-p.done:
	case <-r.Context().Done():
	}
}

func (s *Server) connect(w http.ResponseWriter, r *http.Request) {
	if !offersSubprotocol(r) {
		http.Error(w, "fido.cable sub-protocol required", http.StatusBadRequest)
		return
	}
	if s.Fault == Refuse {
		http.Error(w, "refused", s.RefuseStatus)
		return
	}
	key := strings.ToUpper(r.PathValue("routing")) + "/" + strings.ToUpper(r.PathValue("tunnel"))
	s.mu.Lock()
	phone := s.phones[key]
	delete(s.phones, key)
	s.mu.Unlock()
	if phone == nil {
		http.Error(w, "no such tunnel", http.StatusNotFound)
		return
	}
	select {
	case <-phone.ready:
	case <-r.Context().Done():
		return
	}
	defer phone.finish()
	opts := &websocket.AcceptOptions{Subprotocols: []string{subprotocol}}
	if s.Fault == NoSubprotocol {
		opts.Subprotocols = nil
	}
	desktop, err := websocket.Accept(w, r, opts)
	if err != nil {
		_ = phone.conn.CloseNow()
		return
	}
	s.mu.Lock()
	s.open++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.open--
		s.mu.Unlock()
	}()
	if s.Fault == Silent {
		<-r.Context().Done()
		_ = desktop.CloseNow()
		_ = phone.conn.CloseNow()
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // desktop → phone
		defer wg.Done()
		defer cancel()
		s.pipe(ctx, desktop, phone.conn, false)
	}()
	go func() { // phone → desktop
		defer wg.Done()
		defer cancel()
		s.pipe(ctx, phone.conn, desktop, true)
	}()
	wg.Wait()
	desktop.Close(websocket.StatusNormalClosure, "")
	phone.conn.Close(websocket.StatusNormalClosure, "")
}

// pipe forwards messages from src to dst until either side fails, applying the fault to
// the first message from the phone.
func (s *Server) pipe(ctx context.Context, src, dst *websocket.Conn, fromPhone bool) {
	for n := 0; ; n++ {
		typ, msg, err := src.Read(ctx)
		if err != nil {
			return
		}
		if fromPhone && n == 0 {
			switch s.Fault {
			case CloseMidHandshake:
				return
			case TamperHandshake:
				msg[len(msg)/2] ^= 0x01
			}
		}
		if err := dst.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}
