package authenticator

import (
	"testing"

	"github.com/nhs-passkeys/companion/app/webauthndll"
)

// A ceremony that names no authenticator gets Windows' own dialog, which offers Windows Hello
// beside security keys and phones. A kiosk never offers the shared computer's Windows Hello
// (a patient's passkey would stay behind for the next), so there "" is refused like
// "windows-hello"; at home it is any. Run by the platforms pipeline's Windows job.
func TestAKioskRefusesACeremonyThatNamesNoAuthenticator(t *testing.T) {
	for _, kiosk := range []bool{false, true} {
		s := &Set{dll: &webauthndll.DLL{}, kiosk: kiosk}
		if _, found := s.Find(""); found == kiosk {
			t.Errorf("kiosk %v: Find(\"\") found %v", kiosk, found)
		}
		if known := s.Known(""); known == kiosk {
			t.Errorf("kiosk %v: Known(\"\") = %v", kiosk, known)
		}
		if !s.Known(SecurityKeyID) || !s.Known(PhoneID) {
			t.Errorf("kiosk %v: a security key or a phone is not known", kiosk)
		}
	}
}
