//go:build cgo && !windows

package keys

// Key jobs: the key operations that wait for the person (each fingerprint sample is a touch;
// a reset needs one). As with ceremonies, the webview cannot cancel a fetch, so a job runs in
// the background: POST starts it (202), the page polls GET /api/device/key-jobs/{id} and can
// cancel it. One job at a time on each key; it holds its key (acquire) until it has closed it.

import (
	"context"
	"errors"
	"time"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/backend/apperr"
)

const (
	jobAddFingerprint = "add-fingerprint"
	jobReset          = "reset"
)

// keyJob is one background key operation (authenticator.Job) on the key keyID. What it
// adds is guarded by the Job's lock (Update, View).
type keyJob struct {
	*authenticator.Job
	keyID string

	samplesNeeded int
	samplesLeft   int
	lastSample    string
	feedback      string
	fingerprint   *fingerprintJSON
}

// keyJobJSON is KeyJob (docs/api.md).
type keyJobJSON struct {
	ID            string                 `json:"id"`
	Kind          string                 `json:"kind"`
	Key           string                 `json:"key"`
	State         string                 `json:"state"`
	SamplesNeeded *int                   `json:"samplesNeeded,omitempty"`
	SamplesLeft   *int                   `json:"samplesLeft,omitempty"`
	LastSample    string                 `json:"lastSample,omitempty"`
	Feedback      string                 `json:"feedback,omitempty"`
	Fingerprint   *fingerprintJSON       `json:"fingerprint,omitempty"`
	Error         *authenticator.Failure `json:"error,omitempty"`
}

// fingerprintJSON is Fingerprint (docs/api.md): its template ID, base64url.
type fingerprintJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (j *keyJob) snapshot() keyJobJSON {
	var out keyJobJSON
	j.View(func(state string, failure *authenticator.Failure) {
		out = keyJobJSON{ID: j.ID, Kind: j.Kind, Key: j.keyID, State: state,
			LastSample: j.lastSample, Feedback: j.feedback, Fingerprint: j.fingerprint}
		if j.Kind == jobAddFingerprint {
			needed, left := j.samplesNeeded, j.samplesLeft
			out.SamplesNeeded, out.SamplesLeft = &needed, &left
		}
		if failure != nil {
			f := *failure
			out.Error = &f
		}
	})
	return out
}

// startJob runs work on the open key in the background. dev and release belong to the job
// from here on, even when it cannot start.
func (s *Service) startJob(kind string, a authenticator.Authenticator, dev *fido2.Device, release func(), first func(j *keyJob),
	work func(ctx context.Context, dev *fido2.Device, j *keyJob) error) (*keyJob, error) {
	job, err := authenticator.NewJob(kind, authenticator.StateTouch)
	if err != nil {
		dev.Close()
		release()
		return nil, err
	}
	j := &keyJob{Job: job, keyID: a.ID}
	if first != nil {
		first(j)
	}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		dev.Close()
		release()
		return nil, apperr.Internal(errors.New("device service closed"))
	}
	ctx := j.Begin(s.life, jobTimeout)
	s.running.Add(1)
	s.forgetJobsLocked(s.now())
	// Another job may still run, on another key (two windows, two keys): it is left alone.
	// One on this key cannot: it held the key, and acquire refused while it did.
	s.jobs[j.ID] = j
	s.mu.Unlock()

	go func() {
		defer s.running.Done()
		defer j.Done()
		defer release()
		defer dev.Close()
		err := work(ctx, dev, j)
		var f authenticator.Failure
		if err != nil {
			f = s.jobFailure(a, kind, err)
		}
		j.Report(s.log, "security key job", s.now(), err, f, nil, "job", j.ID, "kind", kind, "key", a.Kind)
		s.forgetKey(a.ID) // what it holds has changed
	}()
	return j, nil
}

// jobFailure is what a failed job tells the page.
func (s *Service) jobFailure(a authenticator.Authenticator, kind string, err error) authenticator.Failure {
	switch {
	case errors.Is(err, fido2.ErrCancelled), errors.Is(err, context.Canceled):
		if kind == jobReset {
			return authenticator.Failure{Code: authenticator.CodeCancelled, Message: "You cancelled resetting your security key. Nothing on it was deleted."}
		}
		return authenticator.Failure{Code: authenticator.CodeCancelled, Message: "You cancelled adding a fingerprint."}
	case errors.Is(err, fido2.ErrActionTimeout), errors.Is(err, context.DeadlineExceeded):
		// Nobody touched the key (the sensor) in time: say what was not done, and for a
		// reset that nothing was deleted (CTAP 2.1 §6.6: the key resets only after the touch).
		if kind == jobReset {
			return authenticator.Failure{Code: authenticator.CodeTimedOut, Message: "You did not touch your security key in time, so it was not reset. Nothing on it was deleted."}
		}
		return authenticator.Failure{Code: authenticator.CodeTimedOut, Message: "You did not touch the fingerprint sensor in time, so the fingerprint was not added. Try again."}
	case kind == jobReset && errors.Is(err, fido2.ErrNotAllowed):
		// CTAP 2.1 §6.6: outside the window after plug-in the key refuses.
		e := apperr.DeviceResetWindowPassed.E()
		return authenticator.Failure{Code: e.Code, Message: e.Msg}
	}
	if e, ok := apperr.As(s.keyError(a, err)); ok {
		return authenticator.Failure{Code: e.Code, Message: e.Msg}
	}
	return authenticator.Failure{Code: authenticator.CodeDeviceError, Message: "Something went wrong with your security key. Remove it, insert it again, then try again."}
}

