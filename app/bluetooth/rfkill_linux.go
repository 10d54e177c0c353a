package bluetooth

import (
	"io/fs"
	"path"
	"strings"
)

// rfkillBlocked reports whether the kernel's radio switches (rfkill, Documentation/
// driver-api/rfkill.rst) block Bluetooth for the adapter called name ("hci0"). fsys is
// /sys/class/rfkill: one directory per switch holding type, name, soft (1: blocked by
// software, such as flight mode or `rfkill block`) and hard (1: a physical switch).
//
// The switches that count are the adapter's own (type "bluetooth", named after it), a
// platform's Bluetooth switch (type "bluetooth" with another name, such as a laptop's
// "tpacpi_bluetooth_sw", which blocks every adapter), and one of type "all". With name
// empty (no adapter listed: some laptops take the device off the bus while it is blocked),
// any Bluetooth switch that is blocked counts. Unreadable entries count as not blocked: the
// answer only chooses between two explanations of an adapter that is already off.
func rfkillBlocked(fsys fs.FS, name string) bool {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return false
	}
	read := func(dir, file string) string {
		b, err := fs.ReadFile(fsys, path.Join(dir, file))
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	for _, e := range entries {
		dir := e.Name()
		typ, switchName := read(dir, "type"), read(dir, "name")
		switch {
		case typ == "all":
		case typ != "bluetooth":
			continue
		case name != "" && strings.HasPrefix(switchName, "hci") && switchName != name:
			continue // another adapter's own switch
		}
		if read(dir, "soft") == "1" || read(dir, "hard") == "1" {
			return true
		}
	}
	return false
}
