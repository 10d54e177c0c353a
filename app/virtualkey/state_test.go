package virtualkey

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

func TestStateSurvivesOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.json")
	aaguid := [16]byte{0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	k, err := Open(path, Options{AAGUID: aaguid})
	if err != nil {
		t.Fatal(err)
	}
	assertMode0600(t, path)
	id, pub := register(t, k, newMC("nhs.uk", "alice", true))
	withPIN(t, k, "2468")
	_, st := newPinPlatform(t, k, 2).token("0000", 0x02, "") // one wrong PIN: 7 retries left
	wantStatus(t, st, 0x31)
	cdh := cdhOf("login")
	callOK(t, k, cborGetAssertion, gaRequest{RPID: "nhs.uk", ClientDataHash: cdh}, nil)

	// "Restart the app": open the same file into a new key.
	k2, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	creds := k2.Credentials()
	if len(creds) != 1 || !bytes.Equal(creds[0].ID, id) || creds[0].UserName != "alice" || creds[0].SignCount != 1 {
		t.Fatalf("credentials after reopening = %+v", creds)
	}
	if n, set := k2.PINRetries(); n != 7 || !set {
		t.Fatalf("PIN after reopening: retries %d, set %v", n, set)
	}
	info := getInfo(t, k2)
	mustEqual(t, "aaguid", info.AAGUID, aaguid[:])
	if !info.Options["clientPin"] {
		t.Errorf("clientPin lost")
	}
	p := newPinPlatform(t, k2, 2)
	token, st := p.token("2468", 0x02, "nhs.uk")
	wantStatus(t, st, 0)
	var r gaReply
	callOK(t, k2, cborGetAssertion, gaRequest{RPID: "nhs.uk", ClientDataHash: cdh,
		PinUvAuthParam: p.auth(token, cdh), PinUvAuthProtocol: 2}, &r)
	verifyES256(t, pub, r.AuthData, cdh, r.Signature)
	if a := parseAuthData(t, r.AuthData); a.count != 2 {
		t.Errorf("signCount after reopening = %d, want 2", a.count)
	}

	// The file keeps the PIN's hash, never the PIN.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "2468") {
		t.Errorf("the state file contains the PIN")
	}
	assertMode0600(t, path)
}

func TestOpen(t *testing.T) {
	t.Run("a missing file is created with mode 0600", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "new.json")
		if _, err := Open(path, Options{}); err != nil {
			t.Fatal(err)
		}
		assertMode0600(t, path)
	})
	t.Run("a corrupt file is an error and is left alone", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(path, []byte(`{"version": 1, "credentials": [`), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(path, Options{}); err == nil {
			t.Fatal("Open accepted a corrupt file")
		}
		if b, _ := os.ReadFile(path); string(b) != `{"version": 1, "credentials": [` {
			t.Errorf("Open rewrote a corrupt file")
		}
	})
	t.Run("a file readable by others is made 0600", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "loose.json")
		if _, err := Open(path, Options{}); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(path, Options{}); err != nil {
			t.Fatal(err)
		}
		assertMode0600(t, path)
	})
	t.Run("New with a state path starts afresh", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "key.json")
		k, _ := Open(path, Options{})
		register(t, k, newMC("nhs.uk", "alice", true))
		k2, err := New(Options{State: path})
		if err != nil {
			t.Fatal(err)
		}
		if len(k2.Credentials()) != 0 {
			t.Fatal("New kept old credentials")
		}
		k3, _ := Open(path, Options{})
		if len(k3.Credentials()) != 0 {
			t.Fatal("New did not save the fresh state")
		}
	})
}

func TestAtomicSave(t *testing.T) {
	t.Run("a save replaces the file by rename instead of writing into it", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "key.json")
		k, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		// A second name for the current file: writing in place would change it too.
		old := filepath.Join(dir, "old.json")
		if err := os.Link(path, old); err != nil {
			t.Fatal(err)
		}
		before, _ := os.ReadFile(old)
		register(t, k, newMC("nhs.uk", "alice", true))
		after, _ := os.ReadFile(old)
		if !bytes.Equal(before, after) {
			t.Fatalf("the old file changed: the save wrote in place")
		}
		fiNew, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		fiOld, err := os.Stat(old)
		if err != nil {
			t.Fatal(err)
		}
		if os.SameFile(fiNew, fiOld) {
			t.Fatalf("the state file is still the old file")
		}
		assertNoTempFiles(t, dir, 2)
	})
	t.Run("a failed save refuses the command and changes nothing", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "key.json")
		k, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		register(t, k, newMC("nhs.uk", "alice", true))
		// Make the rename fail: the state file's name is now a non-empty directory.
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(path, "blocker"), 0o700); err != nil {
			t.Fatal(err)
		}
		st, _ := call(t, k, cborMakeCredential, newMC("nhs.uk", "bob", true))
		wantStatus(t, st, 0x7f)
		if n := len(k.Credentials()); n != 1 {
			t.Fatalf("key holds %d credentials after a failed save, want 1", n)
		}
		assertNoTempFiles(t, dir, 1)
	})
}

func assertMode0600(t *testing.T, path string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		// Windows has no Unix modes (Go reports 0666 for any writable file); the person's
		// own folders are private by their access lists. The virtual key is not offered on
		// Windows anyway (it sits behind libfido2), but the package and its tests build there.
		return
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
}

