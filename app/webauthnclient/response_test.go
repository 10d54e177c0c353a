package webauthnclient

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/backend/account"
)

// fakeAuthenticator records the request and answers with fixed bytes, so the JSON shapes can
// be checked to the byte. The real authenticators (libfido2 + the virtual key) are in
// ceremony_test.go.
type fakeAuthenticator struct {
	create     CreateRequest
	get        GetRequest
	pin        []byte
	attest     *Attestation
	assertions []Assertion
	err        error
}

func (f *fakeAuthenticator) MakeCredential(_ context.Context, req CreateRequest, pin []byte, _ func(Status)) (*Attestation, error) {
	f.create, f.pin = req, bytes.Clone(pin)
	clear(pin)
	return f.attest, f.err
}

func (f *fakeAuthenticator) GetAssertion(_ context.Context, req GetRequest, pin []byte, _ func(Status)) ([]Assertion, error) {
	f.get, f.pin = req, bytes.Clone(pin)
	clear(pin)
	return f.assertions, f.err
}

var b64url = base64.RawURLEncoding

// creationOptions is what the backend's register/begin returns (go-webauthn's JSON).
const creationOptions = `{
	"rp": {"name": "NHS login passkeys", "id": "localhost"},
	"user": {"name": "a@example.com", "displayName": "a@example.com", "id": "dXNlci1oYW5kbGU"},
	"challenge": "Y2hhbGxlbmdlLWNoYWxsZW5nZS0xMjM0",
	"pubKeyCredParams": [{"type": "public-key", "alg": -7}, {"type": "public-key", "alg": -257}],
	"timeout": 300000,
	"excludeCredentials": [{"type": "public-key", "id": "AQID", "transports": ["usb"]}],
	"authenticatorSelection": {"residentKey": "preferred", "requireResidentKey": false, "userVerification": "required"},
	"attestation": "none",
	"extensions": {"credProps": true}
}`

const requestOptions = `{
	"challenge": "Y2hhbGxlbmdlLWNoYWxsZW5nZS01Njc4",
	"timeout": 300000,
	"rpId": "localhost",
	"allowCredentials": [{"type": "public-key", "id": "AQID"}, {"type": "public-key", "id": "BAUG"}],
	"userVerification": "required"
}`

