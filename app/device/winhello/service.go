// Package winhello is Windows Hello's passkeys (docs/api.md, "Windows Hello passkey endpoints"): the second half
// of "remove in both places". Removing a passkey from the account does not delete it from
// Windows Hello, which would keep offering it at every login; these endpoints let the page
// find the removed passkey among Windows Hello's passkeys for this RP and delete it there.
//
// Only the Windows build has them (webauthn.dll, app/device/authenticator/set_windows.go),
// and only where webauthn.dll loaded; elsewhere, and in kiosk mode, app/device registers no
// route of theirs, so they answer 404 not_found like any unknown device path. The logic
// lives here, on every system, behind the Store interface, so it is tested on Linux with a
// fake (app/device/platform_passkeys_test.go).
//
// Rules kept here:
//   - The endpoints are narrow: the page names one credential ID, and only this RP's
//     passkeys are ever looked at or answered.
//   - Only a passkey the signed-in account no longer accepts may be deleted ("leftover", as
//     for security keys): one it still accepts would leave the account listing a
//     passkey that no longer exists, and another account's is not this person's to delete.
package winhello

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/nhs-passkeys/companion/app/device/account"
	"github.com/nhs-passkeys/companion/app/webauthndll"
	"github.com/nhs-passkeys/companion/backend/apperr"
)

// Store is Windows Hello's passkey store. *webauthndll.DLL is the real one (Windows only);
// the tests use a fake.
type Store interface {
	// ManagesPlatformCredentials: listing and deleting work (webauthn.h v4,
	// WebAuthNGetPlatformCredentialList / WebAuthNDeletePlatformCredential). Before API
	// version 4 neither exists.
	ManagesPlatformCredentials() bool
	// PlatformCredentials lists the platform passkeys for rpID.
	PlatformCredentials(rpID string) ([]webauthndll.PlatformCredential, error)
	// DeletePlatformCredential deletes one by credential ID.
	DeletePlatformCredential(id []byte) error
}

var _ Store = (*webauthndll.DLL)(nil)

// maxCredentialIDBytes: WebAuthn L3 §4 "Credential ID" is at most 1023 bytes.
const maxCredentialIDBytes = 1023

// platformPasskeyJSON is PlatformPasskey (docs/api.md).
type platformPasskeyJSON struct {
	CredentialID string `json:"credentialId"`
	UserName     string `json:"userName"`
	// AuthenticatorName: what Windows calls the store, e.g. "Windows Hello" (credential
	// details version 3, webauthn.h v8); "" when Windows does not say.
	AuthenticatorName string `json:"authenticatorName"`
	Removable         bool   `json:"removable"`
	BackedUp          bool   `json:"backedUp"`
	NHSLogin          string `json:"nhsLogin"`
}

type platformPasskeysJSON struct {
	// Manageable: this Windows can list and delete its passkeys (API version 4 or newer).
	// False: the page says how to do it in Windows Settings.
	Manageable bool                  `json:"manageable"`
	Passkeys   []platformPasskeyJSON `json:"passkeys"`
}

// helloError is a failed webauthn.dll call: the cause goes to the log only.
func helloError(err error) error { return apperr.DeviceHelloError.Wrap(err) }

// Service answers for Windows Hello's passkeys of one RP.
type Service struct {
	store Store
	rpID  string // only this RP's passkeys are ever looked at or answered
	log   *slog.Logger
}

// New returns the service for store's passkeys of rpID.
func New(store Store, rpID string, log *slog.Logger) *Service {
	return &Service{store: store, rpID: rpID, log: log}
}

// credentialID decodes a base64url credential ID (no padding, as every credential ID in the
// API) from the page.
func credentialID(s string) ([]byte, error) {
	if s == "" || len(s) > base64.RawURLEncoding.EncodedLen(maxCredentialIDBytes) || strings.ContainsRune(s, '=') {
		return nil, apperr.InvalidRequest(fmt.Errorf("credential id %.40q", s))
	}
	id, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, apperr.InvalidRequest(fmt.Errorf("credential id: %w", err))
	}
	return id, nil
}

