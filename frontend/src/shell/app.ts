// What every page is given: the API, the device ceremonies for this build, and
// what the person has told us during this visit. The journey lives in memory
// only (never in the address or in storage), so nothing of it outlasts the tab
// or the app window.

import { type Api } from "../api/service";
import type { Ceremonies } from "../ceremony/ceremony";
import { leaveTo, type VisitEnd } from "./kiosk";
import type { NavigateOptions, PageContext } from "./router";
import type { TimedOut } from "./session-timeout";
import { ApiError } from "../api/request";
import type { Account, ServiceConfig } from "../api/account";
import type { Passkey } from "../api/passkeys";

/**
 * The ceremonies for a config (ceremony/choose.ts), loaded with the first page that runs one:
 * the start page needs none (issue #21: its bundle stays small).
 */
async function chooseCeremonies(config: ServiceConfig, api: Api): Promise<Ceremonies> {
  const { ceremoniesFor } = await import("../ceremony/choose");
  return ceremoniesFor(config, api);
}

export type Notice =
  | { kind: "passkey-set-up"; passkeyName: string }
  | { kind: "logged-out" }
  // Logged out by the idle timeout (shell/session-timeout.ts), which was this long, or (absolute)
  // by the longest time a session may last.
  | { kind: "timed-out"; idleSeconds: number; absolute: boolean }
  // Changes made on the account pages, announced on the settings page.
  | { kind: "passkey-renamed"; passkeyName: string }
  // passkeyId (its credential ID) and provider: for the pages that offer to delete it from
  // the device too (pages/passkeys/removed.ts). stillOnKey: removed in the desktop app from a
  // security key that was not plugged in (blockedKey: the name of the one plugged-in key that
  // may hold it but whose PIN is blocked). windowsHello: on Windows, "deleted" from Windows
  // Hello too, or "settings" when only Windows Settings can delete it.
  | {
      kind: "passkey-removed";
      passkeyName: string;
      passkeyId?: string;
      provider?: string | null;
      stillOnKey?: boolean;
      blockedKey?: string;
      windowsHello?: "deleted" | "settings";
    }
  | { kind: "password-changed"; wasSet: boolean };

export interface Journey {
  /** The email typed on one page, offered again on the next (passkey -> password login). */
  email: string;
  /** A message for the next page to show once, then forget. */
  notice: Notice | null;
  /** The passkey (its id) chosen on the settings page to rename or remove. */
  passkey: string | null;
  /**
   * The page the passkey was chosen on (Login and security settings, or Passkeys): where its
   * rename or remove page goes back to. Null: the Passkeys page.
   */
  passkeyFrom: string | null;
  /**
   * A proof for removing passkeys: it allows any number of removals for 5 minutes (docs/api.md,
   * "Re-authentication"), so the next removal in this visit sends it rather than asking again.
   */
  removalProof: string | null;
  /** How the person logged in during this visit: "Confirm it's you" offers the same way first, for removals. */
  loggedInWith: "password" | "passkey" | null;
}

export interface App {
  api: Api;
  /** `GET /api/config`, fetched once it succeeds. */
  config(): Promise<ServiceConfig>;
  /** The ceremonies `GET /api/config` asks for. */
  ceremonies(): Promise<Ceremonies>;
  journey: Journey;
  /** Kiosk mode: ends the visit with a full load of the start page (shell/kiosk.ts), forgetting everything. */
  leave(end: VisitEnd): void;
}

export interface AppOptions {
  /** Kiosk mode's full page load; tests pass a fake (jsdom cannot load pages). */
  leave?: (end: VisitEnd) => void;
}

export function createApp(
  api: Api,
  choose: (config: ServiceConfig, api: Api) => Ceremonies | Promise<Ceremonies> = chooseCeremonies,
  options: AppOptions = {},
): App {
  let config: Promise<ServiceConfig> | null = null;
  const getConfig = (): Promise<ServiceConfig> => {
    config ??= api.getConfig().catch((error: unknown) => {
      config = null; // ask again next time rather than remember a failure
      throw error;
    });
    return config;
  };
  let ceremonies: Promise<Ceremonies> | null = null;
  return {
    api,
    config: getConfig,
    ceremonies() {
      ceremonies ??= getConfig()
        .then((answer) => choose(answer, api))
        .catch((error: unknown) => {
          ceremonies = null;
          throw error;
        });
      return ceremonies;
    },
    journey: { email: "", notice: null, passkey: null, passkeyFrom: null, removalProof: null, loggedInWith: null },
    leave: options.leave ?? ((end) => leaveTo(end)),
  };
}

