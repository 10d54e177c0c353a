package virtualkey

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestInit(t *testing.T) {
	k := newTestKey(t, Options{})
	nonce := []byte{0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04}
	if err := k.Tx(0x06, nonce); err != nil {
		t.Fatal(err)
	}
	reply, err := k.Rx(0x06, rxWait)
	if err != nil {
		t.Fatal(err)
	}
	// libfido2 reads exactly sizeof(fido_ctap_info_t) = 17 bytes and compares the nonce.
	if len(reply) != 17 {
		t.Fatalf("INIT reply is %d bytes, want 17: %x", len(reply), reply)
	}
	mustEqual(t, "nonce", reply[:8], nonce)
	cid := binary.BigEndian.Uint32(reply[8:12])
	if cid == 0 || cid == 0xffffffff {
		t.Errorf("channel id %#x is reserved", cid)
	}
	mustEqual(t, "protocol, version and capabilities", reply[12:], []byte{2, 1, 0, 0, 0x0c})

	if err := k.Tx(0x06, nonce); err != nil {
		t.Fatal(err)
	}
	again, _ := k.Rx(0x06, rxWait)
	if binary.BigEndian.Uint32(again[8:12]) == cid {
		t.Errorf("a second INIT got the same channel id")
	}
}

func TestCTAPHIDCommands(t *testing.T) {
	tests := []struct {
		name    string
		cmd     byte
		data    []byte
		want    []byte
		wantErr error
	}{
		{"PING echoes its data", 0x01, []byte("are you there?"), []byte("are you there?"), nil},
		{"INIT with a short nonce is ERR_INVALID_LEN", 0x06, []byte{1, 2, 3}, nil, HIDErrInvalidLen},
		{"MSG is refused: the key sets NMSG", 0x03, []byte{0, 1, 0, 0}, nil, HIDErrInvalidCmd},
		{"WINK is refused: the key does not announce it", 0x08, nil, nil, HIDErrInvalidCmd},
		{"an unknown command is ERR_INVALID_CMD", 0x2a, nil, nil, HIDErrInvalidCmd},
		{"an empty CBOR message is ERR_INVALID_LEN", 0x10, nil, nil, HIDErrInvalidLen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newTestKey(t, Options{})
			if err := k.Tx(tt.cmd, tt.data); err != nil {
				t.Fatal(err)
			}
			reply, err := k.Rx(tt.cmd, rxWait)
			if !errors.Is(err, tt.wantErr) || !bytes.Equal(reply, tt.want) {
				t.Fatalf("Rx = %x, %v; want %x, %v", reply, err, tt.want, tt.wantErr)
			}
			if tt.wantErr != nil {
				code, err := k.Rx(0x3f, 0)
				if err != nil || len(code) != 1 || !errors.Is(HIDError(code[0]), tt.wantErr) {
					t.Errorf("Rx(ERROR) = %x, %v", code, err)
				}
			}
		})
	}
}

func TestRx(t *testing.T) {
	t.Run("a reply is handed out once", func(t *testing.T) {
		k := newTestKey(t, Options{})
		_ = k.Tx(0x01, []byte("x"))
		if _, err := k.Rx(0x01, rxWait); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Rx(0x01, 0); !errors.Is(err, ErrNoMessage) {
			t.Fatalf("second Rx: %v, want ErrNoMessage", err)
		}
	})
	t.Run("Rx for a command never sent is ErrNoMessage", func(t *testing.T) {
		if _, err := newTestKey(t, Options{}).Rx(0x10, time.Second); !errors.Is(err, ErrNoMessage) {
			t.Fatalf("Rx: %v", err)
		}
	})
	t.Run("Rx gives up after its timeout while the user has not touched", func(t *testing.T) {
		k := newTestKey(t, Options{})
		k.SetBehaviour(WaitForTouch(time.Hour))
		_ = k.Tx(0x10, append([]byte{0x01}, mustCBOR(t, newMC("nhs.uk", "alice", true))...))
		start := time.Now()
		if _, err := k.Rx(0x10, 50*time.Millisecond); !errors.Is(err, ErrTimeout) {
			t.Fatalf("Rx: %v, want ErrTimeout", err)
		}
		if time.Since(start) > 2*time.Second {
			t.Errorf("Rx took %s", time.Since(start))
		}
		k.Touch()
		reply, err := k.Rx(0x10, rxWait)
		if err != nil || reply[0] != 0 {
			t.Fatalf("after the touch: %x, %v", reply, err)
		}
	})
	t.Run("a second CBOR request while one runs is ERR_CHANNEL_BUSY", func(t *testing.T) {
		k := newTestKey(t, Options{})
		k.SetBehaviour(WaitForTouch(time.Hour))
		_ = k.Tx(0x10, append([]byte{0x01}, mustCBOR(t, newMC("nhs.uk", "alice", true))...))
		if err := k.Tx(0x10, []byte{0x04}); !errors.Is(err, HIDErrChannelBusy) {
			t.Fatalf("Tx: %v, want ERR_CHANNEL_BUSY", err)
		}
		_ = k.Tx(0x11, nil)
		reply, _ := k.Rx(0x10, rxWait)
		wantStatus(t, reply[0], 0x2d)
	})
}

