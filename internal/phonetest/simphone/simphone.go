// Package simphone is a SIMULATED phone for tests: the authenticator side of the hybrid
// transport (caBLE v2, CTAP 2.2 §11.5), as an Android phone with a passkey provider would
// be. It reads the desktop's "FIDO:/" QR text, meets the desktop at a (fake) tunnel server,
// "transmits" its encrypted Bluetooth advert into an Air the desktop scans, answers the
// Noise KNpsk0 handshake as the responder, sends the post-handshake message with its
// getInfo, and answers one CTAP2 makeCredential or getAssertion with a real P-256 passkey
// and real signatures.
//
// It shares no protocol code with app/hybrid beyond ParseQR: the advert, derivations and
// padding are written again here, and the handshake and AES-GCM are github.com/flynn/noise,
// so the two sides check each other.
package simphone

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/coder/websocket"
	"github.com/flynn/noise"
	"github.com/fxamacker/cbor/v2"

	"github.com/nhs-passkeys/companion/app/hybrid"
	"github.com/nhs-passkeys/companion/internal/phonetest/noisep256"
)

// Behaviour is what the person (or the phone) does.
type Behaviour int

const (
	// Confirm: the person confirms; the phone answers.
	Confirm Behaviour = iota
	// Decline: the person cancels on the phone (CTAP2_ERR_OPERATION_DENIED).
	Decline
	// HangUp: the phone closes the connection after reading the request, without answering.
	HangUp
	// WrongQR: the phone answers another QR code (its advert uses another secret), as when
	// the person scanned an old code or another computer's.
	WrongQR
	// Silent: the phone reads the QR code but never advertises.
	Silent
	// Hold: the phone reads the request and then waits, as a person who never confirms.
	Hold
)

// Step is a point of the transaction where a test may Pause the phone.
type Step int

const (
	// BeforeHandshake: the phone has advertised and the desktop has reached it through the
	// tunnel; it has not answered the desktop's handshake yet.
	BeforeHandshake Step = iota + 1
	// BeforeAnswer: the phone has read the request and shows it to the person, who has not
	// confirmed yet.
	BeforeAnswer
)

// GooglePasswordManager is the AAGUID the phone's passkeys carry (the backend names the
// passkey after it).
var GooglePasswordManager = []byte{0xea, 0x9b, 0x8d, 0x66, 0x4d, 0x01, 0x1d, 0x21, 0x3c, 0xe4, 0xb6, 0xb4, 0x8c, 0xb5, 0x75, 0xd4}

// Phone is a simulated phone. Its passkeys survive between transactions.
type Phone struct {
	// Tunnel is the ws:// base URL of the tunnel server it uses (faketunnel's URL).
	Tunnel string
	// DomainID is the tunnel server's domain ID it names in its advert (0: Google's).
	DomainID uint16
	// Air is where it transmits its advert.
	Air *Air
	// Behaviour is what happens on the phone.
	Behaviour Behaviour
	// Revision0 makes it speak protocol revision 0 (a padded post-handshake map, no
	// message types), as Android phones from before caBLE v2.1 did.
	Revision0 bool
	// Linking makes it send linking information when the QR code says the desktop
	// supports linking; ForgeLinking signs it with the wrong key.
	Linking, ForgeLinking bool
	// Pause, if set, is called at each Step and may block: a test then sees what the desktop
	// shows meanwhile. It should return when ctx ends.
	Pause func(ctx context.Context, step Step)

	mu       sync.Mutex
	passkeys []passkey
	seen     []Request
}

type passkey struct {
	rpID   string
	id     []byte
	userID []byte
	key    *ecdsa.PrivateKey
}

// Request is what the phone was asked.
type Request struct {
	Command byte // 1 makeCredential, 2 getAssertion
	RPID    string
	Options map[string]bool
}

// Seen are the CTAP requests the phone received.
func (p *Phone) Seen() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.seen)
}

// Passkeys is the number of passkeys the phone holds.
func (p *Phone) Passkeys() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.passkeys)
}

func derive(secret, salt []byte, purpose uint32, n int) []byte {
	var info [4]byte
	binary.LittleEndian.PutUint32(info[:], purpose)
	out, err := hkdf.Key(sha256.New, secret, salt, string(info[:]), n)
	if err != nil {
		panic(err)
	}
	return out
}

