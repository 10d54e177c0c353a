//go:build windows || (darwin && cgo) || (linux && (production || dev))

package desktop

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/wailsapp/wails/v2/pkg/options"
)

// Built where ShowRunningCopy has a way to reach the first copy (instance_linux.go,
// instance_windows.go, instance_darwin.go); instance_other.go has none.

// secondInstanceMessage is what the second copy tells the first, in Wails' own shape
// (options.SecondInstanceData as JSON): its arguments and working folder. The first copy
// only brings its window to the front; it does not act on them.
func secondInstanceMessage() ([]byte, error) {
	data := options.SecondInstanceData{Args: os.Args[1:]}
	data.WorkingDirectory, _ = os.Getwd()
	message, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("reach the copy already open: %w", err)
	}
	return message, nil
}
