package ceremony

import "errors"

// The ceremony's own reasons to fail, beside the authenticator's errors.
var (
	// errNoKey: no authenticator was connected before the ceremony's time ran out.
	errNoKey = errors.New("no security key was connected in time")
)