// Scan is the person scanning qrText with the phone: the whole transaction, from the
// phone's side. It returns when the transaction is over (nil when the phone answered).
func (p *Phone) Scan(ctx context.Context, qrText string) error {
	qr, err := hybrid.ParseQR(qrText)
	if err != nil {
		return err
	}
	if p.Behaviour == Silent {
		<-ctx.Done()
		return ctx.Err()
	}
	tunnelID := derive(qr.Secret, nil, 2, 16)
	conn, resp, err := websocket.Dial(ctx, p.Tunnel+"/cable/new/"+strings.ToUpper(hex.EncodeToString(tunnelID)),
		&websocket.DialOptions{Subprotocols: []string{"fido.cable"}})
	if err != nil {
		return fmt.Errorf("phone: tunnel: %w", err)
	}
	defer func() { _ = conn.CloseNow() }()
	routing, err := hex.DecodeString(resp.Header.Get("X-caBLE-Routing-ID"))
	if err != nil || len(routing) != 3 {
		return fmt.Errorf("phone: routing ID %q", resp.Header.Get("X-caBLE-Routing-ID"))
	}

	// The advert: 0 ‖ nonce ‖ routing ID ‖ domain ID (LE), one AES block, and 4 bytes of HMAC.
	var plain [16]byte
	rand.Read(plain[1:11])
	copy(plain[11:14], routing)
	binary.LittleEndian.PutUint16(plain[14:], p.DomainID)
	advertSecret := qr.Secret
	if p.Behaviour == WrongQR {
		advertSecret = make([]byte, 16)
		rand.Read(advertSecret)
	}
	eidKey := derive(advertSecret, nil, 1, 64)
	block, err := aes.NewCipher(eidKey[:32])
	if err != nil {
		return err
	}
	advert := make([]byte, 16, 20)
	block.Encrypt(advert, plain[:])
	mac := hmac.New(sha256.New, eidKey[32:])
	mac.Write(advert)
	advert = append(advert, mac.Sum(nil)[:4]...)
	p.Air.Transmit(hybrid.Advert{Data: advert, Service: hybrid.ServiceFIDO})
	if p.Behaviour == WrongQR {
		<-ctx.Done()
		return ctx.Err()
	}

	// The handshake, as the responder: the desktop's identity is known from the QR code.
	identity, err := uncompressed(qr.PublicKey)
	if err != nil {
		return err
	}
	hs, err := noise.NewHandshakeState(noise.Config{
		CipherSuite:           noisep256.CipherSuite,
		Random:                rand.Reader,
		Pattern:               noise.HandshakeKN,
		Prologue:              []byte{1},
		PresharedKey:          derive(qr.Secret, plain[:], 3, 32),
		PresharedKeyPlacement: 0,
		PeerStatic:            identity,
	})
	if err != nil {
		return err
	}
	p.pause(ctx, BeforeHandshake)
	_, msg1, err := conn.Read(ctx)
	if err != nil {
		return fmt.Errorf("phone: handshake: %w", err)
	}
	if _, _, _, err := hs.ReadMessage(nil, msg1); err != nil {
		return fmt.Errorf("phone: handshake: %w", err)
	}
	msg2, fromDesktop, toDesktop, err := hs.WriteMessage(nil, nil)
	if err != nil {
		return err
	}
	if err := conn.Write(ctx, websocket.MessageBinary, msg2); err != nil {
		return err
	}
	ch := &channel{conn: conn, read: fromDesktop, write: toDesktop}

	// The post-handshake message: getInfo, the features, and perhaps linking information.
	info, _ := cbor.Marshal(map[int]any{
		1: []string{"FIDO_2_0", "FIDO_2_1"},
		2: []string{"prf"},
		3: GooglePasswordManager,
		4: map[string]bool{"rk": true, "uv": true},
		9: []string{"cable", "hybrid", "internal"},
	})
	post := map[int]any{1: info}
	if !p.Revision0 {
		post[3] = []string{"ctap"}
	}
	if p.Linking && qr.SupportsLinking != nil && *qr.SupportsLinking {
		post[2] = p.linking(hs.ChannelBinding(), identity)
	}
	postBytes, _ := cbor.Marshal(post)
	if p.Revision0 {
		postBytes = padMap(postBytes)
	}
	if err := ch.send(ctx, postBytes); err != nil {
		return err
	}

	// The request.
	msg, err := ch.receive(ctx)
	if err != nil {
		return fmt.Errorf("phone: request: %w", err)
	}
	if !p.Revision0 {
		if len(msg) == 0 || msg[0] != 1 {
			return fmt.Errorf("phone: message type %x", msg)
		}
		msg = msg[1:]
	}
	p.pause(ctx, BeforeAnswer)
	if p.Behaviour == Hold {
		<-ctx.Done()
		return ctx.Err()
	}
	answer, err := p.answer(msg)
	if err != nil {
		return err
	}
	if p.Behaviour == HangUp {
		conn.Close(websocket.StatusNormalClosure, "")
		return nil
	}
	if !p.Revision0 {
		answer = append([]byte{1}, answer...)
	}
	if err := ch.send(ctx, answer); err != nil {
		return err
	}
	if !p.Revision0 {
		// The desktop says it is done.
		msg, err := ch.receive(ctx)
		if err != nil {
			return fmt.Errorf("phone: expected shutdown: %w", err)
		}
		if !bytes.Equal(msg, []byte{0}) {
			return fmt.Errorf("phone: expected shutdown, got %x", msg)
		}
	}
	// The desktop may already have dropped the connection: its close is not a failure.
	conn.Close(websocket.StatusNormalClosure, "")
	return nil
}

