// The "Security keys" addresses (desktop app only). The key pages carry the key's id as the
// `:id` segment of their route (KEY_ROUTES), which the router matches and decodes. The page
// offering to delete a passkey from a key after removing it from the account
// (pages/passkeys/removed-key.ts) is added here too, as it uses the same key endpoints, and
// so is its Windows Hello twin (pages/passkeys/removed-windows-hello.ts), another device
// endpoint.

import type { App } from "../../shell/app";
import type { Page } from "../../shell/router";
import { passkeyRemovedKeyPage, REMOVED_KEY_PATH } from "../passkeys/removed-key";
import { passkeyRemovedWindowsHelloPage, REMOVED_WINDOWS_HELLO_PATH } from "../passkeys/removed-windows-hello";
import { securityKeyFingerprintsPage } from "./fingerprints";
import { securityKeyPage } from "./key";
import { KEY_ROUTES, keyPagesOptions, SECURITY_KEYS_PATH, type KeyPagesOptions } from "./key-pages";
import { securityKeysPage } from "./list";
import { securityKeyPasskeysPage } from "./passkeys";
import { securityKeyPinPage } from "./pin";
import { securityKeyResetPage } from "./reset";

/** The security key pages' routes; tests pass their own key API, Windows Hello and wait. */
export function securityKeyRoutes(app: App, overrides: Partial<KeyPagesOptions> = {}): Record<string, Page> {
  const options = keyPagesOptions(overrides);
  return {
    [SECURITY_KEYS_PATH]: securityKeysPage(app, options),
    [KEY_ROUTES.key]: securityKeyPage(app, options),
    [KEY_ROUTES.passkeys]: securityKeyPasskeysPage(app, options),
    [KEY_ROUTES.pin]: securityKeyPinPage(app, options),
    [KEY_ROUTES.fingerprints]: securityKeyFingerprintsPage(app, options),
    [KEY_ROUTES.reset]: securityKeyResetPage(app, options),
    [REMOVED_KEY_PATH]: passkeyRemovedKeyPage(app, options),
    [REMOVED_WINDOWS_HELLO_PATH]: passkeyRemovedWindowsHelloPage(app, options),
  };
}
