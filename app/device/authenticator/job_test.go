package authenticator

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// Rule: work on a leased authenticator ends once. The first end (done, failed or stopped)
// counts and is the one reported; after it the state no longer moves, a stop no longer
// cancels, and the work is forgotten ForgetAfter later.
func TestWorkOnAKeyEndsOnceAndOnlyItsFirstEndIsReported(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cancelled := Failure{Code: CodeCancelled, Message: "You cancelled."}
	removed := Failure{Code: CodeKeyRemoved, Message: "Your key was removed."}
	for _, tt := range []struct {
		name      string
		run       func(j *Job, log *slog.Logger) bool // reports whether the work's own end counted
		wantState string
		wantCode  string
		wantLog   string
	}{
		{"work that succeeds is done and says so", func(j *Job, log *slog.Logger) bool {
			return j.Report(log, "key job", at, nil, Failure{}, nil, "job", j.ID)
		}, StateDone, "", "key job done"},
		{"work that fails is failed with its failure and its cause in the log", func(j *Job, log *slog.Logger) bool {
			return j.Report(log, "key job", at, errors.New("gone"), removed, nil, "job", j.ID)
		}, StateFailed, CodeKeyRemoved, "key job failed"},
		{"work stopped before it ends stays stopped and its end is not reported", func(j *Job, log *slog.Logger) bool {
			j.Stop(at, cancelled, nil)
			return j.Report(log, "key job", at.Add(time.Second), nil, Failure{}, nil)
		}, StateFailed, CodeCancelled, ""},
		{"a stop after the end leaves the end as it was", func(j *Job, log *slog.Logger) bool {
			ok := j.Report(log, "key job", at, nil, Failure{}, nil)
			j.Stop(at.Add(time.Second), cancelled, nil)
			return ok
		}, StateDone, "", "key job done"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j, err := NewJob(KindCreate, StateTouch)
			if err != nil {
				t.Fatal(err)
			}
			ctx := j.Begin(t.Context(), time.Minute)
			var logged bytes.Buffer
			counted := tt.run(j, slog.New(slog.NewTextHandler(&logged, nil)))
			if counted != (tt.wantLog != "") {
				t.Errorf("the work's own end counted: %v", counted)
			}
			if got := j.State(); got != tt.wantState {
				t.Errorf("state %q, want %q", got, tt.wantState)
			}
			j.View(func(_ string, f *Failure) {
				if (f == nil && tt.wantCode != "") || (f != nil && f.Code != tt.wantCode) {
					t.Errorf("failure %+v, want code %q", f, tt.wantCode)
				}
			})
			if tt.wantLog == "" && logged.Len() > 0 || !strings.Contains(logged.String(), tt.wantLog) {
				t.Errorf("log %q, want %q", logged.String(), tt.wantLog)
			}
			if j.Update(func(state *string) { *state = StateWorking }) || j.State() != tt.wantState {
				t.Errorf("an ended job moved to %q", j.State())
			}
			if tt.wantCode == CodeCancelled && ctx.Err() == nil {
				t.Error("a stopped job's work was not cancelled")
			}
			j.Done()
			if _, open := <-j.Finished; open || ctx.Err() == nil {
				t.Error("Done left Finished open or the context running")
			}
			works := map[string]*Job{j.ID: j}
			Forget(works, at.Add(ForgetAfter-time.Second))
			if len(works) != 1 {
				t.Error("forgotten too soon")
			}
			Forget(works, at.Add(ForgetAfter+time.Second))
			if len(works) != 0 {
				t.Error("not forgotten ForgetAfter after its end")
			}
		})
	}
}
