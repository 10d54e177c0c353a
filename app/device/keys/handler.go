//go:build cgo && !windows

package keys

// The security key endpoints (docs/api.md, "Security key endpoints"), under
// /api/device/keys/... and /api/device/key-jobs/...: mounted with the other device endpoints,
// so the same Origin rule, body cap and error edge apply.

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/nhs-passkeys/companion/app/ctappin"
	"github.com/nhs-passkeys/companion/app/device/account"
	"github.com/nhs-passkeys/companion/app/device/authenticator"
	"github.com/nhs-passkeys/companion/app/fido2"
	"github.com/nhs-passkeys/companion/backend/apperr"
	"github.com/nhs-passkeys/companion/backend/httpapi"
)

// keysAPI serves the security key endpoints. backend is the handler the device endpoints
// wrap: the account's questions go to it, in process, with the page's session cookie.
type keysAPI struct {
	s       *Service
	backend http.Handler
}

// Routes are the security key endpoints under prefix (app/device.Prefix); backend is the
// handler the device endpoints wrap.
func (s *Service) Routes(prefix string, backend http.Handler) []httpapi.Route {
	k := &keysAPI{s: s, backend: backend}
	key := prefix + "/keys/{key}"
	return append([]httpapi.Route{
		{Method: http.MethodGet, Pattern: prefix + "/keys", Handle: k.list},
		{Method: http.MethodGet, Pattern: key, Handle: k.get},
		{Method: http.MethodPost, Pattern: key + "/passkeys/list", Handle: k.listPasskeys},
		{Method: http.MethodDelete, Pattern: key + "/passkeys/{credential}", Handle: k.deletePasskey},
		{Method: http.MethodPost, Pattern: key + "/pin", Handle: k.setPIN},
		{Method: http.MethodPost, Pattern: key + "/fingerprints/list", Handle: k.listFingerprints},
		{Method: http.MethodPost, Pattern: key + "/fingerprints", Handle: k.addFingerprint},
		{Method: http.MethodPatch, Pattern: key + "/fingerprints/{fingerprint}", Handle: k.renameFingerprint},
		{Method: http.MethodDelete, Pattern: key + "/fingerprints/{fingerprint}", Handle: k.deleteFingerprint},
		{Method: http.MethodPost, Pattern: key + "/replug", Handle: k.replug},
		{Method: http.MethodGet, Pattern: prefix + "/key-jobs/{job}", Handle: k.getJob},
		{Method: http.MethodPost, Pattern: prefix + "/key-jobs/{job}/cancel", Handle: k.cancelJob},
	}, k.resetRoutes(key)...)
}

// resetRoutes: a factory reset needs a signed-in person (it weighs the account's ways in);
// in kiosk mode both endpoints are a refusal for everyone (apperr.DeviceResetInKiosk), signed
// in or not: the reset needs the key taken out and put back in, which in kiosk mode ends the
// person's session (app/kiosk.Watch), and a patient's key is theirs to reset at home.
func (k *keysAPI) resetRoutes(key string) []httpapi.Route {
	if k.s.kiosk {
		refuse := func(http.ResponseWriter, *http.Request) error {
			return apperr.DeviceResetInKiosk.Wrap(errors.New("factory reset asked for in kiosk mode"))
		}
		return []httpapi.Route{
			{Method: http.MethodPost, Pattern: key + "/reset/check", Handle: refuse},
			{Method: http.MethodPost, Pattern: key + "/reset", Handle: refuse},
		}
	}
	return []httpapi.Route{
		{Method: http.MethodPost, Pattern: key + "/reset/check", Handle: k.checkReset, SignedIn: true},
		{Method: http.MethodPost, Pattern: key + "/reset", Handle: k.reset, SignedIn: true},
	}
}

// The bodies of key operations, read with httpapi.DecodeSecrets: PINs are bytes the
// handler owns and wipes (never Go strings), and each body has only its endpoint's members.
type (
	pinBody struct {
		PIN httpapi.Secret `json:"pin"`
	}
	newPINBody struct {
		PIN    httpapi.Secret `json:"pin"`
		NewPIN httpapi.Secret `json:"newPin"`
	}
	nameBody struct {
		PIN  httpapi.Secret `json:"pin"`
		Name *string        `json:"name"`
	}
	ticketBody struct {
		Ticket *string `json:"ticket"`
	}
	// resetCheckBody: the key's PIN, or pinForgotten when the person does not know it (the
	// reason most people reset a key).
	resetCheckBody struct {
		PIN          httpapi.Secret `json:"pin"`
		PINForgotten bool           `json:"pinForgotten"`
	}
)

