// The hook that runs after a passkey has been removed from the account, before the person
// is taken back to the settings page (pages/passkeys/remove.ts calls it).
//
// When it runs, DELETE /api/passkeys/{id} has succeeded and the passkey is gone from the
// account. `passkey` is as GET /api/passkeys listed it: `id` is the credential ID
// (base64url), and `storedOn` ("security-key"), `transports` and `aaguid` say whether it may
// be on a security key. `app` has the API and the ceremonies; `(await app.ceremonies()).client
// === "device"` in the desktop app, the only place a security key can be managed.
//
// It resolves to the address of a page to show next, or to null to go straight back to the
// settings page. Either way a success banner ("Passkey removed") is waiting for the settings
// page (app.journey.notice), so a page that ends by going to /account/security shows it. A
// thrown error is logged and ignored: the passkey has been removed whatever happens here.
//
// What it does, in the desktop app only:
// - for a passkey saved on a security key, it goes on to pages/passkeys/removed-key.ts, which
//   offers to delete the passkey from the key too when a key is plugged in (the Security
//   keys "Passkeys on this key" flow), or, when none is, goes back to the settings with the
//   banner saying how to do it later (notice.stillOnKey);
// - for a passkey saved on this device, it goes on to pages/passkeys/removed-windows-hello.ts,
//   which, in the Windows app, offers to delete it from Windows Hello too when Windows Hello
//   has it, or says how to do it in Windows Settings; elsewhere (Linux, macOS: the shell has
//   no Windows Hello endpoints) it goes straight back to the settings.
// Anywhere else, or for a synced passkey, nothing changes.

import type { App } from "../../shell/app";
import { REMOVED_KEY_PATH } from "./removed-key";
import { REMOVED_WINDOWS_HELLO_PATH } from "./removed-windows-hello";
import type { Passkey } from "../../api/passkeys";

export async function afterPasskeyRemoved(passkey: Passkey, app: App): Promise<string | null> {
  if (passkey.storedOn !== "security-key" && passkey.storedOn !== "this-device") return null;
  const { client } = await app.ceremonies();
  if (client !== "device") return null;
  return passkey.storedOn === "security-key" ? REMOVED_KEY_PATH : REMOVED_WINDOWS_HELLO_PATH;
}
