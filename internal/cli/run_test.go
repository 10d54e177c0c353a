package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nhs-passkeys/companion/app/kiosk"
)

func noEnv(string) string { return "" }

// onThisSystem is the error run gives once kiosk mode is on: on a system without kiosk mode
// (kioskRefusal), that refusal comes first, whatever else is missing.
func onThisSystem(t *testing.T, want string) string {
	t.Helper()
	if err := kioskRefusal(runtime.GOOS); err != nil {
		return err.Error()
	}
	return want
}

// Kiosk mode runs on Linux and Windows; elsewhere it is refused with the reason, for every
// system. (Windows still refuses a WebView2 too old to turn autofill off: app/kiosk's
// CheckWebView2.)
func TestKioskModeRunsOnLinuxAndWindowsAndElsewhereSaysWhy(t *testing.T) {
	tests := []struct {
		name, goos string
		says       []string // nothing: allowed
	}{
		{"Linux runs it", "linux", nil},
		{"Windows runs it", "windows", nil},
		{"macOS refuses it and says a patient could leave or quit the app", "darwin", []string{"not available on macOS", "Command-Tab", "Force Quit", "use a Linux computer"}},
		{"another system refuses it and says where it runs", "freebsd", []string{"not available on freebsd", "Linux and Windows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := kioskRefusal(tt.goos)
			if tt.says == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("kiosk mode is allowed")
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("%q does not say %q", err, s)
				}
			}
		})
	}
}

func TestHelpExplainsEveryFlagAndChangesNothing(t *testing.T) {
	for _, args := range [][]string{{"nhs-passkeys", "--help"}, {"nhs-passkeys", "serve", "-h"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			dir := t.TempDir()
			if err := (Program{}).Run(t.Context(), append(args, "--data-dir", dir), noEnv, strings.NewReader(""), &stdout, &stderr); err != nil {
				t.Fatalf("--help should not fail: %v", err)
			}
			help := stderr.String()
			for _, want := range []string{"serve", "-data-dir", "-origin", "-addr", "-virtual-key", "-database", "NHS_PASSKEYS_DATABASE_URL", "-trusted-proxy", "-idle-timeout", "-kiosk", "-settings", "-relying-party", "-relying-party-ca", "kiosk-secret"} {
				if !strings.Contains(help, want) {
					t.Errorf("--help does not explain %q:\n%s", want, help)
				}
			}
		})
	}
}

func TestBadArgumentsAreRefusedWithAMessage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"an unknown flag is refused", []string{"serve", "--colour", "blue"}, "flag provided but not defined"},
		{"a stray argument is refused", []string{"serve", "now"}, `unknown argument "now"`},
		{"an address without a port is refused", []string{"serve", "--addr", "localhost"}, "--addr"},
		{"the virtual key is refused in serve mode", []string{"serve", "--virtual-key", "key.json"}, "--virtual-key works only in the desktop app"},
		{"an idle timeout too short to warn about is refused", []string{"serve", "--idle-timeout", "5s"}, "--idle-timeout 5s is too short: give at least 40s"},
		{"an idle timeout without a unit is refused", []string{"serve", "--idle-timeout", "30"}, "invalid value"},
		{"a password in --database is refused, since ps shows it", []string{"serve", "--database", "postgres://app:hunter2@db.example/passkeys"},
			"--database must not hold a password"},
		{"a password as a parameter of --database is refused too", []string{"serve", "--database", "postgres://app@db.example/passkeys?password=hunter2"},
			"--database must not hold a password"},
		{"the passphrase of the client's TLS key in --database is refused too", []string{"serve", "--database", "postgres://app@db.example/passkeys?sslkey=/k.pem&sslpassword=hunter2"},
			"--database must not hold a password"},
		{"a trusted proxy written with host bits under its mask is refused with what to write", []string{"serve", "--trusted-proxy", "10.0.0.5/8"},
			"write the proxy's own address (10.0.0.5) or the network (10.0.0.0/8)"},
		{"a --database that is not PostgreSQL is refused", []string{"serve", "--database", "mysql://db.example/passkeys"},
			"--database must be a PostgreSQL address"},
		{"a --trusted-proxy that is not an address or a network is refused", []string{"serve", "--trusted-proxy", "proxy.example"},
			"is not an address or a network"},
		{"--database is refused in the desktop app", []string{"--database", "postgres://db.example/passkeys"}, "--database works only with `serve`"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel() // if the arguments were wrongly accepted, serve stops at once
			var out bytes.Buffer
			args := append([]string{"nhs-passkeys"}, tt.args...)
			err := (Program{}).Run(ctx, append(args, "--data-dir", t.TempDir()), noEnv, strings.NewReader(""), &out, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error()+out.String(), "hunter2") {
				t.Errorf("the refusal repeats the password: %v %s", err, out.String())
			}
		})
	}
}

