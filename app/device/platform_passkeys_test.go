package device

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/app/device/account"
	"github.com/nhs-passkeys/companion/app/device/winhello"
	"github.com/nhs-passkeys/companion/app/webauthndll"
)

// The Windows Hello passkey endpoints' logic, on any system: webauthn.dll's store is a fake
// (the real calls, app/webauthndll/dll_windows.go, run only on Windows: README's checklist).

const (
	helloOrigin  = "wails://wails"
	helloRP      = "http://localhost:8080"
	helloEmail   = "pat@example.com"
	helloSession = "nhsp_session=signed-in"
)

// fakePlatformCredentials stands in for Windows Hello's passkeys as webauthn.dll lists them.
type fakePlatformCredentials struct {
	apiVersion4 bool // webauthn.h v4: list and delete exist
	creds       []webauthndll.PlatformCredential
	listErr     error
	deleteErr   error
	lists       int
	deleted     [][]byte
}

func (f *fakePlatformCredentials) ManagesPlatformCredentials() bool { return f.apiVersion4 }

func (f *fakePlatformCredentials) PlatformCredentials(rpID string) ([]webauthndll.PlatformCredential, error) {
	f.lists++
	if !f.apiVersion4 {
		return nil, webauthndll.ErrNotSupported
	}
	if f.listErr != nil {
		return nil, f.listErr
	}
	var out []webauthndll.PlatformCredential
	for _, c := range f.creds {
		if rpID == "" || c.RPID == rpID {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakePlatformCredentials) DeletePlatformCredential(id []byte) error {
	if !f.apiVersion4 {
		return webauthndll.ErrNotSupported
	}
	if f.deleteErr != nil {
		return f.deleteErr
	}
	f.deleted = append(f.deleted, id)
	f.creds = slices.DeleteFunc(f.creds, func(c webauthndll.PlatformCredential) bool { return string(c.ID) == string(id) })
	return nil
}

func (f *fakePlatformCredentials) holds(id []byte) bool {
	return slices.ContainsFunc(f.creds, func(c webauthndll.PlatformCredential) bool { return string(c.ID) == string(id) })
}

// accountBackend answers GET /api/session and GET /api/passkeys as the backend does, for the
// session cookie helloSession only.
func accountBackend(passkeys ...account.Passkey) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		signedIn := r.Header.Get("Cookie") == helloSession
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/api/session" && !signedIn:
			_, _ = w.Write([]byte(`{"signedIn": false}`))
		case r.URL.Path == "/api/session":
			_, _ = w.Write([]byte(`{"signedIn": true, "account": {"email": "` + helloEmail + `", "hasPassword": true}}`))
		case r.URL.Path == "/api/passkeys" && signedIn:
			_ = json.NewEncoder(w).Encode(map[string]any{"passkeys": append([]account.Passkey{}, passkeys...)})
		default:
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error": {"code": "not_signed_in", "message": "..."}}`))
		}
	})
}

func helloHandler(t *testing.T, hello winhello.Store, backend http.Handler) http.Handler {
	t.Helper()
	s, err := New(Config{Origins: []string{helloOrigin}, RPOrigin: helloRP})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if hello != nil {
		s.hello = winhello.New(hello, "localhost", slog.New(slog.DiscardHandler))
	}
	return s.Wrap(backend)
}

// platformPasskeyJSON is PlatformPasskey (docs/api.md).
type platformPasskeyJSON struct {
	CredentialID      string `json:"credentialId"`
	UserName          string `json:"userName"`
	AuthenticatorName string `json:"authenticatorName"`
	Removable         bool   `json:"removable"`
	BackedUp          bool   `json:"backedUp"`
	NHSLogin          string `json:"nhsLogin"`
}

type helloAnswer struct {
	Manageable bool                  `json:"manageable"`
	Passkeys   []platformPasskeyJSON `json:"passkeys"`
	Error      struct {
		Code, Message string
	} `json:"error"`
}