func assertNoTempFiles(t *testing.T, dir string, want int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The state file's lock (statelock_*.go) stays beside it: not a temporary file.
	entries = slices.DeleteFunc(entries, func(e os.DirEntry) bool { return strings.HasSuffix(e.Name(), stateLockSuffix) })
	if len(entries) != want {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %v, want %d entries (no temporary files)", names, want)
	}
}

func TestPrintingAKeyShowsNoSecrets(t *testing.T) {
	k := newTestKey(t, Options{})
	register(t, k, newMC("nhs.uk", "alice", true))
	withPIN(t, k, "2468")
	_, st := newPinPlatform(t, k, 2).token("2468", 0x01, "nhs.uk")
	wantStatus(t, st, 0)
	var shapes []string
	for _, secret := range [][]byte{k.st.Credentials[0].PrivateKey, k.pin.token.value} {
		goSyntax := fmt.Sprintf("%#v", secret) // []byte{0x1, 0x2, ...}: keep the elements
		goSyntax = goSyntax[strings.Index(goSyntax, "{"):]
		//nolint:staticcheck // QF1010: the list of numbers ([1 2 ...]) is one of the shapes a leak could take
		shapes = append(shapes, fmt.Sprint(secret), fmt.Sprintf("%x", secret), goSyntax)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(format, k)
		for _, shape := range shapes {
			if strings.Contains(out, shape) {
				t.Errorf("%s of a Key shows key material: %s", format, out)
			}
		}
	}
}

// Two copies of the app (two data folders, or two kiosks a tester's key is carried
// between: e2e/fleet_test.go) may have the same --virtual-key file open at once, as two
// Keys. Each must answer from the file as it is now, and neither may write over what the
// other saved: a passkey the key said it made, or a sign count it reported, is never lost.
func TestTwoKeysOnOneFileLoseNothingTheOtherSaved(t *testing.T) {
	t.Run("one after the other", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "key.json")
		first, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		second, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		alice, _ := register(t, first, newMC("nhs.uk", "alice", true))
		bob, _ := register(t, second, newMC("nhs.uk", "bob", true))
		// The first copy logs alice in with what the second copy wrote since: bob's passkey
		// must survive the first copy's save of the sign count.
		callOK(t, first, cborGetAssertion, gaRequest{RPID: "nhs.uk", ClientDataHash: cdhOf("login"),
			AllowList: []descriptor{{Type: "public-key", ID: alice}}}, nil)
		// And the second sees alice's passkey, which the first made after the second opened.
		callOK(t, second, cborGetAssertion, gaRequest{RPID: "nhs.uk", ClientDataHash: cdhOf("login"),
			AllowList: []descriptor{{Type: "public-key", ID: alice}}}, nil)

		reopened, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]uint32{}
		for _, c := range reopened.Credentials() {
			counts[string(c.ID)] = c.SignCount
		}
		if len(counts) != 2 || counts[string(bob)] != 0 || counts[string(alice)] != 2 {
			t.Fatalf("the file holds %d credentials (alice's sign count %d, bob's %d), want both, alice used twice",
				len(counts), counts[string(alice)], counts[string(bob)])
		}
	})
	t.Run("at the same time", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "key.json")
		keys := make([]*Key, 2)
		for i := range keys {
			k, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			keys[i] = k
		}
		const each = 6
		var mu sync.Mutex
		var made [][]byte
		var wg sync.WaitGroup
		for i, k := range keys {
			wg.Go(func() {
				for j := range each {
					// Not rk: the 25 discoverable slots are not the point here.
					st, body := call(t, k, cborMakeCredential, newMC("nhs.uk", fmt.Sprintf("user-%d-%d", i, j), false))
					if st != 0 {
						continue // refused: nothing made, so nothing to lose
					}
					var r mcReply
					if err := cbor.Unmarshal(body, &r); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					made = append(made, parseAuthData(t, r.AuthData).credID)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		reopened, err := Open(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		kept := map[string]bool{}
		for _, c := range reopened.Credentials() {
			kept[string(c.ID)] = true
		}
		for _, id := range made {
			if !kept[string(id)] {
				t.Errorf("credential %x was made and reported, then lost: the file holds %d of %d made", id[:8], len(kept), len(made))
			}
		}
		if len(made) < each {
			t.Errorf("only %d of %d registrations succeeded", len(made), 2*each)
		}
	})
}

// A save is a temporary file renamed over the state file. The app killed between the two
// (kill -9, a power cut) leaves the temporary file, a whole state with its private keys:
// the next Open removes it, and the state file is as the last finished save left it.
func TestOpenRemovesTheTemporaryFilesOfASaveThatNeverFinished(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key.json")
	k, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := register(t, k, newMC("nhs.uk", "alice", true))
	saved, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, ".key.json.tmp-1234567")
	if err := os.WriteFile(stale, saved[:len(saved)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, ".other.json.tmp-1") // another key's: not this one's to remove
	if err := os.WriteFile(other, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}

	again, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(stale); !os.IsNotExist(err) {
		t.Errorf("the unfinished save's temporary file is still there (%v)", err)
	}
	if _, err := os.Lstat(other); err != nil {
		t.Errorf("another key's file was removed: %v", err)
	}
	if creds := again.Credentials(); len(creds) != 1 || !bytes.Equal(creds[0].ID, id) {
		t.Errorf("after reopening the key holds %d credentials, want alice's", len(creds))
	}
}
