package virtualkey

import (
	"bytes"
	"crypto/rand"
	"errors"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
)

// The simulated fingerprint sensor. There is no biometric data anywhere: a "sample" is a
// user-presence check (so the Behaviour decides whether the finger arrives, and when), and
// its quality is whatever the tester queued with BioNextSample, good by default. Matching a
// finger for user verification is a presence check too, which fails with the WrongFinger
// behaviour.

// authenticatorBioEnrollment sub-commands for the fingerprint modality (CTAP 2.1 §6.7).
const (
	bioEnrollBegin              = 0x01
	bioEnrollCaptureNextSample  = 0x02
	bioCancelCurrentEnrollment  = 0x03
	bioEnumerateEnrollments     = 0x04
	bioSetFriendlyName          = 0x05
	bioRemoveEnrollment         = 0x06
	bioGetFingerprintSensorInfo = 0x07
)

const (
	bioModalityFingerprint = 0x01 // §6.7 modality
	fingerprintKindTouch   = 0x01 // §6.7.2 fingerprintKind: a touch sensor (2 is swipe)
	// samplesPerEnrollment is maxCaptureSamplesRequiredForEnroll: good samples needed for
	// one fingerprint.
	samplesPerEnrollment = 4
	maxEnrollments       = 5  // then CTAP2_ERR_FP_DATABASE_FULL
	maxFriendlyName      = 64 // maxTemplateFriendlyName, in bytes
	templateIDLength     = 2

	// uvModalityFingerprint is getInfo uvModality USER_VERIFY_FINGERPRINT_INTERNAL (FIDO
	// Registry of Predefined Values §3.1).
	uvModalityFingerprint = 0x02
	// maxUVRetries: built-in UV attempts before uvRetries is 0 and only the PIN works.
	maxUVRetries        = 5
	preferredUVAttempts = 1
)

// SampleStatus is the quality the simulated sensor gives one fingerprint sample during
// enrolment: CTAP 2.1 §6.7.4 lastEnrollSampleStatus. Only SampleGood counts towards the
// samples the enrolment needs.
type SampleStatus uint8

// CTAP 2.1 §6.7.4 CTAP2_ENROLL_FEEDBACK_* values.
const (
	SampleGood                     SampleStatus = 0x00
	SampleTooHigh                  SampleStatus = 0x01
	SampleTooLow                   SampleStatus = 0x02
	SampleTooLeft                  SampleStatus = 0x03
	SampleTooRight                 SampleStatus = 0x04
	SampleTooFast                  SampleStatus = 0x05
	SampleTooSlow                  SampleStatus = 0x06
	SamplePoorQuality              SampleStatus = 0x07
	SampleTooSkewed                SampleStatus = 0x08
	SampleTooShort                 SampleStatus = 0x09
	SampleMergeFailure             SampleStatus = 0x0a
	SampleExists                   SampleStatus = 0x0b
	SampleNoUserActivity           SampleStatus = 0x0d
	SampleNoUserPresenceTransition SampleStatus = 0x0e
)

// EnrollmentInfo describes one enrolled fingerprint, for testers and tests.
type EnrollmentInfo struct {
	ID      []byte
	Name    string
	Created time.Time
}

// BioNextSample queues the status of a coming fingerprint sample: the next enrolment sample
// the sensor reads gets s (calls queue up, one per sample). A status other than SampleGood
// is a failed sample: the key reports it and the samples still needed stay the same.
func (k *Key) BioNextSample(s SampleStatus) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.samples = append(k.samples, s)
}

// Enrollments lists the enrolled fingerprints, oldest first.
func (k *Key) Enrollments() []EnrollmentInfo {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.refreshIdle()
	out := make([]EnrollmentInfo, 0, len(k.st.Enrollments))
	for _, e := range k.st.Enrollments {
		out = append(out, EnrollmentInfo{ID: slices.Clone(e.ID), Name: e.Name, Created: e.Created})
	}
	return out
}

