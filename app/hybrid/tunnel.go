package hybrid

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// The tunnel server relays the handshake and the encrypted messages between this desktop
// and the phone over WebSockets (CTAP 2.2 §11.5.1.3). The phone chooses it and names it in
// its advert by a 16-bit domain ID.

// Assigned tunnel server domains (CTAP 2.2 §11.5.1.3; Chromium tunnelserver::DecodeDomain).
var assignedDomains = [...]string{
	0: "cable.ua5v.com", // Google: Android phones
	1: "cable.auth.com", // Apple: iPhones and iPads
}

// KnownDomains is the number of assigned tunnel server domains this app knows; the QR code
// says so (key 2), so that a phone whose own domain is newer falls back to a hashed one.
const KnownDomains = len(assignedDomains)

// DecodeDomain returns the tunnel server host of a domain ID: an assigned domain for IDs
// below 256 (false for the ones not assigned yet), otherwise a name hashed from the ID:
// SHA-256("caBLEv2 tunnel server domain" ‖ uint16_le(id) ‖ 0x00), whose first 8 bytes
// (little-endian) choose the top-level domain (2 bits) and spell the label in base32
// (5 bits a letter, until no bits are left).
func DecodeDomain(id uint16) (string, bool) {
	if id < 256 {
		if int(id) < len(assignedDomains) {
			return assignedDomains[id], true
		}
		return "", false
	}
	const prefix = "caBLEv2 tunnel server domain"
	in := make([]byte, 0, len(prefix)+3)
	in = append(in, prefix...)
	in = binary.LittleEndian.AppendUint16(in, id)
	in = append(in, 0)
	digest := sha256.Sum256(in)
	v := binary.LittleEndian.Uint64(digest[:8])

	tlds := [4]string{"com", "org", "net", "info"}
	tld := tlds[v&3]
	v >>= 2
	const base32 = "abcdefghijklmnopqrstuvwxyz234567"
	var label strings.Builder
	for v != 0 {
		label.WriteByte(base32[v&31])
		v >>= 5
	}
	return "cable." + label.String() + "." + tld, true
}

// Route is where the phone waits for this desktop: what the advert and the QR code's secret
// say. It holds no secret (the tunnel ID only lets the holder meet the phone, and the
// handshake still needs the PSK).
type Route struct {
	Domain    string // the tunnel server's host, e.g. "cable.ua5v.com"
	DomainID  uint16
	RoutingID [routingIDSize]byte
	TunnelID  [tunnelIDSize]byte
	// Extra is what followed the 20-byte advert, if anything: CTAP 2.3's CBOR map of other
	// ways to reach the phone (key 1: a BLE L2CAP PSM). A Connector for CTAP 2.3's L2CAP
	// channel would read it; the WebSocket tunnel ignores it.
	Extra []byte
}

// Path is the tunnel server path this desktop connects to:
// /cable/connect/<routing ID, hex>/<tunnel ID, hex> (upper-case hex, as Chromium sends).
func (r Route) Path() string {
	return "/cable/connect/" + strings.ToUpper(hex.EncodeToString(r.RoutingID[:])) + "/" +
		strings.ToUpper(hex.EncodeToString(r.TunnelID[:]))
}

// URL is the WebSocket URL of the route on the real tunnel server: wss://<domain><path>.
func (r Route) URL() string { return "wss://" + r.Domain + r.Path() }

// Channel is a connection to the phone that carries whole messages: the handshake, then the
// encrypted messages. The WebSocket tunnel sends one binary WebSocket message per message.
type Channel interface {
	Send(ctx context.Context, msg []byte) error
	// Receive returns the next message. io.EOF (wrapped) means the phone or the tunnel
	// closed the connection normally.
	Receive(ctx context.Context) ([]byte, error)
	Close() error
}

// Connector opens the Channel to the phone whose advert was decrypted. Errors should wrap
// ErrTunnelUnreachable or ErrTunnelRefused. The WebSocket tunnel is the one Connector for
// now; CTAP 2.3's BLE L2CAP data channel would be another, tried first when the advert's
// Extra names a PSM and falling back to the tunnel.
type Connector interface {
	Connect(ctx context.Context, route Route) (Channel, error)
}

