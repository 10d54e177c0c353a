package hybrid

// An attacker's pass over the desktop side: a phone, a tunnel server or someone nearby who
// sends what no honest phone sends. The phone here is scripted (scriptedPhone): it holds
// the QR code's secret, as a phone that scanned it does, and the test says what it sends.

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/flynn/noise"
	"github.com/fxamacker/cbor/v2"

	"github.com/nhs-passkeys/companion/internal/phonetest/noisep256"
)

// scriptedAir hands the session the adverts in its channel until the scan ends.
type scriptedAir struct{ adverts chan Advert }

func newScriptedAir() *scriptedAir { return &scriptedAir{adverts: make(chan Advert, 1024)} }

func (a *scriptedAir) Adverts(ctx context.Context) (<-chan Advert, error) {
	out := make(chan Advert)
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case adv := <-a.adverts:
				select {
				case out <- adv:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// pipe is an in-memory Channel: one end for the desktop, one for the scripted phone.
type pipe struct {
	in, out chan []byte
	done    chan struct{} // closed by either end's Close
	once    *sync.Once
}

func newPipe() (desktop, phone *pipe) {
	a, b := make(chan []byte, 16), make(chan []byte, 16)
	done, once := make(chan struct{}), &sync.Once{}
	return &pipe{in: a, out: b, done: done, once: once}, &pipe{in: b, out: a, done: done, once: once}
}

func (p *pipe) Send(ctx context.Context, msg []byte) error {
	select {
	case p.out <- bytes.Clone(msg):
		return nil
	case <-p.done:
		return io.ErrClosedPipe
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *pipe) Receive(ctx context.Context) ([]byte, error) {
	select {
	case m := <-p.in: // what was sent before the other end closed comes first
		return m, nil
	default:
	}
	select {
	case m := <-p.in:
		return m, nil
	case <-p.done:
		return nil, io.EOF
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *pipe) Close() error { p.once.Do(func() { close(p.done) }); return nil }

type connectorFunc func(ctx context.Context, route Route) (Channel, error)

func (f connectorFunc) Connect(ctx context.Context, route Route) (Channel, error) {
	return f(ctx, route)
}

// scriptedPhone is a phone that scanned the session's QR code.
type scriptedPhone struct {
	t        *testing.T
	secret   []byte // the QR secret
	identity []byte // the desktop's identity key, uncompressed
	plain    [eidSize]byte
	conn     Channel
	toPhone  *noise.CipherState
	toDesk   *noise.CipherState
}

// advert is the phone's advert for plain, encrypted with the QR code's advert key.
func advertFor(secret []byte, plain [eidSize]byte) []byte {
	key := eidKey(secret)
	block, err := aes.NewCipher(key[:32])
	if err != nil {
		panic(err)
	}
	out := make([]byte, advertSize)
	block.Encrypt(out[:eidSize], plain[:])
	copy(out[eidSize:], hmacSHA256(key[32:], out[:eidSize])[:advertSize-eidSize])
	return out
}

// newScriptedSession makes a session whose phone is scripted: the phone's advert is on the
// air already. With connect nil, connecting gives the phone's end of an in-memory pipe;
// otherwise connect is the session's Connector and must set the phone's conn itself.
func newScriptedSession(t *testing.T, connect func(*scriptedPhone) Connector) (*Session, *scriptedPhone) {
	t.Helper()
	air := newScriptedAir()
	phone := &scriptedPhone{t: t}
	var connector Connector
	if connect == nil {
		desktopEnd, phoneEnd := newPipe()
		phone.conn = phoneEnd
		connector = connectorFunc(func(context.Context, Route) (Channel, error) { return desktopEnd, nil })
	} else {
		connector = connect(phone)
	}
	s, err := NewSession(Config{Adverts: air, Connector: connector}, RequestMakeCredential)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	q, err := ParseQR(s.QR().Text)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := decompress(q.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	phone.secret, phone.identity = q.Secret, pub.Bytes()
	phone.plain = [eidSize]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0x0a, 0x0b, 0x0c, 0, 0}
	air.adverts <- Advert{Data: advertFor(q.Secret, phone.plain), Service: ServiceFIDO}
	return s, phone
}

// handshake answers the desktop's first message as an honest phone does.
func (p *scriptedPhone) handshake(ctx context.Context) error {
	msg1, err := p.conn.Receive(ctx)
	if err != nil {
		return err
	}
	hs, err := noise.NewHandshakeState(noise.Config{
		CipherSuite:           noisep256.CipherSuite,
		Pattern:               noise.HandshakeKN,
		Prologue:              []byte{prologueQR},
		PresharedKey:          psk(p.secret, p.plain[:]),
		PresharedKeyPlacement: 0,
		PeerStatic:            p.identity,
	})
	if err != nil {
		return err
	}
	if _, _, _, err := hs.ReadMessage(nil, msg1); err != nil {
		return err
	}
	msg2, cs1, cs2, err := hs.WriteMessage(nil, nil)
	if err != nil {
		return err
	}
	p.toPhone, p.toDesk = cs1, cs2
	return p.conn.Send(ctx, msg2)
}

// send encrypts msg (padded) for the desktop.
func (p *scriptedPhone) send(ctx context.Context, msg []byte) error {
	ct, err := p.toDesk.Encrypt(nil, nil, pad(msg))
	if err != nil {
		return err
	}
	return p.conn.Send(ctx, ct)
}

// receive reads one message from the desktop and checks it decrypts.
func (p *scriptedPhone) receive(ctx context.Context) error {
	ct, err := p.conn.Receive(ctx)
	if err != nil {
		return err
	}
	padded, err := p.toPhone.Decrypt(nil, nil, ct)
	if err != nil {
		return err
	}
	_, err = unpad(padded)
	return err
}

// phoneGetInfo is a phone's getInfo answer.
func phoneGetInfo(t *testing.T) []byte {
	t.Helper()
	b, err := ctapEncMode.Marshal(map[int]any{
		1: []string{"FIDO_2_0", "FIDO_2_1"},
		3: make([]byte, 16),
		4: map[string]bool{"rk": true, "uv": true},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runScripted runs a makeCredential against a phone that does the handshake and then
// script; it returns the session's error.
func runScripted(t *testing.T, timeout time.Duration, script func(ctx context.Context, p *scriptedPhone) error) error {
	t.Helper()
	s, phone := newScriptedSession(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	phoneErr := make(chan error, 1)
	go func() {
		if err := phone.handshake(ctx); err != nil {
			phoneErr <- err
			return
		}
		phoneErr <- script(ctx, phone)
	}()
	return runSession(t, ctx, cancel, s, phoneErr)
}

// runSession runs a makeCredential and waits for the phone's script to end.
func runSession(t *testing.T, ctx context.Context, cancel context.CancelFunc, s *Session, phoneErr <-chan error) error {
	t.Helper()
	_, err := s.MakeCredential(ctx, MakeCredentialRequest{
		ClientDataHash: make([]byte, 32), RPID: "localhost", UserID: []byte("u"),
		ResidentKey: Required, UserVerification: Required,
	}, nil)
	cancel()
	if perr := <-phoneErr; perr != nil && !errors.Is(perr, context.Canceled) && !errors.Is(perr, io.EOF) &&
		!errors.Is(perr, io.ErrClosedPipe) && !errors.Is(perr, context.DeadlineExceeded) {
		t.Errorf("the scripted phone failed: %v", perr)
	}
	return err
}

// validAttestation is a makeCredential answer body (after the status byte) for rpID.
func validAttestation(t *testing.T, rpID string) []byte {
	t.Helper()
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := k.PublicKey().Bytes()
	cose := mustCBOR(t, map[int]any{1: 2, 3: -7, -1: 1, -2: pub[1:33], -3: pub[33:]})
	h := sha256.Sum256([]byte(rpID))
	ad := slices.Concat(h[:], []byte{flagUP | 0x04 | flagAT, 0, 0, 0, 1}, make([]byte, 16), []byte{0, 4, 1, 2, 3, 4}, cose)
	return mustCBOR(t, map[int]any{1: "none", 2: ad, 3: map[string]any{}})
}

func TestAPhoneOrTunnelThatBreaksTheProtocolAfterTheHandshakeIsRefused(t *testing.T) {
	post := func(t *testing.T) []byte { return mustCBOR(t, map[int]any{1: phoneGetInfo(t)}) }
	answer := func(status byte, body []byte) []byte {
		return slices.Concat([]byte{msgCTAP, status}, body)
	}
	// honest sends the post-handshake message, reads the command and answers with msgs.
	honest := func(msgs ...func(t *testing.T) []byte) func(t *testing.T) func(context.Context, *scriptedPhone) error {
		return func(t *testing.T) func(context.Context, *scriptedPhone) error {
			return func(ctx context.Context, p *scriptedPhone) error {
				if err := p.send(ctx, post(t)); err != nil {
					return err
				}
				if err := p.receive(ctx); err != nil {
					return err
				}
				for _, m := range msgs {
					if err := p.send(ctx, m(t)); err != nil {
						return err
					}
				}
				_ = p.receive(ctx) // shutdown
				return nil
			}
		}
	}
	for _, tc := range []struct {
		name   string
		script func(t *testing.T) func(context.Context, *scriptedPhone) error
		want   error
	}{
		{"an honest phone's answer is taken", honest(func(t *testing.T) []byte { return answer(0, validAttestation(t, "localhost")) }), nil},
		{"a post-handshake message that is not CBOR is refused", func(t *testing.T) func(context.Context, *scriptedPhone) error {
			return func(ctx context.Context, p *scriptedPhone) error { return p.send(ctx, []byte{0xff, 0xfe, 0xfd}) }
		}, ErrBadResponse},
		{"a post-handshake message that is a CBOR array is refused", func(t *testing.T) func(context.Context, *scriptedPhone) error {
			return func(ctx context.Context, p *scriptedPhone) error { return p.send(ctx, mustCBOR(t, []int{1, 2})) }
		}, ErrBadResponse},
		{"a replayed post-handshake message is refused", func(t *testing.T) func(context.Context, *scriptedPhone) error {
			return func(ctx context.Context, p *scriptedPhone) error {
				ct, err := p.toDesk.Encrypt(nil, nil, pad(post(t)))
				if err != nil {
					return err
				}
				_ = p.conn.Send(ctx, ct)
				if err := p.receive(ctx); err != nil {
					return err
				}
				return p.conn.Send(ctx, ct)
			}
		}, ErrBadResponse},
		{"messages out of order are refused", func(t *testing.T) func(context.Context, *scriptedPhone) error {
			return func(ctx context.Context, p *scriptedPhone) error {
				first, _ := p.toDesk.Encrypt(nil, nil, pad(post(t)))
				second, _ := p.toDesk.Encrypt(nil, nil, pad(answer(0, validAttestation(t, "localhost"))))
				_ = p.conn.Send(ctx, second)
				return p.conn.Send(ctx, first)
			}
		}, ErrBadResponse},
		{"an unknown CTAP status is refused", honest(func(t *testing.T) []byte { return answer(0x7f, nil) }), ErrBadResponse},
		{"an answer with trailing bytes is refused", honest(func(t *testing.T) []byte {
			return answer(0, append(validAttestation(t, "localhost"), 0))
		}), ErrBadResponse},
		{"an answer for another RP ID is refused", honest(func(t *testing.T) []byte { return answer(0, validAttestation(t, "evil.example")) }), ErrBadResponse},
		{"a malformed update message is ignored", honest(
			func(t *testing.T) []byte { return []byte{msgUpdate, 0xff} },
			func(t *testing.T) []byte { return []byte{msgUpdate} },
			func(t *testing.T) []byte {
				return slices.Concat([]byte{msgUpdate}, mustCBOR(t, map[int]any{1: []byte{1}, 999: 1}))
			},
			func(t *testing.T) []byte { return answer(0, validAttestation(t, "localhost")) }), nil},
		{"messages of unknown types are skipped", honest(
			func(t *testing.T) []byte { return []byte{3, '{', '}'} },
			func(t *testing.T) []byte { return []byte{0x42} },
			func(t *testing.T) []byte { return answer(0, validAttestation(t, "localhost")) }), nil},
		{"an empty message is refused", honest(func(t *testing.T) []byte { return nil }), ErrBadResponse},
		{"a phone that answers nothing times out", func(t *testing.T) func(context.Context, *scriptedPhone) error {
			return func(ctx context.Context, p *scriptedPhone) error {
				_ = p.send(ctx, post(t))
				<-ctx.Done()
				return nil
			}
		}, ErrTimeout},
		{"a phone that hangs up after the handshake cancelled", func(t *testing.T) func(context.Context, *scriptedPhone) error {
			return func(ctx context.Context, p *scriptedPhone) error { return p.conn.Close() }
		}, ErrPhoneCancelled},
		{"a phone that offers only digital credentials is not supported", func(t *testing.T) func(context.Context, *scriptedPhone) error {
			return func(ctx context.Context, p *scriptedPhone) error {
				return p.send(ctx, mustCBOR(t, map[int]any{1: phoneGetInfo(t), 3: []string{"dc"}}))
			}
		}, ErrPhoneUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runScripted(t, 2*time.Second, tc.script(t))
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
}

// runOverWebSocket runs a makeCredential through the real Tunnel Connector against a
// tunnel server on loopback whose other end is the scripted phone: script may also write
// raw WebSocket frames. It returns the session's error once the tunnel has seen the
// desktop's socket closed.
func runOverWebSocket(t *testing.T, timeout time.Duration, script func(ctx context.Context, p *scriptedPhone, ws *websocket.Conn) error) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	phoneErr := make(chan error, 1)
	closed := make(chan struct{})
	s, _ := newScriptedSession(t, func(p *scriptedPhone) Connector {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{subprotocol}})
			if err != nil {
				phoneErr <- err
				return
			}
			defer func() { _ = ws.CloseNow() }()
			p.conn = &wsChannel{conn: ws}
			if err := p.handshake(ctx); err != nil {
				phoneErr <- err
			} else {
				phoneErr <- script(ctx, p, ws)
			}
			// The desktop must close its socket: read until it does, with a minute to spare.
			readCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer stop()
			for {
				if _, _, err := ws.Read(readCtx); err != nil {
					if readCtx.Err() == nil {
						close(closed)
					}
					return
				}
			}
		}))
		t.Cleanup(srv.Close)
		return &Tunnel{BaseURL: func(string) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }}
	})
	err := runSession(t, ctx, cancel, s, phoneErr)
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Error("the desktop left its socket to the tunnel open")
	}
	return err
}

func TestATunnelThatSendsWhatNoPhoneSendsIsRefused(t *testing.T) {
	post := func(t *testing.T) []byte { return mustCBOR(t, map[int]any{1: phoneGetInfo(t)}) }
	for _, tc := range []struct {
		name   string
		script func(ctx context.Context, p *scriptedPhone, ws *websocket.Conn) error
		want   error
	}{
		{"a message over the 1 MiB limit is a bad answer", func(ctx context.Context, p *scriptedPhone, ws *websocket.Conn) error {
			if err := p.send(ctx, post(t)); err != nil {
				return err
			}
			if err := p.receive(ctx); err != nil {
				return err
			}
			return ws.Write(ctx, websocket.MessageBinary, make([]byte, maxMessage+1))
		}, ErrBadResponse},
		{"a text message is a bad answer", func(ctx context.Context, p *scriptedPhone, ws *websocket.Conn) error {
			if err := p.send(ctx, post(t)); err != nil {
				return err
			}
			if err := p.receive(ctx); err != nil {
				return err
			}
			return ws.Write(ctx, websocket.MessageText, []byte("hello"))
		}, ErrBadResponse},
		{"an answer in fragments is put together", func(ctx context.Context, p *scriptedPhone, ws *websocket.Conn) error {
			if err := p.send(ctx, post(t)); err != nil {
				return err
			}
			if err := p.receive(ctx); err != nil {
				return err
			}
			ct, err := p.toDesk.Encrypt(nil, nil, pad(slices.Concat([]byte{msgCTAP, 0}, validAttestation(t, "localhost"))))
			if err != nil {
				return err
			}
			w, err := ws.Writer(ctx, websocket.MessageBinary)
			if err != nil {
				return err
			}
			for len(ct) > 0 {
				n := min(len(ct), 7)
				if _, err := w.Write(ct[:n]); err != nil {
					return err
				}
				ct = ct[n:]
			}
			if err := w.Close(); err != nil {
				return err
			}
			_ = p.receive(ctx) // shutdown
			return nil
		}, nil},
		{"a tunnel closing after the handshake is the phone hanging up", func(ctx context.Context, p *scriptedPhone, ws *websocket.Conn) error {
			return ws.Close(websocket.StatusGoingAway, "")
		}, ErrPhoneCancelled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runOverWebSocket(t, 5*time.Second, tc.script)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func TestAdvertsFromStrangersAreNotTakenForThePhone(t *testing.T) {
	other := make([]byte, qrSecretSize)
	other[0] = 1
	plain := [eidSize]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0x0a, 0x0b, 0x0c, 0, 0}
	for _, tc := range []struct {
		name    string
		adverts func(secret []byte) []Advert
		want    error  // nil: the session connects
		domain  string // the tunnel domain it connects to
	}{
		{"short adverts are not a phone", func([]byte) []Advert {
			var out []Advert
			for n := range advertSize {
				out = append(out, Advert{Data: make([]byte, n), Service: ServiceFIDO})
			}
			return out
		}, ErrNoAdvert, ""},
		{"an advert with a bad HMAC is another phone's", func(secret []byte) []Advert {
			a := advertFor(secret, plain)
			a[advertSize-1] ^= 1
			return []Advert{{Data: a, Service: ServiceFIDO}}
		}, ErrWrongPhone, ""},
		{"a valid advert for another QR code is another phone's", func([]byte) []Advert {
			return []Advert{{Data: advertFor(other, plain), Service: ServiceGoogle}}
		}, ErrWrongPhone, ""},
		{"another QR code's advert the scanner held from before is no phone nearby", func([]byte) []Advert {
			return []Advert{{Data: advertFor(other, plain), Service: ServiceFIDO, Cached: true}}
		}, ErrNoAdvert, ""},
		{"the phone's advert the scanner held from before is taken", func(secret []byte) []Advert {
			return []Advert{{Data: advertFor(secret, plain), Service: ServiceFIDO, Cached: true}}
		}, nil, "cable.ua5v.com"},
		{"a flood of strangers' adverts does not hide the phone", func(secret []byte) []Advert {
			var out []Advert
			for i := range 5000 {
				d := make([]byte, advertSize+i%8)
				d[0], d[1] = byte(i), byte(i>>8)
				out = append(out, Advert{Data: d, Service: ServiceFIDO})
			}
			return append(out, Advert{Data: advertFor(secret, plain), Service: ServiceFIDO})
		}, nil, "cable.ua5v.com"},
		{"the phone's advert with a CTAP 2.3 suffix is taken", func(secret []byte) []Advert {
			return []Advert{{Data: append(advertFor(secret, plain), 0xa1, 0x01, 0x18, 0x82), Service: ServiceFIDO}}
		}, nil, "cable.ua5v.com"},
		{"the highest domain ID is a hashed domain", func(secret []byte) []Advert {
			p := plain
			p[14], p[15] = 0xff, 0xff
			return []Advert{{Data: advertFor(secret, p), Service: ServiceFIDO}}
		}, nil, mustDomain(0xffff)},
		{"an assigned but unknown domain ID is refused", func(secret []byte) []Advert {
			p := plain
			p[14] = 0xff
			return []Advert{{Data: advertFor(secret, p), Service: ServiceFIDO}}
		}, ErrPhoneUnsupported, ""},
		{"a non-zero reserved byte is refused", func(secret []byte) []Advert {
			p := plain
			p[0] = 1
			return []Advert{{Data: advertFor(secret, p), Service: ServiceFIDO}}
		}, ErrPhoneUnsupported, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			air := newScriptedAir()
			air.adverts = make(chan Advert, 6000)
			var route *Route
			// Long enough to go through the flood on a loaded machine under -race when the
			// phone's advert comes; short when none does.
			timeout := 300 * time.Millisecond
			if tc.want == nil {
				timeout = 20 * time.Second
			}
			s, err := NewSession(Config{
				Adverts:       air,
				AdvertTimeout: timeout,
				Connector: connectorFunc(func(_ context.Context, r Route) (Channel, error) {
					route = &r
					return nil, ErrTunnelRefused
				}),
			}, RequestGetAssertion)
			if err != nil {
				t.Fatal(err)
			}
			q, err := ParseQR(s.QR().Text)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range tc.adverts(q.Secret) {
				air.adverts <- a
			}
			_, err = s.GetAssertion(t.Context(), GetAssertionRequest{ClientDataHash: make([]byte, 32), RPID: "localhost"}, nil)
			if tc.want == nil {
				if route == nil || route.Domain != tc.domain || route.RoutingID != [3]byte{0x0a, 0x0b, 0x0c} {
					t.Fatalf("error %v, route %+v; want a connection to %s", err, route, tc.domain)
				}
				return
			}
			if !errors.Is(err, tc.want) || route != nil {
				t.Errorf("error %v (route %+v), want %v", err, route, tc.want)
			}
		})
	}
}

func mustDomain(id uint16) string {
	d, ok := DecodeDomain(id)
	if !ok {
		panic(id)
	}
	return d
}

func TestAnAnswerThatIsNoHandshakeIsRefused(t *testing.T) {
	valid := func() []byte { // a point on the curve, and a tag that cannot be right
		k, err := ecdh.P256().GenerateKey(rand.Reader)
		if err != nil {
			panic(err) // called on the phone's goroutine, where t.Fatal may not be
		}
		return append(k.PublicKey().Bytes(), make([]byte, gcmTagSize)...)
	}
	for _, tc := range []struct {
		name   string
		answer func(msg1 []byte) []byte
	}{
		{"an empty answer", func([]byte) []byte { return nil }},
		{"an answer one byte short", func([]byte) []byte { return valid()[:handshakeMessageSize-1] }},
		{"an answer one byte long", func([]byte) []byte { return append(valid(), 0) }},
		{"a point not on the curve", func([]byte) []byte {
			a := valid()
			a[64] ^= 1
			return a
		}},
		{"the point at infinity", func([]byte) []byte { return make([]byte, handshakeMessageSize) }},
		{"a compressed point", func([]byte) []byte {
			a := valid()
			a[0] = 2
			return a
		}},
		{"the desktop's own message reflected", func(msg1 []byte) []byte { return msg1 }},
		{"a valid point with a forged tag", func([]byte) []byte { return valid() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := runScriptedHandshake(t, tc.answer); !errors.Is(err, ErrHandshake) {
				t.Errorf("error %v, want ErrHandshake", err)
			}
		})
	}
}

// runScriptedHandshake runs a makeCredential against a phone that answers the desktop's
// first handshake message with answer(msg1).
func runScriptedHandshake(t *testing.T, answer func(msg1 []byte) []byte) error {
	t.Helper()
	s, phone := newScriptedSession(t, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	phoneErr := make(chan error, 1)
	go func() {
		msg1, err := phone.conn.Receive(ctx)
		if err != nil {
			phoneErr <- err
			return
		}
		phoneErr <- phone.conn.Send(ctx, answer(msg1))
	}()
	return runSession(t, ctx, cancel, s, phoneErr)
}

// No goroutine of a transaction outlives it, whichever way it ends.
func TestATransactionLeavesNoGoroutineBehind(t *testing.T) {
	settle := func() int { // the count once it stops changing
		n := runtime.NumGoroutine()
		for range 100 {
			time.Sleep(20 * time.Millisecond)
			m := runtime.NumGoroutine()
			if m == n {
				break
			}
			n = m
		}
		return n
	}
	before := settle()
	post := func(t *testing.T) []byte { return mustCBOR(t, map[int]any{1: phoneGetInfo(t)}) }
	for range 3 {
		t.Run("over a pipe", func(t *testing.T) {
			_ = runScripted(t, 300*time.Millisecond, func(ctx context.Context, p *scriptedPhone) error {
				_ = p.send(ctx, post(t))
				<-ctx.Done()
				return nil
			})
		})
		t.Run("over a WebSocket", func(t *testing.T) {
			_ = runOverWebSocket(t, 300*time.Millisecond, func(ctx context.Context, p *scriptedPhone, _ *websocket.Conn) error {
				_ = p.send(ctx, post(t))
				<-ctx.Done()
				return nil
			})
		})
		t.Run("cancelled by Close while scanning", func(t *testing.T) {
			s, err := NewSession(Config{Adverts: newScriptedAir()}, RequestGetAssertion)
			if err != nil {
				t.Fatal(err)
			}
			time.AfterFunc(50*time.Millisecond, s.Close)
			if _, err := s.GetAssertion(t.Context(), GetAssertionRequest{ClientDataHash: make([]byte, 32), RPID: "x"}, nil); !errors.Is(err, ErrCancelled) {
				t.Errorf("error %v", err)
			}
		})
	}
	if after := settle(); after > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

// The phone's link secret comes in the post-handshake message (Android sends linking
// information every time, CTAP 2.2 §11.5.1.6) and in update messages. With no LinkStore it
// is dropped; either way no buffer the desktop read it into still holds it afterwards.
func TestTheLinkSecretIsWipedFromWhatThePhoneSent(t *testing.T) {
	linkSecret := bytes.Repeat([]byte{0x5e}, 32)
	linking := mustCBOR(t, map[int]any{1: []byte{1}, 2: make([]byte, 8), 3: linkSecret, 4: make([]byte, 65), 5: "phone", 6: make([]byte, 32)})
	s, _ := newScriptedSession(t, nil)
	for _, tc := range []struct {
		name string
		msg  []byte
		read func(s *Session, msg []byte) error
	}{
		{"a post-handshake message", mustCBOR(t, map[int]any{1: phoneGetInfo(t), 2: cbor.RawMessage(linking)}),
			func(s *Session, msg []byte) error { _, _, err := s.postHandshake(msg, [32]byte{}, 0); return err }},
		{"an update message", slices.Concat([]byte{msgUpdate}, mustCBOR(t, map[int]any{1: cbor.RawMessage(linking), 999: 1})),
			func(s *Session, msg []byte) error { s.update(msg[1:], [32]byte{}, 0); return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg := bytes.Clone(tc.msg)
			if !bytes.Contains(msg, linkSecret) {
				t.Fatal("the message does not hold the link secret")
			}
			if err := tc.read(s, msg); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(msg, linkSecret[:8]) {
				t.Errorf("the message still holds the link secret: %x", msg)
			}
		})
	}
}

// When the transaction ends, the QR secret and the advert key are zeroed.
func TestTheSessionsKeysAreZeroedWhenItEnds(t *testing.T) {
	s, phone := newScriptedSession(t, nil)
	secret, key := s.secret, s.eidKey
	go func() { _ = phone.handshake(t.Context()); _ = phone.conn.Close() }()
	if _, err := s.MakeCredential(t.Context(), MakeCredentialRequest{ClientDataHash: make([]byte, 32), RPID: "x", UserID: []byte{1}}, nil); !errors.Is(err, ErrPhoneCancelled) {
		t.Fatalf("error %v", err)
	}
	if !bytes.Equal(secret, make([]byte, len(secret))) || !bytes.Equal(key, make([]byte, len(key))) || s.QR().Text != "" {
		t.Errorf("after the transaction: secret %x, advert key %x, QR %q", secret, key, s.QR().Text)
	}
}

// slowStopAir is a scanner that takes a while to stop once its context ends (BlueZ's
// StopDiscovery and RemoveMatch calls), and says when it has.
type slowStopAir struct {
	scriptedAir
	stopped chan struct{}
}

func (a *slowStopAir) Adverts(ctx context.Context) (<-chan Advert, error) {
	out := make(chan Advert)
	go func() {
		defer close(out)       // last, as a scanner does: once it has stopped
		defer close(a.stopped) // the scan has stopped
		for {
			select {
			case <-ctx.Done():
				time.Sleep(100 * time.Millisecond) // stopping the discovery
				return
			case adv := <-a.adverts:
				select {
				case out <- adv:
				case <-ctx.Done():
					time.Sleep(100 * time.Millisecond)
					return
				}
			}
		}
	}()
	return out, nil
}

// When a transaction's call returns, its Bluetooth scan has stopped (CTAP 2.2 §11.5.1.2:
// the scan is only for this QR code): a kiosk's next patient does not find the computer
// still scanning, and no scanner goroutine or bus connection is left behind.
func TestTheScanHasStoppedWhenTheCallReturns(t *testing.T) {
	for _, tc := range []struct {
		name  string
		found bool // the phone's advert comes
		cfg   func(*Config)
		ctx   func(context.Context) (context.Context, context.CancelFunc)
		want  error
	}{
		{"the phone is found", true, nil, nil, ErrTunnelRefused},
		{"no phone before the advert timeout", false, func(c *Config) { c.AdvertTimeout = 100 * time.Millisecond }, nil, ErrNoAdvert},
		{"no phone before the deadline", false, nil, func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 100*time.Millisecond)
		}, ErrNoAdvert},
		{"cancelled while scanning", false, nil, func(ctx context.Context) (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(ctx)
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, ErrCancelled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			air := &slowStopAir{scriptedAir: *newScriptedAir(), stopped: make(chan struct{})}
			cfg := Config{Adverts: air, Connector: connectorFunc(func(context.Context, Route) (Channel, error) {
				return nil, ErrTunnelRefused
			})}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			s, err := NewSession(cfg, RequestGetAssertion)
			if err != nil {
				t.Fatal(err)
			}
			if tc.found {
				q, err := ParseQR(s.QR().Text)
				if err != nil {
					t.Fatal(err)
				}
				air.adverts <- Advert{Data: advertFor(q.Secret, [eidSize]byte{}), Service: ServiceFIDO}
			}
			ctx := t.Context()
			if tc.ctx != nil {
				var cancel context.CancelFunc
				ctx, cancel = tc.ctx(ctx)
				defer cancel()
			}
			_, err = s.GetAssertion(ctx, GetAssertionRequest{ClientDataHash: make([]byte, 32), RPID: "x"}, nil)
			if !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			select {
			case <-air.stopped:
			default:
				t.Error("the call returned while the scan was still running")
			}
		})
	}
}

// The QR code's text, byte for byte, for fixed keys: the CBOR map of CTAP 2.2 §11.5.1.1
// (keys 0..5, canonical order, key 4 false with no LinkStore, key 6 left out) and its
// digits (Chromium qr::BytesToDigits), computed independently (python3 + cryptography).
func TestTheQRCodeTextIsTheSpecsEncodingByteForByte(t *testing.T) {
	random := slices.Concat(
		[]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}, // identity scalar
		[]byte{0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f},                        // QR secret
	)
	s, err := NewSession(Config{
		Adverts: newScriptedAir(),
		Rand:    bytes.NewReader(random),
		Now:     func() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) },
	}, RequestMakeCredential)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const want = "FIDO:/259847674485802620132995762365599757980909588774611262384688610511485088061703548564218649092938882819206271442587003550065014767631034640622167521100546109321447142404"
	if got := s.QR().Text; got != want {
		t.Errorf("QR text\n got %s\nwant %s", got, want)
	}
}