// find lists this RP's platform passkeys with the credential ID id: none or one.
func (s *Service) find(id []byte, acct account.View) ([]platformPasskeyJSON, []webauthndll.PlatformCredential, error) {
	all, err := s.store.PlatformCredentials(s.rpID)
	if err != nil {
		return nil, nil, helloError(fmt.Errorf("list platform passkeys: %w", err))
	}
	out := []platformPasskeyJSON{}
	var found []webauthndll.PlatformCredential
	for _, c := range all {
		// Windows filters by RP ID already; checked again so that nothing of another site
		// can ever be answered or deleted from here.
		if c.RPID != s.rpID || string(c.ID) != string(id) {
			continue
		}
		found = append(found, c)
		out = append(out, platformPasskeyJSON{
			CredentialID:      base64.RawURLEncoding.EncodeToString(c.ID),
			UserName:          c.UserName,
			AuthenticatorName: c.AuthenticatorName,
			Removable:         c.Removable,
			BackedUp:          c.BackedUp,
			NHSLogin:          account.Relation(id, c.UserName, acct),
		})
	}
	return out, found, nil
}

// look lists the passkey with credential ID id, related to acct: not manageable (and
// nothing listed) on Windows before API version 4.
func (s *Service) look(id []byte, acct account.View) (platformPasskeysJSON, error) {
	answer := platformPasskeysJSON{Manageable: s.store.ManagesPlatformCredentials(), Passkeys: []platformPasskeyJSON{}}
	if answer.Manageable {
		var err error
		if answer.Passkeys, _, err = s.find(id, acct); err != nil {
			return platformPasskeysJSON{}, err
		}
	}
	return answer, nil
}

// delete deletes the passkey with credential ID id from Windows Hello, if the rules allow:
// only one the account no longer accepts, and only one Windows says may be removed. It
// answers what is left under that ID (nothing, once Windows has deleted it).
func (s *Service) delete(id []byte, acct account.View) (platformPasskeysJSON, error) {
	if !s.store.ManagesPlatformCredentials() {
		return platformPasskeysJSON{}, apperr.DevicePlatformNotManageable.Wrap(errors.New("webauthn.dll cannot delete platform passkeys"))
	}
	_, found, err := s.find(id, acct)
	if err != nil {
		return platformPasskeysJSON{}, err
	}
	if len(found) == 0 {
		return platformPasskeysJSON{}, apperr.DevicePasskeyNotOnDevice.Wrap(errors.New("no such platform passkey"))
	}
	c := found[0]
	switch account.Relation(id, c.UserName, acct) {
	case account.InUse:
		return platformPasskeysJSON{}, apperr.DevicePasskeyInUse.Wrap(errors.New("the account still accepts it"))
	case account.OtherAccount:
		return platformPasskeysJSON{}, apperr.DeviceNotYourPasskey.Wrap(errors.New("another account's passkey"))
	}
	if !c.Removable {
		return platformPasskeysJSON{}, apperr.DeviceNotRemovable.Wrap(errors.New("not removable, Windows says"))
	}
	if err := s.store.DeletePlatformCredential(id); err != nil {
		if errors.Is(err, webauthndll.ErrNoCredentials) {
			return platformPasskeysJSON{}, apperr.DevicePasskeyNotOnDevice.Wrap(err) // gone in between (NTE_NOT_FOUND)
		}
		return platformPasskeysJSON{}, helloError(fmt.Errorf("delete platform passkey: %w", err))
	}
	s.log.Info("Windows Hello passkey deleted", "rpId", s.rpID)
	left, _, err := s.find(id, acct)
	if err != nil {
		return platformPasskeysJSON{}, err
	}
	return platformPasskeysJSON{Manageable: true, Passkeys: left}, nil
}
