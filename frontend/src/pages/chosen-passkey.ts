// What the rename and remove pages start from: the signed-in account and the passkey the
// person chose on the settings page (kept in memory, app.journey.passkey, never in the
// address). Without one (the page was reloaded or opened directly), or when that passkey
// has gone meanwhile, the person is taken back to the settings page to choose again.

import type { Account, Passkey } from "../api";
import { isNotSignedIn, requireAccount, type App } from "../app";
import type { PageContext } from "../router";

export interface ChosenPasskey {
  account: Account;
  passkey: Passkey;
  /** All the account's passkeys, the chosen one among them. */
  passkeys: Passkey[];
}

export async function loadChosenPasskey(app: App, ctx: PageContext): Promise<ChosenPasskey | null> {
  const account = await requireAccount(app, ctx);
  if (!account) return null;
  let passkeys: Passkey[];
  try {
    passkeys = await app.api.listPasskeys();
  } catch (error) {
    if (!isNotSignedIn(error)) throw error;
    if (ctx.isCurrent()) await ctx.navigate("/login", { replace: true });
    return null;
  }
  const passkey = passkeys.find((p) => p.id === app.journey.passkey);
  if (!passkey) {
    if (ctx.isCurrent()) await ctx.navigate("/account/security", { replace: true });
    return null;
  }
  return { account, passkey, passkeys };
}
