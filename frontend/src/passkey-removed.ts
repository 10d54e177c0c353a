// The hook that runs after a passkey has been removed from the account, before the person
// is taken back to the settings page (pages/passkey-remove.ts calls it). By default it
// does nothing.
//
// For the Security keys section (pages/security-keys*.ts, keys-api.ts): this is where "also
// delete it from the security key" belongs. When it runs, DELETE /api/passkeys/{id} has
// succeeded and the passkey is gone from the account. `passkey` is as GET /api/passkeys
// listed it: `id` is the credential ID (base64url), and `storedOn` ("security-key"),
// `transports` and `aaguid` say whether it may be on a security key. `app` has the API and
// the ceremonies; `(await app.ceremonies()).client === "device"` in the desktop app, the
// only place a security key can be managed.
//
// Resolve to the address of a page to show next (say, one that offers to delete the passkey
// from the key), or to null to go straight back to the settings page. Either way a success
// banner ("Passkey removed") is waiting for the settings page (app.journey.notice), so a
// page of yours that ends by going to /account/security shows it. A thrown error is logged
// and ignored: the passkey has been removed whatever happens here.

import type { Passkey } from "./api";
import type { App } from "./app";

export function afterPasskeyRemoved(_passkey: Passkey, _app: App): Promise<string | null> {
  return Promise.resolve(null);
}
