//go:build cgo && !windows

package fido2

/*
#include <fido.h>
#include <fido/bio.h>
#include <stdlib.h>
*/
import "C"

import (
	"context"
	"fmt"
	"math"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Fingerprints: enrolling, naming and removing them on an authenticator with a sensor (CTAP
// 2.1 §6.7, authenticatorBioEnrollment). Everything but BioSensorInfo, BioEnrollContinue and
// BioEnrollCancel needs the PIN. libfido2 1.12 sends the CTAP 2.1-PRE command (0x40) whatever
// the authenticator reports; CTAP 2.1 authenticators accept it too.
//
// Enrolling is a loop: BioEnrollBegin reads the first sample, then BioEnrollContinue one more
// each time, until remaining is 0. A sample can fail (SampleStatus other than SampleGood: tell
// the person what to do differently); it then does not count. The enrolment in progress
// belongs to the Device: BioEnrollCancel, or a new BioEnrollBegin, ends it.

// SampleStatus is the authenticator's verdict on one fingerprint sample during enrolment
// (§6.7.4 lastEnrollSampleStatus; libfido2's FIDO_BIO_ENROLL_*).
type SampleStatus uint8

const (
	SampleGood                     SampleStatus = C.FIDO_BIO_ENROLL_FP_GOOD
	SampleTooHigh                  SampleStatus = C.FIDO_BIO_ENROLL_FP_TOO_HIGH
	SampleTooLow                   SampleStatus = C.FIDO_BIO_ENROLL_FP_TOO_LOW
	SampleTooLeft                  SampleStatus = C.FIDO_BIO_ENROLL_FP_TOO_LEFT
	SampleTooRight                 SampleStatus = C.FIDO_BIO_ENROLL_FP_TOO_RIGHT
	SampleTooFast                  SampleStatus = C.FIDO_BIO_ENROLL_FP_TOO_FAST
	SampleTooSlow                  SampleStatus = C.FIDO_BIO_ENROLL_FP_TOO_SLOW
	SamplePoorQuality              SampleStatus = C.FIDO_BIO_ENROLL_FP_POOR_QUALITY
	SampleTooSkewed                SampleStatus = C.FIDO_BIO_ENROLL_FP_TOO_SKEWED
	SampleTooShort                 SampleStatus = C.FIDO_BIO_ENROLL_FP_TOO_SHORT
	SampleMergeFailure             SampleStatus = C.FIDO_BIO_ENROLL_FP_MERGE_FAILURE
	SampleExists                   SampleStatus = C.FIDO_BIO_ENROLL_FP_EXISTS
	SampleDatabaseFull             SampleStatus = C.FIDO_BIO_ENROLL_FP_DATABASE_FULL
	SampleNoUserActivity           SampleStatus = C.FIDO_BIO_ENROLL_NO_USER_ACTIVITY
	SampleNoUserPresenceTransition SampleStatus = C.FIDO_BIO_ENROLL_NO_USER_PRESENCE_TRANSITION
)

func (s SampleStatus) String() string {
	switch s {
	case SampleGood:
		return "good"
	case SampleTooHigh:
		return "too high"
	case SampleTooLow:
		return "too low"
	case SampleTooLeft:
		return "too far left"
	case SampleTooRight:
		return "too far right"
	case SampleTooFast:
		return "too fast"
	case SampleTooSlow:
		return "too slow"
	case SamplePoorQuality:
		return "poor quality"
	case SampleTooSkewed:
		return "too skewed"
	case SampleTooShort:
		return "too short"
	case SampleMergeFailure:
		return "merge failure"
	case SampleExists:
		return "already enrolled"
	case SampleDatabaseFull:
		return "no room for another fingerprint"
	case SampleNoUserActivity:
		return "no finger"
	case SampleNoUserPresenceTransition:
		return "finger not lifted"
	}
	return fmt.Sprintf("sample status 0x%02x", byte(s))
}

// FingerprintKind is the kind of sensor (§6.7.2 fingerprintKind).
type FingerprintKind int

const (
	FingerprintTouch FingerprintKind = 1
	FingerprintSwipe FingerprintKind = 2
)

// BioInfo describes the fingerprint sensor (§6.7.2 getFingerprintSensorInfo).
type BioInfo struct {
	Kind FingerprintKind
	// MaxSamples is maxCaptureSamplesRequiredForEnroll: the good samples one enrolment
	// needs.
	MaxSamples int
}

// Enrollment is one enrolled fingerprint (§6.7.6 templateInfo).
type Enrollment struct {
	ID   []byte
	Name string
}

// defaultSampleTimeout is how long the authenticator waits for each finger when the caller
// gives no timeout.
const defaultSampleTimeout = 30 * time.Second

// sampleTimeout is the timeoutMilliseconds sent with a sample request.
func sampleTimeout(d time.Duration) C.uint32_t {
	if d <= 0 {
		d = defaultSampleTimeout
	}
	return C.uint32_t(min(d.Milliseconds(), math.MaxUint32))
}

// bioKinds: from bio enrollment, FIDO_ERR_INVALID_COMMAND means the authenticator has no
// fingerprint management, FIDO_ERR_INVALID_OPTION (§6.7.7, §6.7.8) that it holds no such
// fingerprint, and FIDO_ERR_FP_DATABASE_FULL that it has room for no more.
func bioKinds(rc C.int) error {
	switch rc {
	case C.FIDO_ERR_INVALID_COMMAND:
		return ErrUnsupportedOption
	case C.FIDO_ERR_INVALID_OPTION:
		return ErrNoEnrollment
	case C.FIDO_ERR_FP_DATABASE_FULL:
		return ErrFingerprintStoreFull
	}
	return nil
}

// bioCheck refuses what cannot work before the authenticator is asked to: no fingerprint
// management (ErrUnsupportedOption), or, when needPIN, no PIN given (ErrPINRequired, or
// ErrPINNotSet when the authenticator has none). libfido2 needs the PIN for these calls even
// when a fingerprint could stand in.
func bioCheck(dev *C.fido_dev_t, needPIN, havePIN bool) C.int {
	info, rc := freshInfo(dev)
	if rc != C.FIDO_OK {
		return rc
	}
	if !info.BioEnrollSupported {
		return C.FIDO_ERR_UNSUPPORTED_OPTION
	}
	if !needPIN || havePIN {
		return C.FIDO_OK
	}
	if set, ok := info.Option("clientPin"); ok && !set {
		return C.FIDO_ERR_PIN_NOT_SET
	}
	return C.FIDO_ERR_PIN_REQUIRED
}

// bioCheckWithPIN is bioCheck for a call that needs the PIN (doWithPIN's check).
func bioCheckWithPIN(dev *C.fido_dev_t, havePIN bool) C.int { return bioCheck(dev, true, havePIN) }

// freshInfo asks for getInfo now (what libfido2 read at open may be stale).
func freshInfo(dev *C.fido_dev_t) (Info, C.int) {
	ci := C.fido_cbor_info_new()
	if ci == nil {
		return Info{}, C.FIDO_ERR_INTERNAL
	}
	defer C.fido_cbor_info_free(&ci)
	if rc := C.fido_dev_get_cbor_info(dev, ci); rc != C.FIDO_OK {
		return Info{}, rc
	}
	return readInfo(ci), C.FIDO_OK
}

// BioSensorInfo describes the authenticator's fingerprint sensor. It needs no PIN.
func (d *Device) BioSensorInfo(ctx context.Context) (BioInfo, error) {
	var out BioInfo
	err := d.doWith(ctx, "fingerprint sensor info", nil, bioKinds, func(dev *C.fido_dev_t) C.int {
		if rc := bioCheck(dev, false, false); rc != C.FIDO_OK {
			return rc
		}
		bi := C.fido_bio_info_new()
		if bi == nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer C.fido_bio_info_free(&bi)
		if rc := C.fido_bio_dev_get_info(dev, bi); rc != C.FIDO_OK {
			return rc
		}
		out = BioInfo{
			Kind:       FingerprintKind(C.fido_bio_info_type(bi)),
			MaxSamples: int(C.fido_bio_info_max_samples(bi)),
		}
		return C.FIDO_OK
	})
	if err != nil {
		return BioInfo{}, err
	}
	return out, nil
}

// BioEnrollBegin starts enrolling a fingerprint and reads the first sample: the
// authenticator waits up to timeout (zero: 30 seconds) for the finger. It returns the new
// template's ID, the good samples still needed, and the first sample's status. An enrolment
// already in progress on this Device is dropped. It zeroes pin.
func (d *Device) BioEnrollBegin(ctx context.Context, pin []byte, timeout time.Duration) (templateID []byte,
	remaining int, status SampleStatus, err error) {
	const op = "begin fingerprint enrolment"
	defer clear(pin)
	if err := validatePINForUse(pin); err != nil {
		return nil, 0, 0, fmt.Errorf("%s: %w", op, err)
	}
	err = d.doWithPIN(ctx, op, nil, bioKinds, pin, func(dev *C.fido_dev_t, havePIN bool) C.int {
		d.endEnrollment()
		return bioCheck(dev, true, havePIN)
	}, func(dev *C.fido_dev_t, p *cSecret) C.int {
		tmpl := C.fido_bio_template_new()
		if tmpl == nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer C.fido_bio_template_free(&tmpl)
		enroll := C.fido_bio_enroll_new()
		if enroll == nil {
			return C.FIDO_ERR_INTERNAL
		}
		rc := C.fido_bio_dev_enroll_begin(dev, tmpl, enroll, sampleTimeout(timeout), p.ptr())
		p.release()
		if rc != C.FIDO_OK {
			C.fido_bio_enroll_free(&enroll)
			return rc
		}
		templateID = goBytes(C.fido_bio_template_id_ptr(tmpl), C.fido_bio_template_id_len(tmpl))
		remaining = int(C.fido_bio_enroll_remaining_samples(enroll))
		status = SampleStatus(C.fido_bio_enroll_last_status(enroll))
		if remaining > 0 {
			d.enroll = enroll // freed by endEnrollment
		} else {
			C.fido_bio_enroll_free(&enroll)
		}
		return C.FIDO_OK
	})
	if err != nil {
		return nil, 0, 0, err
	}
	return templateID, remaining, status, nil
}

// BioEnrollContinue reads the next sample of the enrolment BioEnrollBegin started (no PIN:
// the authenticator checks the token libfido2 kept from BioEnrollBegin). It returns the good
// samples still needed (0: the fingerprint is enrolled) and this sample's status. Without an
// enrolment in progress it gives ErrNotAllowed.
func (d *Device) BioEnrollContinue(ctx context.Context, templateID []byte, timeout time.Duration) (remaining int,
	status SampleStatus, err error) {
	const op = "continue fingerprint enrolment"
	if len(templateID) == 0 {
		return 0, 0, fmt.Errorf("%s: %w", op, refuse(ErrInvalidRequest))
	}
	notStarted := false
	err = d.doWith(ctx, op, nil, bioKinds, func(dev *C.fido_dev_t) C.int {
		if d.enroll == nil {
			notStarted = true
			return C.FIDO_OK
		}
		tmpl, rc := newTemplate(templateID, nil)
		if rc != C.FIDO_OK {
			return rc
		}
		defer C.fido_bio_template_free(&tmpl)
		rc = C.fido_bio_dev_enroll_continue(dev, tmpl, d.enroll, sampleTimeout(timeout))
		switch rc {
		case C.FIDO_OK:
		case C.FIDO_ERR_ACTION_TIMEOUT, C.FIDO_ERR_USER_ACTION_TIMEOUT:
			// No finger in time: the enrolment goes on; the person may try again.
			return rc
		default:
			d.endEnrollment()
			return rc
		}
		remaining = int(C.fido_bio_enroll_remaining_samples(d.enroll))
		status = SampleStatus(C.fido_bio_enroll_last_status(d.enroll))
		if remaining == 0 {
			d.endEnrollment()
		}
		return C.FIDO_OK
	})
	if err != nil {
		return 0, 0, err
	}
	if notStarted {
		return 0, 0, fmt.Errorf("%s: %w", op, refuse(ErrNotAllowed))
	}
	return remaining, status, nil
}

// BioEnrollCancel stops the enrolment in progress, on the authenticator and on this Device.
// With none in progress it still tells the authenticator, which does nothing.
func (d *Device) BioEnrollCancel(ctx context.Context) error {
	return d.doWith(ctx, "cancel fingerprint enrolment", nil, bioKinds, func(dev *C.fido_dev_t) C.int {
		d.endEnrollment()
		return C.fido_bio_dev_enroll_cancel(dev)
	})
}

// BioEnrollments lists the enrolled fingerprints. None is an empty list, not an error. It
// zeroes pin.
func (d *Device) BioEnrollments(ctx context.Context, pin []byte) ([]Enrollment, error) {
	const op = "list fingerprints"
	defer clear(pin)
	if err := validatePINForUse(pin); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	out := []Enrollment{}
	err := d.doWithPIN(ctx, op, nil, bioKinds, pin, bioCheckWithPIN, func(dev *C.fido_dev_t, p *cSecret) C.int {
		ta := C.fido_bio_template_array_new()
		if ta == nil {
			return C.FIDO_ERR_INTERNAL
		}
		defer C.fido_bio_template_array_free(&ta)
		rc := C.fido_bio_dev_get_template_array(dev, ta, p.ptr())
		p.release()
		if rc == C.FIDO_ERR_INVALID_OPTION { // §6.7.6: the answer when none are enrolled
			return C.FIDO_OK
		}
		if rc != C.FIDO_OK {
			return rc
		}
		for i := C.size_t(0); i < C.fido_bio_template_array_count(ta); i++ {
			t := C.fido_bio_template(ta, i)
			out = append(out, Enrollment{
				ID:   goBytes(C.fido_bio_template_id_ptr(t), C.fido_bio_template_id_len(t)),
				Name: goString(C.fido_bio_template_name(t)),
			})
		}
		return C.FIDO_OK
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BioSetName gives the fingerprint id a name the person chooses ("Right thumb"). An
// unknown id gives ErrNoEnrollment. It zeroes pin.
func (d *Device) BioSetName(ctx context.Context, id []byte, name string, pin []byte) error {
	const op = "name fingerprint"
	defer clear(pin)
	if len(id) == 0 || !utf8.ValidString(name) || containsNUL([]byte(name)) {
		return fmt.Errorf("%s: %w", op, refuse(ErrInvalidRequest))
	}
	if err := validatePINForUse(pin); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return d.doWithPIN(ctx, op, nil, bioKinds, pin, bioCheckWithPIN, func(dev *C.fido_dev_t, p *cSecret) C.int {
		tmpl, rc := newTemplate(id, &name)
		if rc != C.FIDO_OK {
			return rc
		}
		defer C.fido_bio_template_free(&tmpl)
		return C.fido_bio_dev_set_template_name(dev, tmpl, p.ptr())
	})
}

// BioRemove removes the fingerprint id. An unknown id gives ErrNoEnrollment. It zeroes pin.
func (d *Device) BioRemove(ctx context.Context, id, pin []byte) error {
	const op = "remove fingerprint"
	defer clear(pin)
	if len(id) == 0 {
		return fmt.Errorf("%s: %w", op, refuse(ErrInvalidRequest))
	}
	if err := validatePINForUse(pin); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return d.doWithPIN(ctx, op, nil, bioKinds, pin, bioCheckWithPIN, func(dev *C.fido_dev_t, p *cSecret) C.int {
		tmpl, rc := newTemplate(id, nil)
		if rc != C.FIDO_OK {
			return rc
		}
		defer C.fido_bio_template_free(&tmpl)
		return C.fido_bio_dev_enroll_remove(dev, tmpl, p.ptr())
	})
}

// newTemplate makes a libfido2 template with id and, if not nil, name (an empty name is
// sent as ""). The caller frees it.
func newTemplate(id []byte, name *string) (*C.fido_bio_template_t, C.int) {
	t := C.fido_bio_template_new()
	if t == nil {
		return nil, C.FIDO_ERR_INTERNAL
	}
	p, n := cBytes(id)
	if rc := C.fido_bio_template_set_id(t, p, n); rc != C.FIDO_OK {
		C.fido_bio_template_free(&t)
		return nil, rc
	}
	if name != nil {
		cname := C.CString(*name)
		defer C.free(unsafe.Pointer(cname))
		if rc := C.fido_bio_template_set_name(t, cname); rc != C.FIDO_OK {
			C.fido_bio_template_free(&t)
			return nil, rc
		}
	}
	return t, C.FIDO_OK
}

// endEnrollment frees the enrolment in progress; libfido2 wipes the token it holds. Called
// with d.mu held.
func (d *Device) endEnrollment() {
	if d.enroll != nil {
		C.fido_bio_enroll_free(&d.enroll)
		d.enroll = nil
	}
}
