// The "Security keys" addresses. `/security-keys/{id}/...` carries the key's id,
// which the router's table of exact paths cannot list; withSecurityKeyRoutes
// answers those paths from the same table (a Proxy that reads like a plain
// record to the router), so the router itself stays as it is. The page offering
// to delete a passkey from a key after removing it from the account
// (passkey-removed-key.ts) is added here too, as it uses the same key endpoints, and so is
// its Windows Hello twin (passkey-removed-windows-hello.ts), another device endpoint.

import type { App } from "../../shell/app";
import type { Page } from "../../shell/router";
import { securityKeysPage } from "./list";
import { passkeyRemovedKeyPage, REMOVED_KEY_PATH } from "../passkeys/removed-key";
import { passkeyRemovedWindowsHelloPage, REMOVED_WINDOWS_HELLO_PATH } from "../passkeys/removed-windows-hello";
import { keyPagesOptions, SECURITY_KEYS_PATH, type KeyPagesOptions } from "./common";
import { securityKeyFingerprintsPage } from "./fingerprints";
import { securityKeyPage } from "./key";
import { securityKeyPasskeysPage } from "./passkeys";
import { securityKeyPinPage } from "./pin";
import { securityKeyResetPage } from "./reset";

/** `/security-keys/{id}` and its sub-pages; the id is one path segment. */
const KEY_PATH = /^\/security-keys\/[^/]+(?:\/(passkeys|pin|fingerprints|reset))?$/;

export function withSecurityKeyRoutes(
  app: App,
  routes: Record<string, Page>,
  overrides: Partial<KeyPagesOptions> = {},
): Record<string, Page> {
  const options = keyPagesOptions(overrides);
  const keyPages: Record<string, Page> = {
    "": securityKeyPage(app, options),
    passkeys: securityKeyPasskeysPage(app, options),
    pin: securityKeyPinPage(app, options),
    fingerprints: securityKeyFingerprintsPage(app, options),
    reset: securityKeyResetPage(app, options),
  };
  const table: Record<string, Page> = {
    ...routes,
    [SECURITY_KEYS_PATH]: securityKeysPage(app, options),
    [REMOVED_KEY_PATH]: passkeyRemovedKeyPage(app, options),
    [REMOVED_WINDOWS_HELLO_PATH]: passkeyRemovedWindowsHelloPage(app, options),
  };
  return new Proxy(table, {
    get(target, path, receiver) {
      if (typeof path === "string" && !Object.hasOwn(target, path)) {
        const match = KEY_PATH.exec(path);
        if (match) return keyPages[match[1] ?? ""];
      }
      return Reflect.get(target, path, receiver) as unknown;
    },
  });
}
