package webauthnclient

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestClientDataJSONIsTheSpecsLimitedSerialisation(t *testing.T) {
	got := clientDataJSON(typeCreate, []byte{0xfb, 0xff, 0x01, 0x02}, "http://localhost:8080")
	// WebAuthn L3 §5.8.1.1: type, challenge (base64url, no padding), origin, crossOrigin.
	want := `{"type":"webauthn.create","challenge":"-_8BAg","origin":"http://localhost:8080","crossOrigin":false}`
	if string(got) != want {
		t.Fatalf("clientDataJSON\n got %s\nwant %s", got, want)
	}

	var parsed map[string]any
	if err := json.Unmarshal(got, &parsed); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(parsed) != 4 || parsed["crossOrigin"] != false || parsed["type"] != "webauthn.create" {
		t.Errorf("members %v", parsed)
	}
	if _, ok := parsed["topOrigin"]; ok {
		t.Error("topOrigin must be absent (not in a cross-origin frame)")
	}

	get := clientDataJSON(typeGet, []byte("0123456789abcdef"), "https://nhs.test")
	if !bytes.HasPrefix(get, []byte(`{"type":"webauthn.get","challenge":"MDEyMzQ1Njc4OWFiY2RlZg","origin":"https://nhs.test",`)) {
		t.Errorf("get clientDataJSON %s", get)
	}
}

func TestCCDToStringEscapesOnlyWhatTheSpecSays(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text is copied", "http://localhost:8080", `"http://localhost:8080"`},
		{"quote and backslash get a backslash", `a"b\c`, `"a\"b\\c"`},
		{"control characters are \\u00xx in lower case", "a\x00\x1f\nb", `"a\u0000\u001f\u000ab"`},
		{"HTML characters are not escaped (unlike encoding/json)", "<&>", `"<&>"`},
		{"non-ASCII is UTF-8 (U+2028 too)", "é\u2028", "\"é\u2028\""},
		{"invalid UTF-8 becomes U+FFFD", "a\xffb", "\"a\uFFFDb\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(appendCCDString(nil, tt.in))
			if got != tt.want {
				t.Fatalf("CCDToString(%q) = %s, want %s", tt.in, got, tt.want)
			}
			var back string
			if err := json.Unmarshal([]byte(got), &back); err != nil {
				t.Fatalf("%s is not a JSON string: %v", got, err)
			}
		})
	}
}
