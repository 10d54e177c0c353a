//go:build cgo && !windows

package keys

// adminRequired reports that security keys cannot be opened directly. Only Windows asks for
// administrator rights, and there this package is not built (app/device answers
// "adminRequired": true itself); here access to the key's device file decides (README, "A
// real security key on Linux").
func adminRequired() bool { return false }
