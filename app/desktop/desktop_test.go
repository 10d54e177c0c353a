package desktop

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

func TestRunRefusesIncompleteOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{name: "without a handler there is nothing to show", opts: Options{DataDir: t.TempDir()}},
		{name: "without a data directory the session has no keyring entry", opts: Options{Handler: http.NotFoundHandler()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Run(t.Context(), tt.opts); err == nil {
				t.Fatal("Run accepted the options")
			}
		})
	}
}

func TestRunDoesNotOpenAWindowOnceStopped(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Run(ctx, Options{Handler: http.NotFoundHandler(), DataDir: t.TempDir()}); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
}

func TestQuitWhenDone(t *testing.T) {
	type wailsKey struct{}
	wailsCtx := context.WithValue(t.Context(), wailsKey{}, "wails")

	t.Run("ending the context quits the window once", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		started := make(chan context.Context, 1)
		closed := make(chan struct{})
		var quits atomic.Int32
		quit := func(c context.Context) {
			if c.Value(wailsKey{}) != "wails" {
				t.Error("Quit was not given the context from OnStartup")
			}
			quits.Add(1)
		}
		done := make(chan struct{})
		go func() { quitWhenDone(ctx, started, closed, quit); close(done) }()
		started <- wailsCtx
		cancel()
		<-done
		if got := quits.Load(); got != 1 {
			t.Fatalf("Quit called %d times, want 1 (a second quit can race GTK's exit)", got)
		}
	})

	t.Run("a window the person closes ends the watcher without a quit", func(t *testing.T) {
		started := make(chan context.Context, 1)
		closed := make(chan struct{})
		var quits atomic.Int32
		done := make(chan struct{})
		go func() {
			quitWhenDone(t.Context(), started, closed, func(context.Context) { quits.Add(1) })
			close(done)
		}()
		started <- wailsCtx
		close(closed)
		<-done
		if quits.Load() != 0 {
			t.Fatal("Quit was called for a window already closed")
		}
	})

	t.Run("a window that never started ends the watcher", func(t *testing.T) {
		closed := make(chan struct{})
		close(closed)
		quitWhenDone(t.Context(), make(chan context.Context), closed, func(context.Context) { t.Error("Quit called") })
	})
}

func TestOnlyAKioskVisitHasAWebViewFolderOfItsOwn(t *testing.T) {
	if got := webviewDataPath(nil); got != "" {
		t.Fatalf("outside kiosk mode WebView2's folder is %q, want Wails' default", got)
	}
	if got := webviewDataPath(&Kiosk{}); got != "" {
		t.Fatalf("in a kiosk without visit windows WebView2's folder is %q, want Wails' default", got)
	}
	dir := t.TempDir()
	if got := webviewDataPath(&Kiosk{VisitDir: dir}); !strings.HasPrefix(got, dir) || got == dir {
		t.Fatalf("a visit's WebView2 folder is %q, want one inside %s", got, dir)
	}
}