// bioEnrollState is the enrolment in progress (volatile: a power cycle drops it).
type bioEnrollState struct {
	templateID []byte
	remaining  int
}

type bioParams struct {
	Modality          *uint64         `cbor:"1,keyasint"`
	SubCommand        *uint64         `cbor:"2,keyasint"`
	SubCommandParams  cbor.RawMessage `cbor:"3,keyasint"`
	PinUvAuthProtocol *uint64         `cbor:"4,keyasint"`
	PinUvAuthParam    []byte          `cbor:"5,keyasint"`
	GetModality       *bool           `cbor:"6,keyasint"`
}

type bioSubParams struct {
	TemplateID   []byte  `cbor:"1,keyasint"`
	FriendlyName *string `cbor:"2,keyasint"`
	TimeoutMS    *uint64 `cbor:"3,keyasint"`
}

type bioResponse struct {
	Modality         int            `cbor:"1,keyasint,omitempty"`
	FingerprintKind  int            `cbor:"2,keyasint,omitempty"`
	MaxSamples       int            `cbor:"3,keyasint,omitempty"`
	TemplateID       []byte         `cbor:"4,keyasint,omitempty"`
	LastSampleStatus *int           `cbor:"5,keyasint,omitempty"`
	RemainingSamples *int           `cbor:"6,keyasint,omitempty"`
	TemplateInfos    []templateInfo `cbor:"7,keyasint,omitempty"`
	MaxFriendlyName  int            `cbor:"8,keyasint,omitempty"`
}

type templateInfo struct {
	ID   []byte `cbor:"1,keyasint"`
	Name string `cbor:"2,keyasint,omitempty"`
}

// bioEnrollment is authenticatorBioEnrollment (CTAP 2.1 §6.7), reached as 0x09 and as its
// CTAP 2.1-PRE prototype 0x40 (the only one libfido2 1.12 sends).
func (k *Key) bioEnrollment(req *request, raw []byte) (any, error) {
	var p bioParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	// §6.7.1 getModality.
	if p.GetModality != nil && *p.GetModality {
		return bioResponse{Modality: bioModalityFingerprint}, nil
	}
	if p.Modality == nil || p.SubCommand == nil {
		return nil, statusMissingParameter
	}
	if *p.Modality != bioModalityFingerprint {
		return nil, statusInvalidParameter
	}
	var params bioSubParams
	if len(p.SubCommandParams) > 0 {
		if err := decodeParams(p.SubCommandParams, &params); err != nil {
			return nil, err
		}
	}
	sub := *p.SubCommand
	switch sub {
	case bioGetFingerprintSensorInfo:
		// §6.7.2: no token needed.
		return bioResponse{
			Modality:        bioModalityFingerprint,
			FingerprintKind: fingerprintKindTouch,
			MaxSamples:      samplesPerEnrollment,
			MaxFriendlyName: maxFriendlyName,
		}, nil
	case bioCancelCurrentEnrollment:
		// §6.7.5: no token needed; nothing in progress is fine too.
		k.bio = nil
		return nil, nil
	case bioEnrollBegin, bioEnrollCaptureNextSample, bioEnumerateEnrollments,
		bioSetFriendlyName, bioRemoveEnrollment:
		// The others need a token with the be permission; pinUvAuthParam is
		// authenticate(token, modality || subCommand || subCommandParams).
		msg := slices.Concat([]byte{bioModalityFingerprint, byte(sub)}, p.SubCommandParams)
		if err := k.requireToken(p.PinUvAuthProtocol, msg, p.PinUvAuthParam, permBioEnrollment); err != nil {
			return nil, err
		}
	default:
		return nil, statusInvalidSubcommand
	}
	switch sub {
	case bioEnrollBegin:
		return k.enrollBegin(req)
	case bioEnrollCaptureNextSample:
		return k.enrollNextSample(req, params.TemplateID)
	case bioEnumerateEnrollments:
		return k.enumerateEnrollments()
	case bioSetFriendlyName:
		return k.setFriendlyName(params.TemplateID, params.FriendlyName)
	}
	return k.removeEnrollment(params.TemplateID)
}

