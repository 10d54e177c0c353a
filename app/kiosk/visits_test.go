package kiosk_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/internal/testkit"
)

// visitWindow stands in for one visit's window (on Windows, a child process with WebView2):
// it writes what a patient's visit leaves in WebView2's folder, then ends as told.
type visitWindow struct {
	end    string // "visit-over", "admin", "crash"
	before func(dir string)
}

type visitLog struct {
	mu   sync.Mutex
	dirs []string
	// seen: for each visit, what was in its folder when its window opened.
	seen [][]string
}

func (l *visitLog) run(t *testing.T, windows []visitWindow) func(ctx context.Context, dir string) error {
	return func(ctx context.Context, dir string) error {
		l.mu.Lock()
		i := len(l.dirs)
		l.dirs = append(l.dirs, dir)
		entries, _ := os.ReadDir(dir)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		l.seen = append(l.seen, names)
		l.mu.Unlock()
		// A patient's visit: WebView2 writes form data, cache and storage in its folder.
		wv := kiosk.WebViewFolder(dir)
		if err := os.MkdirAll(filepath.Join(wv, "EBWebView", "Default"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(wv, "EBWebView", "Default", "Web Data"), []byte("patient@example.com"), 0o600); err != nil {
			t.Fatal(err)
		}
		if i >= len(windows) {
			return nil // an administrator closes the kiosk
		}
		w := windows[i]
		if w.before != nil {
			w.before(dir)
		}
		switch w.end {
		case "visit-over":
			if err := kiosk.MarkVisitOver(dir); err != nil {
				t.Fatal(err)
			}
			return nil
		case "crash":
			return errors.New("exit status 2")
		}
		return nil
	}
}

func TestVisitsStartEachPatientInAnEmptyFolderAndDeleteTheLastOne(t *testing.T) {
	base := filepath.Join(t.TempDir(), "kiosk")
	var log visitLog
	v := kiosk.Visits{Base: base, Run: log.run(t, []visitWindow{{end: "visit-over"}, {end: "visit-over"}, {end: "admin"}})}
	if err := v.Loop(t.Context()); err != nil {
		t.Fatalf("Loop = %v, want nil once an administrator closes the kiosk", err)
	}
	if len(log.dirs) != 3 {
		t.Fatalf("%d visits ran, want 3 (two patients, then the one an administrator closed)", len(log.dirs))
	}
	for i, dir := range log.dirs {
		if len(log.seen[i]) != 0 {
			t.Errorf("visit %d opened with %q already in its folder, want an empty folder", i+1, log.seen[i])
		}
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("visit %d's folder %s is still there after its window closed (err %v)", i+1, dir, err)
		}
		for j := range i {
			if log.dirs[j] == dir {
				t.Errorf("visit %d reused visit %d's folder", i+1, j+1)
			}
		}
		if err := kiosk.VisitDir(base, dir); err == nil {
			t.Errorf("VisitDir accepts visit %d's deleted folder", i+1)
		}
	}
	if entries, _ := os.ReadDir(base); len(entries) != 0 {
		t.Fatalf("the kiosk folder still holds %d entries, want none", len(entries))
	}
}

func TestVisitsRetryAFolderWindowsStillHoldsAndNeverReuseIt(t *testing.T) {
	base := filepath.Join(t.TempDir(), "kiosk")
	var (
		mu      sync.Mutex
		held    = map[string]int{} // folder -> tries refused so far
		holdFor = 1 << 30          // the first visit's folder is held for good
		first   string
	)
	remove := func(path string) error {
		mu.Lock()
		defer mu.Unlock()
		if path == first && held[path] < holdFor {
			held[path]++
			// Windows' own text for ERROR_SHARING_VIOLATION, as the kiosk meets it.
			return errors.New("The process cannot access the file because it is being used by another process.") //nolint:revive // Windows' message, word for word
		}
		return os.RemoveAll(path)
	}
	var log visitLog
	windows := []visitWindow{
		{end: "visit-over", before: func(dir string) { mu.Lock(); first = dir; mu.Unlock() }},
		{end: "visit-over", before: func(string) { mu.Lock(); holdFor = 0; mu.Unlock() }}, // WebView2 lets go at last
		{end: "admin"},
	}
	var slept time.Duration
	v := kiosk.Visits{Base: base, Run: log.run(t, windows), Remove: remove,
		Sleep: func(_ context.Context, d time.Duration) { slept += d }}
	if err := v.Loop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if held[first] < 2 {
		t.Fatalf("the held folder was tried %d times, want it retried", held[first])
	}
	if slept < 5*time.Second {
		t.Fatalf("waited %v in all for the held folder, want several seconds of retries", slept)
	}
	if log.dirs[1] == first || len(log.seen[1]) != 0 {
		t.Fatalf("the second patient got folder %s holding %q, want a new empty one", log.dirs[1], log.seen[1])
	}
	if _, err := os.Stat(first); !os.IsNotExist(err) {
		t.Fatalf("the first patient's folder %s is still there once Windows let go of it", first)
	}
}

