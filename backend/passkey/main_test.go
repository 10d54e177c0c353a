package passkey_test

import (
	"os"
	"testing"

	"github.com/nhs-passkeys/companion/backend/store"
)

func TestMain(m *testing.M) { os.Exit(store.RunTests(m)) }
