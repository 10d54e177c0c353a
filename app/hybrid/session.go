package hybrid

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// Config is what a Session needs from the app.
type Config struct {
	// Adverts is the Bluetooth scanner. Required.
	Adverts AdvertSource
	// Connector opens the channel to the phone (nil: the real tunnel server, &Tunnel{}).
	Connector Connector
	// AdvertTimeout bounds the wait for the phone's advert after the QR code is shown
	// (0: until the transaction's context ends). It ends in ErrNoAdvert or ErrWrongPhone.
	AdvertTimeout time.Duration
	// Links, when set, lets phones be remembered (linking.go). Nil: the QR code says this
	// desktop does not support linking, and linking information is dropped.
	Links LinkStore
	// Rand is the source of the keys and the QR secret (nil: crypto/rand). Tests only.
	Rand io.Reader
	// Now is the clock for the QR code's timestamp (nil: time.Now).
	Now func() time.Time
}

// Progress is what a transaction is waiting for.
type Progress int

const (
	// ProgressScanning: the QR code is shown; waiting for a phone to scan it and advertise.
	ProgressScanning Progress = iota + 1
	// ProgressConnecting: the phone advertised; connecting through its tunnel server.
	ProgressConnecting
	// ProgressOnPhone: connected; the person confirms on the phone.
	ProgressOnPhone
)

// Session is one QR code and the one transaction it carries (CTAP 2.2 §11.5.1: a
// QR-initiated transaction). Make it when the person chooses "Use a different phone or
// tablet", show QR(), then call MakeCredential or GetAssertion, which block until the
// phone answers, something fails, or ctx ends. A Session is good for one call; its keys
// are wiped when the call returns, or by Close.
type Session struct {
	cfg Config
	qr  QR

	mu       sync.Mutex         // guards running and the wiping of the keys
	running  context.CancelFunc // cancels the call in progress, if any
	identity *ecdh.PrivateKey
	secret   []byte // the QR secret
	eidKey   []byte
	tunnelID [tunnelIDSize]byte
	used     atomic.Bool
}

