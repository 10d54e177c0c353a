// What the rename and remove pages start from: the signed-in account and the passkey the
// person chose on Login and security settings or on Passkeys (kept in memory,
// app.journey.passkey, never in the address), and that page, to go back to. Without one (the
// page was reloaded or opened directly), or when that passkey has gone meanwhile, the person
// is taken back to choose again.

import { requireAccount, requirePasskeys, type App } from "../../shell/app";
import { html, type SafeHtml } from "../../ui/html";
import type { PageContext } from "../../shell/router";
import { PASSKEYS_PATH } from "./passkeys";
import type { Account } from "../../api/account";
import type { Passkey } from "../../api/passkeys";

export interface ChosenPasskey {
  account: Account;
  passkey: Passkey;
  /** All the account's passkeys, the chosen one among them. */
  passkeys: Passkey[];
  /** The page the passkey was chosen on: Back, Cancel and the end of the change go there. */
  back: string;
}

const SETTINGS_PATH = "/account/security";

/** The page a passkey was chosen on: Login and security settings or Passkeys; `fallback` when unknown. */
export function chosenFrom(app: App, fallback: string): string {
  const from = app.journey.passkeyFrom;
  return from === SETTINGS_PATH || from === PASSKEYS_PATH ? from : fallback;
}

/** "Go back to …": a link to the page the passkey was chosen on, named as the page is. */
export function goBackTo(back: string): SafeHtml {
  return back === SETTINGS_PATH
    ? html`<p><a href="${SETTINGS_PATH}">Go back to your Login and security settings</a></p>`
    : html`<p><a href="${PASSKEYS_PATH}">Go back to your passkeys</a></p>`;
}

/** `fallback`: the page to go back to when the journey does not say where the passkey was chosen. */
export async function loadChosenPasskey(app: App, ctx: PageContext, fallback: string): Promise<ChosenPasskey | null> {
  const account = await requireAccount(app, ctx);
  if (!account) return null;
  const passkeys = await requirePasskeys(app, ctx);
  if (!passkeys) return null;
  const back = chosenFrom(app, fallback);
  const passkey = passkeys.find((p) => p.id === app.journey.passkey);
  if (!passkey) {
    if (ctx.isCurrent()) await ctx.navigate(back, { replace: true });
    return null;
  }
  return { account, passkey, passkeys, back };
}
