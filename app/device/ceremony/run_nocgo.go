//go:build !cgo && !windows

package ceremony

// A ceremony in a Linux or macOS build made without cgo (app/device/authenticator,
// set_nocgo.go): there is no authenticator, so none ever runs.

import (
	"context"
	"net/http"

	"github.com/nhs-passkeys/companion/app/device/authenticator"
)

// run ends a ceremony at once: the Set knows no authenticator, so every one is refused
// before it gets here.
func (s *Service) run(_ context.Context, c *ceremony) {
	f := failureFor(c.Kind, errNoKey)
	c.End(s.now(), &f, c.dropQR)
}

// failureFor words a ceremony's end as a security key's, in the Linux build's words
// (keyWords, failure_webauthndll.go, are the same): the only ends this build meets are a
// cancel, a time-out and no key.
func failureFor(kind string, err error) authenticator.Failure {
	return windowsFailure(kind, authenticator.SecurityKeyID, err)
}

// readPIN is never reached (no ceremony starts, so POST .../pin finds none); it reads
// nothing, so a PIN never becomes a Go string here.
func readPIN(*http.Request) ([]byte, error) { return nil, nil }
