package passkey

// defaultName is the name a new passkey gets, in words a patient understands. Naming by
// AAGUID ("Windows Hello", "iCloud Keychain") comes later; until then: a security key when
// the authenticator only speaks USB, NFC or Bluetooth, otherwise just "Passkey".
func defaultName(transports []string) string {
	if len(transports) == 0 {
		return "Passkey"
	}
	for _, t := range transports {
		switch t {
		case "usb", "nfc", "ble":
		default:
			return "Passkey"
		}
	}
	return "Security key"
}
