//go:build e2e

package e2e

import (
	"os"
	"testing"

	"github.com/nhs-passkeys/companion/backend/store"
)

// The fleet journeys (fleet_test.go) run `serve` replicas on the test PostgreSQL cluster,
// which store.RunTests removes once every test has run.
func TestMain(m *testing.M) { os.Exit(store.RunTests(m)) }
