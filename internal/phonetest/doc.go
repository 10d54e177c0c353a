// Package phonetest holds the SIMULATIONS that stand in for a phone and the internet in
// tests of "Use a different phone or tablet" (the FIDO hybrid transport, caBLE v2, CTAP 2.2
// §11.5; app/hybrid): none of it is built into the app.
//
//	simphone   a simulated phone: reads the QR code, meets the desktop at the tunnel
//	           server, "transmits" its Bluetooth advert into an Air (the desktop's
//	           hybrid.AdvertSource), answers the Noise handshake and one CTAP2 request
//	faketunnel a caBLE tunnel server on loopback (hybrid.Tunnel.BaseURL points at it), with
//	           faults a real tunnel or network can have
//	noisep256  P-256 for github.com/flynn/noise: the simulated phone's own handshake, so the
//	           phone and app/hybrid check each other
//
// It sits at the module root so that every test of the module can use it: app/hybrid's,
// app/device's (the desktop shell's device endpoints) and the browser journeys (package
// main, build tag e2e).
package phonetest
