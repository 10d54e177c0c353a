//go:build !linux || !cgo

package desktop

// restoreSignalStacks is needed only with WebKitGTK's JavaScriptCore (see signals_linux.go).
func restoreSignalStacks() error { return nil }
