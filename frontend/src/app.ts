// What every page is given: the API, the device ceremonies for this build, and
// what the person has told us during this visit. The journey lives in memory
// only (never in the address or in storage), so nothing of it outlasts the tab
// or the app window.

import { ApiError, type Account, type Api, type ServiceConfig } from "./api";
import { browserCeremonies, type Ceremonies } from "./ceremony";
import { deviceCeremonies } from "./device-ceremony";
import type { PageContext } from "./router";

/** The browser's WebAuthn in `serve` mode; the desktop app's device endpoints when the config says "device". */
export function ceremoniesFor(
  config: ServiceConfig,
  api: Api,
  browser: () => Ceremonies = browserCeremonies,
  device: (api: Api) => Ceremonies = deviceCeremonies,
): Ceremonies {
  return config.ceremonies === "device" ? device(api) : browser();
}

export type Notice =
  | { kind: "passkey-set-up"; passkeyName: string }
  | { kind: "logged-out" }
  // Logged out by the idle timeout (session-timeout.ts), which was this long.
  | { kind: "timed-out"; idleSeconds: number }
  // Changes made on the account pages, announced on the settings page.
  | { kind: "passkey-renamed"; passkeyName: string }
  // stillOnKey: removed in the desktop app from a security key that was not plugged in.
  | { kind: "passkey-removed"; passkeyName: string; stillOnKey?: boolean }
  | { kind: "password-changed"; wasSet: boolean };

export interface Journey {
  /** The email typed on one page, offered again on the next (passkey -> password login). */
  email: string;
  /** A message for the next page to show once, then forget. */
  notice: Notice | null;
  /** The passkey (its id) chosen on the settings page to rename or remove. */
  passkey: string | null;
}

export interface App {
  api: Api;
  /** The ceremonies `GET /api/config` asks for; fetched once it succeeds. */
  ceremonies(): Promise<Ceremonies>;
  journey: Journey;
}

export function createApp(
  api: Api,
  choose: (config: ServiceConfig, api: Api) => Ceremonies = ceremoniesFor,
): App {
  let pending: Promise<Ceremonies> | null = null;
  return {
    api,
    ceremonies() {
      pending ??= api
        .getConfig()
        .then((config) => choose(config, api))
        .catch((error: unknown) => {
          pending = null; // ask again next time rather than remember a failure
          throw error;
        });
      return pending;
    },
    journey: { email: "", notice: null, passkey: null },
  };
}

/** Drops what the person told us during the visit, when it ends (logged out). */
export function forgetJourney(app: App): void {
  app.journey.email = "";
  app.journey.passkey = null;
  app.journey.notice = null;
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

export function isNotSignedIn(error: unknown): boolean {
  return error instanceof ApiError && error.code === "not_signed_in";
}
