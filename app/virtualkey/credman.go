package virtualkey

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// authenticatorCredentialManagement sub-commands (CTAP 2.1 §6.8).
const (
	cmGetCredsMetadata            = 0x01
	cmEnumerateRPsBegin           = 0x02
	cmEnumerateRPsGetNextRP       = 0x03
	cmEnumerateCredentialsBegin   = 0x04
	cmEnumerateCredentialsGetNext = 0x05
	cmDeleteCredential            = 0x06
	cmUpdateUserInformation       = 0x07

	credProtectUVOptional = 1 // CTAP 2.1 §12.1 userVerificationOptional
	// enumerationLife: like getNextAssertion's (§6.3), the enumeration state lapses 30 s
	// after the last answer.
	enumerationLife = 30 * time.Second
)

// credManParams is the authenticatorCredentialManagement request (CTAP 2.1 §6.8).
// SubCommandParams stays raw: pinUvAuthParam is computed over its exact bytes.
type credManParams struct {
	SubCommand        *uint64         `cbor:"1,keyasint"`
	SubCommandParams  cbor.RawMessage `cbor:"2,keyasint"`
	PinUvAuthProtocol *uint64         `cbor:"3,keyasint"`
	PinUvAuthParam    []byte          `cbor:"4,keyasint"`
}

type credManSubParams struct {
	RPIDHash     []byte                `cbor:"1,keyasint"`
	CredentialID *credentialDescriptor `cbor:"2,keyasint"`
	User         *userEntity           `cbor:"3,keyasint"`
}

// credManResponse holds every field a credential management reply can have (§6.8).
type credManResponse struct {
	ExistingCount    *int                  `cbor:"1,keyasint,omitempty"`
	RemainingCount   *int                  `cbor:"2,keyasint,omitempty"`
	RP               *rpResponse           `cbor:"3,keyasint,omitempty"`
	RPIDHash         []byte                `cbor:"4,keyasint,omitempty"`
	TotalRPs         *int                  `cbor:"5,keyasint,omitempty"`
	User             *userEntity           `cbor:"6,keyasint,omitempty"`
	CredentialID     *credentialDescriptor `cbor:"7,keyasint,omitempty"`
	PublicKey        *coseKey              `cbor:"8,keyasint,omitempty"`
	TotalCredentials *int                  `cbor:"9,keyasint,omitempty"`
	CredProtect      *int                  `cbor:"10,keyasint,omitempty"`
}

type rpResponse struct {
	ID   string `cbor:"id"`
	Name string `cbor:"name,omitempty"`
}

// enumerationState is what enumerateRPsGetNextRP and enumerateCredentialsGetNextCredential
// need (§6.8.3, §6.8.4): what is still to be returned, in order.
type enumerationState struct {
	subCommand byte     // cmEnumerateRPsBegin or cmEnumerateCredentialsBegin
	rpIDs      []string // RPs still to return
	rpID       string   // the RP whose credentials are enumerated
	credIDs    [][]byte // credentials still to return
	expires    time.Time
}

// credentialManagement is authenticatorCredentialManagement (CTAP 2.1 §6.8), reached as 0x0A
// and as its CTAP 2.1-PRE prototype 0x41 (the only one libfido2 1.12 sends). Only discoverable
// credentials are managed.
func (k *Key) credentialManagement(_ *request, raw []byte) (any, error) {
	var p credManParams
	if err := decodeParams(raw, &p); err != nil {
		return nil, err
	}
	if p.SubCommand == nil {
		return nil, statusMissingParameter
	}
	sub := *p.SubCommand
	var params credManSubParams
	if len(p.SubCommandParams) > 0 {
		if err := decodeParams(p.SubCommandParams, &params); err != nil {
			return nil, err
		}
	}
	if sub != cmEnumerateRPsGetNextRP && sub != cmEnumerateCredentialsGetNext {
		k.enumeration = nil
	}
	// §6.8: every sub-command but the two "next" ones needs a pinUvAuthToken with the cm
	// permission, and its pinUvAuthParam is authenticate(token, subCommand || subCommandParams).
	switch sub {
	case cmGetCredsMetadata, cmEnumerateRPsBegin, cmEnumerateCredentialsBegin,
		cmDeleteCredential, cmUpdateUserInformation:
		msg := slices.Concat([]byte{byte(sub)}, p.SubCommandParams)
		if err := k.requireToken(p.PinUvAuthProtocol, msg, p.PinUvAuthParam, permCredentialManagement); err != nil {
			return nil, err
		}
	}
	switch sub {
	case cmGetCredsMetadata:
		return k.credsMetadata()
	case cmEnumerateRPsBegin:
		return k.enumerateRPsBegin()
	case cmEnumerateRPsGetNextRP:
		return k.enumerateRPsNext()
	case cmEnumerateCredentialsBegin:
		return k.enumerateCredentialsBegin(params.RPIDHash)
	case cmEnumerateCredentialsGetNext:
		return k.enumerateCredentialsNext()
	case cmDeleteCredential:
		return k.deleteCredential(params.CredentialID)
	case cmUpdateUserInformation:
		return k.updateUserInformation(params.CredentialID, params.User)
	}
	return nil, statusInvalidSubcommand
}

