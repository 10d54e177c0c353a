// The hook that runs after a passkey has been removed from the account, before the person
// is taken back to the settings page (pages/passkey-remove.ts calls it).
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
// What it does: in the desktop app, for a passkey saved on a security key, it goes on to
// pages/passkey-removed-key.ts, which offers to delete the passkey from the key too when a
// key is plugged in (the Security keys "Passkeys on this key" flow), or, when none is, goes
// back to the settings with the banner saying how to do it later (notice.stillOnKey).
// Anywhere else, or for any other passkey, nothing changes.

import type { Passkey } from "./api";
import type { App } from "./app";
import { REMOVED_KEY_PATH } from "./pages/passkey-removed-key";

export async function afterPasskeyRemoved(passkey: Passkey, app: App): Promise<string | null> {
  if (passkey.storedOn !== "security-key") return null;
  const { client } = await app.ceremonies();
  return client === "device" ? REMOVED_KEY_PATH : null;
}
