package kiosk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Visits runs a Windows kiosk one visit at a time: each patient gets a window of their own,
// whose WebView2 keeps everything (form entries, cache, storage, cookies) in a folder that
// belongs to that visit, and the folder is deleted once the window has closed.
//
// Why not clear the data inside one long-lived window: WebView2's way to do that,
// ICoreWebView2Profile2.ClearBrowsingDataAll, is not reachable from Wails v2 (neither Wails
// nor go-webview2 v1.0.22 binds it), and a folder still in use by WebView2 cannot be
// deleted. Ending the window at the end of each visit clears everything, the page's memory
// included (docs/windows-kiosk.md).
type Visits struct {
	// Base is the folder that holds each visit's folder (VisitFolderPrefix + random).
	// Only the kiosk uses it; anything left in it from before is deleted.
	Base string
	// Run opens one visit's window with its WebView2 data in dir and returns when the
	// window has closed. On Windows it is a child process of the app (internal/cli).
	// The window calls MarkVisitOver(dir) before closing at the end of a visit.
	Run func(ctx context.Context, dir string) error
	// Logger receives what happened; nil discards it.
	Logger *slog.Logger
	// Now is the clock (nil: time.Now); Sleep waits (nil: a timer that ctx cancels).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration)
	// Remove deletes a visit's folder (nil: os.RemoveAll); tests stand in for a folder
	// that Windows still holds.
	Remove func(path string) error
}

// VisitFolderPrefix starts the name of each visit's folder in Visits.Base.
const VisitFolderPrefix = "visit-"

// visitOverMarker is the file the window leaves in its visit's folder when the visit ended
// (a logout, the idle timeout, a key taken out), as opposed to an administrator closing the
// kiosk or the window failing.
const visitOverMarker = "visit-over"

// WebViewFolder is where, in a visit's folder, WebView2 keeps its data.
func WebViewFolder(visitDir string) string { return filepath.Join(visitDir, "webview2") }

// MarkVisitOver records in the visit's folder that the visit ended, so the next one starts.
func MarkVisitOver(visitDir string) error {
	if err := os.WriteFile(filepath.Join(visitDir, visitOverMarker), nil, 0o600); err != nil {
		return fmt.Errorf("mark the kiosk visit as over: %w", err)
	}
	return nil
}

// Failures in a row, each soon after its window opened, after which Loop gives up: a window
// that cannot stay open must not flash on and off forever in front of patients.
const (
	maxQuickFailures = 3
	quickFailure     = 10 * time.Second
	removeFor        = 10 * time.Second       // how long a folder still held is retried
	removeEvery      = 200 * time.Millisecond // between tries
)

// Loop runs visits until ctx ends (nil), an administrator closes the kiosk (a window that
// closed without marking its visit over and without an error: nil), or the window keeps
// failing (an error). The order at the end of every visit is the rule: the window has
// closed, then its folder is deleted (retried while WebView2 still holds it), then the next
// visit opens in a new, empty folder; a folder that could not be deleted is deleted before
// the next visit after that, and never used again.
func (v Visits) Loop(ctx context.Context) error {
	log := v.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := v.Now
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(v.Base, 0o700); err != nil {
		return fmt.Errorf("kiosk visits folder: %w", err)
	}
	quickFailures := 0
	for ctx.Err() == nil {
		v.removeLeftovers(log)
		dir, err := os.MkdirTemp(v.Base, VisitFolderPrefix)
		if err != nil {
			return fmt.Errorf("kiosk visit folder: %w", err)
		}
		started := now()
		runErr := v.Run(ctx, dir)
		_, markErr := os.Stat(filepath.Join(dir, visitOverMarker))
		over := markErr == nil
		v.removeVisit(ctx, dir, log)
		switch {
		case over:
			quickFailures = 0
			log.Info("kiosk visit over: its window and data are gone; the next visit starts")
		case ctx.Err() != nil:
			// Stopping the kiosk (ctx ended) is what was asked: not a failure.
			return nil //nolint:nilerr // ctx's end is the asked-for stop, not an error to report
		case runErr == nil:
			log.Info("kiosk closed by an administrator")
			return nil
		default:
			if now().Sub(started) < quickFailure {
				quickFailures++
			} else {
				quickFailures = 1
			}
			if quickFailures >= maxQuickFailures {
				return fmt.Errorf("the kiosk window closed by itself %d times in a row: %w", quickFailures, runErr)
			}
			log.Error("the kiosk window closed by itself; opening it again", "err", runErr)
		}
	}
	return nil
}

// removeVisit deletes a visit's folder, trying again while WebView2's processes, which
// outlive the window by a moment, still hold its files. One left behind is deleted by
// removeLeftovers before the next visit.
func (v Visits) removeVisit(ctx context.Context, dir string, log *slog.Logger) {
	remove := v.Remove
	if remove == nil {
		remove = os.RemoveAll
	}
	sleep := v.Sleep
	if sleep == nil {
		sleep = sleepCtx
	}
	var err error
	for waited := time.Duration(0); ; waited += removeEvery {
		if err = remove(dir); err == nil {
			return
		}
		if waited >= removeFor || ctx.Err() != nil {
			break
		}
		sleep(ctx, removeEvery)
	}
	log.Error("could not delete a kiosk visit's data yet; it is never used again and is deleted before the next visit", "dir", dir, "err", err)
}

// removeLeftovers deletes visit folders left from before (a crash, a folder still held).
func (v Visits) removeLeftovers(log *slog.Logger) {
	remove := v.Remove
	if remove == nil {
		remove = os.RemoveAll
	}
	entries, err := os.ReadDir(v.Base)
	if err != nil {
		log.Error("list old kiosk visit folders", "err", err)
		return
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), VisitFolderPrefix) {
			continue
		}
		path := filepath.Join(v.Base, e.Name())
		if err := remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			log.Error("could not delete an old kiosk visit's data", "dir", path, "err", err)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// VisitDir checks that dir, given to a visit's window by Loop, is one of Base's visit
// folders, so the window never points WebView2 at another folder.
func VisitDir(base, dir string) error {
	rel, err := filepath.Rel(base, dir)
	if err != nil || filepath.Dir(rel) != "." || !strings.HasPrefix(rel, VisitFolderPrefix) {
		return fmt.Errorf("%s is not a kiosk visit folder in %s", dir, base)
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fmt.Errorf("kiosk visit folder %s: not a folder", dir)
	}
	return nil
}
