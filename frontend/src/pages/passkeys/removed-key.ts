// `/account/passkeys/removed/security-key` (desktop app only): the next step after a passkey
// saved on a security key has been removed from the account (pages/passkeys/removed.ts sends
// the person here). Removing it from the account does not delete it from the key, which
// would still offer it. With a key plugged in, the page offers to delete it there too, in
// the Security keys section's "Passkeys on this key" (the key's PIN, then the list, where the
// removed passkey is marked as one the account no longer accepts). With none, it goes
// straight back to the settings, whose "Passkey removed" banner then says how to do it
// later. Either way the banner the removal left (app.journey.notice) waits for the settings.

import type { App } from "../../shell/app";
import { backLink, button, buttonGroup, column } from "../../ui/components";
import { html } from "../../ui/html";
import type { SecurityKey } from "../../api/keys";
import type { Page, PageContext } from "../../shell/router";
import { keyPageAccount, keyPath, type KeyPagesOptions } from "../security-keys/key-pages";

export const REMOVED_KEY_PATH = "/account/passkeys/removed/security-key";
const SETTINGS = "/account/security";

/** A key whose passkeys can be listed and deleted: one that may hold an NHS login passkey. */
function canHoldPasskeys(key: SecurityKey): boolean {
  return key.readable && key.pin.set && !key.pin.blocked && key.passkeys.manageable;
}

export function passkeyRemovedKeyPage(app: App, options: KeyPagesOptions): Page {
  return async (ctx) => {
    if (!(await keyPageAccount(app, ctx))) return;
    const notice = app.journey.notice;
    if (notice?.kind !== "passkey-removed") {
      // Only reached straight after a removal; otherwise there is nothing to offer.
      await ctx.navigate(SETTINGS, { replace: true });
      return;
    }
    let plugged: SecurityKey[] = [];
    try {
      plugged = (await options.keys.listKeys()).keys;
    } catch (error) {
      console.error(error); // the passkey is removed; without the keys, say how to do it later
    }
    if (!ctx.isCurrent()) return;
    const keys = plugged.filter(canHoldPasskeys);
    if (keys.length === 0) {
      // A key whose PIN is blocked may hold it, but cannot delete one passkey: only a reset
      // can. "Plug the key in" would send the person round in a circle.
      const blocked = plugged.find((key) => key.readable && key.pin.set && key.pin.blocked);
      app.journey.notice = { ...notice, stillOnKey: true, ...(blocked ? { blockedKey: blocked.name } : {}) };
      await ctx.navigate(SETTINGS, { replace: true });
      return;
    }
    render(ctx, notice.passkeyName, keys);
  };
}

function render(ctx: PageContext, passkeyName: string, keys: SecurityKey[]): void {
  const [only] = keys;
  const next =
    keys.length === 1 && only
      ? html`<p>Your security key ${only.name} is plugged in. You will need its PIN. On the key, the passkey is marked as one your NHS login no longer accepts.</p>
    ${buttonGroup(
      button({ text: "Delete it from the security key", href: keyPath(only.id, "passkeys") }),
      html`<a class="nhsuk-link" href="${SETTINGS}">Not now</a>`,
    )}`
      : html`<p>You have ${keys.length} security keys plugged in. Choose the one the passkey is saved on. You will need its PIN. On the key, the passkey is marked as one your NHS login no longer accepts.</p>
    <ul class="nhsuk-list">
      ${keys.map((key) => html`<li><a href="${keyPath(key.id, "passkeys")}">Delete it from ${key.name}</a></li>`)}
    </ul>
    <p><a href="${SETTINGS}">Not now</a></p>`;
  ctx.show({
    beforeContent: backLink(SETTINGS, "Back to Login and security settings"),
    content: column(html`<h1>Delete the passkey from your security key too?</h1>
    <p>“${passkeyName}” has been removed from your NHS login, so you can no longer log in with it. It is still saved on your security key, though.</p>
    <p>The key will keep offering it when you log in, even though it no longer works, and it takes up space on the key. Deleting it from the key stops this.</p>
    ${next}`),
  });
}
