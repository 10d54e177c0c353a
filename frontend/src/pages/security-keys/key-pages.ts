// What every "Security keys" page does first (desktop app only): the options the pages are
// built with, their addresses, the checks each makes before anything else (desktop app,
// signed in, the key still plugged in), and the notice one page leaves for the next.

import { createKeysApi, type KeysApi, type SecurityKey } from "../../api/keys";
import { createWindowsHelloApi, type WindowsHelloApi } from "../../api/windows-hello";
import { isDesktop } from "../../ceremony/ceremony";
import { requireAccount, type App } from "../../shell/app";
import type { PageContext } from "../../shell/router";
import { backLink, column } from "../../ui/components";
import { html } from "../../ui/html";
import { notFoundPage } from "../errors/not-found";
import { ApiError } from "../../api/request";
import type { Account } from "../../api/account";

export interface KeyPagesOptions {
  keys: KeysApi;
  /** Windows Hello's passkeys (the Windows app; elsewhere it finds none to manage). */
  hello: WindowsHelloApi;
  /** Resolves after `ms`: how the pages wait between looks at a key job or the key list. */
  wait: (ms: number) => Promise<void>;
  /** What one key page leaves for the next (in memory only, like the app's journey). */
  notice: { value: KeyNotice | null };
}

export function keyPagesOptions(overrides: Partial<KeyPagesOptions> = {}): KeyPagesOptions {
  return {
    keys: overrides.keys ?? createKeysApi(),
    hello: overrides.hello ?? createWindowsHelloApi(),
    wait: overrides.wait ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    notice: overrides.notice ?? { value: null },
  };
}

/** How often a job (fingerprint samples, a reset) is asked how it is going. */
export const JOB_POLL_MS = 300;
/** How often the list of keys is read while waiting for one to be reinserted. */
export const KEYS_POLL_MS = 1000;

export const SECURITY_KEYS_PATH = "/security-keys";

export function keyPath(id: string, sub?: "passkeys" | "pin" | "fingerprints" | "reset"): string {
  return `${SECURITY_KEYS_PATH}/${encodeURIComponent(id)}${sub ? `/${sub}` : ""}`;
}

/** The key pages' addresses: the key's id is the `:id` segment (ctx.params.id). */
export const KEY_ROUTES = {
  key: `${SECURITY_KEYS_PATH}/:id`,
  passkeys: `${SECURITY_KEYS_PATH}/:id/passkeys`,
  pin: `${SECURITY_KEYS_PATH}/:id/pin`,
  fingerprints: `${SECURITY_KEYS_PATH}/:id/fingerprints`,
  reset: `${SECURITY_KEYS_PATH}/:id/reset`,
} as const;

/**
 * The signed-in account, in the desktop app: these pages do not exist in a web
 * browser (`serve` mode has no device endpoints), and need an account to say
 * which passkeys on a key are the person's. Null when the page has been dealt with.
 */
export async function keyPageAccount(app: App, ctx: PageContext): Promise<Account | null> {
  const ceremonies = await app.ceremonies();
  if (!ctx.isCurrent()) return null;
  if (!isDesktop(ceremonies.client)) {
    await notFoundPage(ctx);
    return null;
  }
  return requireAccount(app, ctx);
}

/**
 * The key a key page is about: the account checked (keyPageAccount), then the key named in
 * the address read now (loadKey). Null when the page has been dealt with, or is no longer
 * the one shown.
 */
export async function keyForPage(app: App, options: KeyPagesOptions, ctx: PageContext): Promise<SecurityKey | null> {
  if (!(await keyPageAccount(app, ctx))) return null;
  const key = await loadKey(options, ctx);
  return key && ctx.isCurrent() ? key : null;
}

/**
 * keyForPage, for the pages that work on what is on the key (its passkeys, its fingerprints):
 * a key that must have a new PIN first is sent to its own page, which asks for it.
 */
export async function keyToWorkOn(app: App, options: KeyPagesOptions, ctx: PageContext): Promise<SecurityKey | null> {
  const key = await keyForPage(app, options, ctx);
  if (!key?.pin.mustChange) return key;
  await ctx.navigate(keyPath(key.id), { replace: true });
  return null;
}

/** The key named in the address, read now; when it is not plugged in, a page saying so. */
async function loadKey(options: KeyPagesOptions, ctx: PageContext): Promise<SecurityKey | null> {
  // The router has matched and decoded `:id` (KEY_ROUTES); a page without it has no key.
  const id = ctx.params["id"];
  if (id === undefined) {
    await notFoundPage(ctx);
    return null;
  }
  try {
    return await options.keys.getKey(id);
  } catch (error) {
    if (error instanceof ApiError && (error.code === "key_not_connected" || error.code === "not_found")) {
      if (ctx.isCurrent()) keyNotConnected(ctx);
      return null;
    }
    throw error;
  }
}

export function keyNotConnected(ctx: PageContext): void {
  ctx.show({
    beforeContent: backLink(SECURITY_KEYS_PATH, "Back to security keys"),
    content: column(html`<h1>Your security key is not plugged in</h1>
    <p>Insert your security key into a USB port on this computer, then try again.</p>
    <p><a href="${SECURITY_KEYS_PATH}">Go to security keys</a></p>`),
  });
}

/**
 * After a failed key operation: when the PIN has just been blocked (the last try
 * was wrong), nothing that needs the PIN can work any more, so instead of the
 * form again the key's own page is shown, which explains that only a reset helps
 * and links to it. True when it has done that.
 */
export async function showBlockedPin(ctx: PageContext, keyId: string, error: unknown): Promise<boolean> {
  if (!(error instanceof ApiError) || error.code !== "pin_blocked") return false;
  if (ctx.isCurrent()) await ctx.navigate(keyPath(keyId), { replace: true });
  return true;
}

/** A message for the next key page to show once, then forget (as the app's journey notices). */
export type KeyNotice = { kind: "pin-saved"; keyId: string; first: boolean };

export function leaveNotice(options: KeyPagesOptions, notice: KeyNotice): void {
  options.notice.value = notice;
}

export function takeNotice(options: KeyPagesOptions, keyId: string): KeyNotice | null {
  const notice = options.notice.value;
  if (!notice || notice.keyId !== keyId) return null;
  options.notice.value = null;
  return notice;
}
