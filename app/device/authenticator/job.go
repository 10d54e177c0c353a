package authenticator

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Job is the one shape of background work on a leased authenticator: a ceremony
// (app/device/ceremony) and a key job (app/device/keys) alike. The webview cannot cancel a
// fetch, so POST starts the work and answers at once, and the page polls it. The work moves
// through the states (StateTouch, ...) until it ends, once, done or failed with the Failure
// the page is told; it can be stopped (its context is cancelled, which reaches the key as
// CTAPHID_CANCEL through app/fido2); its end is logged when it is the one that counts; and it
// is forgotten a while after it ended (Forget). What a kind of work adds (a ceremony's PIN
// and credential, a key job's samples) lives beside it, guarded by the Job's lock through
// Update, View and End's also.
//
// Lock order: app/device.Service's (Job.mu after the owning service's lock, before the lease's).
type Job struct {
	ID, Kind string
	// Finished is closed once the work's goroutine has let go of its authenticator (Done).
	Finished chan struct{}

	mu      sync.Mutex
	cancel  context.CancelFunc
	state   string
	failure *Failure
	endedAt time.Time
}

// NewJob is new work of kind, in state, with a new ID (NewID).
func NewJob(kind, state string) (*Job, error) {
	id, err := NewID()
	if err != nil {
		return nil, err
	}
	return &Job{ID: id, Kind: kind, Finished: make(chan struct{}), state: state}, nil
}

// Begin gives the work its context: under parent (the service's life, never the request's:
// the work outlives the request that started it), bounded by timeout, ended by Stop or Done.
func (j *Job) Begin(parent context.Context, timeout time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(parent, timeout)
	j.mu.Lock()
	j.cancel = cancel
	j.mu.Unlock()
	return ctx
}

// Done is deferred by the work's goroutine once it has let go of its authenticator: the
// context's resources go, and whoever waits on Finished (the next ceremony, the lease) may
// open the authenticator.
func (j *Job) Done() {
	j.mu.Lock()
	cancel := j.cancel
	j.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	close(j.Finished)
}

func (j *Job) endedLocked() bool { return j.state == StateDone || j.state == StateFailed }

// Ended tells whether the work has ended and when (Forget).
func (j *Job) Ended() (bool, time.Time) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.endedLocked(), j.endedAt
}

// State is the work's state now.
func (j *Job) State() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state
}

// Update runs f with the lock held while the work has not ended (f may move it to another
// state that is not final, and change what its kind adds) and reports whether it ran.
func (j *Job) Update(f func(state *string)) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.endedLocked() {
		return false
	}
	f(&j.state)
	return true
}

// View runs f with the lock held, for a snapshot: the state, and the failure once failed
// (f copies what it keeps).
func (j *Job) View(f func(state string, failure *Failure)) {
	j.mu.Lock()
	defer j.mu.Unlock()
	f(j.state, j.failure)
}

// End ends the work: failed with f, or done when f is nil; also, if not nil, runs with the
// lock held as it ends (a ceremony keeps its credential, drops its QR code). Only the first
// end counts; End reports whether this one did.
func (j *Job) End(now time.Time, f *Failure, also func()) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.endedLocked() {
		return false
	}
	if f != nil {
		j.state, j.failure = StateFailed, f
	} else {
		j.state = StateDone
	}
	j.endedAt = now
	if also != nil {
		also()
	}
	return true
}

// Stop ends running work with f (cancelled, or the kiosk visit ended) and cancels its work on
// the authenticator. Work that has ended already is left as it ended.
func (j *Job) Stop(now time.Time, f Failure, also func()) {
	if j.End(now, &f, also) {
		j.mu.Lock()
		cancel := j.cancel
		j.mu.Unlock()
		if cancel != nil {
			cancel()
		}
	}
}

// Report ends the work with what it came to (err nil: done; else failed with f) and logs
// the end, "<what> done" or "<what> failed" with attrs, the failure's code and its cause, if
// this end counts. It reports whether it did (else a Stop came first).
func (j *Job) Report(log *slog.Logger, what string, now time.Time, err error, f Failure, also func(), attrs ...any) bool {
	if err == nil {
		if !j.End(now, nil, also) {
			return false
		}
		log.Info(what+" done", attrs...)
		return true
	}
	if !j.End(now, &f, also) {
		return false
	}
	log.Info(what+" failed", append(attrs, "code", f.Code, "cause", err.Error())...)
	return true
}
