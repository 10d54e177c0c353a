//go:build windows

package desktop

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/wailsapp/go-webview2/pkg/edge"
)

// lockDownWebView turns off WebView2's general autofill and password saving for kiosk mode,
// and reads both back: on a shared computer, what one patient types must never be offered
// to the next (issue #20). IsGeneralAutofillEnabled is TRUE by default (Microsoft,
// ICoreWebView2Settings4, SDK 1.0.902.49).
//
// Wails v2 (v2.11 to v2.15) has no option for either and keeps its WebView2 in an
// unexported field (docs/windows-kiosk.md), so this reaches it through the frontend that
// Wails puts in its context under "frontend": the *edge.Chromium in its chromium field, and
// its main window's Invoke, which runs a function on the window's thread (WebView2 answers
// only there). Every step is checked: a Wails whose frontend no longer has these fields, or
// a WebView2 without ICoreWebView2Settings4, is an error, and kiosk mode then closes
// (desktop.go) rather than run with autofill on. go.mod pins Wails v2.11.0.
func lockDownWebView(wctx context.Context) error {
	if wctx == nil {
		return errors.New("no window context")
	}
	frontend := reflect.ValueOf(wctx.Value("frontend"))
	if frontend.Kind() != reflect.Pointer || frontend.IsNil() || frontend.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("the frontend of Wails is a %v, not the Windows frontend this was written for", frontend.Kind())
	}
	chromiumField := frontend.Elem().FieldByName("chromium")
	if !chromiumField.IsValid() || chromiumField.Type() != reflect.TypeFor[*edge.Chromium]() {
		return errors.New("the Windows frontend of Wails has no chromium field of type *edge.Chromium")
	}
	// Reading an unexported field of Wails is what this function is for: its type is checked
	// just above (and go.mod pins the Wails it was written for).
	chromium, ok := reflect.NewAt(chromiumField.Type(), unsafe.Pointer(chromiumField.UnsafeAddr())).Elem().Interface().(*edge.Chromium) //nolint:gosec // G103: Wails' unexported field, its type checked above
	if !ok {
		return errors.New("the chromium field of Wails is not an *edge.Chromium")
	}
	windowField := frontend.Elem().FieldByName("mainWindow")
	if !windowField.IsValid() {
		return errors.New("the Windows frontend of Wails has no mainWindow field")
	}
	invoke := reflect.NewAt(windowField.Type(), unsafe.Pointer(windowField.UnsafeAddr())).Elem().MethodByName("Invoke") //nolint:gosec // G103: Wails' unexported field, its method checked below
	if !invoke.IsValid() || invoke.Type() != reflect.TypeFor[func(func())]() {
		return errors.New("the main window of Wails has no Invoke(func())")
	}
	if chromium == nil {
		return errors.New("the webview is not made yet")
	}
	done := make(chan error, 1)
	invoke.Call([]reflect.Value{reflect.ValueOf(func() { done <- turnOffAutofill(chromium) })})
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		return errors.New("the window's thread did not answer within 5 seconds")
	case <-wctx.Done():
		return wctx.Err()
	}
}

// turnOffAutofill runs on the window's thread.
func turnOffAutofill(chromium *edge.Chromium) error {
	settings, err := chromium.GetSettings()
	if err != nil {
		return fmt.Errorf("WebView2 settings: %w", err)
	}
	s4 := settings.GetICoreWebView2Settings4()
	if s4 == nil {
		return errors.New("this WebView2 has no ICoreWebView2Settings4 (autofill settings)")
	}
	if err := s4.PutIsGeneralAutofillEnabled(false); err != nil {
		return fmt.Errorf("turn off general autofill: %w", err)
	}
	if err := s4.PutIsPasswordAutosaveEnabled(false); err != nil {
		return fmt.Errorf("turn off password saving: %w", err)
	}
	autofill, err := s4.GetIsGeneralAutofillEnabled()
	if err != nil {
		return fmt.Errorf("general autofill may still be on: %w", err)
	}
	if autofill {
		return errors.New("general autofill still on")
	}
	passwords, err := s4.GetIsPasswordAutosaveEnabled()
	if err != nil {
		return fmt.Errorf("password saving may still be on: %w", err)
	}
	if passwords {
		return errors.New("password saving still on")
	}
	return nil
}