func TestPresence(t *testing.T) {
	mc := func(t *testing.T) []byte {
		return append([]byte{0x01}, mustCBOR(t, newMC("nhs.uk", "alice", true))...)
	}
	t.Run("while waiting for a touch the key sends KEEPALIVE UPNEEDED, then replies", func(t *testing.T) {
		k := newTestKey(t, Options{})
		k.SetBehaviour(WaitForTouch(350 * time.Millisecond))
		start := time.Now()
		if err := k.Tx(0x10, mc(t)); err != nil {
			t.Fatal(err)
		}
		var keepalives int
		for {
			ka, err := k.Rx(0x3b, rxWait)
			if errors.Is(err, ErrNoMessage) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			mustEqual(t, "keepalive", ka, []byte{0x02})
			keepalives++
		}
		reply, err := k.Rx(0x10, rxWait)
		if err != nil || reply[0] != 0 {
			t.Fatalf("reply %x, %v", reply, err)
		}
		if keepalives < 2 {
			t.Errorf("%d keepalives in %s, want one every 100 ms", keepalives, time.Since(start))
		}
		if time.Since(start) < 300*time.Millisecond {
			t.Errorf("the key did not wait for the touch")
		}
		if _, err := k.Rx(0x3b, 0); !errors.Is(err, ErrNoMessage) {
			t.Errorf("keepalive after the reply: %v", err)
		}
	})
	t.Run("CTAPHID CANCEL while waiting for a touch ends with KEEPALIVE_CANCEL", func(t *testing.T) {
		k := newTestKey(t, Options{})
		k.SetBehaviour(WaitForTouch(time.Hour))
		_ = k.Tx(0x10, mc(t))
		if _, err := k.Rx(0x3b, rxWait); err != nil { // it is waiting
			t.Fatal(err)
		}
		if err := k.Tx(0x11, nil); err != nil {
			t.Fatal(err)
		}
		reply, err := k.Rx(0x10, rxWait)
		if err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "reply", reply, []byte{0x2d})
		if n := len(k.Credentials()); n != 0 {
			t.Errorf("a cancelled makeCredential left %d credentials", n)
		}
	})
	t.Run("CANCEL with nothing in flight is ignored", func(t *testing.T) {
		k := newTestKey(t, Options{})
		if err := k.Tx(0x11, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Rx(0x11, 0); !errors.Is(err, ErrNoMessage) {
			t.Errorf("CANCEL got a reply: %v", err)
		}
		register(t, k, newMC("nhs.uk", "alice", true))
	})
	t.Run("Touch ends the wait early", func(t *testing.T) {
		k := newTestKey(t, Options{})
		k.SetBehaviour(WaitForTouch(time.Hour))
		if k.Waiting() {
			t.Fatal("the key says it waits for a touch before anything asked for one")
		}
		_ = k.Tx(0x10, mc(t))
		_, _ = k.Rx(0x3b, rxWait)
		if !k.Waiting() {
			t.Fatal("the key sent KEEPALIVE UPNEEDED but does not say it waits for a touch")
		}
		k.Touch()
		reply, err := k.Rx(0x10, rxWait)
		if err != nil || reply[0] != 0 {
			t.Fatalf("reply %x, %v", reply, err)
		}
		if k.Waiting() {
			t.Error("the key still says it waits for a touch after it was touched")
		}
	})

	outcomes := []struct {
		name string
		b    Behaviour
		want byte
	}{
		{"Cancelled ends with KEEPALIVE_CANCEL", Cancelled(), 0x2d},
		{"TimeOut ends with USER_ACTION_TIMEOUT", TimeOut(), 0x2f},
		{"Full ends makeCredential with KEY_STORE_FULL", Full(), 0x28},
		{"Succeed makes the credential", Succeed(), 0x00},
	}
	for _, tt := range outcomes {
		t.Run(tt.name+", for the next check only", func(t *testing.T) {
			k := newTestKey(t, Options{})
			k.SetBehaviour(tt.b)
			st, _ := call(t, k, cborMakeCredential, newMC("nhs.uk", "alice", true))
			wantStatus(t, st, tt.want)
			st, _ = call(t, k, cborMakeCredential, newMC("nhs.uk", "bob", true))
			wantStatus(t, st, 0)
		})
	}
	t.Run("Options.Behaviour applies to every check", func(t *testing.T) {
		k := newTestKey(t, Options{Behaviour: TimeOut()})
		for range 2 {
			st, _ := call(t, k, cborMakeCredential, newMC("nhs.uk", "alice", true))
			wantStatus(t, st, 0x2f)
		}
	})
	t.Run("Unplugged drops the request and the key until Replug", func(t *testing.T) {
		k := newTestKey(t, Options{})
		k.SetBehaviour(Unplugged())
		if err := k.Tx(0x10, mc(t)); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Rx(0x10, rxWait); !errors.Is(err, ErrUnplugged) {
			t.Fatalf("Rx: %v, want ErrUnplugged", err)
		}
		if err := k.Tx(0x06, make([]byte, 8)); !errors.Is(err, ErrUnplugged) {
			t.Fatalf("Tx after unplug: %v", err)
		}
		if _, err := k.Rx(0x06, 0); !errors.Is(err, ErrUnplugged) {
			t.Fatalf("Rx after unplug: %v", err)
		}
		if err := k.Replug(); err != nil {
			t.Fatal(err)
		}
		register(t, k, newMC("nhs.uk", "alice", true))
	})
	t.Run("Unplug takes the key out until Replug, even with nothing in flight", func(t *testing.T) {
		k := newTestKey(t, Options{})
		if !k.Plugged() {
			t.Fatal("a new key should be plugged in")
		}
		k.Unplug()
		if k.Plugged() {
			t.Fatal("Plugged after Unplug")
		}
		if err := k.Tx(0x10, mc(t)); !errors.Is(err, ErrUnplugged) {
			t.Fatalf("Tx after Unplug: %v, want ErrUnplugged", err)
		}
		if err := k.Replug(); err != nil {
			t.Fatal(err)
		}
		if !k.Plugged() {
			t.Fatal("not Plugged after Replug")
		}
		register(t, k, newMC("nhs.uk", "alice", true))
	})
	t.Run("a request waiting when the key is replugged gets no reply", func(t *testing.T) {
		k := newTestKey(t, Options{})
		k.SetBehaviour(WaitForTouch(time.Hour))
		_ = k.Tx(0x10, mc(t))
		_, _ = k.Rx(0x3b, rxWait)
		if err := k.Replug(); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Rx(0x10, rxWait); !errors.Is(err, ErrUnplugged) && !errors.Is(err, ErrNoMessage) {
			t.Fatalf("Rx: %v", err)
		}
		if n := len(k.Credentials()); n != 0 {
			t.Errorf("the lost request made %d credentials", n)
		}
	})
}