// wipe zeroes the body's PINs; deferred right after the body is declared, as it must run
// after an error too (the pointer receiver sees what DecodeSecrets filled in).
func (b *pinBody) wipe()        { b.PIN.Wipe() }
func (b *newPINBody) wipe()     { b.PIN.Wipe(); b.NewPIN.Wipe() }
func (b *nameBody) wipe()       { b.PIN.Wipe() }
func (b *resetCheckBody) wipe() { b.PIN.Wipe() }

// maxCredentialIDLength: a credential ID is at most 1023 bytes (WebAuthn L3 §4, "Credential ID").
const maxCredentialIDLength = 1023

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// idFromPath decodes a base64url id in the path (a credential or fingerprint template ID).
func idFromPath(r *http.Request, name string) ([]byte, error) {
	id, err := base64.RawURLEncoding.DecodeString(r.PathValue(name))
	if err != nil || len(id) == 0 {
		return nil, apperr.NotFound()
	}
	return id, nil
}

// opContext bounds a request/response key operation.
func (k *keysAPI) opContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), keyOpTimeout)
}

// list serves GET /api/device/keys.
func (k *keysAPI) list(w http.ResponseWriter, r *http.Request) error {
	httpapi.Write(w, http.StatusOK, struct {
		Keys          []keyJSON `json:"keys"`
		AdminRequired bool      `json:"adminRequired"`
	}{k.s.listKeys(r.Context()), k.s.adminRequired()})
	return nil
}

func writeKey(w http.ResponseWriter, key keyJSON) {
	httpapi.Write(w, http.StatusOK, struct {
		Key keyJSON `json:"key"`
	}{key})
}

// get serves GET /api/device/keys/{key}.
func (k *keysAPI) get(w http.ResponseWriter, r *http.Request) error {
	a, err := k.s.connected(r.PathValue("key"))
	if err != nil {
		return err
	}
	writeKey(w, k.s.readKey(r.Context(), a))
	return nil
}

// keyPasskeyJSON is KeyPasskey (docs/api.md).
type keyPasskeyJSON struct {
	CredentialID    string `json:"credentialId"`
	RPID            string `json:"rpId"`
	RPName          string `json:"rpName"`
	UserName        string `json:"userName"`
	UserDisplayName string `json:"userDisplayName"`
	// NHSLogin: how it stands with the signed-in account; absent for another site.
	NHSLogin       string           `json:"nhsLogin,omitempty"`
	AccountPasskey *account.Passkey `json:"accountPasskey,omitempty"`
}

type keyPasskeysAnswer struct {
	Passkeys  []keyPasskeyJSON `json:"passkeys"`
	Used      int              `json:"used"`
	Remaining int              `json:"remaining"`
}

