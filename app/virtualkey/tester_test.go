package virtualkey

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestTesterSetsAPINTheKeyThenChecksAsItsOwn(t *testing.T) {
	k := newTestKey(t, Options{})
	if err := k.SetPIN("123"); !errors.Is(err, ErrPINRefused) {
		t.Fatalf("a 3-character PIN: err = %v, want ErrPINRefused (at least 4 code points)", err)
	}
	if err := k.SetPIN("123456"); err != nil {
		t.Fatal(err)
	}
	if n, set := k.PINRetries(); !set || n != 8 {
		t.Fatalf("after SetPIN: set %v, %d retries; want true, 8", set, n)
	}
	if !getInfo(t, k).Options["clientPin"] {
		t.Error("getInfo should say clientPin: true once the tester has set a PIN")
	}
	if !k.PINIs("123456") || k.PINIs("654321") {
		t.Error("PINIs should recognise the PIN set and nothing else")
	}
	// The PIN works through authenticatorClientPIN as one set by a platform does.
	_, st := newPinPlatform(t, k, 2).token("123456", 0x01, "nhs.uk")
	wantStatus(t, st, 0)
	if n, _ := retries(t, k); n != 8 {
		t.Errorf("PINIs must not cost a try: %d retries left, want 8", n)
	}
	if err := k.SetPIN("999999"); !errors.Is(err, ErrPINAlreadySet) {
		t.Errorf("SetPIN on a key with a PIN: err = %v, want ErrPINAlreadySet", err)
	}
	if !k.PINIs("123456") {
		t.Error("a refused SetPIN must leave the PIN as it was")
	}
}

func TestTesterRefusesTheNextPINAsAWrongPIN(t *testing.T) {
	k := newTestKey(t, Options{})
	withPIN(t, k, "2468")
	k.RefuseNextPIN()
	if !k.Armed().RefusePIN {
		t.Fatal("Armed should report the PIN refusal until a PIN check uses it")
	}

	// CTAP 2.1 §6.5.5.7: the right PIN, refused as a mismatch: retries down, PIN_INVALID.
	_, st := newPinPlatform(t, k, 2).token("2468", 0x01, "nhs.uk")
	wantStatus(t, st, 0x31)
	if n, cycle := retries(t, k); n != 7 || cycle {
		t.Fatalf("after the refused PIN: retries %d, power cycle %v; want 7, false", n, cycle)
	}
	if k.Armed().RefusePIN {
		t.Error("the refusal is one-shot: it should be used up")
	}
	// The next check compares the PIN again, and the right one restores the retries.
	_, st = newPinPlatform(t, k, 2).token("2468", 0x01, "nhs.uk")
	wantStatus(t, st, 0)
	if n, _ := retries(t, k); n != 8 {
		t.Errorf("after the right PIN: retries %d, want 8", n)
	}
}

func TestTesterBlocksThePIN(t *testing.T) {
	k := newTestKey(t, Options{})
	if err := k.BlockPIN(); !errors.Is(err, ErrNoPIN) {
		t.Fatalf("BlockPIN without a PIN: err = %v, want ErrNoPIN", err)
	}
	withPIN(t, k, "2468")
	if err := k.BlockPIN(); err != nil {
		t.Fatal(err)
	}
	if n, _ := retries(t, k); n != 0 {
		t.Fatalf("getPINRetries = %d, want 0", n)
	}
	// CTAP 2.1 §6.5.5: no retries left is CTAP2_ERR_PIN_BLOCKED, even for the right PIN.
	_, st := newPinPlatform(t, k, 2).token("2468", 0x01, "nhs.uk")
	wantStatus(t, st, 0x32)
	if err := k.Replug(); err != nil {
		t.Fatal(err)
	}
	_, st = newPinPlatform(t, k, 2).token("2468", 0x01, "nhs.uk")
	wantStatus(t, st, 0x32)
	// Only a reset (§6.6) brings the key back.
	if err := k.Reset(); err != nil {
		t.Fatal(err)
	}
	if n, set := k.PINRetries(); set || n != 8 {
		t.Errorf("after a reset: PIN set %v, %d retries; want false, 8", set, n)
	}
}

func TestTesterExcludedBehaviourAnswersAsAnExcludedCredential(t *testing.T) {
	k := newTestKey(t, Options{})
	k.SetBehaviour(Excluded())
	if a := k.Armed(); !a.HasBehaviour || a.Behaviour != Excluded() {
		t.Fatalf("Armed = %+v, want the Excluded behaviour", a)
	}
	// CTAP 2.1 §6.1.2 step 12's answer, though nothing on the key is in the excludeList.
	st, _ := call(t, k, cborMakeCredential, newMC("nhs.uk", "alice", true))
	wantStatus(t, st, 0x19)
	if n := len(k.Credentials()); n != 0 {
		t.Errorf("key holds %d credentials, want 0", n)
	}
	if k.Armed().HasBehaviour {
		t.Error("the behaviour is one-shot: it should be used up")
	}
	register(t, k, newMC("nhs.uk", "alice", true))
}

func TestTesterDisarmDropsWhatWasArmed(t *testing.T) {
	k := newTestKey(t, Options{})
	withPIN(t, k, "2468")
	k.SetBehaviour(WaitForTouch(15 * time.Second))
	k.RefuseNextPIN()
	k.Disarm()
	if a := k.Armed(); a.HasBehaviour || a.RefusePIN {
		t.Fatalf("after Disarm: %+v, want nothing armed", a)
	}
	_, st := newPinPlatform(t, k, 2).token("2468", 0x01, "nhs.uk")
	wantStatus(t, st, 0)
}

func TestTesterPINIsKeptInTheStateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.json")
	k, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := k.SetPIN("123456"); err != nil {
		t.Fatal(err)
	}
	if err := k.BlockPIN(); err != nil {
		t.Fatal(err)
	}
	again, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, set := again.PINRetries(); !set || n != 0 || !again.PINIs("123456") {
		t.Errorf("reopened: PIN set %v, %d retries, test PIN %v; want true, 0, true", set, n, again.PINIs("123456"))
	}
}
