package kiosk_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

// hidStandIn stands in for Windows' device notifications (hidwatch_windows.go): the test
// says what is plugged in and sends arrivals and removals as Windows would.
type hidStandIn struct {
	mu         sync.Mutex
	present    []kiosk.HIDInterface
	presentErr error
	events     func(kiosk.HIDEvent)
	stopped    bool
}

func (s *hidStandIn) Subscribe(events func(kiosk.HIDEvent)) (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = events
	return func() { s.mu.Lock(); s.stopped = true; s.mu.Unlock() }, nil
}

func (s *hidStandIn) Present() ([]kiosk.HIDInterface, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.present), s.presentErr
}

func (s *hidStandIn) send(e kiosk.HIDEvent) {
	s.mu.Lock()
	events := s.events
	s.mu.Unlock()
	events(e)
}

// A FIDO key, a keyboard, and a HID device whose usage page Windows did not publish.
var (
	fidoKey  = kiosk.HIDInterface{Path: `\\?\HID#VID_1050&PID_0407&MI_01#key`, UsagePage: kiosk.FIDOUsagePage, PageKnown: true}
	fidoKey2 = kiosk.HIDInterface{Path: `\\?\HID#VID_096E&PID_0858#key2`, UsagePage: kiosk.FIDOUsagePage, PageKnown: true}
	keyboard = kiosk.HIDInterface{Path: `\\?\HID#VID_046D&PID_C31C&MI_00#kbd`, UsagePage: 0x01, PageKnown: true}
	unknown  = kiosk.HIDInterface{Path: `\\?\HID#VID_FFFF&PID_0001#odd`}
)

func arrived(h kiosk.HIDInterface) kiosk.HIDEvent { return kiosk.HIDEvent{Interface: h, Arrived: true} }

// left is a removal as Windows sends it: the path only, nothing more is readable.
func left(h kiosk.HIDInterface) kiosk.HIDEvent {
	return kiosk.HIDEvent{Interface: kiosk.HIDInterface{Path: h.Path}}
}

