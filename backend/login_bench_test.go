//go:build unix

// Unix only: the CPU figures come from getrusage(2), which Windows does not have.

package backend_test

// Benchmarks of the sign-in paths through the whole HTTP handler, next to the one piece of
// cryptography a passkey login cannot avoid (a P-256 ECDSA verification). `make bench`
// (scripts/bench.sh) runs them with -count and summarises them with benchstat; the ratios
// it prints are only meaningful between benchmarks of the same run. Each also reports
// cpu-ns/op: the process's CPU time (user + system, getrusage RUSAGE_SELF) per operation,
// which other programs on a shared machine do not stretch the way they stretch wall time,
// and which counts every goroutine and thread the operation used (a background writer, the
// garbage collector), not only the caller's; sys-ns/op is its kernel part.

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/nhs-passkeys/companion/backend"
	"github.com/nhs-passkeys/companion/backend/account"
	"github.com/nhs-passkeys/companion/backend/store"
	"github.com/nhs-passkeys/companion/internal/softauthn"
	"github.com/nhs-passkeys/companion/internal/testserver"
)

// benchServer is a backend on a real SQLite file (WAL, synchronous=FULL: the production
// settings) with one account that has one passkey, and a client signed in as it.
func benchServer(b *testing.B, opts ...testserver.Option) (*testserver.Server, *testserver.Client, *softauthn.Authenticator) {
	b.Helper()
	srv := testserver.New(b, opts...)
	c := srv.Client()
	c.SignUp("bench@example.com", "correct horse battery staple")
	a := softauthn.New(testserver.Origin)
	c.RegisterPasskey(a, "")
	return srv, c, a
}

// BenchmarkLoginFinish is POST /api/login/passkey/finish for a discoverable login by someone
// who is not logged in (a fresh client each time, as on the start page): decode the JSON,
// take the ceremony row, parse and verify the assertion (go-webauthn: one P-256 signature
// check), then commit the updated passkey, the new session and the audit event in one
// transaction. Begin, the authenticator's signature and the encoding of the request's body
// are outside the timer and outside cpu-ns/op, which brackets each finish request with
// getrusage: what the process spent while the request was being answered, on every thread.
func BenchmarkLoginFinish(b *testing.B) {
	srv, _, a := benchServer(b)
	var cpu cpuMeter
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		c := srv.Client()
		begun := c.Begin("/api/login/passkey/begin", map[string]any{"email": ""})
		cred, err := a.Get(begun.PublicKey)
		if err != nil {
			b.Fatal(err)
		}
		body := finishBody(b, begun.Ceremony, cred)
		b.StartTimer()
		cpu.start(b)
		res := c.Post("/api/login/passkey/finish", body)
		cpu.stop(b)
		if res.Status != http.StatusOK {
			b.Fatalf("login finish: %d %s", res.Status, res.Body)
		}
	}
	cpu.report(b)
}

// finishBody is the JSON body of a finish request (what testserver.Client.Finish sends),
// encoded before the measured part: encoding it is the client's work (the browser's), not
// the server's, and the benchmark measures what the server spends on a login.
func finishBody(b *testing.B, ceremony string, credential []byte) []byte {
	b.Helper()
	body, err := json.Marshal(map[string]any{"ceremony": ceremony, "credential": json.RawMessage(credential)})
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// processCPU is the CPU time the whole process has used so far, user plus system, and the
// system (kernel) part of it (getrusage(2), RUSAGE_SELF: every thread, microseconds).
func processCPU(tb testing.TB) (total, sys time.Duration) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), time.Duration(ru.Stime.Nano())
}

// cpuMeter adds up the process's CPU time over the measured parts of a benchmark: the
// whole loop when it holds nothing else, or each request when the loop also prepares one.
type cpuMeter struct {
	total, sys           time.Duration
	startTotal, startSys time.Duration
}

func (m *cpuMeter) start(tb testing.TB) { m.startTotal, m.startSys = processCPU(tb) }

func (m *cpuMeter) stop(tb testing.TB) {
	total, sys := processCPU(tb)
	m.total += total - m.startTotal
	m.sys += sys - m.startSys
}

// report gives the CPU time per operation as cpu-ns/op and its kernel part as sys-ns/op
// (for a commit: mostly the write and the fsync; waiting for the disk is not CPU). b.N is
// the number of iterations once b.Loop has returned false.
func (m *cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(m.total.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(m.sys.Nanoseconds())/float64(b.N), "sys-ns/op")
}

// BenchmarkVerifyASN1 is the floor under a passkey login: ecdsa.VerifyASN1 alone on the
// signature of a real assertion from the same authenticator (the digest is computed once).
// Its cpu-ns/op is taken over the whole loop, which holds nothing else.
func BenchmarkVerifyASN1(b *testing.B) {
	_, c, a := benchServer(b)
	begun := c.Begin("/api/login/passkey/begin", map[string]any{"email": ""})
	cred, err := a.Get(begun.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	pub, digest, sig := signedAssertion(b, a, cred)
	if !ecdsa.VerifyASN1(pub, digest, sig) {
		b.Fatal("the assertion's signature does not verify")
	}
	var cpu cpuMeter
	b.ReportAllocs()
	cpu.start(b)
	for b.Loop() {
		if !ecdsa.VerifyASN1(pub, digest, sig) {
			b.Fatal("verify failed")
		}
	}
	cpu.stop(b)
	cpu.report(b)
}

// signedAssertion returns the public key, the signed digest (SHA-256 of authenticatorData
// || SHA-256(clientDataJSON), WebAuthn L3 §6.3.3) and the DER signature of an assertion.
func signedAssertion(b *testing.B, a *softauthn.Authenticator, cred []byte) (*ecdsa.PublicKey, []byte, []byte) {
	b.Helper()
	var resp struct {
		Response struct {
			AuthenticatorData string `json:"authenticatorData"`
			ClientDataJSON    string `json:"clientDataJSON"`
			Signature         string `json:"signature"`
		} `json:"response"`
	}
	if err := json.Unmarshal(cred, &resp); err != nil {
		b.Fatal(err)
	}
	decode := func(s string) []byte {
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			b.Fatal(err)
		}
		return raw
	}
	clientHash := sha256.Sum256(decode(resp.Response.ClientDataJSON))
	digest := sha256.Sum256(append(decode(resp.Response.AuthenticatorData), clientHash[:]...))
	return &a.Credentials[0].Key.PublicKey, digest[:], decode(resp.Response.Signature)
}