// tokenHasOtherRP: the token carries a permissions RP ID and it is not rpID ("" means the
// command is not about one RP, so any permissions RP ID is wrong).
func (k *Key) tokenHasOtherRP(rpID string) bool {
	t := k.pin.token
	return t.rpID != "" && t.rpID != rpID
}

// credsMetadata is getCredsMetadata (§6.8.2).
func (k *Key) credsMetadata() (any, error) {
	// §6.8.2: a token with a permissions RP ID cannot see the whole key.
	if k.tokenHasOtherRP("") {
		return nil, statusPinAuthInvalid
	}
	existing := k.st.discoverableCount()
	remaining := max(0, k.capacity-existing)
	return credManResponse{ExistingCount: &existing, RemainingCount: &remaining}, nil
}

// discoverableRPs lists the RP IDs that have discoverable credentials, in the order of their
// oldest credential.
func (k *Key) discoverableRPs() []string {
	var ids []string
	for _, c := range k.st.Credentials {
		if c.Discoverable && !slices.Contains(ids, c.RPID) {
			ids = append(ids, c.RPID)
		}
	}
	return ids
}

// enumerateRPsBegin (§6.8.3): the first RP and how many there are.
func (k *Key) enumerateRPsBegin() (any, error) {
	if k.tokenHasOtherRP("") {
		return nil, statusPinAuthInvalid
	}
	ids := k.discoverableRPs()
	if len(ids) == 0 {
		return nil, statusNoCredentials
	}
	resp := k.rpEntry(ids[0])
	total := len(ids)
	resp.TotalRPs = &total
	if len(ids) > 1 {
		k.enumeration = &enumerationState{
			subCommand: cmEnumerateRPsBegin,
			rpIDs:      ids[1:],
			expires:    k.clock().Add(enumerationLife),
		}
	}
	return resp, nil
}

// enumerateRPsNext is enumerateRPsGetNextRP (§6.8.3): CTAP2_ERR_NOT_ALLOWED without state,
// after its timer, or once every RP has been returned.
func (k *Key) enumerateRPsNext() (any, error) {
	s := k.enumeration
	if s == nil || s.subCommand != cmEnumerateRPsBegin || len(s.rpIDs) == 0 || k.clock().After(s.expires) {
		k.enumeration = nil
		return nil, statusNotAllowed
	}
	id := s.rpIDs[0]
	s.rpIDs = s.rpIDs[1:]
	s.expires = k.clock().Add(enumerationLife)
	return k.rpEntry(id), nil
}

func (k *Key) rpEntry(rpID string) credManResponse {
	name := ""
	for _, c := range k.st.Credentials {
		if c.Discoverable && c.RPID == rpID && c.RPName != "" {
			name = c.RPName
		}
	}
	h := sha256.Sum256([]byte(rpID))
	return credManResponse{RP: &rpResponse{ID: rpID, Name: name}, RPIDHash: h[:]}
}

