package desktop

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Wails' single-instance window on Windows (wails/v2 internal/frontend/desktop/windows/
// single_instance.go): the first copy makes a hidden message-only window of class
// "wails-app-<id>-sic" named "wails-app-<id>-siw" and takes WM_COPYDATA messages whose
// dwData is 1542, carrying options.SecondInstanceData as a UTF-16 JSON string.
const (
	wmCopyData           = 0x004A // WM_COPYDATA
	copyDataSecondCopy   = 1542   // Wails' WMCOPYDATA_SINGLE_INSTANCE_DATA
	smtoAbortIfHung      = 0x0002 // SMTO_ABORTIFHUNG
	sendTimeoutMillis    = 5000
	hwndMessage          = ^uintptr(2) // HWND_MESSAGE, (HWND)-3: the parent of message-only windows
	singleInstancePrefix = "wails-app-"
)

var (
	user32                       = windows.NewLazySystemDLL("user32.dll")
	procFindWindowExW            = user32.NewProc("FindWindowExW")
	procSendMessageTimeoutW      = user32.NewProc("SendMessageTimeoutW")
	procAllowSetForegroundWindow = user32.NewProc("AllowSetForegroundWindow")
)

// copyDataStruct is COPYDATASTRUCT (winuser.h).
type copyDataStruct struct {
	dwData uintptr
	cbData uint32
	lpData uintptr
}

// singleInstanceWindow is the class and the name of the first copy's message-only window.
func singleInstanceWindow(dataDir string) (class, name string) {
	id := singleInstancePrefix + instanceID(dataDir)
	return id + "-sic", id + "-siw"
}

// ShowRunningCopy asks the copy of the app that already uses dataDir to bring its window to
// the front: it finds the first copy's message-only window and sends it Wails' WM_COPYDATA
// message, as a second copy inside wails.Run would. Only the foreground process may bring
// another window to the front, and a person just opened this one, so it first lets the
// first copy do so (AllowSetForegroundWindow). An error means the first copy could not be
// reached (for example it is `nhs-passkeys serve`, which has no window): the caller then
// says in words that the app is already open.
func ShowRunningCopy(ctx context.Context, dataDir string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reach the copy already open: %w", err)
	}
	class, name := singleInstanceWindow(dataDir)
	classW, err := windows.UTF16PtrFromString(class)
	if err != nil {
		return fmt.Errorf("reach the copy already open: %w", err)
	}
	nameW, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return fmt.Errorf("reach the copy already open: %w", err)
	}
	hwnd, _, _ := procFindWindowExW.Call(hwndMessage, 0, uintptr(unsafe.Pointer(classW)), uintptr(unsafe.Pointer(nameW)))
	if hwnd == 0 {
		return errors.New("reach the copy already open: its window was not found")
	}
	message, err := secondInstanceMessage()
	if err != nil {
		return err
	}
	text, err := windows.UTF16FromString(string(message)) // ends with the NUL Wails reads up to
	if err != nil {
		return fmt.Errorf("reach the copy already open: %w", err)
	}
	var pid uint32
	if _, err := windows.GetWindowThreadProcessId(windows.HWND(hwnd), &pid); err == nil && pid != 0 {
		_, _, _ = procAllowSetForegroundWindow.Call(uintptr(pid))
	}
	data := copyDataStruct{
		dwData: copyDataSecondCopy,
		cbData: uint32(len(text) * 2), //nolint:gosec // G115: the arguments and working folder, far below 4 GiB
		lpData: uintptr(unsafe.Pointer(&text[0])),
	}
	// SendMessageTimeout rather than SendMessage: a first copy that hangs must not hang this
	// one too. The answer is 0 when the message was not delivered in time.
	var result uintptr
	r, _, callErr := procSendMessageTimeoutW.Call(hwnd, wmCopyData, 0, uintptr(unsafe.Pointer(&data)),
		smtoAbortIfHung, sendTimeoutMillis, uintptr(unsafe.Pointer(&result)))
	runtime.KeepAlive(text) // lpData points into it; nothing else keeps it alive for the call
	if r == 0 {
		return fmt.Errorf("reach the copy already open: %w", callErr)
	}
	return nil
}