// NewSession makes a fresh identity key and QR secret (never reused: a QR code is for one
// transaction; HYBRID-NOTES §4 pitfall 10) and the QR code for request.
func NewSession(cfg Config, request RequestType) (*Session, error) {
	if cfg.Adverts == nil {
		return nil, errors.New("hybrid: Config.Adverts (the Bluetooth scanner) is required")
	}
	if cfg.Connector == nil {
		cfg.Connector = &Tunnel{}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if request != RequestMakeCredential {
		request = RequestGetAssertion
	}
	identity, err := newP256Key(cfg.Rand)
	if err != nil {
		return nil, err
	}
	secret := make([]byte, qrSecretSize)
	if _, err := io.ReadFull(cfg.Rand, secret); err != nil {
		return nil, fmt.Errorf("hybrid: QR secret: %w", err)
	}
	linking := cfg.Links != nil
	text, err := QRData{
		PublicKey:       compress(identity.PublicKey()),
		Secret:          secret,
		KnownDomains:    uint64(KnownDomains),
		Timestamp:       cfg.Now(),
		SupportsLinking: &linking,
		Request:         request,
	}.URL()
	if err != nil {
		clear(secret)
		return nil, err
	}
	return &Session{
		cfg:      cfg,
		qr:       QR{Text: text},
		identity: identity,
		secret:   secret,
		eidKey:   eidKey(secret),
		tunnelID: tunnelID(secret),
	}, nil
}

// newP256Key makes a P-256 private key from random bytes (rejection sampling). Go ignores
// the random source of ecdh's GenerateKey since 1.26; reading the scalar ourselves lets
// tests fix it.
func newP256Key(r io.Reader) (*ecdh.PrivateKey, error) {
	var scalar [32]byte
	defer clear(scalar[:])
	for range 64 {
		if _, err := io.ReadFull(r, scalar[:]); err != nil {
			return nil, fmt.Errorf("hybrid: key: %w", err)
		}
		if k, err := ecdh.P256().NewPrivateKey(scalar[:]); err == nil {
			return k, nil
		}
	}
	return nil, errors.New("hybrid: key: the random source gives no valid P-256 scalar")
}

// QR is the QR code to show (empty once the phone has been found, or the session has
// ended).
func (s *Session) QR() QR {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.qr
}

// Close ends the session: a call in progress is cancelled (it returns ErrCancelled and
// wipes the keys as it returns); otherwise the keys are wiped now. Safe to call more than
// once and from any goroutine.
func (s *Session) Close() {
	s.used.Store(true)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running != nil {
		s.running()
		return
	}
	s.wipeLocked()
}

func (s *Session) wipeLocked() {
	s.forgetQRLocked()
	clear(s.tunnelID[:])
	// crypto/ecdh keeps its own copy of the scalar: it cannot be wiped, and is dropped for
	// the garbage collector.
	s.identity = nil
}

// forgetQRLocked wipes what only the QR code and the wait for the phone's advert need: the
// QR secret and the advert key. The QR text is a string, which cannot be wiped: it is
// dropped for the garbage collector, and QR() answers an empty QR from now on.
func (s *Session) forgetQRLocked() {
	clear(s.secret)
	clear(s.eidKey)
	s.secret, s.eidKey = nil, nil
	s.qr = QR{}
}

// MakeCredential asks the phone to set up a passkey (authenticatorMakeCredential).
func (s *Session) MakeCredential(ctx context.Context, req MakeCredentialRequest, progress func(Progress)) (*Credential, error) {
	body, err := s.transact(ctx, req.encode, progress)
	if err != nil {
		return nil, err
	}
	return parseMakeCredential(body, req.RPID)
}

// GetAssertion asks the phone to sign in with a passkey (authenticatorGetAssertion).
func (s *Session) GetAssertion(ctx context.Context, req GetAssertionRequest, progress func(Progress)) (*Assertion, error) {
	body, err := s.transact(ctx, req.encode, progress)
	if err != nil {
		return nil, err
	}
	a, err := parseGetAssertion(body, req.RPID)
	if err != nil {
		return nil, err
	}
	return a, checkAllowed(a, req.AllowList)
}

// transact runs the whole transaction (CTAP 2.2 §11.5.1): wait for the advert, connect,
// handshake, read the post-handshake message, send the command that build makes from the
// phone's getInfo, and return the answer's body (after a success status).
func (s *Session) transact(ctx context.Context, build func(getInfo) ([]byte, error), progress func(Progress)) ([]byte, error) {
	if !s.used.CompareAndSwap(false, true) {
		return nil, ErrSessionUsed
	}
	s.mu.Lock()
	if s.secret == nil { // closed
		s.mu.Unlock()
		return nil, ErrSessionUsed
	}
	ctx, cancel := context.WithCancel(ctx)
	s.running = cancel
	s.mu.Unlock()
	defer func() {
		cancel()
		s.mu.Lock()
		s.running = nil
		s.wipeLocked()
		s.mu.Unlock()
	}()
	if progress == nil {
		progress = func(Progress) {}
	}
	if err := ctx.Err(); err != nil {
		return nil, ctxErr(ctx, ErrNoAdvert)
	}

	progress(ProgressScanning)
	route, psk, scanEnded, err := s.scan(ctx)
	// The scan is stopping already; the call returns once it has (awaitScanEnd), but the
	// phone need not wait for that.
	defer scanEnded()
	if err != nil {
		return nil, err
	}
	defer clear(psk)
	// The QR code has done its work: the PSK and the tunnel ID are derived. Its secret and
	// the advert key go now, not when the person has finished on the phone.
	s.mu.Lock()
	s.forgetQRLocked()
	s.mu.Unlock()

	progress(ProgressConnecting)
	ch, err := s.cfg.Connector.Connect(ctx, route)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxErr(ctx, ErrTimeout)
		}
		if !errors.Is(err, ErrTunnelRefused) && !errors.Is(err, ErrTunnelUnreachable) {
			err = fmt.Errorf("%w: %w", ErrTunnelUnreachable, err)
		}
		return nil, err
	}
	defer ch.Close()

	c, hash, err := s.handshake(ctx, ch, psk)
	clear(psk)
	if err != nil {
		return nil, err
	}

	// The post-handshake message: the phone's getInfo (and perhaps linking information).
	msg, err := receive(ctx, ch, c)
	if err != nil {
		return nil, err
	}
	info, revision, err := s.postHandshake(msg, hash, route.DomainID)
	if err != nil {
		return nil, err
	}

	progress(ProgressOnPhone)
	cmd, err := build(info)
	if err != nil {
		return nil, fmt.Errorf("hybrid: %w", err)
	}
	if revision >= 1 {
		cmd = append([]byte{msgCTAP}, cmd...)
	}
	if err := send(ctx, ch, c, cmd); err != nil {
		return nil, err
	}

	for {
		msg, err := receive(ctx, ch, c)
		if err != nil {
			return nil, err
		}
		if revision >= 1 {
			if len(msg) == 0 {
				return nil, fmt.Errorf("%w: an empty message", ErrBadResponse)
			}
			switch msg[0] {
			case msgCTAP:
				msg = msg[1:]
			case msgUpdate:
				s.update(msg[1:], hash, route.DomainID)
				continue
			default: // 3 (JSON, digital credentials) and types newer than this desktop
				continue
			}
		}
		if len(msg) == 0 {
			return nil, fmt.Errorf("%w: an empty CTAP answer", ErrBadResponse)
		}
		if msg[0] != statusOK {
			return nil, statusError(msg[0])
		}
		if revision >= 1 {
			// Tell the phone the transaction is over (Chromium sends shutdown, then closes).
			_ = send(ctx, ch, c, []byte{msgShutdown})
		}
		return msg[1:], nil
	}
}