// Hashed tunnel domains beyond the two published vectors (266, 0xF980), at the edges of
// the range, computed independently (python3 hashlib) from Chromium's DecodeDomain.
func TestHashedDomainsAtTheEdgesOfTheRange(t *testing.T) {
	for id, want := range map[uint16]string{
		256:    "cable.qz2ekwmnd332c.info",
		1000:   "cable.pc4fnfcc7wy7c.com",
		0xFFFF: "cable.lw6vahpb5pldb.net",
	} {
		if got, ok := DecodeDomain(id); !ok || got != want {
			t.Errorf("domain %d: %q, %v; want %q", id, got, ok, want)
		}
	}
	for _, id := range []uint16{2, 3, 100, 255} {
		if got, ok := DecodeDomain(id); ok {
			t.Errorf("domain %d (assigned, unknown): %q", id, got)
		}
	}
}

// The PSK of webauthn-rs' real advert (decrypt_known): Derive(qr_secret, salt = the
// advert's 16-byte plaintext, purpose 3, 32 bytes), computed independently (python3
// cryptography HKDF); no published vector covers purpose 3.
func TestThePSKOfTheRealAdvertIsHKDFWithItsPlaintextAsSalt(t *testing.T) {
	secret := mustHex(t, "01fea6f7c4807493dc256f9eacf756c9")
	plain, ok := decryptAdvert(eidKey(secret), mustHex(t, "027d84ed6076b55e247c830f82955e4d126e7f43"))
	if !ok || hex.EncodeToString(plain[:]) != "008bb5c5c9a44d913a5eb20265550000" {
		t.Fatalf("advert plaintext %x, %v", plain, ok)
	}
	if got := hex.EncodeToString(psk(secret, plain[:])); got != "839f4fa0f797563fc485031e4bec7e60b0f07fbc58fcda6815c8e9b1eec698bb" {
		t.Errorf("PSK %s", got)
	}
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A tunnel server that answers the WebSocket request but not as a fido.cable WebSocket
// refused the connection (ErrTunnelRefused: it answered), whatever is wrong with its
// answer: another sub-protocol, none, or a broken upgrade.
func TestATunnelAnswerThatIsNoFidoCableWebSocketIsARefusal(t *testing.T) {
	accept := func(key string) string {
		h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		return base64.StdEncoding.EncodeToString(h[:])
	}
	for _, tc := range []struct {
		name    string
		headers func(r *http.Request) http.Header
		status  int
	}{
		{"another sub-protocol", func(r *http.Request) http.Header {
			return http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Accept": {accept(r.Header.Get("Sec-WebSocket-Key"))}, "Sec-Websocket-Protocol": {"chat"}}
		}, http.StatusSwitchingProtocols},
		{"no sub-protocol", func(r *http.Request) http.Header {
			return http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Accept": {accept(r.Header.Get("Sec-WebSocket-Key"))}}
		}, http.StatusSwitchingProtocols},
		{"a wrong Sec-WebSocket-Accept", func(*http.Request) http.Header {
			return http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Accept": {"AAAA"}, "Sec-Websocket-Protocol": {subprotocol}}
		}, http.StatusSwitchingProtocols},
		{"an upgrade to something else", func(r *http.Request) http.Header {
			return http.Header{"Upgrade": {"h2c"}, "Connection": {"Upgrade"}, "Sec-Websocket-Accept": {accept(r.Header.Get("Sec-WebSocket-Key"))}, "Sec-Websocket-Protocol": {subprotocol}}
		}, http.StatusSwitchingProtocols},
		{"a plain page (a captive portal)", func(*http.Request) http.Header { return http.Header{} }, http.StatusOK},
		{"a sub-protocol of the server's own long words", func(r *http.Request) http.Header {
			return http.Header{"Upgrade": {"websocket"}, "Connection": {"Upgrade"}, "Sec-Websocket-Accept": {accept(r.Header.Get("Sec-WebSocket-Key"))}, "Sec-Websocket-Protocol": {strings.Repeat("server-said-this-", 4096)}}
		}, http.StatusSwitchingProtocols},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.headers(r) {
					w.Header()[k] = v
				}
				if tc.status != http.StatusSwitchingProtocols {
					w.WriteHeader(tc.status)
					return
				}
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					return
				}
				defer conn.Close()
				_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\n")
				_ = w.Header().Write(buf)
				_, _ = buf.WriteString("\r\n")
				_ = buf.Flush()
			}))
			defer srv.Close()
			tunnel := &Tunnel{BaseURL: func(string) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }, DialTimeout: 2 * time.Second}
			ch, err := tunnel.Connect(t.Context(), Route{Domain: "cable.ua5v.com"})
			if err == nil {
				ch.Close()
			}
			if !errors.Is(err, ErrTunnelRefused) || errors.Is(err, ErrTunnelUnreachable) {
				t.Errorf("error %.300v, want ErrTunnelRefused", err)
			}
			// The server's words do not go into the error's text, which the ceremony logs.
			if text := err.Error(); strings.Contains(text, "server-said-this") || len(text) > 300 {
				t.Errorf("the error's text holds what the server said (%d bytes): %.300s", len(text), text)
			}
		})
	}
}