func helloRequest(t *testing.T, h http.Handler, method, target, origin, cookie string) (int, helloAnswer) {
	t.Helper()
	var body *strings.Reader
	if method == http.MethodDelete {
		body = strings.NewReader(`{}`)
	} else {
		body = strings.NewReader("")
	}
	r := httptest.NewRequestWithContext(t.Context(), method, helloOrigin+target, body)
	r.Header.Set("Origin", origin)
	r.Header.Set("Content-Type", "application/json")
	if cookie != "" {
		r.Header.Set("Cookie", cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var a helloAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("%s %s: %v in %s", method, target, err, w.Body)
	}
	return w.Code, a
}

func credID(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

var (
	removedID  = []byte("removed-passkey-credential-id-01")
	inUseID    = []byte("in-use-passkey-credential-id-002")
	otherID    = []byte("other-account-credential-id-0003")
	fixedID    = []byte("not-removable-credential-id-0004")
	elsewhere  = []byte("another-site-credential-id-00005")
	helloCreds = []webauthndll.PlatformCredential{
		{ID: removedID, RPID: "localhost", UserName: helloEmail, Removable: true, AuthenticatorName: "Windows Hello"},
		{ID: inUseID, RPID: "localhost", UserName: helloEmail, Removable: true},
		{ID: otherID, RPID: "localhost", UserName: "someone.else@example.com", Removable: true},
		{ID: fixedID, RPID: "localhost", UserName: helloEmail, Removable: false},
		{ID: elsewhere, RPID: "example.org", UserName: helloEmail, Removable: true},
	}
)

func newFakeHello() *fakePlatformCredentials {
	return &fakePlatformCredentials{apiVersion4: true, creds: slices.Clone(helloCreds)}
}

func TestWindowsHelloPasskeysCanBeFoundAndDeletedAfterRemoval(t *testing.T) {
	hello := newFakeHello()
	h := helloHandler(t, hello, accountBackend(account.Passkey{ID: credID(inUseID), Name: "Windows Hello"}))

	status, got := helloRequest(t, h, http.MethodGet, Prefix+"/platform-passkeys?credentialId="+credID(removedID), helloOrigin, helloSession)
	want := []platformPasskeyJSON{{CredentialID: credID(removedID), UserName: helloEmail,
		AuthenticatorName: "Windows Hello", Removable: true, NHSLogin: account.Leftover}}
	if status != http.StatusOK || !got.Manageable || !reflect.DeepEqual(got.Passkeys, want) {
		t.Fatalf("look: %d %+v, want 200 manageable %+v", status, got, want)
	}

	status, got = helloRequest(t, h, http.MethodDelete, Prefix+"/platform-passkeys/"+credID(removedID), helloOrigin, helloSession)
	if status != http.StatusOK || len(got.Passkeys) != 0 {
		t.Fatalf("delete: %d %+v, want 200 with nothing left under that ID", status, got)
	}
	if !reflect.DeepEqual(hello.deleted, [][]byte{removedID}) || hello.holds(removedID) {
		t.Fatalf("Windows Hello deleted %q and still holds it: %v", hello.deleted, hello.holds(removedID))
	}

	status, got = helloRequest(t, h, http.MethodGet, Prefix+"/platform-passkeys?credentialId="+credID(removedID), helloOrigin, helloSession)
	if status != http.StatusOK || len(got.Passkeys) != 0 {
		t.Fatalf("look again: %d %+v, want it gone from Windows Hello", status, got)
	}
}

func TestWindowsHelloPasskeyRequestsThatChangeNothing(t *testing.T) {
	tests := []struct {
		name       string
		hello      func() *fakePlatformCredentials
		method     string
		target     string
		origin     string
		cookie     string
		wantStatus int
		wantCode   string
	}{
		{"a passkey the account still accepts is not deleted", newFakeHello, http.MethodDelete,
			"/platform-passkeys/" + credID(inUseID), helloOrigin, helloSession, http.StatusConflict, "passkey_in_use"},
		{"another account's passkey is not deleted", newFakeHello, http.MethodDelete,
			"/platform-passkeys/" + credID(otherID), helloOrigin, helloSession, http.StatusForbidden, "not_your_passkey"},
		{"a passkey Windows says cannot be removed is not deleted", newFakeHello, http.MethodDelete,
			"/platform-passkeys/" + credID(fixedID), helloOrigin, helloSession, http.StatusConflict, "not_removable"},
		{"another site's passkey is not found, even by its ID", newFakeHello, http.MethodDelete,
			"/platform-passkeys/" + credID(elsewhere), helloOrigin, helloSession, http.StatusNotFound, "passkey_not_on_device"},
		{"a passkey Windows Hello does not hold is not found", newFakeHello, http.MethodDelete,
			"/platform-passkeys/" + credID([]byte("never-saved-here")), helloOrigin, helloSession, http.StatusNotFound, "passkey_not_on_device"},
		{"nobody signed in cannot delete", newFakeHello, http.MethodDelete,
			"/platform-passkeys/" + credID(removedID), helloOrigin, "", http.StatusUnauthorized, "not_signed_in"},
		{"nobody signed in cannot look", newFakeHello, http.MethodGet,
			"/platform-passkeys?credentialId=" + credID(removedID), helloOrigin, "", http.StatusUnauthorized, "not_signed_in"},
		{"a delete from another origin is refused", newFakeHello, http.MethodDelete,
			"/platform-passkeys/" + credID(removedID), "https://evil.example", helloSession, http.StatusForbidden, "origin_not_allowed"},
		{"a look from another origin is refused", newFakeHello, http.MethodGet,
			"/platform-passkeys?credentialId=" + credID(removedID), "https://evil.example", helloSession, http.StatusForbidden, "origin_not_allowed"},
		{"a look without a credential ID is a bad request", newFakeHello, http.MethodGet,
			"/platform-passkeys", helloOrigin, helloSession, http.StatusBadRequest, "invalid_request"},
		{"a credential ID that is not base64url is a bad request", newFakeHello, http.MethodDelete,
			"/platform-passkeys/not*base64", helloOrigin, helloSession, http.StatusBadRequest, "invalid_request"},
		{"a padded credential ID is a bad request", newFakeHello, http.MethodGet,
			"/platform-passkeys?credentialId=" + base64.URLEncoding.EncodeToString([]byte("ab")), helloOrigin, helloSession, http.StatusBadRequest, "invalid_request"},
		{"Windows before API version 4 cannot delete, and says where to do it", func() *fakePlatformCredentials {
			f := newFakeHello()
			f.apiVersion4 = false
			return f
		}, http.MethodDelete, "/platform-passkeys/" + credID(removedID), helloOrigin, helloSession, http.StatusConflict, "not_supported"},
		{"Windows failing to list is a device error", func() *fakePlatformCredentials {
			f := newFakeHello()
			f.listErr = &webauthndll.Error{Op: "WebAuthNGetPlatformCredentialList", HRESULT: 0x80004005, Name: "UnknownError"}
			return f
		}, http.MethodDelete, "/platform-passkeys/" + credID(removedID), helloOrigin, helloSession, http.StatusBadGateway, "device_error"},
		{"Windows failing to delete is a device error", func() *fakePlatformCredentials {
			f := newFakeHello()
			f.deleteErr = errors.New("webauthndll: E_FAIL")
			return f
		}, http.MethodDelete, "/platform-passkeys/" + credID(removedID), helloOrigin, helloSession, http.StatusBadGateway, "device_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hello := tt.hello()
			before := slices.Clone(hello.creds)
			h := helloHandler(t, hello, accountBackend(account.Passkey{ID: credID(inUseID), Name: "Windows Hello"}))
			status, got := helloRequest(t, h, tt.method, Prefix+tt.target, tt.origin, tt.cookie)
			if status != tt.wantStatus || got.Error.Code != tt.wantCode {
				t.Fatalf("answered %d %q, want %d %q", status, got.Error.Code, tt.wantStatus, tt.wantCode)
			}
			if got.Error.Message == "" || strings.Contains(got.Error.Message, "webauthndll") || strings.Contains(got.Error.Message, "E_FAIL") {
				t.Errorf("message %q: want plain English and no internal error", got.Error.Message)
			}
			if len(hello.deleted) != 0 || !reflect.DeepEqual(before, hello.creds) {
				t.Errorf("Windows Hello changed: deleted %q", hello.deleted)
			}
		})
	}
}

func TestWindowsBeforeAPIVersion4SaysItCannotListAndAsksNothingOfTheDLL(t *testing.T) {
	hello := newFakeHello()
	hello.apiVersion4 = false
	h := helloHandler(t, hello, accountBackend())
	status, got := helloRequest(t, h, http.MethodGet, Prefix+"/platform-passkeys?credentialId="+credID(removedID), helloOrigin, helloSession)
	if status != http.StatusOK || got.Manageable || got.Passkeys == nil || len(got.Passkeys) != 0 {
		t.Fatalf("answered %d %+v, want 200, not manageable, passkeys []", status, got)
	}
	if hello.lists != 0 {
		t.Errorf("listed %d times: WebAuthNGetPlatformCredentialList does not exist before API version 4", hello.lists)
	}
}

func TestWindowsHelloPasskeyAnswersTheNamedPasskeyOnly(t *testing.T) {
	hello := newFakeHello()
	h := helloHandler(t, hello, accountBackend(account.Passkey{ID: credID(inUseID)}))
	for id, want := range map[string]string{credID(inUseID): account.InUse, credID(otherID): account.OtherAccount, credID(fixedID): account.Leftover} {
		status, got := helloRequest(t, h, http.MethodGet, Prefix+"/platform-passkeys?credentialId="+id, helloOrigin, helloSession)
		if status != http.StatusOK || len(got.Passkeys) != 1 || got.Passkeys[0].CredentialID != id || got.Passkeys[0].NHSLogin != want {
			t.Errorf("look for %s: %d %+v, want it alone, %s", id, status, got, want)
		}
	}
	status, got := helloRequest(t, h, http.MethodGet, Prefix+"/platform-passkeys?credentialId="+credID(elsewhere), helloOrigin, helloSession)
	if status != http.StatusOK || len(got.Passkeys) != 0 {
		t.Errorf("look for another site's passkey: %d %+v, want none", status, got)
	}
}

func TestWithoutWindowsHelloThePlatformPasskeyEndpointsAreNotThere(t *testing.T) {
	h := helloHandler(t, nil, accountBackend())
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		target := Prefix + "/platform-passkeys?credentialId=" + credID(removedID)
		if method == http.MethodDelete {
			target = Prefix + "/platform-passkeys/" + credID(removedID)
		}
		status, got := helloRequest(t, h, method, target, helloOrigin, helloSession)
		if status != http.StatusNotFound || got.Error.Code != "not_found" {
			t.Errorf("%s: %d %q, want 404 not_found", method, status, got.Error.Code)
		}
	}
}