// scan waits for the first advert that decrypts with this QR code's key and returns where
// the phone waits and the PSK its plaintext gives. It has stopped the scan (cancelled its
// context) when it returns; the function it returns waits until the scanner says it has
// stopped.
func (s *Session) scan(ctx context.Context) (Route, []byte, func(), error) {
	scanCtx, cancel := context.WithCancel(ctx)
	if s.cfg.AdvertTimeout > 0 {
		scanCtx, cancel = context.WithTimeout(ctx, s.cfg.AdvertTimeout)
	}
	defer cancel() // stops the scan
	adverts, err := s.cfg.Adverts.Adverts(scanCtx)
	if err != nil {
		if ctx.Err() != nil {
			return Route{}, nil, func() {}, ctxErr(ctx, ErrNoAdvert)
		}
		return Route{}, nil, func() {}, fmt.Errorf("%w: %w", ErrBluetoothUnavailable, err)
	}
	ended := func() { awaitScanEnd(adverts) }
	foreign := 0 // caBLE adverts for another QR code
	timedOut := func() error {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return ctxErr(ctx, ErrNoAdvert)
		}
		if foreign > 0 {
			return fmt.Errorf("%w: %d adverts for another QR code: %w", ErrWrongPhone, foreign, context.DeadlineExceeded)
		}
		return fmt.Errorf("%w: %w", ErrNoAdvert, context.DeadlineExceeded)
	}
	for {
		select {
		case <-scanCtx.Done():
			return Route{}, nil, ended, timedOut()
		case a, ok := <-adverts:
			if !ok {
				if scanCtx.Err() != nil {
					return Route{}, nil, ended, timedOut()
				}
				return Route{}, nil, ended, s.scanStopped(ctx)
			}
			plain, ok := decryptAdvert(s.eidKey, a.Data)
			if !ok {
				if isCableService(a.Service) && len(a.Data) >= advertSize && !a.Cached {
					foreign++
				}
				continue
			}
			e, err := parseEID(plain)
			if err != nil {
				clear(plain[:])
				return Route{}, nil, ended, err
			}
			domain, _ := DecodeDomain(e.DomainID)
			p := psk(s.secret, plain[:])
			clear(plain[:])
			clear(e.Nonce[:]) // with the rest of the plaintext, the PSK's salt
			return Route{
				Domain:    domain,
				DomainID:  e.DomainID,
				RoutingID: e.RoutingID,
				TunnelID:  s.tunnelID,
				Extra:     append([]byte(nil), a.Data[advertSize:]...),
			}, p, ended, nil
		}
	}
}

// scanStopped is why the scan ended before its time: Bluetooth was turned off, blocked or
// unplugged, or its service stopped, while the QR code was shown. A scanner that can say
// why (its Available, as app/bluetooth's scanners have) is asked, so that the person is told
// what to do about it as precisely as when the scan could not start.
func (s *Session) scanStopped(ctx context.Context) error {
	if a, ok := s.cfg.Adverts.(interface{ Available(context.Context) error }); ok {
		check, cancel := context.WithTimeout(ctx, scanStopGrace)
		defer cancel()
		if why := a.Available(check); why != nil && ctx.Err() == nil {
			if errors.Is(why, ErrBluetoothUnavailable) {
				return fmt.Errorf("the scan stopped: %w", why)
			}
			return fmt.Errorf("%w: the scan stopped: %w", ErrBluetoothUnavailable, why)
		}
	}
	if ctx.Err() != nil {
		return ctxErr(ctx, ErrNoAdvert)
	}
	return fmt.Errorf("%w: the scan stopped", ErrBluetoothUnavailable)
}