// neverClosingAir breaks AdvertSource's promise: its channel never closes.
type neverClosingAir struct{ adverts chan Advert }

func (a neverClosingAir) Adverts(context.Context) (<-chan Advert, error) { return a.adverts, nil }

// Waiting for the scan to stop neither holds up the connection to the phone nor, with a
// scanner that never says it has stopped, the call for longer than scanStopGrace.
func TestAScannerThatNeverSaysItStoppedHoldsNothingUp(t *testing.T) {
	air := neverClosingAir{adverts: make(chan Advert, 1)}
	var connectedAfter time.Duration
	start := time.Now()
	s, err := NewSession(Config{Adverts: air, Connector: connectorFunc(func(context.Context, Route) (Channel, error) {
		connectedAfter = time.Since(start)
		return nil, ErrTunnelRefused
	})}, RequestGetAssertion)
	if err != nil {
		t.Fatal(err)
	}
	q, err := ParseQR(s.QR().Text)
	if err != nil {
		t.Fatal(err)
	}
	air.adverts <- Advert{Data: advertFor(q.Secret, [eidSize]byte{}), Service: ServiceFIDO}
	_, err = s.GetAssertion(t.Context(), GetAssertionRequest{ClientDataHash: make([]byte, 32), RPID: "x"}, nil)
	took := time.Since(start)
	if !errors.Is(err, ErrTunnelRefused) {
		t.Fatalf("error %v", err)
	}
	if connectedAfter > time.Second || took > scanStopGrace+time.Second {
		t.Errorf("connected after %v, returned after %v (grace %v)", connectedAfter, took, scanStopGrace)
	}
}

