// Package hybrid is the desktop (client platform) side of the FIDO hybrid transport, caBLE
// v2 (CTAP 2.2 §11.5 "Hybrid transports"): "Use a different phone or tablet" on Linux and
// macOS, in pure Go (no cgo, no Wails). Windows does not need it: webauthn.dll does hybrid
// itself (app/webauthndll).
//
// A transaction, step by step (one file per step):
//
//	qr.go, digits.go  a fresh P-256 identity key and 16-byte secret; the QR code is the CBOR
//	                  map {0: compressed key, 1: secret, 2: known domains, 3: time, 4:
//	                  supports linking, 5: "mc"/"ga"} as "FIDO:/" and digits (§11.5.1.1)
//	derive.go         HKDF-SHA256 derivations from the secret: advert key, tunnel ID, PSK
//	advert.go         the phone's BLE advert (service data 0xFFF9/0xFDE2): an AES block
//	                  and 4 bytes of HMAC, decrypted to a nonce, routing ID and tunnel
//	                  domain ID (§11.5.1.2). The scan itself is an AdvertSource.
//	tunnel.go         the tunnel server's domain (cable.ua5v.com, cable.auth.com, or hashed)
//	                  and the WebSocket to wss://<domain>/cable/connect/<routing>/<tunnel>
//	                  with sub-protocol fido.cable (§11.5.1.3); a Connector
//	noise.go          Noise_KNpsk0_P256_AESGCM_SHA256, this desktop the initiator
//	crypter.go        AES-256-GCM per direction, 32-byte padding (§11.5.1.4)
//	ctap.go           post-handshake getInfo, one makeCredential or getAssertion, CTAP2
//	                  status codes, shutdown (§11.5.1.5)
//	linking.go        the seam for state-assisted transactions (not done: no LinkStore)
//	session.go        Session: the transaction, its progress, cancellation
//	errors.go         the stable errors every failure maps to
//	webauthn.go       the Session as app/webauthnclient's Authenticator (cgo or Windows
//	                  builds only, since webauthnclient includes the libfido2 binding)
//
// Seams for what is not here: AdvertSource (the BlueZ and CoreBluetooth scanners),
// Connector (CTAP 2.3's BLE L2CAP channel would be one, Route.Extra carries the advert's
// CTAP 2.3 suffix for it), LinkStore ("remember this phone"), Tunnel.BaseURL (tests).
//
// Secrets and their wiping. Secret: the QR secret (which is why the QR text must never be
// logged), the advert key, the advert's plaintext (the PSK's salt), the PSK, the identity
// and ephemeral private keys, every Noise chaining key, cipher key and DH result, the two
// transport keys, and a phone's link secret. Not secret: the tunnel ID, routing ID, domain,
// the handshake hash. Every byte slice this package holds a secret in is zeroed (clear) as
// soon as it is no longer needed, on every path: the QR secret and the advert key once the
// phone's advert has come (the QR code is then no longer given out), the Session's other
// keys when its one call returns or Close is called. What cannot be wiped from Go is said plainly: crypto/ecdh
// keeps its own copy of a private scalar, crypto/aes and crypto/cipher their own expanded
// keys, and the QR text is a Go string (immutable); those are dropped for the garbage
// collector when the session ends. No error text or log holds
// key material, the QR text, or the phone's answer.
//
// Blocking and cancellation: MakeCredential and GetAssertion block while waiting for the
// advert, the tunnel and the person on the phone. The context bounds all of it; cancelling
// it (or Session.Close) ends the call with ErrCancelled, its deadline with ErrNoAdvert (or
// ErrWrongPhone) while scanning and ErrTimeout afterwards. A Session carries one
// transaction: phones accept one command per connection, and a QR code is never reused.
//
// Sources: CTAP 2.2 §11.5 (and CTAP 2.3 for its additions), Chromium device/fido/cable,
// linux-credentials/libwebauthn and kanidm/webauthn-rs, whose published test vectors the
// tests reproduce (../shared/HYBRID-NOTES.md §3.3). No code was taken from them.
package hybrid