// BenchmarkRegisterFinish is POST /api/passkeys/register/finish: parse the attestation
// (format "none", so no signature is checked: CBOR, the COSE key, the flags), check the
// credential ID is new, use up the login grace, insert the passkey and audit it. Each
// iteration signs up a fresh account (outside the timer) for a fresh login grace.
func BenchmarkRegisterFinish(b *testing.B) {
	srv := testserver.New(b)
	var cpu cpuMeter
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		c := srv.Client()
		c.SignUp(fmt.Sprintf("bench%d@example.com", i), "correct horse battery staple")
		a := softauthn.New(testserver.Origin)
		begun := c.Begin("/api/passkeys/register/begin", map[string]any{})
		cred, err := a.Create(begun.PublicKey)
		if err != nil {
			b.Fatal(err)
		}
		body := finishBody(b, begun.Ceremony, cred)
		b.StartTimer()
		cpu.start(b)
		res := c.Post("/api/passkeys/register/finish", body)
		cpu.stop(b)
		if res.Status != http.StatusCreated {
			b.Fatalf("register finish: %d %s", res.Status, res.Body)
		}
	}
	cpu.report(b)
}

// BenchmarkPasswordLogin is POST /api/login/password with the production argon2id
// parameters (account.DefaultHashParams: m=19 MiB, t=2, p=1) and the same session commit.
func BenchmarkPasswordLogin(b *testing.B) {
	srv := testserver.New(b, testserver.WithOptions(backend.WithPasswordHashing(account.DefaultHashParams())))
	c := srv.Client()
	c.SignUp("bench@example.com", "correct horse battery staple")
	body := map[string]string{"email": "bench@example.com", "password": "correct horse battery staple"}
	var cpu cpuMeter
	b.ReportAllocs()
	cpu.start(b)
	for b.Loop() {
		res := c.Post("/api/login/password", body)
		if res.Status != http.StatusOK {
			b.Fatalf("password login: %d %s", res.Status, res.Body)
		}
	}
	cpu.stop(b)
	cpu.report(b)
}

// BenchmarkDurableCommit is the other floor: one small INSERT committed with the production
// connection settings (WAL, synchronous=FULL, BEGIN IMMEDIATE), i.e. the fsync every login
// and registration waits for before it is acknowledged.
func BenchmarkDurableCommit(b *testing.B) {
	db, err := store.OpenDir(b.Context(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.ExecContext(b.Context(), `CREATE TABLE bench (id INTEGER PRIMARY KEY, v BLOB)`); err != nil {
		b.Fatal(err)
	}
	row := make([]byte, 200)
	var cpu cpuMeter
	b.ReportAllocs()
	cpu.start(b)
	for b.Loop() {
		err := store.InTx(b.Context(), db, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(b.Context(), `INSERT INTO bench (v) VALUES (?)`, row)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop(b)
	cpu.report(b)
}

// BenchmarkLeastLoginCommit is the floor under a login's storage: the two writes no passkey
// login can skip, the passkey's new signature counter (WebAuthn L3 §7.2 step 22: stored every
// login) and the new session, in one durable transaction on the real schema, with nothing
// else: no ceremony, no lockout, no audit, no parsing.
func BenchmarkLeastLoginCommit(b *testing.B) {
	benchLeastLoginCommit(b, "FULL")
}

// BenchmarkLeastLoginCommitNoSync is the same two writes with synchronous=NORMAL: committed
// to the WAL but not waited for on the disk (a power cut may lose them). The app never runs
// like this; it shows what SQLite costs before the disk is involved at all.
func BenchmarkLeastLoginCommitNoSync(b *testing.B) {
	benchLeastLoginCommit(b, "NORMAL")
}

func benchLeastLoginCommit(b *testing.B, synchronous string) {
	srv, _, _ := benchServer(b)
	db := srv.DB // store.Open: the production settings and statement cache
	db.SetMaxOpenConns(1)
	ctx := b.Context()
	if _, err := db.ExecContext(ctx, `PRAGMA synchronous = `+synchronous); err != nil {
		b.Fatal(err)
	}
	var credentialID []byte
	var accountID int64
	if err := db.QueryRowContext(ctx, `SELECT credential_id, account_id FROM passkeys`).Scan(&credentialID, &accountID); err != nil {
		b.Fatal(err)
	}
	token := make([]byte, 32)
	var cpu cpuMeter
	b.ReportAllocs()
	i := int64(0)
	cpu.start(b)
	for b.Loop() {
		i++
		token[0], token[1], token[2] = byte(i), byte(i>>8), byte(i>>16)
		err := store.InTx(ctx, db, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE passkeys SET sign_count = ?, last_used_at = ? WHERE credential_id = ?`,
				i, i, credentialID); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at, authenticated_at, login_grace)
				VALUES (?, ?, ?, ?, ?, ?, 1)`, token, accountID, i, i, i+1, i)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop(b)
	cpu.report(b)
}