// readPasskeys lists every passkey on the key (CTAP 2.1 §6.8), each related to the account.
// Each libfido2 call gets its own copy of pin, which it wipes; pin stays the caller's.
func (k *keysAPI) readPasskeys(ctx context.Context, dev *fido2.Device, pin []byte, acct account.View) (keyPasskeysAnswer, error) {
	md, err := dev.CredentialsMetadata(ctx, bytes.Clone(pin))
	if err != nil {
		return keyPasskeysAnswer{}, err
	}
	rps, err := dev.RelyingParties(ctx, bytes.Clone(pin))
	if err != nil {
		return keyPasskeysAnswer{}, err
	}
	out := keyPasskeysAnswer{Passkeys: []keyPasskeyJSON{}, Used: md.Existing, Remaining: md.Remaining}
	for _, rp := range rps {
		if rp.ID == "" {
			continue // the key kept only the RP ID's hash: libfido2 cannot ask for its passkeys
		}
		creds, err := dev.Credentials(ctx, rp.ID, bytes.Clone(pin))
		if err != nil {
			return keyPasskeysAnswer{}, err
		}
		for _, c := range creds {
			rel, mine := k.s.relate(rp.ID, c.ID, c.UserName, acct)
			// The names are the key's, written by whichever site made the passkey: shown
			// only as text (authenticator.KeyText). rp.ID and the user name were matched
			// as the key gave them.
			out.Passkeys = append(out.Passkeys, keyPasskeyJSON{
				CredentialID: b64(c.ID), RPID: authenticator.KeyText(rp.ID), RPName: authenticator.KeyText(rp.Name),
				UserName: authenticator.KeyText(c.UserName), UserDisplayName: authenticator.KeyText(c.UserDisplayName),
				NHSLogin: rel, AccountPasskey: mine,
			})
		}
	}
	// NHS login's first, then by site and account.
	slices.SortStableFunc(out.Passkeys, func(a, b keyPasskeyJSON) int {
		if (a.NHSLogin != "") != (b.NHSLogin != "") {
			if a.NHSLogin != "" {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.RPID, b.RPID); c != 0 {
			return c
		}
		return strings.Compare(a.UserName, b.UserName)
	})
	return out, nil
}

// readPINBody reads a key operation's body into body (the handler defers its wipe) and,
// when the path names an id (idName: "credential", "fingerprint"), that id; a body without
// a PIN is refused. In that order: a body that cannot be read, then an id that is not one,
// then the missing PIN.
func readPINBody(r *http.Request, body *pinBody, idName string) (id []byte, err error) {
	if err := httpapi.DecodeSecrets(r, body); err != nil {
		return nil, err
	}
	if idName != "" {
		if id, err = idFromPath(r, idName); err != nil {
			return nil, err
		}
	}
	if err := authenticator.CheckPIN("pin", body.PIN); err != nil {
		return nil, err
	}
	return id, nil
}

// onKey opens the key the path names, refuses it unless it passes checks (openKey), runs op
// on it within keyOpTimeout and closes it.
func (k *keysAPI) onKey(r *http.Request, op func(ctx context.Context, o *openedKey) error, checks ...func(fido2.Info) error) error {
	ctx, cancel := k.opContext(r)
	defer cancel()
	o, err := k.s.openKey(ctx, r.PathValue("key"), checks...)
	if err != nil {
		return err
	}
	defer o.close()
	return op(ctx, o)
}

// The checks of a key operation with the PIN, before the key is asked with it: a credential
// management one needs a usable PIN, then CTAP 2.1 §6.8 authenticatorCredentialManagement;
// a fingerprint one needs §6.7 authenticatorBioEnrollment, then a usable PIN.
var (
	credentialChecks  = []func(fido2.Info) error{needPINReady, needCredentialManagement}
	fingerprintChecks = []func(fido2.Info) error{needBioEnrollment, needPINReady}
)

// listPasskeys serves POST /api/device/keys/{key}/passkeys/list {"pin"}.
func (k *keysAPI) listPasskeys(w http.ResponseWriter, r *http.Request) error {
	var body pinBody
	defer body.wipe()
	if _, err := readPINBody(r, &body, ""); err != nil {
		return err
	}
	acct, err := account.Of(r, k.backend)
	if err != nil && !isNotSignedIn(err) {
		return err
	}
	return k.onKey(r, func(ctx context.Context, o *openedKey) error {
		return k.answerPasskeys(ctx, w, o, body.PIN, acct)
	}, credentialChecks...)
}

// answerPasskeys reads the passkeys on the key (readPasskeys) and answers 200 with them:
// after listing them, or deleting one.
func (k *keysAPI) answerPasskeys(ctx context.Context, w http.ResponseWriter, o *openedKey, pin []byte, acct account.View) error {
	answer, err := k.readPasskeys(ctx, o.dev, pin, acct)
	if err != nil {
		return k.s.keyError(o.a, err)
	}
	httpapi.Write(w, http.StatusOK, answer)
	return nil
}

func isNotSignedIn(err error) bool {
	e, ok := apperr.As(err)
	return ok && e.Code == "not_signed_in"
}

// deletePasskey serves DELETE /api/device/keys/{key}/passkeys/{credential} {"pin"}: 200 with
// the passkeys left. Deleting the account's passkey is refused when it is the account's last
// way to log in (the person would be locked out of their NHS login).
func (k *keysAPI) deletePasskey(w http.ResponseWriter, r *http.Request) error {
	var body pinBody
	defer body.wipe()
	credentialID, err := readPINBody(r, &body, "credential")
	if err != nil {
		return err
	}
	acct, err := account.Of(r, k.backend)
	if err != nil && !isNotSignedIn(err) {
		return err
	}
	relation := ""
	for _, p := range acct.Passkeys {
		if p.ID == b64(credentialID) {
			relation = account.Leftover
			if !p.Flagged {
				relation = account.InUse
				if !account.KeepsAnotherWayIn(acct, map[string]bool{p.ID: true}) {
					return apperr.DeviceLastWayToLogIn.Wrap(errors.New("delete the account's only way in from the key"))
				}
			}
		}
	}
	return k.onKey(r, func(ctx context.Context, o *openedKey) error {
		// An ID longer than the key's maxCredentialIdLength (CTAP 2.1 §6.4), or than any
		// credential ID (WebAuthn L3 §4: at most 1023 bytes), names no passkey on this key;
		// sent, it would only make a message the key refuses as too large.
		if len(credentialID) > maxCredentialIDLength ||
			(o.info.MaxCredIDLength > 0 && uint64(len(credentialID)) > o.info.MaxCredIDLength) {
			return apperr.DevicePasskeyNotOnKey.Wrap(fmt.Errorf("a credential ID of %d bytes", len(credentialID)))
		}
		if !acct.SignedIn {
			// Nobody is logged in (the session may have ended in another window): whether an
			// NHS login passkey is its account's last way in cannot be weighed, so it is not
			// deleted. Another site's passkey is the person's own business.
			ours, err := k.isThisRPs(ctx, o, credentialID, body.PIN)
			if err != nil {
				return k.s.keyError(o.a, err)
			}
			if ours {
				return apperr.NotSignedIn()
			}
		}
		if err := o.dev.DeleteCredential(ctx, credentialID, bytes.Clone(body.PIN)); err != nil {
			return k.s.keyError(o.a, err)
		}
		k.s.log.Info("passkey deleted from a security key", "key", o.a.Kind, "account_passkey", relation)
		k.s.forgetKey(o.a.ID)
		return k.answerPasskeys(ctx, w, o, body.PIN, acct)
	}, credentialChecks...)
}

// isThisRPs tells whether the key's passkey credentialID is one of this RP's (CTAP 2.1 §6.8
// enumerateCredentials for the RP ID, with a copy of pin).
func (k *keysAPI) isThisRPs(ctx context.Context, o *openedKey, credentialID, pin []byte) (bool, error) {
	creds, err := o.dev.Credentials(ctx, k.s.rpID, bytes.Clone(pin))
	if errors.Is(err, fido2.ErrNoCredentials) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(creds, func(c fido2.StoredCredential) bool { return bytes.Equal(c.ID, credentialID) }), nil
}

// setPIN serves POST /api/device/keys/{key}/pin: {"newPin"} gives a key without a PIN its
// first one; {"pin", "newPin"} changes it (also what a key asking for a new PIN needs).
func (k *keysAPI) setPIN(w http.ResponseWriter, r *http.Request) error {
	var body newPINBody
	defer body.wipe()
	if err := httpapi.DecodeSecrets(r, &body); err != nil {
		return err
	}
	return k.onKey(r, func(ctx context.Context, o *openedKey) error {
		set, _ := o.info.Option("clientPin")
		fields := map[string]string{}
		if set && len(body.PIN) == 0 {
			fields["pin"] = "Enter your current PIN"
		} else if set {
			// A current PIN no key could have is not tried (authenticator.CheckPIN).
			if problem := authenticator.PINShapeProblem(body.PIN, authenticator.MinPINCharacters); problem != "" {
				fields["pin"] = problem
			}
		}
		if problem := newPINProblem(body.NewPIN, authenticator.MinPINLength(o.info)); problem != "" {
			fields["newPin"] = problem
		} else if set && len(fields) == 0 && ctappin.Equal(body.PIN, body.NewPIN) {
			// A change to the PIN the key has is no change: refused here, before the key is
			// asked, so it costs no try whether or not the PIN is right. A key whose
			// forcePINChange is set would refuse it too (CTAP 2.1 §6.11.4), with a reason the
			// person could not be told.
			fields["newPin"] = "Your new PIN must be different from your current PIN"
		}
		if len(fields) > 0 {
			return apperr.Invalid(fields)
		}
		var err error
		if set {
			err = o.dev.ChangePIN(ctx, bytes.Clone(body.PIN), bytes.Clone(body.NewPIN))
		} else {
			err = o.dev.SetPIN(ctx, bytes.Clone(body.NewPIN))
		}
		if errors.Is(err, fido2.ErrPINPolicy) {
			return apperr.Invalid(map[string]string{"newPin": "Your security key did not accept that PIN. Choose a different PIN"}).Wrap(err)
		}
		if err != nil {
			return k.s.keyError(o.a, err)
		}
		k.s.log.Info("security key PIN saved", "key", o.a.Kind, "changed", set)
		info, retries, err := readInfo(ctx, o.dev)
		if err != nil {
			return k.s.keyError(o.a, err)
		}
		key := k.s.describe(o.a, info, retries)
		key.ResetSecondsLeft = k.s.resetSecondsLeft(o.a, k.s.now())
		k.s.set.RememberPINSet(o.a, true)
		k.s.forgetKey(o.a.ID)
		writeKey(w, key)
		return nil
	}, needClientPIN)
}

// answerFingerprints reads the key's fingerprints with pin (a copy: the key's binding wipes
// what it is given) and answers 200 with them: after listing, renaming or removing one.
func (k *keysAPI) answerFingerprints(ctx context.Context, w http.ResponseWriter, o *openedKey, pin []byte) error {
	list, err := o.dev.BioEnrollments(ctx, bytes.Clone(pin))
	if err != nil {
		return k.s.keyError(o.a, err)
	}
	writeFingerprints(w, list)
	return nil
}

func writeFingerprints(w http.ResponseWriter, list []fido2.Enrollment) {
	out := make([]fingerprintJSON, 0, len(list))
	for _, e := range list {
		out = append(out, fingerprintJSON{ID: b64(e.ID), Name: authenticator.KeyText(e.Name)})
	}
	httpapi.Write(w, http.StatusOK, struct {
		Fingerprints []fingerprintJSON `json:"fingerprints"`
	}{out})
}

// listFingerprints serves POST /api/device/keys/{key}/fingerprints/list {"pin"}.
func (k *keysAPI) listFingerprints(w http.ResponseWriter, r *http.Request) error {
	var body pinBody
	defer body.wipe()
	if _, err := readPINBody(r, &body, ""); err != nil {
		return err
	}
	return k.onKey(r, func(ctx context.Context, o *openedKey) error {
		return k.answerFingerprints(ctx, w, o, body.PIN)
	}, fingerprintChecks...)
}

func writeJob(w http.ResponseWriter, status int, j keyJobJSON) {
	httpapi.Write(w, status, struct {
		Job keyJobJSON `json:"job"`
	}{j})
}

// addFingerprint serves POST /api/device/keys/{key}/fingerprints {"pin"}: 202 with the job
// that reads the samples. The PIN is checked first (a wrong one answers at once), then used
// once more to begin the enrolment, and wiped.
func (k *keysAPI) addFingerprint(w http.ResponseWriter, r *http.Request) error {
	var body pinBody
	defer body.wipe()
	if _, err := readPINBody(r, &body, ""); err != nil {
		return err
	}
	ctx, cancel := k.opContext(r)
	defer cancel()
	// Not onKey: the key is the job's from startJob on.
	o, err := k.s.openKey(ctx, r.PathValue("key"), fingerprintChecks...)
	if err != nil {
		return err
	}
	if _, err := o.dev.BioEnrollments(ctx, bytes.Clone(body.PIN)); err != nil {
		o.close()
		return k.s.keyError(o.a, err)
	}
	sensor, err := o.dev.BioSensorInfo(ctx)
	if err != nil {
		o.close()
		return k.s.keyError(o.a, err)
	}
	j, err := k.s.startJob(jobAddFingerprint, o.a, o.dev, o.release, func(j *keyJob) {
		j.samplesNeeded, j.samplesLeft = sensor.MaxSamples, sensor.MaxSamples
	}, enrolFingerprint(bytes.Clone(body.PIN)))
	if err != nil {
		return err
	}
	writeJob(w, http.StatusAccepted, j.snapshot())
	return nil
}

// fingerprintName checks a fingerprint's new name and returns it as it is to be saved: in
// Unicode Normalization Form C (the same name typed with a composed or a decomposed accent is
// one name, counted in the characters the person sees), trimmed, 1 to 30 characters, at most
// 64 bytes (CTAP 2.1 §6.7 maxTemplateFriendlyName is often 64), and nothing invisible or
// layout-changing: control and format characters, line and paragraph separators, private-use
// characters (the rule of a passkey's name, backend/passkey.ValidateName).
func fingerprintName(raw *string) (string, error) {
	name := ""
	if raw != nil {
		name = strings.TrimSpace(norm.NFC.String(*raw))
	}
	problem := ""
	switch {
	case name == "":
		problem = "Enter a name for this fingerprint"
	case utf8.RuneCountInString(name) > 30:
		problem = "Name must be 30 characters or fewer"
	case len(name) > 64:
		problem = "Name is too long. Letters with accents and some symbols take up more space, so use fewer of them"
	case strings.ContainsFunc(name, func(c rune) bool {
		return unicode.In(c, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co, unicode.Cs) || c == utf8.RuneError
	}):
		problem = "Name must only include letters, numbers, spaces and symbols"
	}
	if problem != "" {
		return "", apperr.Invalid(map[string]string{"name": problem})
	}
	return name, nil
}

// nameTaken refuses name for the fingerprint id when another fingerprint on the key has it,
// whatever the letter case or the form of its accents: two fingerprints of one name cannot
// be told apart when one is to be deleted.
func nameTaken(list []fido2.Enrollment, id []byte, name string) error {
	for _, e := range list {
		if !bytes.Equal(e.ID, id) && strings.EqualFold(strings.TrimSpace(norm.NFC.String(e.Name)), name) {
			return apperr.Invalid(map[string]string{"name": "You already have a fingerprint with this name. Choose a different name"})
		}
	}
	return nil
}

// renameFingerprint serves PATCH /api/device/keys/{key}/fingerprints/{fingerprint}
// {"pin", "name"}: 200 with the fingerprints.
func (k *keysAPI) renameFingerprint(w http.ResponseWriter, r *http.Request) error {
	var body nameBody
	defer body.wipe()
	if err := httpapi.DecodeSecrets(r, &body); err != nil {
		return err
	}
	id, err := idFromPath(r, "fingerprint")
	if err != nil {
		return err
	}
	name, nameErr := fingerprintName(body.Name)
	if pinErr, ok := apperr.As(authenticator.CheckPIN("pin", body.PIN)); ok {
		fields := map[string]string{"pin": pinErr.Fields["pin"]}
		if e, ok := apperr.As(nameErr); ok {
			fields["name"] = e.Fields["name"]
		}
		return apperr.Invalid(fields)
	}
	if nameErr != nil {
		return nameErr
	}
	return k.onKey(r, func(ctx context.Context, o *openedKey) error {
		list, err := o.dev.BioEnrollments(ctx, bytes.Clone(body.PIN))
		if err != nil {
			return k.s.keyError(o.a, err)
		}
		if err := nameTaken(list, id, name); err != nil {
			return err
		}
		if err := o.dev.BioSetName(ctx, id, name, bytes.Clone(body.PIN)); err != nil {
			return k.s.keyError(o.a, err)
		}
		return k.answerFingerprints(ctx, w, o, body.PIN)
	}, fingerprintChecks...)
}

// deleteFingerprint serves DELETE /api/device/keys/{key}/fingerprints/{fingerprint} {"pin"}:
// 200 with the fingerprints left.
func (k *keysAPI) deleteFingerprint(w http.ResponseWriter, r *http.Request) error {
	var body pinBody
	defer body.wipe()
	id, err := readPINBody(r, &body, "fingerprint")
	if err != nil {
		return err
	}
	return k.onKey(r, func(ctx context.Context, o *openedKey) error {
		if err := o.dev.BioRemove(ctx, id, bytes.Clone(body.PIN)); err != nil {
			return k.s.keyError(o.a, err)
		}
		k.s.forgetKey(o.a.ID)
		return k.answerFingerprints(ctx, w, o, body.PIN)
	}, fingerprintChecks...)
}

// replug serves POST /api/device/keys/virtual/replug {}: the virtual key is taken out and
// put back in, as the person would do with a real key (its reset window starts again).
// Real keys are not the app's to replug: 404.
func (k *keysAPI) replug(w http.ResponseWriter, r *http.Request) error {
	var req struct{}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	a, err := k.s.connected(r.PathValue("key"))
	if err != nil {
		return err
	}
	if !a.Virtual() {
		return apperr.NotFound()
	}
	release, err := k.s.acquire(a.ID)
	if err != nil {
		return err
	}
	err = k.s.replugVirtual()
	release()
	if err != nil {
		return fmt.Errorf("replug the virtual key: %w", err)
	}
	writeKey(w, k.s.readKey(r.Context(), a))
	return nil
}

// checkReset serves POST /api/device/keys/{key}/reset/check {"pin"?, "pinForgotten"?} (a
// signed-in route): 200 {"ticket", "accountPasskeys", "certain", "otherWaysIn"}
// (Service.checkReset).
func (k *keysAPI) checkReset(w http.ResponseWriter, r *http.Request) error {
	var body resetCheckBody
	defer body.wipe()
	if err := httpapi.DecodeSecrets(r, &body); err != nil {
		return err
	}
	if body.PINForgotten {
		body.PIN.Wipe()
		body.PIN = nil
	}
	ctx, cancel := k.opContext(r)
	defer cancel()
	// ctx is r.Context() with a deadline (opContext); contextcheck does not follow a helper's
	// result.
	check, err := k.s.checkReset(ctx, r.PathValue("key"), body.PIN, body.PINForgotten, account.From(r.Context())) //nolint:contextcheck // ctx is from opContext(r), r.Context() bounded
	if err != nil {
		return err
	}
	httpapi.Write(w, http.StatusOK, check)
	return nil
}

// reset serves POST /api/device/keys/{key}/reset {"ticket"} (a signed-in route): 202 with
// the job that resets the key (Service.startReset).
func (k *keysAPI) reset(w http.ResponseWriter, r *http.Request) error {
	var body ticketBody
	if err := httpapi.DecodeSecrets(r, &body); err != nil {
		return err
	}
	if body.Ticket == nil || *body.Ticket == "" {
		return apperr.DeviceResetCheckNeeded.Wrap(errors.New("no ticket"))
	}
	ctx, cancel := k.opContext(r)
	defer cancel()
	// ctx (opContext(r)) bounds the checks; the reset itself is a job that outlives the
	// request (202, then polled) and runs under the service's life (startJob).
	j, err := k.s.startReset(ctx, r.PathValue("key"), *body.Ticket, account.From(r.Context())) //nolint:contextcheck // ctx is from opContext(r); the job runs under the service's life
	if err != nil {
		return err
	}
	writeJob(w, http.StatusAccepted, j.snapshot())
	return nil
}

// jobFrom finds the key job named in the path.
func (k *keysAPI) jobFrom(r *http.Request) (*keyJob, error) {
	s := k.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgetJobsLocked(s.now())
	j, ok := s.jobs[r.PathValue("job")]
	if !ok {
		return nil, apperr.NotFound()
	}
	return j, nil
}

// getJob serves GET /api/device/key-jobs/{job}.
func (k *keysAPI) getJob(w http.ResponseWriter, r *http.Request) error {
	j, err := k.jobFrom(r)
	if err != nil {
		return err
	}
	writeJob(w, http.StatusOK, j.snapshot())
	return nil
}

// cancelJob serves POST /api/device/key-jobs/{job}/cancel {}: a job that has ended is
// answered as it is.
func (k *keysAPI) cancelJob(w http.ResponseWriter, r *http.Request) error {
	j, err := k.jobFrom(r)
	if err != nil {
		return err
	}
	var req struct{}
	if err := httpapi.Decode(r, &req); err != nil {
		return err
	}
	j.Stop(k.s.now(), k.s.jobFailure(authenticator.Authenticator{}, j.Kind, context.Canceled), nil)
	writeJob(w, http.StatusOK, j.snapshot())
	return nil
}