/** Whether the app runs in kiosk mode; false when the config cannot be had. */
export async function isKiosk(app: App): Promise<boolean> {
  try {
    return (await app.config()).kiosk === true;
  } catch {
    return false;
  }
}

/**
 * Whether the desktop shell's device endpoints (`/api/device/...`, docs/api.md) are there:
 * only in the desktop app, whose config says "device". `serve` has none, so the page never
 * asks them there (each would be a 404 and an error in the browser's console). False when
 * the config cannot be had.
 */
export async function hasDeviceEndpoints(app: App): Promise<boolean> {
  try {
    return (await app.config()).ceremonies === "device";
  } catch {
    return false;
  }
}

/**
 * After the server has logged the person out: in kiosk mode a full load of the start page,
 * so nothing of the visit stays in memory; elsewhere the start page with "You have logged
 * out", or `next` (the test tools' "Start again" goes to Create an account).
 */
export async function afterLogout(app: App, ctx: PageContext, next = "/"): Promise<void> {
  forgetJourney(app);
  if (await isKiosk(app)) {
    app.leave({ kind: "logged-out" });
    return;
  }
  if (next === "/") app.journey.notice = { kind: "logged-out" };
  if (ctx.isCurrent()) await ctx.navigate(next);
}

/** Drops what the person told us during the visit, when it ends (logged out). */
export function forgetJourney(app: App): void {
  app.journey.email = "";
  app.journey.passkey = null;
  app.journey.passkeyFrom = null;
  app.journey.removalProof = null;
  app.journey.loggedInWith = null;
  app.journey.notice = null;
}

/**
 * What happens when the idle timeout's warning ends the session (shell/session-timeout.ts): the
 * person chose "Log out", or the time ran out. In kiosk mode a full load of the start page,
 * which says why; elsewhere the start page with "You have logged out", or "/logged-out".
 * `kiosk` may still be on its way (GET /api/config): the first page does not wait for it.
 */
export function sessionEnds(
  app: App,
  navigate: (path: string, options?: NavigateOptions) => Promise<void>,
  kiosk: boolean | Promise<boolean>,
): { loggedOut(): void | Promise<void>; timedOut(end: TimedOut): void | Promise<void> } {
  return {
    loggedOut: async () => {
      forgetJourney(app);
      if (await kiosk) {
        app.leave({ kind: "logged-out" });
        return;
      }
      app.journey.notice = { kind: "logged-out" };
      return navigate("/");
    },
    timedOut: async ({ idleSeconds, absolute }) => {
      forgetJourney(app);
      if (await kiosk) {
        app.leave({ kind: "timed-out", idleSeconds, absolute });
        return;
      }
      app.journey.notice = { kind: "timed-out", idleSeconds, absolute };
      return navigate("/logged-out", { replace: true });
    },
  };
}

/** Takes the notice if it is of the wanted kind, so it is shown only once. */
export function takeNotice<K extends Notice["kind"]>(
  journey: Journey,
  kind: K,
): Extract<Notice, { kind: K }> | null {
  const notice = journey.notice;
  if (notice?.kind !== kind) return null;
  journey.notice = null;
  return notice as Extract<Notice, { kind: K }>;
}

/** The signed-in account, or null after sending the person to log in. */
export async function requireAccount(app: App, ctx: PageContext): Promise<Account | null> {
  const session = await app.api.getSession();
  if (session.signedIn) return session.account;
  if (ctx.isCurrent()) await ctx.navigate("/login", { replace: true });
  return null;
}

/**
 * The signed-in account's passkeys, or null after sending the person to log in (the session
 * ended meanwhile). Other errors are the caller's.
 */
export async function requirePasskeys(app: App, ctx: PageContext): Promise<Passkey[] | null> {
  try {
    return await app.api.listPasskeys();
  } catch (error) {
    if (!isNotSignedIn(error)) throw error;
    if (ctx.isCurrent()) await ctx.navigate("/login", { replace: true });
    return null;
  }
}

/**
 * After a request the page sent has failed: whether the page should say so. Not when the
 * person has moved on meanwhile, nor when the session has ended: then they are sent to log
 * in, in place of this page.
 */
export async function failureToShow(ctx: PageContext, error: unknown): Promise<boolean> {
  if (!ctx.isCurrent()) return false;
  if (!isNotSignedIn(error)) return true;
  await ctx.navigate("/login", { replace: true });
  return false;
}

export function isNotSignedIn(error: unknown): boolean {
  return error instanceof ApiError && error.code === "not_signed_in";
}
