//go:build desktopsmoke && linux

package desktop_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/internal/phonetest/fakebluez"
	"github.com/nhs-passkeys/companion/internal/phonetest/faketunnel"
	"github.com/nhs-passkeys/companion/internal/phonetest/simphone"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

// "Use a different phone or tablet" in the real window (app/hybrid). Nothing of the phone path
// in the binary is replaced: the app finds Bluetooth through BlueZ on the system bus, and
// reaches the phone's tunnel server by its real name over TLS checked against the system's
// roots. What stands in for the radio and the internet is outside the app:
//   - the system bus is a private dbus-daemon (DBUS_SYSTEM_BUS_ADDRESS) where a FAKE BlueZ
//     (internal/phonetest/fakebluez) owns org.bluez with one powered adapter; the simulated
//     phone's advert reaches it as the radio would bring it;
//   - the internet is an HTTPS proxy (HTTPS_PROXY, as a surgery's network may have) that
//     lets through CONNECT to the two assigned tunnel domains only, and answers each with a
//     TLS server holding a certificate for that name from a test CA (SSL_CERT_FILE, which Go
//     reads as the system's roots on Linux), behind which is the fake tunnel server
//     (internal/phonetest/faketunnel).
//
// The QR code is read off a screenshot of the window by zbarimg, as a phone's camera reads
// the screen, and handed to the simulated phone, which holds a real P-256 passkey.

// phoneAddress is the simulated phone's Bluetooth address (a random one, as phones use).
const phoneAddress = "5A:11:22:33:44:55"

// The phone choice's label (frontend/src).
const phoneChoice = "Use a different phone or tablet"

// internet is the way from this computer to the tunnel servers: a proxy, and TLS for the
// tunnel domains from a test CA.
type internet struct {
	proxyURL string
	caFile   string

	mu       sync.Mutex
	connects []string // the CONNECT targets asked for, in order
	refused  []string
}

// startInternet opens the proxy on loopback in front of tunnel; it closes at the end of t.
func startInternet(t *testing.T, tunnel *faketunnel.Server) *internet {
	t.Helper()
	// No NextProtos (ServerConfig sets none): the app's WebSocket request then stays on
	// HTTP/1.1, as with Google's and Apple's servers for the tunnel.
	ca := testkit.NewCA(t)
	serverTLS := ca.ServerConfig(t, "cable.ua5v.com", "cable.auth.com")
	in := &internet{caFile: ca.File}
	tunnelURL, err := url.Parse(tunnel.URL())
	if err != nil {
		t.Fatal(err)
	}

	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in.proxyURL = "http://" + l.Addr().String()
	var wg sync.WaitGroup
	var conns sync.Map
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns.Store(c, true)
			wg.Go(func() {
				defer conns.Delete(c)
				in.serve(t.Context(), c, serverTLS, tunnelURL.Host)
			})
		}
	})
	t.Cleanup(func() {
		l.Close()
		conns.Range(func(c, _ any) bool { c.(net.Conn).Close(); return true })
		wg.Wait()
	})
	return in
}