// enrollBegin (§6.7.3): a new template ID and the first sample.
func (k *Key) enrollBegin(req *request) (any, error) {
	if len(k.st.Enrollments) >= maxEnrollments {
		return nil, statusFPDatabaseFull
	}
	id, err := k.newTemplateID()
	if err != nil {
		return nil, err
	}
	k.bio = &bioEnrollState{templateID: id, remaining: samplesPerEnrollment}
	resp, err := k.captureSample(req)
	if err != nil {
		k.bio = nil
		return nil, err
	}
	resp.TemplateID = id
	return resp, nil
}

// enrollNextSample is enrollCaptureNextSample (§6.7.4).
func (k *Key) enrollNextSample(req *request, templateID []byte) (any, error) {
	if templateID == nil {
		return nil, statusMissingParameter
	}
	if k.bio == nil {
		return nil, statusNotAllowed
	}
	if !bytes.Equal(templateID, k.bio.templateID) {
		return nil, statusInvalidParameter
	}
	return k.captureSample(req)
}

// captureSample reads one sample into the enrolment in progress: the finger arrives as the
// Behaviour says (a cancel, a timeout or an unplug end the request, and the enrolment with it),
// then it has the status queued by BioNextSample, or is good. The last good sample stores the
// fingerprint.
func (k *Key) captureSample(req *request) (bioResponse, error) {
	if _, err := k.userPresence(req); err != nil {
		// No finger in time: the platform may ask for the sample again. A cancel or an
		// unplug ends the enrolment.
		if !errors.Is(err, statusUserActionTimeout) {
			k.bio = nil
		}
		return bioResponse{}, err
	}
	bio := k.bio
	if bio == nil { // a power cycle or cancel while the key waited for the finger
		return bioResponse{}, statusNotAllowed
	}
	s := SampleGood
	if len(k.samples) > 0 {
		s, k.samples = k.samples[0], k.samples[1:]
	}
	if s == SampleGood {
		bio.remaining--
	}
	if bio.remaining == 0 {
		k.bio = nil
		e := enrollment{ID: bio.templateID, Created: k.clock().UTC()}
		if err := k.update(func(next *state) error {
			next.Enrollments = append(next.Enrollments, e)
			next.UVFailures = 0
			return nil
		}); err != nil {
			return bioResponse{}, err
		}
	}
	status, remaining := int(s), bio.remaining
	return bioResponse{LastSampleStatus: &status, RemainingSamples: &remaining}, nil
}

func (k *Key) newTemplateID() ([]byte, error) {
	for {
		id := make([]byte, templateIDLength)
		if _, err := rand.Read(id); err != nil {
			return nil, err
		}
		if k.findEnrollment(id) < 0 {
			return id, nil
		}
	}
}

func (k *Key) findEnrollment(id []byte) int {
	return slices.IndexFunc(k.st.Enrollments, func(e enrollment) bool { return bytes.Equal(e.ID, id) })
}

// enumerateEnrollments (§6.7.6). With no fingerprint enrolled the spec's answer is
// CTAP2_ERR_INVALID_OPTION, not an empty list.
func (k *Key) enumerateEnrollments() (any, error) {
	if len(k.st.Enrollments) == 0 {
		return nil, statusInvalidOption
	}
	infos := make([]templateInfo, 0, len(k.st.Enrollments))
	for _, e := range k.st.Enrollments {
		infos = append(infos, templateInfo{ID: e.ID, Name: e.Name})
	}
	return bioResponse{TemplateInfos: infos}, nil
}

// setFriendlyName (§6.7.7). An unknown template ID is CTAP2_ERR_INVALID_OPTION.
func (k *Key) setFriendlyName(id []byte, name *string) (any, error) {
	if id == nil || name == nil {
		return nil, statusMissingParameter
	}
	if len(*name) > maxFriendlyName || !utf8.ValidString(*name) {
		return nil, statusInvalidParameter
	}
	i := k.findEnrollment(id)
	if i < 0 {
		return nil, statusInvalidOption
	}
	return nil, k.update(func(next *state) error {
		next.Enrollments[i].Name = *name
		return nil
	})
}