func TestKeyWatchListsSecurityKeysOnly(t *testing.T) {
	const settle = time.Second
	type step struct {
		event kiosk.HIDEvent
		after time.Duration // the clock moves on by this much before the event
	}
	tests := []struct {
		name    string
		present []kiosk.HIDInterface
		steps   []step
		wait    time.Duration // after the last step, before Keys
		want    []string
	}{
		{"a key plugged in before the watch started is listed", []kiosk.HIDInterface{fidoKey, keyboard}, nil, 0,
			[]string{fidoKey.Path}},
		{"a key arriving is listed", nil, []step{{arrived(fidoKey), 0}}, 0, []string{fidoKey.Path}},
		{"a keyboard or mouse arriving is not a key", nil, []step{{arrived(keyboard), 0}}, 0, []string{}},
		{"a HID device whose usage page Windows does not give counts as a key", nil, []step{{arrived(unknown), 0}}, 0,
			[]string{unknown.Path}},
		{"a key taken out is still listed until it has been gone for the settle time", nil,
			[]step{{arrived(fidoKey), 0}, {left(fidoKey), 0}}, settle - time.Millisecond, []string{fidoKey.Path}},
		{"a key taken out is gone once the settle time has passed", nil,
			[]step{{arrived(fidoKey), 0}, {left(fidoKey), 0}}, settle, []string{}},
		{"a key that drops off and comes back within the settle time never left", nil,
			[]step{{arrived(fidoKey), 0}, {left(fidoKey), 0}, {arrived(fidoKey), settle / 2}}, 2 * settle,
			[]string{fidoKey.Path}},
		{"a second removal of the same key does not restart the settle time", nil,
			[]step{{arrived(fidoKey), 0}, {left(fidoKey), 0}, {left(fidoKey), settle / 2}}, settle / 2, []string{}},
		{"a keyboard taken out changes nothing", []kiosk.HIDInterface{keyboard, fidoKey}, []step{{left(keyboard), 0}}, 0,
			[]string{fidoKey.Path}},
		{"the same key announced twice is listed once", nil, []step{{arrived(fidoKey), 0}, {arrived(fidoKey), 0}}, 0,
			[]string{fidoKey.Path}},
		{"two keys are both listed, one taken out leaves the other", []kiosk.HIDInterface{fidoKey, fidoKey2},
			[]step{{left(fidoKey2), 0}}, settle, []string{fidoKey.Path}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := testkit.NewClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
			src := &hidStandIn{present: tt.present}
			w, err := kiosk.NewKeyWatch(src, settle, clock.Now)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if _, err := w.Keys(); err != nil { // the first listing, as Watch's first look
				t.Fatal(err)
			}
			for _, s := range tt.steps {
				clock.Advance(s.after)
				src.send(s.event)
			}
			clock.Advance(tt.wait)
			got, err := w.Keys()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Keys = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestKeyWatchFailsUntilTheKeysHaveBeenListed(t *testing.T) {
	src := &hidStandIn{presentErr: errors.New("CM_Get_Device_Interface_List: CR_FAILURE"), present: []kiosk.HIDInterface{fidoKey}}
	w, err := kiosk.NewKeyWatch(src, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := w.Keys(); err == nil {
		t.Fatalf("Keys = %q with nil error although the list failed: \"could not list\" must not read as \"no keys\"", keys)
	}
	src.mu.Lock()
	src.presentErr = nil
	src.mu.Unlock()
	if keys, err := w.Keys(); err != nil || !slices.Equal(keys, []string{fidoKey.Path}) {
		t.Fatalf("Keys = %q, %v once listing works; want the key", keys, err)
	}
	w.Close()
	if !src.stopped {
		t.Fatal("Close did not stop the notifications")
	}
}

// The whole decision on a stand-in for Windows: a visit during which a key was plugged in
// ends when that key is taken out, and not when a keyboard is, nor when nobody is logged in.
func TestAKeyTakenOutEndsTheVisitOnWindowsNotifications(t *testing.T) {
	tests := []struct {
		name     string
		signedIn bool
		out      kiosk.HIDInterface
		wantEnd  bool
	}{
		{"the key used in the visit taken out ends it", true, fidoKey, true},
		{"a keyboard taken out does not end it", true, keyboard, false},
		{"a key taken out while nobody is logged in ends nothing", false, fidoKey, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &hidStandIn{present: []kiosk.HIDInterface{keyboard}}
			keys, err := kiosk.NewKeyWatch(src, 30*time.Millisecond, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer keys.Close()
			var ends atomic.Int32
			ended := make(chan string, 1)
			w := kiosk.Watch{
				Keys:     keys.Keys,
				SignedIn: func() bool { return tt.signedIn },
				End:      func(context.Context) error { ends.Add(1); return nil },
				Ended:    func(reason string) { ended <- reason },
				Every:    5 * time.Millisecond,
			}
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan struct{})
			go func() { defer close(done); w.Run(ctx) }()
			src.send(arrived(fidoKey)) // the patient plugs in the key to log in
			time.Sleep(50 * time.Millisecond)
			src.send(left(tt.out))
			select {
			case reason := <-ended:
				if !tt.wantEnd {
					t.Fatalf("the visit ended (%s), want it to go on", reason)
				}
				if reason != kiosk.ReasonKeyRemoved {
					t.Fatalf("reason = %q, want %q", reason, kiosk.ReasonKeyRemoved)
				}
			case <-time.After(300 * time.Millisecond):
				if tt.wantEnd {
					t.Fatal("the visit did not end after the key was taken out")
				}
			}
			cancel()
			<-done
			if want := map[bool]int32{true: 1, false: 0}[tt.wantEnd]; ends.Load() != want {
				t.Fatalf("End called %d times, want %d", ends.Load(), want)
			}
		})
	}
}
