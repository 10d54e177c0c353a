package simphone

import (
	"context"
	"sync"

	"github.com/nhs-passkeys/companion/app/hybrid"
)

// Air stands in for the Bluetooth radio between the phone and the desktop: the desktop's
// hybrid.AdvertSource. A phone advertises repeatedly, so a scan that starts after an advert
// was transmitted still sees it (every scan gets every advert, in order).
type Air struct {
	// Unavailable, when set, is the error a scan fails with (Bluetooth off, no adapter).
	Unavailable error

	mu      sync.Mutex
	adverts []hybrid.Advert
	changed chan struct{} // closed and replaced when an advert is transmitted
}

// NewAir is an empty Air.
func NewAir() *Air { return &Air{changed: make(chan struct{})} }

// Transmit sends an advert (and keeps sending it, as far as scanners can tell).
func (a *Air) Transmit(ad hybrid.Advert) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.adverts = append(a.adverts, ad)
	close(a.changed)
	a.changed = make(chan struct{})
}

// Adverts is a scan: hybrid.AdvertSource.
func (a *Air) Adverts(ctx context.Context) (<-chan hybrid.Advert, error) {
	if a.Unavailable != nil {
		return nil, a.Unavailable
	}
	out := make(chan hybrid.Advert)
	go func() {
		defer close(out)
		for next := 0; ; {
			a.mu.Lock()
			pending := a.adverts[next:]
			changed := a.changed
			a.mu.Unlock()
			for _, ad := range pending {
				select {
				case out <- ad:
					next++
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