func (p *Phone) pause(ctx context.Context, step Step) {
	if p.Pause != nil {
		p.Pause(ctx, step)
	}
}

// linking is linking information signed for the desktop of this handshake.
func (p *Phone) linking(handshakeHash, desktopIdentity []byte) map[int]any {
	phoneKey, _ := ecdh.P256().GenerateKey(rand.Reader)
	peer, _ := ecdh.P256().NewPublicKey(desktopIdentity)
	shared, _ := phoneKey.ECDH(peer)
	if p.ForgeLinking {
		shared[0] ^= 1
	}
	mac := hmac.New(sha256.New, shared)
	mac.Write(handshakeHash)
	return map[int]any{
		1: []byte("contact-id"),
		2: []byte("link-id!"),
		3: bytes.Repeat([]byte{7}, 32),
		4: phoneKey.PublicKey().Bytes(),
		5: "Simulated phone",
		6: mac.Sum(nil),
	}
}

// padMap is revision 0's padded map: the map, zeros, uint16_le(zeros), to 512-byte blocks.
func padMap(m []byte) []byte {
	n := (len(m) + 2 + 511) / 512 * 512
	out := make([]byte, n)
	copy(out, m)
	binary.LittleEndian.PutUint16(out[n-2:], uint16(n-len(m)-2)) //nolint:gosec // G115: the padding is under 512 bytes
	return out
}

func uncompressed(compressed []byte) ([]byte, error) {
	x, y := elliptic.UnmarshalCompressed(elliptic.P256(), compressed)
	if x == nil {
		return nil, errors.New("phone: QR public key is not on P-256")
	}
	out := make([]byte, 65)
	out[0] = 4
	x.FillBytes(out[1:33])
	y.FillBytes(out[33:])
	return out, nil
}

// channel is the phone's encrypted channel: flynn's cipher states (big-endian counters, no
// additional data: the "new construction") and caBLE's padding to 32 bytes.
type channel struct {
	conn        *websocket.Conn
	read, write *noise.CipherState
}

func (c *channel) send(ctx context.Context, msg []byte) error {
	n := (len(msg) + 32) &^ 31
	padded := make([]byte, n)
	copy(padded, msg)
	padded[n-1] = byte(n - len(msg) - 1) //nolint:gosec // G115: the padding is under 32 bytes
	ct, err := c.write.Encrypt(nil, nil, padded)
	if err != nil {
		return err
	}
	return c.conn.Write(ctx, websocket.MessageBinary, ct)
}

func (c *channel) receive(ctx context.Context) ([]byte, error) {
	_, ct, err := c.conn.Read(ctx)
	if err != nil {
		return nil, err
	}
	padded, err := c.read.Decrypt(nil, nil, ct)
	if err != nil {
		return nil, err
	}
	if len(padded) == 0 || int(padded[len(padded)-1])+1 > len(padded) {
		return nil, errors.New("phone: bad padding")
	}
	return padded[:len(padded)-int(padded[len(padded)-1])-1], nil
}