// What a phone sends never goes into an error's text (doc.go: no error text or log holds
// the phone's answer): a phone cannot write its own words, of up to a megabyte, into the
// app's log through a refusal.
func TestAPhonesOwnWordsStayOutOfTheErrorText(t *testing.T) {
	words := strings.Repeat("phone-said-this ", 4096)
	getInfo := func(versions []string) []byte {
		return mustCBOR(t, map[int]any{1: versions, 3: make([]byte, 16)})
	}
	for name, msg := range map[string][]byte{
		"CTAP versions it does not speak": mustCBOR(t, map[int]any{1: getInfo([]string{words, "U2F_V2"})}),
		"features other than CTAP":        mustCBOR(t, map[int]any{1: getInfo([]string{"FIDO_2_1"}), 3: []string{words, "dc"}}),
	} {
		t.Run(name, func(t *testing.T) {
			_, _, _, err := parsePostHandshake(msg)
			if !errors.Is(err, ErrPhoneUnsupported) {
				t.Fatalf("error %v, want ErrPhoneUnsupported", err)
			}
			if text := err.Error(); strings.Contains(text, "phone-said-this") || len(text) > 200 {
				t.Errorf("the error's text holds what the phone said (%d bytes): %.200s", len(text), text)
			}
		})
	}
}