// enumerateCredentialsBegin (§6.8.4): the RP's first discoverable credential and how many
// it has.
func (k *Key) enumerateCredentialsBegin(rpIDHash []byte) (any, error) {
	if rpIDHash == nil {
		return nil, statusMissingParameter
	}
	rpID, ok := "", false
	for _, id := range k.discoverableRPs() {
		if h := sha256.Sum256([]byte(id)); bytes.Equal(h[:], rpIDHash) {
			rpID, ok = id, true
			break
		}
	}
	// §6.8.4: a token bound to another RP may not look (checked before "none", so it learns
	// nothing about the RP it asked for).
	t := k.pin.token
	if t.rpID != "" {
		if h := sha256.Sum256([]byte(t.rpID)); !bytes.Equal(h[:], rpIDHash) {
			return nil, statusPinAuthInvalid
		}
	}
	if !ok {
		return nil, statusNoCredentials
	}
	var ids [][]byte
	for _, c := range k.st.Credentials {
		if c.Discoverable && c.RPID == rpID {
			ids = append(ids, c.ID)
		}
	}
	resp, err := k.credentialEntry(rpID, ids[0])
	if err != nil {
		return nil, err
	}
	total := len(ids)
	resp.TotalCredentials = &total
	if len(ids) > 1 {
		k.enumeration = &enumerationState{
			subCommand: cmEnumerateCredentialsBegin,
			rpID:       rpID,
			credIDs:    ids[1:],
			expires:    k.clock().Add(enumerationLife),
		}
	}
	return resp, nil
}

// enumerateCredentialsNext is enumerateCredentialsGetNextCredential (§6.8.4).
func (k *Key) enumerateCredentialsNext() (any, error) {
	s := k.enumeration
	if s == nil || s.subCommand != cmEnumerateCredentialsBegin || len(s.credIDs) == 0 ||
		k.clock().After(s.expires) {
		k.enumeration = nil
		return nil, statusNotAllowed
	}
	id := s.credIDs[0]
	s.credIDs = s.credIDs[1:]
	s.expires = k.clock().Add(enumerationLife)
	return k.credentialEntry(s.rpID, id)
}

// credentialEntry is one credential as enumerateCredentials returns it: user, credential ID,
// COSE public key and credProtect.
func (k *Key) credentialEntry(rpID string, id []byte) (credManResponse, error) {
	i := k.findCredential(rpID, id)
	if i < 0 {
		return credManResponse{}, statusNoCredentials
	}
	c := k.st.Credentials[i]
	priv, err := c.signer()
	if err != nil {
		return credManResponse{}, err
	}
	pub, err := priv.PublicKey.Bytes()
	if err != nil {
		return credManResponse{}, err
	}
	cose := p256COSE(coseES256, pub)
	protect := max(c.CredProtect, credProtectUVOptional)
	return credManResponse{
		User:         &userEntity{ID: c.UserID, Name: c.UserName, DisplayName: c.UserDisplayName},
		CredentialID: &credentialDescriptor{Type: credentialTypeKey, ID: c.ID},
		PublicKey:    &cose,
		CredProtect:  &protect,
	}, nil
}

// findDiscoverable finds a discoverable credential by ID alone.
func (k *Key) findDiscoverable(d *credentialDescriptor) int {
	if d == nil {
		return -1
	}
	return slices.IndexFunc(k.st.Credentials, func(c credential) bool {
		return c.Discoverable && bytes.Equal(c.ID, d.ID)
	})
}

// deleteCredential (§6.8.5).
func (k *Key) deleteCredential(d *credentialDescriptor) (any, error) {
	if d == nil {
		return nil, statusMissingParameter
	}
	i := k.findDiscoverable(d)
	if i < 0 {
		return nil, statusNoCredentials
	}
	// A token bound to one RP may delete only that RP's credentials.
	if k.tokenHasOtherRP(k.st.Credentials[i].RPID) {
		return nil, statusPinAuthInvalid
	}
	return nil, k.update(func(next *state) error {
		next.Credentials = slices.Delete(next.Credentials, i, i+1)
		return nil
	})
}

// updateUserInformation (§6.8.6): new name and display name for the same user handle. A
// field left out is removed.
func (k *Key) updateUserInformation(d *credentialDescriptor, u *userEntity) (any, error) {
	if d == nil || u == nil {
		return nil, statusMissingParameter
	}
	i := k.findDiscoverable(d)
	if i < 0 {
		return nil, statusNoCredentials
	}
	c := k.st.Credentials[i]
	if k.tokenHasOtherRP(c.RPID) {
		return nil, statusPinAuthInvalid
	}
	if !bytes.Equal(u.ID, c.UserID) {
		return nil, statusInvalidParameter
	}
	return nil, k.update(func(next *state) error {
		next.Credentials[i].UserName = u.Name
		next.Credentials[i].UserDisplayName = u.DisplayName
		return nil
	})
}