func TestKioskSecretPrintsTheSettingsLineAndNeverTheSecret(t *testing.T) {
	var out, msg bytes.Buffer
	if err := (Program{}).Run(t.Context(), []string{"nhs-passkeys", "kiosk-secret"}, noEnv, strings.NewReader("the surgery's secret\n"), &out, &msg); err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(out.String())
	if !strings.HasPrefix(line, `"adminSecret": "$argon2id$`) || strings.Contains(out.String()+msg.String(), "surgery") {
		t.Fatalf("printed %q (and %q)", out.String(), msg.String())
	}
	hash := strings.TrimSuffix(strings.TrimPrefix(line, `"adminSecret": "`), `"`)
	if err := kiosk.NewAdmin(hash, kiosk.AdminOptions{}).Check("the surgery's secret"); err != nil {
		t.Fatalf("the printed hash does not match the secret: %v", err)
	}
	if err := (Program{}).Run(t.Context(), []string{"nhs-passkeys", "kiosk-secret"}, noEnv, strings.NewReader("short\n"), &out, &msg); err == nil ||
		!strings.Contains(err.Error(), "at least 12 characters") {
		t.Fatalf("a short secret: %v", err)
	}
}

func TestKioskModeIsRefusedWithoutWhatItNeeds(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	noSecret := write("no-secret.json", `{"kiosk": true}`)
	hash, err := kiosk.HashSecret("the surgery's secret")
	if err != nil {
		t.Fatal(err)
	}
	withSecret := write("kiosk.json", `{"kiosk": true, "adminSecret": "`+hash+`"}`)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"--kiosk without an administrator secret", []string{"--kiosk", "--settings", write("empty.json", `{}`)}, onThisSystem(t, "kiosk mode needs an administrator secret")},
		{"a settings file that turns kiosk mode on without a secret", []string{"--settings", noSecret}, onThisSystem(t, "kiosk mode needs an administrator secret")},
		{"kiosk mode in serve", []string{"serve", "--settings", withSecret}, "kiosk mode works only in the desktop app"},
		{"a settings file that is not there", []string{"--settings", filepath.Join(dir, "missing.json")}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			var out bytes.Buffer
			err := (Program{}).Run(ctx, append([]string{"nhs-passkeys"}, append(tt.args, "--data-dir", t.TempDir())...), noEnv, strings.NewReader(""), &out, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error()+out.String(), "hunter2") {
				t.Errorf("the refusal repeats the password: %v %s", err, out.String())
			}
		})
	}
}

// When the administrator's own file makes the computer a kiosk, the command line cannot
// undo it: no other settings file, no longer idle timeout, no virtual key.
func TestTheAdministratorsKioskSettingsWin(t *testing.T) {
	dir := t.TempDir()
	hash, err := kiosk.HashSecret("the surgery's secret")
	if err != nil {
		t.Fatal(err)
	}
	admin := filepath.Join(dir, "settings.json")
	if err := os.WriteFile(admin, []byte(`{"kiosk": true, "adminSecret": "`+hash+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.json")
	if err := os.WriteFile(other, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	program := Program{AdminSettingsPath: func(func(string) string) string { return admin }}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"another settings file", []string{"--settings", other}, "this computer is set up as a kiosk in " + admin + ", so --settings cannot be used"},
		{"a longer idle timeout", []string{"--idle-timeout", "8h"}, onThisSystem(t, "so its idle timeout is set there, not with --idle-timeout")},
		// A virtual key's passkeys live in a file on the shared computer: "this device".
		{"the virtual security key", []string{"--virtual-key", filepath.Join(dir, "virtual-key.json")}, "this computer is set up as a kiosk in " + admin + ", so --virtual-key cannot be used"},
		{"the virtual security key with --kiosk as well", []string{"--kiosk", "--virtual-key", filepath.Join(dir, "virtual-key.json")}, "so --virtual-key cannot be used"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			var out bytes.Buffer
			err := program.Run(ctx, append([]string{"nhs-passkeys"}, append(tt.args, "--data-dir", t.TempDir())...), noEnv, strings.NewReader(""), &out, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error()+out.String(), "hunter2") {
				t.Errorf("the refusal repeats the password: %v %s", err, out.String())
			}
		})
	}
}

// The database address may come from NHS_PASSKEYS_DATABASE_URL (password and all, since the
// environment is not shown by ps); what is wrong with it is said without repeating it.
func TestTheDatabaseAddressFromTheEnvironmentIsCheckedAndNeverRepeated(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		value string
		want  string
	}{
		{"an address that is not PostgreSQL is refused", []string{"serve"}, "mysql://app:hunter2@db.example/passkeys",
			"NHS_PASSKEYS_DATABASE_URL must be a PostgreSQL address"},
		{"the desktop app refuses it", nil, "postgres://app:hunter2@db.example/passkeys",
			"NHS_PASSKEYS_DATABASE_URL works only with `serve`"},
		{"a database that cannot be reached stops serve with the reason", []string{"serve"},
			"postgres://app:hunter2@127.0.0.1:1/passkeys?connect_timeout=2", "connect to PostgreSQL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "NHS_PASSKEYS_DATABASE_URL" {
					return tt.value
				}
				return ""
			}
			var out bytes.Buffer
			args := append(append([]string{"nhs-passkeys"}, tt.args...), "--data-dir", t.TempDir(), "--addr", "127.0.0.1:0")
			err := withFrontend.Run(t.Context(), args, getenv, strings.NewReader(""), &out, &out)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error()+out.String(), "hunter2") {
				t.Errorf("the refusal repeats the password: %v %s", err, out.String())
			}
		})
	}
}