// removeEnrollment (§6.7.8). An unknown template ID is CTAP2_ERR_INVALID_OPTION. Removing the
// last fingerprint turns built-in user verification off (getInfo uv and bioEnroll false).
func (k *Key) removeEnrollment(id []byte) (any, error) {
	if id == nil {
		return nil, statusMissingParameter
	}
	i := k.findEnrollment(id)
	if i < 0 {
		return nil, statusInvalidOption
	}
	return nil, k.update(func(next *state) error {
		next.Enrollments = slices.Delete(next.Enrollments, i, i+1)
		return nil
	})
}

// getUVToken is getPinUvAuthTokenUsingUvWithPermissions (CTAP 2.1 §6.5.5.7.3): the user puts an
// enrolled finger on the sensor instead of typing the PIN. libfido2 asks for it when it is given
// no PIN, the key says uv: true (at open) and user verification is wanted.
func (k *Key) getUVToken(req *request, p *clientPINParams) (any, error) {
	if p.PinUvAuthProtocol == nil || p.KeyAgreement == nil || p.Permissions == nil {
		return nil, statusMissingParameter
	}
	proto, err := k.protocol(p.PinUvAuthProtocol)
	if err != nil {
		return nil, err
	}
	if *p.Permissions == 0 || *p.Permissions > 0xff {
		return nil, statusInvalidParameter
	}
	perms := byte(*p.Permissions)
	// acfg is not given for a finger: the key does not report uvAcfg.
	if perms&^k.authorisedPermissions() != 0 || perms&permAuthenticatorConfig != 0 {
		return nil, statusUnauthorizedPermission
	}
	// Built-in UV must be configured (getInfo uv true), and not blocked.
	if !k.st.uvConfigured() {
		return nil, statusNotAllowed
	}
	if k.st.uvRetries() == 0 {
		return nil, statusUVBlocked
	}
	shared, err := k.decapsulate(proto, p.KeyAgreement)
	if err != nil {
		return nil, err
	}
	defer clear(shared)
	// performBuiltInUv(): the finger on the sensor, which is also the user's presence (kept
	// for the command the token is for: a makeCredential's may carry Full or Excluded).
	pres, err := k.checkPresence(req, perms&permMakeCredential != 0)
	if err != nil {
		return nil, err
	}
	if !k.st.uvConfigured() { // removed by a Reset while the key waited
		return nil, statusNotAllowed
	}
	if pres.wrongFinger {
		if err := k.update(func(next *state) error { next.UVFailures++; return nil }); err != nil {
			return nil, err
		}
		if k.st.uvRetries() == 0 {
			return nil, statusUVBlocked
		}
		return nil, statusUVInvalid
	}
	if k.st.UVFailures != 0 {
		if err := k.update(func(next *state) error { next.UVFailures = 0; return nil }); err != nil {
			return nil, err
		}
	}
	// resetPinUvAuthToken() then beginUsingPinUvAuthToken(userIsPresent: true).
	if err := k.resetToken(); err != nil {
		return nil, err
	}
	rpID := ""
	if p.RPID != nil {
		rpID = *p.RPID
	}
	k.pin.token.protocol = *p.PinUvAuthProtocol
	k.pin.token.inUse = true
	k.pin.token.permissions = perms
	k.pin.token.rpID = rpID
	k.pin.token.issued = k.clock()
	k.pin.token.presence = &pres
	enc, err := proto.encrypt(shared, k.pin.token.value)
	if err != nil {
		return nil, err
	}
	return clientPINResponse{PinUvAuthToken: enc}, nil
}

// getUVRetries (CTAP 2.1 §6.5.5, subcommand 0x07).
func (k *Key) getUVRetries() (any, error) {
	n := k.st.uvRetries()
	return clientPINResponse{UVRetries: &n}, nil
}