// Once the phone's advert has come, the QR code's secret and the advert key have done their
// work (the PSK and the tunnel ID are derived from them): they are zeroed then, not held
// while the person takes their time on the phone, and the QR code is no longer given out.
func TestTheQRSecretIsZeroedOnceThePhoneIsFound(t *testing.T) {
	s, phone := newScriptedSession(t, nil)
	secret, key := s.secret, s.eidKey
	type seen struct {
		secret, key []byte
		qr          string
	}
	at := map[Progress]seen{}
	progress := func(p Progress) {
		at[p] = seen{bytes.Clone(secret), bytes.Clone(key), s.QR().Text}
	}
	go func() {
		ctx := t.Context()
		if phone.handshake(ctx) != nil || phone.send(ctx, mustCBOR(t, map[int]any{1: phoneGetInfo(t)})) != nil {
			return
		}
		_ = phone.receive(ctx) // the command; then the person cancels on the phone
		_ = phone.send(ctx, []byte{msgCTAP, statusOperationDenied})
	}()
	if _, err := s.MakeCredential(t.Context(), MakeCredentialRequest{ClientDataHash: make([]byte, 32), RPID: "x", UserID: []byte{1}}, progress); !errors.Is(err, ErrPhoneCancelled) {
		t.Fatalf("error %v", err)
	}
	if got := at[ProgressScanning]; bytes.Equal(got.secret, make([]byte, len(secret))) || got.qr == "" {
		t.Fatalf("while scanning the secret is %x and the QR code %q: the test does not see the session", got.secret, got.qr)
	}
	for _, p := range []Progress{ProgressConnecting, ProgressOnPhone} {
		got, ok := at[p]
		if !ok {
			t.Fatalf("no progress %d", p)
		}
		if !bytes.Equal(got.secret, make([]byte, len(secret))) || !bytes.Equal(got.key, make([]byte, len(key))) || got.qr != "" {
			t.Errorf("at progress %d: secret %x, advert key %x, QR code %q", p, got.secret, got.key, got.qr)
		}
	}
}