func TestVisitsDeleteFoldersLeftFromBefore(t *testing.T) {
	base := filepath.Join(t.TempDir(), "kiosk")
	left := filepath.Join(base, kiosk.VisitFolderPrefix+"crashed")
	if err := os.MkdirAll(filepath.Join(left, "webview2"), 0o700); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(base, "not-a-visit.txt")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var log visitLog
	v := kiosk.Visits{Base: base, Run: log.run(t, []visitWindow{{end: "admin"}})}
	if err := v.Loop(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Fatal("a visit folder left by a crash was not deleted before the next visit")
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatalf("a file that is not a visit folder was deleted: %v", err)
	}
}

func TestVisitsReopenAWindowThatFailsButGiveUpWhenItKeepsFailing(t *testing.T) {
	tests := []struct {
		name      string
		windows   []visitWindow
		every     time.Duration // how long each window stays open
		wantRuns  int
		wantError bool
	}{
		{"a window that fails once is opened again", []visitWindow{{end: "crash"}, {end: "visit-over"}, {end: "admin"}}, time.Second, 3, false},
		{"three quick failures in a row stop the kiosk", []visitWindow{{end: "crash"}, {end: "crash"}, {end: "crash"}, {end: "admin"}}, time.Second, 3, true},
		{"failures far apart do not stop it", []visitWindow{{end: "crash"}, {end: "crash"}, {end: "crash"}, {end: "admin"}}, time.Minute, 4, false},
		{"a finished visit resets the count", []visitWindow{{end: "crash"}, {end: "crash"}, {end: "visit-over"}, {end: "crash"}, {end: "crash"}, {end: "admin"}}, time.Second, 6, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := testkit.NewClock(time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC))
			var log visitLog
			run := log.run(t, tt.windows)
			v := kiosk.Visits{Base: filepath.Join(t.TempDir(), "kiosk"), Now: clock.Now,
				Run: func(ctx context.Context, dir string) error { clock.Advance(tt.every); return run(ctx, dir) }}
			err := v.Loop(t.Context())
			if (err != nil) != tt.wantError {
				t.Fatalf("Loop = %v, want error %v", err, tt.wantError)
			}
			if err != nil && !strings.Contains(err.Error(), "exit status 2") {
				t.Fatalf("Loop = %v, want the window's failure in it", err)
			}
			if len(log.dirs) != tt.wantRuns {
				t.Fatalf("%d windows opened, want %d", len(log.dirs), tt.wantRuns)
			}
		})
	}
}

func TestVisitsStopWhenTheProgramStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	runs := 0
	v := kiosk.Visits{Base: filepath.Join(t.TempDir(), "kiosk"), Run: func(ctx context.Context, dir string) error {
		runs++
		cancel() // the system shuts down while the window is open
		return errors.New("killed")
	}}
	if err := v.Loop(ctx); err != nil || runs != 1 {
		t.Fatalf("Loop = %v after %d windows, want nil after 1", err, runs)
	}
}

func TestVisitDirAcceptsOnlyAVisitFolderOfTheKiosk(t *testing.T) {
	base := t.TempDir()
	visit, err := os.MkdirTemp(base, kiosk.VisitFolderPrefix)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(base, kiosk.VisitFolderPrefix+"file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		ok   bool
	}{
		{"a visit folder made by the kiosk", visit, true},
		{"the kiosk folder itself", base, false},
		{"a folder outside it", t.TempDir(), false},
		{"a path that climbs out of it", filepath.Join(base, "..", filepath.Base(visit)), false},
		{"a folder inside a visit folder", filepath.Join(visit, "webview2"), false},
		{"a file named like a visit folder", file, false},
		{"a visit folder that does not exist", filepath.Join(base, kiosk.VisitFolderPrefix+"gone"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := kiosk.VisitDir(base, tt.dir); (err == nil) != tt.ok {
				t.Fatalf("VisitDir(%s) = %v, want ok %v", tt.dir, err, tt.ok)
			}
		})
	}
}