func TestResetWindow(t *testing.T) {
	tests := []struct {
		name      string
		after     time.Duration
		behaviour Behaviour
		want      byte
		wiped     bool
	}{
		{"a reset within 10 seconds of plug-in wipes the key", 9 * time.Second, Succeed(), 0x00, true},
		{"a reset after 10 seconds is not allowed", 11 * time.Second, Succeed(), 0x30, false},
		{"a reset the user does not touch for times out", time.Second, TimeOut(), 0x2f, false},
		{"a reset the user cancels is cancelled", time.Second, Cancelled(), 0x2d, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			k := newTestKey(t, Options{Clock: clock.Now})
			register(t, k, newMC("nhs.uk", "alice", true))
			withPIN(t, k, "1234")
			clock.Advance(tt.after)
			k.SetBehaviour(tt.behaviour)
			st, _ := call(t, k, cborReset, nil)
			wantStatus(t, st, tt.want)
			_, pinSet := k.PINRetries()
			if wiped := len(k.Credentials()) == 0 && !pinSet; wiped != tt.wiped {
				t.Fatalf("wiped = %v, want %v", wiped, tt.wiped)
			}
		})
	}
	t.Run("Replug opens the window again", func(t *testing.T) {
		clock := newFakeClock()
		k := newTestKey(t, Options{Clock: clock.Now})
		clock.Advance(time.Minute)
		if err := k.Replug(); err != nil {
			t.Fatal(err)
		}
		st, _ := call(t, k, cborReset, nil)
		wantStatus(t, st, 0)
	})
}

func TestConcurrentUse(t *testing.T) {
	k := newTestKey(t, Options{})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = k.Credentials()
				k.SetBehaviour(Succeed())
				_, _ = k.Rx(0x3b, 0)
				_ = k.Tx(0x11, nil)
			}
		})
	}
	for i := range 20 {
		req := newMC("nhs.uk", string(rune('a'+i)), true)
		// A CANCEL may land while the touch is checked; both outcomes are fine here.
		st, _ := call(t, k, cborMakeCredential, req)
		if st != 0 && st != 0x2d {
			t.Errorf("status 0x%02x", st)
		}
	}
	close(stop)
	wg.Wait()
}

func mustCBOR(t *testing.T, v any) []byte {
	t.Helper()
	b, err := ctap2.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
