package bluetooth

import (
	"testing"
	"testing/fstest"
)

func TestRadioSwitchesThatBlockBluetooth(t *testing.T) {
	sw := func(typ, name, soft, hard string) map[string]string {
		return map[string]string{"type": typ, "name": name, "soft": soft, "hard": hard}
	}
	for _, tc := range []struct {
		name     string
		switches map[string]map[string]string // rfkillN -> file -> content
		adapter  string
		want     bool
	}{
		{"the adapter's own switch soft-blocked (flight mode)", map[string]map[string]string{"rfkill0": sw("bluetooth", "hci0", "1", "0")}, "hci0", true},
		{"the adapter's own switch hard-blocked (a physical switch)", map[string]map[string]string{"rfkill0": sw("bluetooth", "hci0", "0", "1")}, "hci0", true},
		{"the adapter's own switch open", map[string]map[string]string{"rfkill0": sw("bluetooth", "hci0", "0", "0")}, "hci0", false},
		{"another adapter's switch does not block this one", map[string]map[string]string{
			"rfkill0": sw("bluetooth", "hci0", "0", "0"), "rfkill1": sw("bluetooth", "hci1", "1", "0")}, "hci0", false},
		{"a laptop's Bluetooth switch blocks every adapter", map[string]map[string]string{
			"rfkill0": sw("bluetooth", "hci0", "0", "0"), "rfkill7": sw("bluetooth", "tpacpi_bluetooth_sw", "1", "0")}, "hci0", true},
		{"a switch of type all blocks Bluetooth", map[string]map[string]string{"rfkill3": sw("all", "platform", "1", "0")}, "hci0", true},
		{"blocked Wi-Fi is not blocked Bluetooth", map[string]map[string]string{
			"rfkill0": sw("bluetooth", "hci0", "0", "0"), "rfkill1": sw("wlan", "phy0", "1", "1")}, "hci0", false},
		{"with no adapter listed, any blocked Bluetooth switch counts", map[string]map[string]string{"rfkill1": sw("bluetooth", "hci1", "1", "0")}, "", true},
		{"with no adapter listed and nothing blocked, nothing is blocked", map[string]map[string]string{"rfkill1": sw("bluetooth", "hci1", "0", "0")}, "", false},
		{"no switches at all", map[string]map[string]string{}, "hci0", false},
		{"a switch whose files cannot be read counts as open", map[string]map[string]string{"rfkill0": {"type": "bluetooth", "name": "hci0"}}, "hci0", false},
		{"values with a newline, as sysfs writes them", map[string]map[string]string{"rfkill0": sw("bluetooth\n", "hci0\n", "1\n", "0\n")}, "hci0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for dir, files := range tc.switches {
				for f, content := range files {
					fsys[dir+"/"+f] = &fstest.MapFile{Data: []byte(content)}
				}
			}
			if got := rfkillBlocked(fsys, tc.adapter); got != tc.want {
				t.Fatalf("rfkillBlocked = %v, want %v", got, tc.want)
			}
		})
	}
}
