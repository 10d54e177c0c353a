//go:build !linux

package sessionjar

// secretServiceReachable is a Linux concern; the macOS and Windows keyrings are always there.
func secretServiceReachable() error { return nil }
