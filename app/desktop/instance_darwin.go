//go:build darwin && cgo

package desktop

/*
#cgo CFLAGS: -x objective-c
#cgo LDFLAGS: -framework Foundation
#import <Foundation/Foundation.h>
#include <stdlib.h>
#include <string.h>

// The per-user temporary folder Wails keeps its single-instance lock file in. The caller
// frees the copy.
static char *nhsp_temp_dir(void) {
	@autoreleasepool {
		return strdup([NSTemporaryDirectory() UTF8String]);
	}
}

// Posts Wails' single-instance notification: its name is the app's unique ID and its
// object the message, a string (wails/v2 internal/frontend/desktop/darwin/AppDelegate.m,
// SendDataToFirstInstance).
static void nhsp_post_to_first_copy(const char *name, const char *message) {
	@autoreleasepool {
		[[NSDistributedNotificationCenter defaultCenter]
			postNotificationName:[NSString stringWithUTF8String:name]
			              object:[NSString stringWithUTF8String:message]
			            userInfo:nil
			  deliverImmediately:YES];
	}
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"
)

// ShowRunningCopy asks the copy of the app that already uses dataDir to bring its window to
// the front, as a second copy inside wails.Run would on macOS (wails/v2
// internal/frontend/desktop/darwin/single_instance.go): the first copy holds an exclusive
// lock on <NSTemporaryDirectory>/<id>.lock and listens for a distributed notification named
// <id>. A notification is never answered, so the lock is what tells whether a window is
// there to listen (the folder may be held by `nhs-passkeys serve`, which has none): an error
// then, and the caller says in words that the app is already open.
//
// Opening the app from Finder or the Dock while it is open never gets here: macOS brings the
// open app to the front itself. This is for a second copy started another way (Terminal,
// `open -n`).
func ShowRunningCopy(ctx context.Context, dataDir string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("reach the copy already open: %w", err)
	}
	id := instanceID(dataDir)
	lockPath, err := wailsLockPath(id)
	if err != nil {
		return err
	}
	lock, err := os.Open(lockPath)
	if err != nil {
		return fmt.Errorf("reach the copy already open: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		_ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
		return errors.New("reach the copy already open: no window of the app holds its lock")
	}
	message, err := secondInstanceMessage()
	if err != nil {
		return err
	}
	name, text := C.CString(id), C.CString(string(message))
	defer C.free(unsafe.Pointer(name))
	defer C.free(unsafe.Pointer(text))
	C.nhsp_post_to_first_copy(name, text)
	return nil
}

// wailsLockPath is where Wails' first copy keeps its lock file for id: in
// NSTemporaryDirectory(), as Wails does (so that a sandboxed app would find it too).
func wailsLockPath(id string) (string, error) {
	dir := C.nhsp_temp_dir()
	if dir == nil {
		return "", errors.New("reach the copy already open: no temporary folder")
	}
	defer C.free(unsafe.Pointer(dir))
	return filepath.Join(C.GoString(dir), id+".lock"), nil
}