func newTestClient(t *testing.T) *Client {
	t.Helper()
	c, err := New("http://localhost:8080")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// keysInOrder returns the member names of a JSON object in the order they appear.
func keysInOrder(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestCreateReturnsExactlyWhatToJSONGives(t *testing.T) {
	call, err := newTestClient(t).PrepareCreate([]byte(creationOptions))
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeAuthenticator{attest: &Attestation{
		CredentialID:      []byte{0xca, 0xfe},
		AuthenticatorData: []byte("authdata"),
		AttestationObject: []byte("attobj"),
		PublicKey:         []byte("spki"),
		Algorithm:         -7,
	}}
	raw, err := call.Run(t.Context(), fake, []byte("1234"), nil)
	if err != nil {
		t.Fatal(err)
	}

	if got, want := keysInOrder(t, raw), []string{"id", "rawId", "type", "authenticatorAttachment", "clientExtensionResults", "response"}; !slices.Equal(got, want) {
		t.Errorf("members %v, want %v", got, want)
	}
	var got struct {
		ID, RawID, Type, AuthenticatorAttachment string
		ClientExtensionResults                   map[string]any
		Response                                 json.RawMessage
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "yv4" || got.RawID != "yv4" || got.Type != "public-key" || got.AuthenticatorAttachment != "cross-platform" ||
		got.ClientExtensionResults == nil || len(got.ClientExtensionResults) != 0 {
		t.Errorf("credential %s", raw)
	}
	if keys, want := keysInOrder(t, got.Response), []string{"clientDataJSON", "attestationObject", "transports", "publicKeyAlgorithm", "publicKey", "authenticatorData"}; !slices.Equal(keys, want) {
		t.Errorf("response members %v, want %v", keys, want)
	}
	var resp struct {
		ClientDataJSON, AttestationObject, PublicKey, AuthenticatorData string
		Transports                                                      []string
		PublicKeyAlgorithm                                              int
	}
	if err := json.Unmarshal(got.Response, &resp); err != nil {
		t.Fatal(err)
	}
	cdj, _ := b64url.DecodeString(resp.ClientDataJSON)
	wantCDJ := `{"type":"webauthn.create","challenge":"Y2hhbGxlbmdlLWNoYWxsZW5nZS0xMjM0","origin":"http://localhost:8080","crossOrigin":false}`
	if string(cdj) != wantCDJ {
		t.Errorf("clientDataJSON %s", cdj)
	}
	if resp.AttestationObject != b64url.EncodeToString([]byte("attobj")) || resp.PublicKey != b64url.EncodeToString([]byte("spki")) ||
		resp.AuthenticatorData != b64url.EncodeToString([]byte("authdata")) || resp.PublicKeyAlgorithm != -7 ||
		!slices.Equal(resp.Transports, []string{"usb"}) {
		t.Errorf("response %s", got.Response)
	}

	// What the authenticator was asked.
	req := fake.create
	if req.RPID != "localhost" || req.RPName != "NHS login passkeys" || string(req.UserID) != "user-handle" ||
		req.UserName != "a@example.com" || req.Algorithm != -7 || req.ResidentKey != Preferred ||
		req.UserVerification != Required || string(req.ClientDataJSON) != wantCDJ {
		t.Errorf("request %+v", req)
	}
	if len(req.ExcludeList) != 1 || !bytes.Equal(req.ExcludeList[0], []byte{1, 2, 3}) {
		t.Errorf("exclude list %x", req.ExcludeList)
	}
	if string(fake.pin) != "1234" {
		t.Errorf("the PIN was not passed on")
	}
	if call.Timeout().Milliseconds() != 300000 {
		t.Errorf("timeout %v", call.Timeout())
	}
}

func TestGetReturnsExactlyWhatToJSONGives(t *testing.T) {
	call, err := newTestClient(t).PrepareGet([]byte(requestOptions))
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeAuthenticator{assertions: []Assertion{{
		CredentialID:      []byte{4, 5, 6},
		AuthenticatorData: []byte("authdata"),
		Signature:         []byte("sig"),
		UserHandle:        []byte("user-handle"),
	}}}
	raw, err := call.Run(t.Context(), fake, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := keysInOrder(t, raw), []string{"id", "rawId", "type", "authenticatorAttachment", "clientExtensionResults", "response"}; !slices.Equal(got, want) {
		t.Errorf("members %v, want %v", got, want)
	}
	var got struct {
		ID, RawID, Type, AuthenticatorAttachment string
		ClientExtensionResults                   map[string]any
		Response                                 json.RawMessage
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "BAUG" || got.RawID != "BAUG" || got.Type != "public-key" || got.AuthenticatorAttachment != "cross-platform" ||
		got.ClientExtensionResults == nil || len(got.ClientExtensionResults) != 0 {
		t.Errorf("credential %s", raw)
	}
	if keys, want := keysInOrder(t, got.Response), []string{"clientDataJSON", "authenticatorData", "signature", "userHandle"}; !slices.Equal(keys, want) {
		t.Errorf("response members %v, want %v", keys, want)
	}
	var resp struct{ ClientDataJSON, AuthenticatorData, Signature, UserHandle string }
	if err := json.Unmarshal(got.Response, &resp); err != nil {
		t.Fatal(err)
	}
	cdj, _ := b64url.DecodeString(resp.ClientDataJSON)
	if string(cdj) != `{"type":"webauthn.get","challenge":"Y2hhbGxlbmdlLWNoYWxsZW5nZS01Njc4","origin":"http://localhost:8080","crossOrigin":false}` {
		t.Errorf("clientDataJSON %s", cdj)
	}
	if resp.AuthenticatorData != b64url.EncodeToString([]byte("authdata")) || resp.Signature != b64url.EncodeToString([]byte("sig")) ||
		resp.UserHandle != b64url.EncodeToString([]byte("user-handle")) {
		t.Errorf("response %s", got.Response)
	}
	req := fake.get
	if req.RPID != "localhost" || req.UserVerification != Required || len(req.AllowList) != 2 ||
		!bytes.Equal(req.AllowList[1], []byte{4, 5, 6}) {
		t.Errorf("request %+v", req)
	}
}

func TestGetPicksTheFirstOfSeveralDiscoverableAssertions(t *testing.T) {
	call, err := newTestClient(t).PrepareGet([]byte(`{"challenge": "Y2hhbGxlbmdlLWNoYWxsZW5nZS01Njc4"}`))
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeAuthenticator{assertions: []Assertion{
		{CredentialID: []byte{1}, AuthenticatorData: []byte("a1"), Signature: []byte("s1")}, // no user handle
		{CredentialID: []byte{2}, AuthenticatorData: []byte("a2"), Signature: []byte("s2"), UserHandle: []byte("u2")},
	}}
	raw, err := call.Run(t.Context(), fake, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"id":"AQ"`) {
		t.Errorf("not the first assertion: %s", raw)
	}
	if strings.Contains(string(raw), "userHandle") {
		t.Errorf("a missing user handle must be left out, as toJSON() does: %s", raw)
	}
	if fake.get.RPID != "localhost" || len(fake.get.AllowList) != 0 || fake.get.UserVerification != Preferred {
		t.Errorf("defaults: %+v", fake.get)
	}
}

func TestGetChecksTheAuthenticatorsAnswer(t *testing.T) {
	single := `{"challenge": "Y2hhbGxlbmdl", "allowCredentials": [{"type": "public-key", "id": "AQID"}]}`
	tests := []struct {
		name       string
		options    string
		assertions []Assertion
		wantID     string // "" means ErrBadResponse
	}{
		{"the one allowed credential may be left out (CTAP 2.1 §6.2.2)", single,
			[]Assertion{{AuthenticatorData: []byte("a"), Signature: []byte("s")}}, "AQID"},
		{"a credential that was not allowed is refused", single,
			[]Assertion{{CredentialID: []byte{9}, AuthenticatorData: []byte("a"), Signature: []byte("s")}}, ""},
		{"no assertion is refused", single, nil, ""},
		{"an assertion without a signature is refused", single,
			[]Assertion{{CredentialID: []byte{1, 2, 3}, AuthenticatorData: []byte("a")}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call, err := newTestClient(t).PrepareGet([]byte(tt.options))
			if err != nil {
				t.Fatal(err)
			}
			raw, err := call.Run(t.Context(), &fakeAuthenticator{assertions: tt.assertions}, nil, nil)
			if tt.wantID == "" {
				if !errors.Is(err, ErrBadResponse) || raw != nil {
					t.Fatalf("got %s, %v; want ErrBadResponse", raw, err)
				}
				return
			}
			if err != nil || !strings.Contains(string(raw), `"id":"`+tt.wantID+`"`) {
				t.Fatalf("got %s, %v", raw, err)
			}
		})
	}
}

func TestCreateChecksTheAuthenticatorsAnswer(t *testing.T) {
	call, err := newTestClient(t).PrepareCreate([]byte(creationOptions))
	if err != nil {
		t.Fatal(err)
	}
	for name, att := range map[string]*Attestation{
		"another algorithm": {CredentialID: []byte{1}, AuthenticatorData: []byte("a"), AttestationObject: []byte("o"), Algorithm: -8},
		"no credential ID":  {AuthenticatorData: []byte("a"), AttestationObject: []byte("o"), Algorithm: -7},
	} {
		if raw, err := call.Run(t.Context(), &fakeAuthenticator{attest: att}, nil, nil); !errors.Is(err, ErrBadResponse) {
			t.Errorf("%s: got %s, %v; want ErrBadResponse", name, raw, err)
		}
	}
	authErr := errors.New("the key said no")
	if _, err := call.Run(t.Context(), &fakeAuthenticator{err: authErr}, nil, nil); !errors.Is(err, authErr) {
		t.Errorf("the authenticator's error must come back as it is: %v", err)
	}
}

func TestRequirementsAreMappedAsTheSpecSays(t *testing.T) {
	tests := []struct {
		name      string
		selection string
		rk, uv    Requirement
	}{
		{"no selection: discouraged, preferred", ``, Discouraged, Preferred},
		{"requireResidentKey true means required", `,"authenticatorSelection":{"requireResidentKey":true}`, Required, Preferred},
		{"residentKey wins over requireResidentKey", `,"authenticatorSelection":{"requireResidentKey":true,"residentKey":"discouraged"}`, Discouraged, Preferred},
		{"unknown values are ignored", `,"authenticatorSelection":{"residentKey":"sometimes","userVerification":"always"}`, Discouraged, Preferred},
		{"our RP's selection", `,"authenticatorSelection":{"residentKey":"preferred","userVerification":"required"}`, Preferred, Required},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			options := `{"rp":{"name":"RP"},"user":{"id":"AQ","name":"n","displayName":"d"},"challenge":"AQIDBA"` + tt.selection + `}`
			call, err := newTestClient(t).PrepareCreate([]byte(options))
			if err != nil {
				t.Fatal(err)
			}
			if call.req.ResidentKey != tt.rk || call.req.UserVerification != tt.uv {
				t.Fatalf("residentKey %q userVerification %q, want %q %q", call.req.ResidentKey, call.req.UserVerification, tt.rk, tt.uv)
			}
		})
	}
}

func TestPrepareRefusesOptionsABrowserWouldRefuse(t *testing.T) {
	create := func(edit func(o map[string]any)) string {
		var o map[string]any
		if err := json.Unmarshal([]byte(creationOptions), &o); err != nil {
			t.Fatal(err)
		}
		edit(o)
		b, _ := json.Marshal(o)
		return string(b)
	}
	tests := []struct {
		name    string
		get     bool
		options string
		want    error
	}{
		{"not JSON", false, `{"rp":`, ErrInvalidOptions},
		{"not an object", false, `[]`, ErrInvalidOptions},
		{"no challenge", false, create(func(o map[string]any) { delete(o, "challenge") }), ErrInvalidOptions},
		{"a challenge that is not base64url", false, create(func(o map[string]any) { o["challenge"] = "a+b/" }), ErrInvalidOptions},
		{"no user id", false, create(func(o map[string]any) { o["user"].(map[string]any)["id"] = "" }), ErrInvalidOptions},
		{"a user id over 64 bytes", false, create(func(o map[string]any) {
			o["user"].(map[string]any)["id"] = b64url.EncodeToString(make([]byte, 65))
		}), ErrInvalidOptions},
		{"no rp name", false, create(func(o map[string]any) { delete(o["rp"].(map[string]any), "name") }), ErrInvalidOptions},
		{"an excluded credential without an id", false, create(func(o map[string]any) {
			o["excludeCredentials"] = []any{map[string]any{"type": "public-key", "id": ""}}
		}), ErrInvalidOptions},
		{"an RP ID of another site", false, create(func(o map[string]any) { o["rp"].(map[string]any)["id"] = "example.org" }), ErrSecurity},
		{"no ES256 among the algorithms", false, create(func(o map[string]any) {
			o["pubKeyCredParams"] = []any{map[string]any{"type": "public-key", "alg": -257}}
		}), ErrNotSupported},
		{"ES256 of an unknown credential type", false, create(func(o map[string]any) {
			o["pubKeyCredParams"] = []any{map[string]any{"type": "password", "alg": -7}}
		}), ErrNotSupported},
		{"get: no challenge", true, `{"rpId":"localhost"}`, ErrInvalidOptions},
		{"get: an RP ID of another site", true, `{"challenge":"AQID","rpId":"nhs.uk"}`, ErrSecurity},
		{"get: a bad credential id", true, `{"challenge":"AQID","allowCredentials":[{"type":"public-key","id":"***"}]}`, ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t)
			var err error
			if tt.get {
				_, err = c.PrepareGet([]byte(tt.options))
			} else {
				_, err = c.PrepareCreate([]byte(tt.options))
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}

	// An empty pubKeyCredParams means ES256 and RS256 (§5.1.3 step 10): accepted.
	if _, err := newTestClient(t).PrepareCreate([]byte(create(func(o map[string]any) { o["pubKeyCredParams"] = []any{} }))); err != nil {
		t.Errorf("empty pubKeyCredParams: %v", err)
	}
	// Credentials of unknown types in the lists are skipped.
	call, err := newTestClient(t).PrepareGet([]byte(`{"challenge":"AQID","allowCredentials":[{"type":"other","id":"AQ"}]}`))
	if err != nil || len(call.req.AllowList) != 0 {
		t.Errorf("unknown descriptor type: %v %v", call, err)
	}
}

// webauthn.dll tells which authenticator answered (Windows Hello, a phone); the credential
// says so, as a browser's toJSON() does (WebAuthn L3 §5.1 authenticatorAttachment, §5.2.1
// getTransports()).
func TestTheAuthenticatorsOwnAttachmentAndTransportsAreReported(t *testing.T) {
	client := newTestClient(t)
	create, err := client.PrepareCreate([]byte(creationOptions))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := create.Run(t.Context(), &fakeAuthenticator{attest: &Attestation{
		CredentialID: []byte{1}, AuthenticatorData: []byte("a"), AttestationObject: []byte("o"), Algorithm: -7,
		Attachment: "platform", Transports: []string{"internal", "hybrid"},
	}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var reg struct {
		AuthenticatorAttachment string
		Response                struct{ Transports []string }
	}
	if err := json.Unmarshal(raw, &reg); err != nil {
		t.Fatal(err)
	}
	if reg.AuthenticatorAttachment != "platform" || !slices.Equal(reg.Response.Transports, []string{"internal", "hybrid"}) {
		t.Errorf("registration %s", raw)
	}

	get, err := client.PrepareGet([]byte(requestOptions))
	if err != nil {
		t.Fatal(err)
	}
	raw, err = get.Run(t.Context(), &fakeAuthenticator{assertions: []Assertion{{
		CredentialID: []byte{1, 2, 3}, AuthenticatorData: []byte("a"), Signature: []byte("s"), Attachment: "platform",
	}}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var auth struct{ AuthenticatorAttachment string }
	if err := json.Unmarshal(raw, &auth); err != nil {
		t.Fatal(err)
	}
	if auth.AuthenticatorAttachment != "platform" {
		t.Errorf("assertion %s", raw)
	}
}

// The email typed picks that account's passkey on a key holding several however it was
// written: the relying party takes it with spaces or invisible characters around it, in any
// case, with an accent typed as one character or two (backend/account NormaliseEmail), and
// the passkey's user.name is the account's email as the relying party stored it.
func TestGetPicksTheTypedAccountHoweverTheEmailWasWritten(t *testing.T) {
	for _, tc := range []struct{ stored, typed string }{
		{"jos\u00e9@example.com", "jos\u00e9@example.com"},
		{"jos\u00e9@example.com", "JOSE\u0301@EXAMPLE.COM"},
		{"jos\u00e9@example.com", " \ufeffjose\u0301@example.com\u200b "},
		// The relying party lower-cases "İ" to "i" and a combining dot, which simple case
		// folding does not match with "İ": the one rule (account.NormaliseEmail) on both sides.
		{account.NormaliseEmail("\u0130pek@example.com"), "\u0130pek@example.com"},
	} {
		stored, typed := tc.stored, tc.typed
		t.Run(typed, func(t *testing.T) {
			call, err := newTestClient(t).PrepareGet([]byte(`{"challenge": "Y2hhbGxlbmdlLWNoYWxsZW5nZS01Njc4"}`))
			if err != nil {
				t.Fatal(err)
			}
			call.PreferAccount(typed)
			fake := &fakeAuthenticator{assertions: []Assertion{
				{CredentialID: []byte{1}, AuthenticatorData: []byte("a1"), Signature: []byte("s1"), UserName: "sam@example.com"},
				{CredentialID: []byte{2}, AuthenticatorData: []byte("a2"), Signature: []byte("s2"), UserName: stored},
			}}
			raw, err := call.Run(t.Context(), fake, nil, nil)
			if err != nil {
				t.Fatalf("the typed account's passkey was not found: %v", err)
			}
			if !strings.Contains(string(raw), `"id":"Ag"`) {
				t.Errorf("not the typed account's passkey: %s", raw)
			}
		})
	}
}
