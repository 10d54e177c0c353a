package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/nhs-passkeys/companion/backend/store"
)

// withFrontend gives run a built frontend where frontend/dist has not been built, so that
// run gets as far as the data folder.
func withFrontend(t *testing.T) {
	t.Helper()
	was := builtFrontend
	builtFrontend = func() (fs.FS, error) {
		return fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>NHS passkeys</title>")}}, nil
	}
	t.Cleanup(func() { builtFrontend = was })
}

// badDataFolders are data folders serve must refuse, each with the file its message names.
func badDataFolders(t *testing.T) map[string]struct{ dir, named, code string } {
	t.Helper()
	folders := map[string]struct{ dir, named, code string }{}
	add := func(name, code string, fill func(db string)) {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(dir, store.FileName)
		fill(db)
		folders[name] = struct{ dir, named, code string }{dir, db, code}
	}
	add("a file that is not a database", store.DataNotADatabase, func(db string) {
		if err := os.WriteFile(db, []byte("not a database"), 0o600); err != nil {
			t.Fatal(err)
		}
	})
	add("a database from a newer version", store.DataNewerVersion, func(db string) {
		store.PrepareForTest(t, filepath.Dir(db))
		newer, err := sql.Open("sqlite", db)
		if err != nil {
			t.Fatal(err)
		}
		defer newer.Close()
		if _, err := newer.Exec(`INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_from_the_future')`); err != nil {
			t.Fatal(err)
		}
	})
	add("a read-only database", store.DataReadOnly, func(db string) {
		store.PrepareForTest(t, filepath.Dir(db))
		if err := os.Chmod(db, 0o400); err != nil {
			t.Fatal(err)
		}
	})
	return folders
}

// A bad data folder stops `nhs-passkeys serve` with a message that names the file and says
// what to do, and the folder is left exactly as it was (issue 14, rule 6).
func TestABadDataFolderStopsServeWithAClearMessage(t *testing.T) {
	withFrontend(t)
	for name, bad := range badDataFolders(t) {
		t.Run(name, func(t *testing.T) {
			before := store.DescribeForTest(t, bad.dir)
			// Should the folder wrongly be accepted, serve stops when this ends.
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			var out bytes.Buffer
			err := run(ctx, []string{"nhs-passkeys", "serve", "--data-dir", bad.dir, "--addr", "127.0.0.1:0"}, noEnv, strings.NewReader(""), &out, &out)
			var dataErr *store.DataError
			if !errors.As(err, &dataErr) || dataErr.Code != bad.code || !strings.Contains(err.Error(), bad.named) {
				t.Fatalf("serve on %s: %v (output %q), want a refusal %s naming %s", name, err, out.String(), bad.code, bad.named)
			}
			if strings.Contains(out.String(), "is running") {
				t.Errorf("serve said it was running: %q", out.String())
			}
			if after := store.DescribeForTest(t, bad.dir); after != before {
				t.Errorf("the folder was changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

const childDataDirEnv = "NHS_PASSKEYS_TEST_MAIN_DATA_DIR"

// TestMainChild is not a test: it is the program, run in a child process by the test below
// (it returns at once otherwise), so that the exit status is main's own.
func TestMainChild(t *testing.T) {
	dir := os.Getenv(childDataDirEnv)
	if dir == "" {
		return
	}
	withFrontend(t)
	os.Args = []string{"nhs-passkeys", "serve", "--data-dir", dir, "--addr", "127.0.0.1:0"}
	main()
	os.Exit(0) // main returned: it served and was stopped, which the test counts as a failure
}

func TestABadDataFolderMakesTheProgramExitWithItsMessageAndCode(t *testing.T) {
	for name, bad := range badDataFolders(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestMainChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), childDataDirEnv+"="+bad.dir)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("the program ended with %v, want exit status 1\n%s", err, stderr.String())
			}
			for _, want := range []string{"nhs-passkeys: The file " + bad.named, "nhs-passkeys: error code: " + bad.code + "\n"} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("standard error lacks %q:\n%s", want, stderr.String())
				}
			}
		})
	}
}
