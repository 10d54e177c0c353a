package kiosk

// Runs only on Windows (the hosted pipeline, .github/workflows/platforms.yml): the real
// Configuration Manager calls, as an ordinary (not elevated) user can make them.

import (
	"testing"
	"time"
)

func TestTheWindowsHIDWatchListsAndSubscribesWithoutOpeningDevices(t *testing.T) {
	present, err := WindowsHID{}.Present()
	if err != nil {
		t.Fatalf("Present: %v", err)
	}
	for _, h := range present {
		t.Logf("HID interface %s: usage page %#04x known %v, counts as a key %v", h.Path, h.UsagePage, h.PageKnown, h.CountsAsKey())
	}
	w, err := NewKeyWatch(WindowsHID{}, 0, nil)
	if err != nil {
		t.Fatalf("NewKeyWatch: %v", err)
	}
	if _, err := w.Keys(); err != nil {
		t.Fatalf("Keys: %v", err)
	}
	closed := make(chan struct{})
	go func() { w.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return: the notification was not unregistered")
	}
}

func TestAHIDInterfaceWindowsCannotDescribeCountsAsAKey(t *testing.T) {
	h := describeHID(`\\?\HID#VID_0000&PID_0000#not-plugged-in#{4d1e55b2-f16f-11cf-88cb-001111000030}`)
	if h.PageKnown || !h.CountsAsKey() {
		t.Fatalf("describeHID of a missing interface = %+v, want an unknown page that counts as a key", h)
	}
}
