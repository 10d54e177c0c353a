package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/app/desktop"
	"github.com/nhs-passkeys/companion/app/kiosk"
	"github.com/nhs-passkeys/companion/app/remoterp"
)

// A relying party that cannot be used stops the app before anything starts, with what to
// write instead and, for an address or CA file, the stable code after the message.
func TestARelyingPartyThatCannotBeUsedIsRefusedWithAMessage(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	notPEM := write("not.pem", "not a certificate")
	tests := []struct {
		name string
		args []string
		want string
		code string // "" for a refusal without one
	}{
		{"serve refuses it: it is the relying party", []string{"serve", "--relying-party", "https://passkeys.example.org"}, "--relying-party works only in the desktop app", ""},
		{"serve refuses a CA file for it too", []string{"serve", "--relying-party-ca", notPEM}, "--relying-party works only in the desktop app", ""},
		{"--origin beside it is refused", []string{"--relying-party", "https://passkeys.example.org", "--origin", "https://other.example.org"}, "--origin cannot be used with --relying-party", ""},
		{"a CA file without a relying party is refused", []string{"--relying-party-ca", notPEM}, "--relying-party-ca needs --relying-party", ""},
		{"http to another computer is refused", []string{"--relying-party", "http://passkeys.example.org"}, "--relying-party: the relying party's address must begin https://", remoterp.AddressInvalid},
		{"a path is refused", []string{"--relying-party", "https://passkeys.example.org/nhs"}, "with no path such as /nhs", remoterp.AddressInvalid},
		{"a password is refused and not repeated", []string{"--relying-party", "https://admin:hunter2@passkeys.example.org"}, "must not hold a user name or password", remoterp.AddressInvalid},
		{"a settings file's bad address names the file", []string{"--settings", write("fleet.json", `{"relyingParty": "passkeys.example.org"}`)},
			"relyingParty in " + filepath.Join(dir, "fleet.json") + ": the relying party's address must begin https://", remoterp.AddressInvalid},
		{"a settings file's CA file without a relying party is refused", []string{"--settings", write("ca-only.json", `{"relyingPartyCA": "ca.pem"}`)},
			"relyingPartyCA in " + filepath.Join(dir, "ca-only.json") + " needs relyingParty", ""},
		{"a CA file that is not there is refused", []string{"--relying-party", "https://passkeys.example.org", "--relying-party-ca", filepath.Join(dir, "missing.pem")},
			"cannot be read", remoterp.CAInvalid},
		{"a CA file with no certificate is refused", []string{"--relying-party", "https://passkeys.example.org", "--relying-party-ca", notPEM},
			"holds no certificate", remoterp.CAInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel() // if the arguments were wrongly accepted, the app stops at once
			var out, status bytes.Buffer
			data := filepath.Join(t.TempDir(), "data")
			err := withFrontend.Run(ctx, append(append([]string{"nhs-passkeys"}, tt.args...), "--data-dir", data), noEnv, strings.NewReader(""), &out, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			ExitStatus(&status, err)
			if tt.code != "" && !strings.Contains(status.String(), "nhs-passkeys: error code: "+tt.code+"\n") {
				t.Errorf("the refusal should end with the code %s:\n%s", tt.code, status.String())
			}
			if strings.Contains(err.Error()+out.String(), "hunter2") {
				t.Errorf("the refusal repeats the password: %v %s", err, out.String())
			}
			if _, err := os.Stat(data); !os.IsNotExist(err) {
				t.Errorf("a refused start made the data folder: %v", err)
			}
		})
	}
}

// When the administrator's own file makes this computer a kiosk, it alone says which relying
// party the kiosk uses: the command line can neither point it elsewhere nor add one.
func TestTheAdministratorsKioskSettingsChooseTheRelyingParty(t *testing.T) {
	dir := t.TempDir()
	hash, err := kiosk.HashSecret("the surgery's secret")
	if err != nil {
		t.Fatal(err)
	}
	for name, file := range map[string]string{
		"a kiosk of a fleet": `{"kiosk": true, "adminSecret": "` + hash + `", "relyingParty": "https://passkeys.example.org"}`,
		"a kiosk on its own": `{"kiosk": true, "adminSecret": "` + hash + `"}`,
	} {
		admin := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		if err := os.WriteFile(admin, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		program := Program{AdminSettingsPath: func(func(string) string) string { return admin }, Frontend: withFrontend.Frontend}
		for _, args := range [][]string{{"--relying-party", "https://elsewhere.example.org"}, {"--relying-party-ca", "/tmp/ca.pem"}} {
			t.Run(name+": "+args[0], func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				var out bytes.Buffer
				err := program.Run(ctx, append(append([]string{"nhs-passkeys"}, args...), "--data-dir", t.TempDir()), noEnv, strings.NewReader(""), &out, &out)
				want := "this computer is set up as a kiosk in " + admin + ", so its relying party is set there"
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("got %v, want an error containing %q", err, want)
				}
			})
		}
	}
}

// With a remote relying party the app keeps no database: nothing is written in its data
// folder, which is not even made.
func TestTheDesktopAppWithARemoteRelyingPartyStoresNothing(t *testing.T) {
	for _, from := range []string{"--relying-party", "the settings file"} {
		t.Run(from, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			args := []string{"nhs-passkeys", "--data-dir", data}
			if from == "--relying-party" {
				args = append(args, "--relying-party", "https://passkeys.example.org")
			} else {
				settings := filepath.Join(t.TempDir(), "settings.json")
				if err := os.WriteFile(settings, []byte(`{"relyingParty": "https://passkeys.example.org"}`), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--settings", settings)
			}
			ctx, cancel := context.WithCancel(t.Context())
			cancel() // the window does not open; everything before it has happened
			var out bytes.Buffer
			if err := withFrontend.Run(ctx, args, noEnv, strings.NewReader(""), &out, &out); err != nil {
				t.Fatalf("the app did not start: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "relyingParty=https://passkeys.example.org") {
				t.Errorf("the log should say which relying party the app uses:\n%s", out.String())
			}
			if _, err := os.Stat(data); !os.IsNotExist(err) {
				entries, _ := os.ReadDir(data)
				t.Errorf("the data folder was made (%v): %v", err, entries)
			}
		})
	}
}

// A second copy of a fleet's app that found the window already open ends as the app with its
// own relying party does: the sentence, and status 0 (no error); any other end is kept.
func TestASecondCopyOfAFleetsAppEndsWithTheSentenceAndNoError(t *testing.T) {
	var stderr bytes.Buffer
	if err := alreadyOpen(desktop.ErrAlreadyOpen, &stderr); err != nil {
		t.Fatalf("alreadyOpen = %v, want nil", err)
	}
	if got := stderr.String(); got != "NHS login passkeys is already open, so its window has been brought to the front.\n" {
		t.Errorf("the program said %q", got)
	}
	other := errors.New("desktop: there is no display")
	if err := alreadyOpen(other, &stderr); !errors.Is(err, other) {
		t.Errorf("alreadyOpen changed another error into %v", err)
	}
}