// Tunnel is the Connector over the tunnel server's WebSocket (CTAP 2.2 §11.5.1.3).
type Tunnel struct {
	// BaseURL, when set, replaces "wss://<domain>" for the phone's chosen domain: tests point
	// it at a loopback server ("ws://127.0.0.1:port"). Nil: the real tunnel server.
	BaseURL func(domain string) string
	// HTTPClient makes the WebSocket's HTTP request (nil: a default client). Its redirects
	// are never followed for the tunnel: a 3xx is a refusal.
	HTTPClient *http.Client
	// DialTimeout bounds connecting to the tunnel server (0: 30 seconds).
	DialTimeout time.Duration
}

// subprotocol is the WebSocket sub-protocol of the caBLE tunnel. Google's server answers
// HTTP 400 without it (libwebauthn PR #97), and Chromium refuses a server that does not
// select it.
const subprotocol = "fido.cable"

// maxMessage bounds one message from the tunnel (Chromium's cap): a CTAP answer is a few
// kilobytes.
const maxMessage = 1 << 20

// Connect dials the tunnel server.
func (t *Tunnel) Connect(ctx context.Context, route Route) (Channel, error) {
	url := route.URL()
	if t.BaseURL != nil {
		url = strings.TrimSuffix(t.BaseURL(route.Domain), "/") + route.Path()
	}
	timeout := t.DialTimeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	dialCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	client := &http.Client{}
	if t.HTTPClient != nil {
		copied := *t.HTTPClient
		client = &copied
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	// The websocket package owns resp.Body (its documentation: "You never need to close
	// resp.Body yourself"); only the status is read here.
	conn, resp, err := websocket.Dial(dialCtx, url, &websocket.DialOptions{ //nolint:bodyclose // see above
		HTTPClient:   client,
		Subprotocols: []string{subprotocol},
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
			return nil, fmt.Errorf("%w: %s answered HTTP %d", ErrTunnelRefused, route.Domain, resp.StatusCode)
		}
		if resp != nil {
			// It answered 101, but not as a fido.cable WebSocket (another sub-protocol, a
			// wrong Sec-WebSocket-Accept, an upgrade to something else; RFC 6455 §4.1): the
			// server answered and refused, as when it selects no sub-protocol (below).
			// websocket's error quotes the server's headers, which can be long and are the
			// server's own words: they stay out of this error's text, which is logged.
			return nil, fmt.Errorf("%w: %s answered 101 but not as a %s WebSocket", ErrTunnelRefused, route.Domain, subprotocol)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrTunnelUnreachable, route.Domain, err)
	}
	if conn.Subprotocol() != subprotocol {
		_ = conn.CloseNow() // the refusal below is what matters
		return nil, fmt.Errorf("%w: %s did not select the %s sub-protocol", ErrTunnelRefused, route.Domain, subprotocol)
	}
	conn.SetReadLimit(maxMessage)
	return &wsChannel{conn: conn}, nil
}

type wsChannel struct {
	conn *websocket.Conn
}

// errNotAMessage: the tunnel sent something that is no caBLE message at all: a text
// message, or one over maxMessage (CTAP 2.2 §11.5.1.3: binary messages; Chromium caps
// them at 1 MiB). It is the other end misbehaving, not the network failing, so a Session
// reports it as a bad answer (ErrBadResponse; ErrHandshake during the handshake).
var errNotAMessage = errors.New("the tunnel sent something that is not a caBLE message")

func (c *wsChannel) Send(ctx context.Context, msg []byte) error {
	return c.conn.Write(ctx, websocket.MessageBinary, msg)
}

func (c *wsChannel) Receive(ctx context.Context) ([]byte, error) {
	typ, msg, err := c.conn.Read(ctx)
	if err != nil {
		if errors.Is(err, websocket.ErrMessageTooBig) {
			return nil, fmt.Errorf("%w: a message over %d bytes", errNotAMessage, maxMessage)
		}
		if ctx.Err() == nil && (websocket.CloseStatus(err) != -1 || errors.Is(err, io.EOF)) {
			return nil, fmt.Errorf("the tunnel closed: %w", io.EOF)
		}
		return nil, err
	}
	if typ != websocket.MessageBinary {
		return nil, fmt.Errorf("%w: a text message", errNotAMessage)
	}
	return msg, nil
}

// Close drops the connection without waiting for the close handshake: by then the phone has
// had the shutdown message (or the transaction failed), and a tunnel that does not answer
// must not hold up the person.
func (c *wsChannel) Close() error { return c.conn.CloseNow() }