// scanStopGrace bounds the wait for a scanner to stop once its context has ended: just over
// app/bluetooth's stopTimeout (2 s), which bounds BlueZ's StopDiscovery and the removal of
// its signal matches together.
const scanStopGrace = 2500 * time.Millisecond

// awaitScanEnd waits for the scanner to close adverts, as AdvertSource promises once its
// context ends, so that when a transaction returns the scan has stopped: no discovery left running on the adapter, no scanner goroutine or bus
// connection left behind. A scanner that breaks its promise is waited for no longer than
// scanStopGrace.
func awaitScanEnd(adverts <-chan Advert) {
	grace := time.NewTimer(scanStopGrace)
	defer grace.Stop()
	for {
		select {
		case _, ok := <-adverts:
			if !ok {
				return
			}
		case <-grace.C:
			return
		}
	}
}

// handshake runs the Noise handshake over ch.
func (s *Session) handshake(ctx context.Context, ch Channel, psk []byte) (*crypter, [32]byte, error) {
	var hash [32]byte
	ephemeral, err := newP256Key(s.cfg.Rand)
	if err != nil {
		return nil, hash, err
	}
	init, msg1, err := startHandshake(s.identity, ephemeral, psk)
	if err != nil {
		return nil, hash, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	if err := ch.Send(ctx, msg1); err != nil {
		init.ss.wipe()
		if ctx.Err() != nil {
			return nil, hash, ctxErr(ctx, ErrTimeout)
		}
		return nil, hash, fmt.Errorf("%w: sending: %w", ErrHandshake, err)
	}
	msg2, err := ch.Receive(ctx)
	if err != nil {
		init.ss.wipe()
		if ctx.Err() != nil {
			return nil, hash, ctxErr(ctx, ErrTimeout)
		}
		return nil, hash, fmt.Errorf("%w: the connection ended during the handshake: %w", ErrHandshake, err)
	}
	c, hash, err := init.finish(msg2)
	if err != nil {
		return nil, hash, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	return c, hash, nil
}

// send encrypts and sends one message.
func send(ctx context.Context, ch Channel, c *crypter, msg []byte) error {
	ct, err := c.encrypt(msg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	if err := ch.Send(ctx, ct); err != nil {
		if ctx.Err() != nil {
			return ctxErr(ctx, ErrTimeout)
		}
		return fmt.Errorf("%w: the phone hung up: %w", ErrPhoneCancelled, err)
	}
	return nil
}

// receive reads and decrypts one message. The phone hanging up before it answers is the
// phone cancelling (the person closed the prompt, or the phone gave up).
func receive(ctx context.Context, ch Channel, c *crypter) ([]byte, error) {
	ct, err := ch.Receive(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctxErr(ctx, ErrTimeout)
		}
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: the phone hung up: %w", ErrPhoneCancelled, err)
		}
		if errors.Is(err, errNotAMessage) {
			return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
		}
		return nil, fmt.Errorf("%w: the connection was lost: %w", ErrTunnelUnreachable, err)
	}
	msg, err := c.decrypt(ct)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	return msg, nil
}

// postHandshake reads the phone's post-handshake message and hands its linking
// information, if any, to remember. The message and the linking information hold the
// phone's link secret (CTAP 2.2 §11.5.1.6; Android sends it every time), so both are zeroed
// here, whatever the outcome.
func (s *Session) postHandshake(msg []byte, hash [32]byte, domainID uint16) (getInfo, int, error) {
	defer clear(msg)
	ph, info, revision, err := parsePostHandshake(msg)
	defer clear(ph.Linking)
	if err != nil {
		return info, revision, err
	}
	if ph.Linking != nil {
		s.remember(ph.Linking, hash, domainID)
	}
	return info, revision, nil
}

// update reads a revision-1 update message's body ({1: linking information}); a malformed
// one is ignored (libwebauthn #288). Like postHandshake, it zeroes what held the link secret.
func (s *Session) update(body []byte, hash [32]byte, domainID uint16) {
	defer clear(body)
	var u updateMessage
	err := strictDecMode.Unmarshal(body, &u)
	defer clear(u.Linking)
	if err == nil && u.Linking != nil {
		s.remember(u.Linking, hash, domainID)
	}
}

// remember hands checked linking information to the LinkStore; without one, or when the
// signature does not check, it is dropped (never fatal: libwebauthn #288).
func (s *Session) remember(raw []byte, hash [32]byte, domainID uint16) {
	if s.cfg.Links == nil {
		return
	}
	link, err := verifyLinking(raw, s.identity, hash, domainID)
	if err != nil {
		return
	}
	_ = s.cfg.Links.Remember(*link)
}