// forgetJobsLocked drops jobs that ended a while ago (authenticator.Forget). Called with
// s.mu held.
func (s *Service) forgetJobsLocked(now time.Time) { authenticator.Forget(s.jobs, now) }

// enrolFingerprint reads samples until the key has a new fingerprint (CTAP 2.1 §6.7.4): the
// first with the PIN's token, the rest with the token libfido2 kept. A failed sample does not
// count; the page tells the person what to do differently.
func enrolFingerprint(pin []byte) func(ctx context.Context, dev *fido2.Device, j *keyJob) error {
	return func(ctx context.Context, dev *fido2.Device, j *keyJob) error {
		defer clear(pin)
		template, remaining, status, err := dev.BioEnrollBegin(ctx, pin, sampleTimeout)
		for err == nil {
			j.Update(func(state *string) {
				j.samplesLeft = remaining
				j.lastSample, j.feedback = sampleCode(status), sampleFeedback(status)
				*state = authenticator.StateTouch
			})
			if remaining == 0 {
				j.Update(func(*string) {
					j.fingerprint = &fingerprintJSON{ID: b64(template)}
				})
				return nil
			}
			if status == fido2.SampleDatabaseFull {
				err = fido2.ErrFingerprintStoreFull
				break
			}
			remaining, status, err = dev.BioEnrollContinue(ctx, template, sampleTimeout)
		}
		// Drop the half-made fingerprint on the key (cancelled, timed out, key error). ctx
		// may have ended already: the cancel keeps its values, not its cancellation.
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = dev.BioEnrollCancel(stopCtx) // the key may have dropped it already; err is what counts
		return err
	}
}

// sampleCode names a sample's status for the API ("lastSample").
func sampleCode(s fido2.SampleStatus) string {
	switch s {
	case fido2.SampleGood:
		return "good"
	case fido2.SampleTooHigh:
		return "too-high"
	case fido2.SampleTooLow:
		return "too-low"
	case fido2.SampleTooLeft:
		return "too-left"
	case fido2.SampleTooRight:
		return "too-right"
	case fido2.SampleTooFast:
		return "too-fast"
	case fido2.SampleTooSlow:
		return "too-slow"
	case fido2.SamplePoorQuality:
		return "poor-quality"
	case fido2.SampleTooSkewed:
		return "too-skewed"
	case fido2.SampleTooShort:
		return "too-short"
	case fido2.SampleMergeFailure:
		return "merge-failure"
	case fido2.SampleExists:
		return "exists"
	case fido2.SampleDatabaseFull:
		return "no-room"
	case fido2.SampleNoUserActivity:
		return "no-finger"
	case fido2.SampleNoUserPresenceTransition:
		return "not-lifted"
	}
	return "not-read"
}

// sampleFeedback tells the person what to do differently after a sample that did not count
// ("" after a good one).
func sampleFeedback(s fido2.SampleStatus) string {
	switch s {
	case fido2.SampleGood:
		return ""
	case fido2.SampleTooHigh:
		return "Your finger was too high on the sensor. Move it down a little."
	case fido2.SampleTooLow:
		return "Your finger was too low on the sensor. Move it up a little."
	case fido2.SampleTooLeft:
		return "Your finger was too far to the left. Move it to the right a little."
	case fido2.SampleTooRight:
		return "Your finger was too far to the right. Move it to the left a little."
	case fido2.SampleTooFast:
		return "You moved your finger too quickly. Keep it still on the sensor."
	case fido2.SampleTooSlow:
		return "You moved your finger too slowly. Move it a little faster."
	case fido2.SamplePoorQuality:
		return "The key could not read your fingerprint clearly. Check your finger is clean and dry."
	case fido2.SampleTooSkewed:
		return "Your finger was at an angle. Place it flat on the sensor."
	case fido2.SampleTooShort:
		return "You lifted your finger too soon. Keep it on the sensor a little longer."
	case fido2.SampleMergeFailure:
		return "That touch did not match the others. Use the same finger each time."
	case fido2.SampleExists:
		return "That fingerprint is already saved on this key. Use a different finger."
	case fido2.SampleNoUserActivity:
		return "The key did not feel a finger. Touch the sensor with your finger."
	case fido2.SampleNoUserPresenceTransition:
		return "Lift your finger off the sensor between touches."
	}
	return "The key could not read that touch."
}
