//go:build !linux && !(darwin && cgo)

package bluetooth

import (
	"context"

	"github.com/nhs-passkeys/companion/app/hybrid"
)

// New is this computer's scanner. This build has none: Windows does the hybrid transport
// in webauthn.dll (app/webauthndll), and CoreBluetooth needs cgo on macOS (README.md).
func New() Scanner { return unsupported{} }

type unsupported struct{}

func (unsupported) Available(context.Context) error { return ErrNotSupported }

func (unsupported) Adverts(context.Context) (<-chan hybrid.Advert, error) {
	return nil, ErrNotSupported
}
