//go:build cgo && !windows

package device

// adminRequired reports that security keys cannot be opened directly. Only Windows asks for
// administrator rights (keys_windows.go); elsewhere access to the key's device file decides
// (README, "A real security key on Linux").
func adminRequired() bool { return false }
