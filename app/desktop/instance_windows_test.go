package desktop

// Runs only on Windows (the hosted pipeline, .github/workflows/platforms.yml): a second copy
// reaches a first copy's single-instance window. The first copy here is a window made as
// Wails v2.11 makes it (internal/frontend/desktop/windows/single_instance.go,
// createEventTargetWindow: a message-only window of its class and name that takes
// WM_COPYDATA 1542), so the test fails if the class, the name, the message or its encoding
// drift apart from Wails'.

import (
	"encoding/json"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/wailsapp/wails/v2/pkg/options"
	"golang.org/x/sys/windows"
)

var (
	procRegisterClassExW   = user32.NewProc("RegisterClassExW")
	procUnregisterClassW   = user32.NewProc("UnregisterClassW")
	procCreateWindowExW    = user32.NewProc("CreateWindowExW")
	procDefWindowProcW     = user32.NewProc("DefWindowProcW")
	procGetMessageW        = user32.NewProc("GetMessageW")
	procDispatchMessageW   = user32.NewProc("DispatchMessageW")
	procPostMessageW       = user32.NewProc("PostMessageW")
	procPostQuitMessage    = user32.NewProc("PostQuitMessage")
	procGetModuleHandleW   = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetModuleHandleW")
	wmClose, wmDestroy     = uintptr(0x0010), uintptr(0x0002)
	getMessageFailed       = ^uintptr(0) // GetMessage's -1
	firstCopyAnswerTimeout = 10 * time.Second
)

// wndClassEx is WNDCLASSEXW (winuser.h).
type wndClassEx struct {
	size, style                   uint32
	wndProc                       uintptr
	clsExtra, wndExtra            int32
	instance, icon, cursor, brush uintptr
	menuName, className           *uint16
	iconSm                        uintptr
}

// winMsg is MSG (winuser.h).
type winMsg struct {
	hwnd           uintptr
	message        uint32
	wParam, lParam uintptr
	time           uint32
	x, y           int32
	private        uint32
}

// wailsFirstCopy makes the first copy's message-only window for dataDir on a thread of its
// own and gives each WM_COPYDATA 1542 string it receives on the channel.
func wailsFirstCopy(t *testing.T, dataDir string) <-chan string {
	t.Helper()
	class, name := singleInstanceWindow(dataDir)
	received := make(chan string, 4)
	made := make(chan uintptr, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		instance, _, _ := procGetModuleHandleW.Call(0)
		proc := syscall.NewCallback(func(hwnd, msg, wParam, lParam uintptr) uintptr {
			switch msg {
			case wmCopyData:
				// lParam and lpData are addresses the system gives as integers (read through
				// a pointer to them, the form go vet accepts for memory Go does not manage).
				cd := (*copyDataStruct)(*(*unsafe.Pointer)(unsafe.Pointer(&lParam)))
				if cd.dwData == copyDataSecondCopy {
					received <- windows.UTF16PtrToString((*uint16)(*(*unsafe.Pointer)(unsafe.Pointer(&cd.lpData))))
				}
				return 0
			case wmDestroy:
				_, _, _ = procPostQuitMessage.Call(0)
				return 0
			}
			r, _, _ := procDefWindowProcW.Call(hwnd, msg, wParam, lParam)
			return r
		})
		classW := windows.StringToUTF16Ptr(class)
		wc := wndClassEx{wndProc: proc, instance: instance, className: classW}
		wc.size = uint32(unsafe.Sizeof(wc))
		if r, _, err := procRegisterClassExW.Call(uintptr(unsafe.Pointer(&wc))); r == 0 {
			t.Errorf("RegisterClassExW: %v", err)
			made <- 0
			return
		}
		defer func() { _, _, _ = procUnregisterClassW.Call(uintptr(unsafe.Pointer(classW)), instance) }()
		hwnd, _, err := procCreateWindowExW.Call(0, uintptr(unsafe.Pointer(classW)),
			uintptr(unsafe.Pointer(windows.StringToUTF16Ptr(name))), 0, 0, 0, 0, 0, hwndMessage, 0, instance, 0)
		if hwnd == 0 {
			t.Errorf("CreateWindowExW: %v", err)
			made <- 0
			return
		}
		made <- hwnd
		var m winMsg
		for {
			r, _, _ := procGetMessageW.Call(uintptr(unsafe.Pointer(&m)), 0, 0, 0)
			if r == 0 || r == getMessageFailed {
				return
			}
			_, _, _ = procDispatchMessageW.Call(uintptr(unsafe.Pointer(&m)))
		}
	}()
	hwnd := <-made
	if hwnd == 0 {
		t.FailNow()
	}
	t.Cleanup(func() {
		_, _, _ = procPostMessageW.Call(hwnd, wmClose, 0, 0)
		<-done
	})
	return received
}

func TestASecondCopyOnWindowsBringsTheFirstCopysWindowToTheFront(t *testing.T) {
	dataDir := t.TempDir()
	received := wailsFirstCopy(t, dataDir)
	if err := ShowRunningCopy(t.Context(), dataDir); err != nil {
		t.Fatalf("ShowRunningCopy: %v", err)
	}
	var message string
	select {
	case message = <-received:
	case <-time.After(firstCopyAnswerTimeout):
		t.Fatal("the first copy's window got no WM_COPYDATA 1542")
	}
	var data options.SecondInstanceData
	if err := json.Unmarshal([]byte(message), &data); err != nil {
		t.Fatalf("the first copy could not read %q as Wails' SecondInstanceData: %v", message, err)
	}
	wd, _ := os.Getwd()
	if data.WorkingDirectory != wd || len(data.Args) != len(os.Args)-1 {
		t.Errorf("got %+v, want the second copy's arguments %q and folder %q", data, os.Args[1:], wd)
	}
}

func TestASecondCopyOnWindowsSaysSoWhenNoWindowListens(t *testing.T) {
	tests := []struct {
		name    string
		listens bool
	}{
		{"no copy is open at all", false},
		{"a copy is open for another data folder", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var received <-chan string
			if tt.listens {
				received = wailsFirstCopy(t, t.TempDir())
			}
			start := time.Now()
			if err := ShowRunningCopy(t.Context(), t.TempDir()); err == nil {
				t.Fatal("ShowRunningCopy reported success with no window for this data folder")
			}
			if time.Since(start) > time.Second {
				t.Errorf("it took %v to find nothing", time.Since(start))
			}
			select {
			case m := <-received:
				t.Fatalf("another data folder's copy was sent %q", m)
			default:
			}
		})
	}
}
