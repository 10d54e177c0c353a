package sessionjar

// NewRemoteKeyringStore is NewKeyringStore for the session of a remote relying party
// (app/remoterp, --relying-party) at origin: an entry of its own, "session:" + the absolute
// data directory + " " + origin, so a session token is only ever sent to the relying party
// that issued it, even when one data directory is used with the app's own relying party
// and with a fleet's, or with two fleets'.
func NewRemoteKeyringStore(dataDir, origin string) (*KeyringStore, error) {
	k, err := NewKeyringStore(dataDir)
	if err != nil {
		return nil, err
	}
	k.user += " " + origin
	return k, nil
}
