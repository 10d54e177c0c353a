package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/nhs-passkeys/companion/backend/store"
)

// withFrontend is the program with a built frontend of its own, so that it gets as far as
// the data folder whether or not frontend/dist has been built.
var withFrontend = Program{Frontend: fstest.MapFS{"index.html": {Data: []byte("<!doctype html><title>NHS passkeys</title>")}}}

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
		store.MarkNewerVersionForTest(t, db)
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
	for name, bad := range badDataFolders(t) {
		t.Run(name, func(t *testing.T) {
			before := store.DescribeForTest(t, bad.dir)
			// Should the folder wrongly be accepted, serve stops when this ends.
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			var out bytes.Buffer
			err := withFrontend.Run(ctx, []string{"nhs-passkeys", "serve", "--data-dir", bad.dir, "--addr", "127.0.0.1:0"}, noEnv, strings.NewReader(""), &out, &out)
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

// main.go ends the process with ExitStatus(Run's error): a bad data folder makes it exit
// with status 1, and standard error names the file and gives the stable code.
func TestABadDataFolderMakesTheProgramExitWithItsMessageAndCode(t *testing.T) {
	for name, bad := range badDataFolders(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			err := withFrontend.Run(ctx, []string{"nhs-passkeys", "serve", "--data-dir", bad.dir, "--addr", "127.0.0.1:0"}, noEnv, strings.NewReader(""), &stdout, &stderr)
			if status := ExitStatus(&stderr, err); status != 1 {
				t.Fatalf("the program would end with exit status %d (%v), want 1\n%s", status, err, stderr.String())
			}
			for _, want := range []string{"nhs-passkeys: The file " + bad.named, "nhs-passkeys: error code: " + bad.code + "\n"} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("standard error lacks %q:\n%s", want, stderr.String())
				}
			}
		})
	}
}

func TestAProgramThatEndsWithoutAnErrorExitsWithStatus0AndSaysNothing(t *testing.T) {
	var stderr bytes.Buffer
	if status := ExitStatus(&stderr, nil); status != 0 || stderr.Len() != 0 {
		t.Fatalf("exit status %d, said %q; want 0 and nothing", status, stderr.String())
	}
}