// serve is one client of the proxy: a CONNECT to a tunnel domain's port 443 gets the TLS
// server, whose plaintext goes to the fake tunnel; anything else is refused.
func (in *internet) serve(ctx context.Context, c net.Conn, serverTLS *tls.Config, tunnelAddr string) {
	defer c.Close()
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	target := req.Host
	in.mu.Lock()
	in.connects = append(in.connects, target)
	in.mu.Unlock()
	if req.Method != http.MethodConnect || (target != "cable.ua5v.com:443" && target != "cable.auth.com:443") {
		in.mu.Lock()
		in.refused = append(in.refused, req.Method+" "+target)
		in.mu.Unlock()
		fmt.Fprint(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
		return
	}
	fmt.Fprint(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	secure := tls.Server(&bufferedConn{Conn: c, r: br}, serverTLS)
	if err := secure.HandshakeContext(ctx); err != nil {
		return
	}
	upstream, err := (&net.Dialer{}).DialContext(ctx, "tcp", tunnelAddr)
	if err != nil {
		return
	}
	defer upstream.Close()
	done := make(chan struct{}, 2)
	// Either side closing ends the copies; that is their only error, and the end of the
	// connection is all the proxy needs to know.
	go func() { _, _ = io.Copy(upstream, secure); done <- struct{}{} }()
	go func() { _, _ = io.Copy(secure, upstream); done <- struct{}{} }()
	<-done
}

// Connects are the CONNECT targets the app asked the proxy for, and those it refused.
func (in *internet) Connects() (asked, refused []string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return slices.Clone(in.connects), slices.Clone(in.refused)
}

// bufferedConn reads first what the proxy's request reader had already buffered.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// relayAdverts carries what the simulated phone transmits to the fake BlueZ, as the radio
// would: its service data, under the service's 128-bit UUID, from its address.
func relayAdverts(t *testing.T, air *simphone.Air, bluez *fakebluez.BlueZ) {
	ctx, cancel := context.WithCancel(context.Background())
	adverts, err := air.Adverts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for a := range adverts {
			uuid := fmt.Sprintf("0000%04x-0000-1000-8000-00805f9b34fb", a.Service)
			bluez.Advertise(phoneAddress, map[string][]byte{uuid: a.Data})
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// readQROnScreen reads the QR code in the window with zbarimg, as the phone's camera would.
// Where the heading takes two lines the code starts near the window's foot, so, as a person
// would, it scrolls the page down (the mouse wheel, over the window) until the code reads.
func (s *screen) readQROnScreen() string {
	s.t.Helper()
	file := filepath.Join(s.t.TempDir(), "screen.png")
	deadline := time.Now().Add(30 * time.Second)
	for attempt := 0; ; attempt++ {
		if attempt > 0 && attempt%2 == 0 {
			s.run("xdotool", "mousemove", "--sync", "640", "400", "click", "5")
		}
		s.run("import", "-window", "root", file)
		out, err := exec.CommandContext(s.ctx, "zbarimg", "--raw", "-q", file).Output()
		text := strings.TrimSpace(string(out))
		if err == nil && strings.HasPrefix(text, "FIDO:/") {
			return text
		}
		if time.Now().After(deadline) {
			s.fail("zbarimg cannot read a FIDO:/ QR code in the window (%v, read %.12q)", err, text)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// scanWith hands the QR code's text to the phone; its result comes on the channel.
func scanWith(t *testing.T, phone *simphone.Phone, text string) <-chan error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	done := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() { done <- phone.Scan(ctx, text) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return done
}

// smokePhone starts signed in (the passkey subtest), sets up a passkey on the simulated phone
// through the window, logs out, and logs in with it. It returns the session cookie the
// keyring held at the end.
func smokePhone(t *testing.T, s *screen, bin, dataDir, keyringUser string) []string {
	ctx := s.ctx
	db := filepath.Join(dataDir, "passkeys.db")
	before := storedPasskeys(t, ctx, db)

	tunnel := faketunnel.New(t, faketunnel.Relay)
	web := startInternet(t, tunnel)
	bus := fakebluez.StartBus(t)
	bluez := fakebluez.Start(t, bus)
	bluez.AddAdapter("hci0")
	air := simphone.NewAir()
	relayAdverts(t, air, bluez)
	// An Android phone names Google's tunnel server (domain 0).
	phone := &simphone.Phone{Tunnel: tunnel.URL(), Air: air, DomainID: 0}

	app := startAppWith(t, bin, dataDir, s.display, filepath.Join(s.artifacts, "app-phone.log"), []string{
		"DBUS_SYSTEM_BUS_ADDRESS=" + bus.Address,
		"HTTPS_PROXY=" + web.proxyURL, "https_proxy=" + web.proxyURL,
		"NO_PROXY=", "no_proxy=",
		"SSL_CERT_FILE=" + web.caFile,
	})
	s.waitForWindow(app)
	s.waitFor("settings, still signed in", securityHeading)

	// Set up a passkey on the phone, as the help article says: Passkeys, Set up a passkey,
	// then "Use a different phone or tablet" and scan the QR code.
	s.tabTo("Passkeys")
	s.key("Return")
	s.waitFor("Passkeys page", "You can have more than one passkey")
	s.tabTo("Set up a passkey")
	s.key("Return")
	s.waitFor("passkey set-up page", "you save your passkey on a security key")
	s.tabTo("Continue")
	s.key("Return")
	s.waitFor("choice of where to save the passkey", "Where do you want to save your passkey?")
	s.chooseRadio(phoneChoice)
	s.tabTo("Continue")
	s.key("Return")
	s.waitFor("QR code to set up a passkey", "Setting up your passkey")
	s.save("13-phone-qr-code.png")
	if !bluez.Discovering("hci0") {
		t.Error("with the QR code shown the app should be scanning for the phone through BlueZ")
	}
	scanned := scanWith(t, phone, s.readQROnScreen())
	s.waitFor("Passkeys after setting up a passkey on the phone", "Passkey set up")
	if err := <-scanned; err != nil {
		t.Fatalf("the phone: %v", err)
	}
	s.save("14-phone-passkey-set-up.png")
	registered := storedPasskeys(t, ctx, db)
	if len(registered) != len(before)+1 || phone.Passkeys() != 1 {
		t.Fatalf("after setting up a passkey on the phone the account has %d passkeys (was %d) and the phone %d; want one more on each",
			len(registered), len(before), phone.Passkeys())
	}
	onPhone := registered[len(registered)-1]
	if !onPhone.userVerified || onPhone.lastUsed.Valid {
		t.Fatalf("the phone's passkey: user verified %v, last used %v; want verified, never used", onPhone.userVerified, onPhone.lastUsed)
	}
	waitUntil(t, ctx, "the scan to stop once the phone was found", func() bool { return !bluez.Discovering("hci0") })

	// Log out, then log in with the phone: an iPhone this time, naming Apple's tunnel server.
	phone.DomainID = 1
	s.click("Back to Login and security settings")
	s.waitFor("settings", securityHeading)
	s.tabTo("Log out")
	s.key("Return")
	s.waitFor("start page after logging out", loggedOutBanner)
	waitUntil(t, ctx, "the keyring entry to go", func() bool { return keyringSession(t, ctx, keyringUser) == "" })
	s.tabTo("Log in")
	s.key("Return")
	s.waitFor("login page", "Log in with your password instead")
	s.click("Email address")
	s.key("ctrl+a")
	s.typeText(email)
	s.key("Return")
	s.waitFor("choice of where the passkey is", "Where is your passkey saved?")
	s.chooseRadio(phoneChoice)
	s.tabTo("Continue")
	s.key("Return")
	s.waitFor("QR code to log in", "Logging in with your passkey")
	scanned = scanWith(t, phone, s.readQROnScreen())
	s.waitFor("settings after logging in with the phone", securityHeading)
	if err := <-scanned; err != nil {
		t.Fatalf("the phone: %v", err)
	}
	s.save("15-phone-logged-in.png")
	session := keyringSession(t, ctx, keyringUser)
	if !strings.HasPrefix(session, "nhsp_session=") {
		t.Fatal("after logging in with the phone the keyring does not hold a session")
	}
	app.stop()

	used := storedPasskeys(t, ctx, db)
	var found bool
	for _, p := range used {
		if string(p.credentialID) == string(onPhone.credentialID) {
			found = true
			if !p.lastUsed.Valid || !p.userVerified {
				t.Errorf("the phone's passkey after logging in with it: last used %v, user verified %v", p.lastUsed, p.userVerified)
			}
		}
	}
	if !found {
		t.Fatal("the phone's passkey is gone from the database after logging in with it")
	}
	// Both ceremonies went to the tunnel server the phone named, through the network's proxy,
	// over TLS the app checked (a refused certificate would have failed the ceremony).
	asked, refused := web.Connects()
	if !slices.Contains(asked, "cable.ua5v.com:443") || !slices.Contains(asked, "cable.auth.com:443") || len(refused) > 0 {
		t.Errorf("the app asked the proxy for %q (refused %q); want Google's tunnel server, then Apple's", asked, refused)
	}
	if n := tunnel.Open(); n != 0 {
		t.Errorf("the tunnel server still holds %d connections from the app", n)
	}
	seen := phone.Seen()
	if len(seen) != 2 || seen[0].Command != 1 || seen[1].Command != 2 || seen[0].RPID != "localhost" || seen[1].RPID != "localhost" {
		t.Fatalf("the phone was asked %+v; want makeCredential then getAssertion for localhost", seen)
	}
	t.Logf("phone passkey %x…, set up and used through the tunnel servers %q", onPhone.credentialID[:8], asked)
	return []string{session}
}
