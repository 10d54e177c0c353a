// Kiosk mode (`GET /api/config` says "kiosk": true): the desktop app on a shared computer in
// a GP surgery or care home. Nothing of a patient may stay after they finish (issue #7):
//
// - A visit ends on logging out, on the idle timeout, and when the security key plugged in
//   during it is taken out (the shell ends the session; KioskWatch hears of it). Each ends
//   with a full page load of the start page (`location.replace`, so no history entry), so no
//   JavaScript memory survives: not the email typed, not the passkey chosen. The start page
//   says why, from `?ended=...`, then takes it out of the address (takeVisitEnd).
// - The router replaces history entries instead of adding them, and never leaves the app
//   (shell/router.ts, `kiosk`; pages/kiosk/link-out.ts).
// - Staff close the app with the administrator secret (pages/kiosk/exit.ts), from a footer
//   link that only kiosk mode has.

import { html } from "../ui/html";
import type { KioskApi } from "../api/kiosk";

/** timed-out: by the idle timeout (this long), or (absolute) by the longest time a session may last. */
export type VisitEnd =
  | { kind: "logged-out" }
  | { kind: "timed-out"; idleSeconds: number; absolute: boolean }
  | { kind: "key-removed" };

/** How often the page asks whether the shell has ended the session (the key was taken out). */
export const KIOSK_POLL_MS = 2000;

export const KIOSK_EXIT_PATH = "/kiosk/exit";

/**
 * The start page's address that says how the visit ended: `/?ended=timed-out&idle=300`, or
 * `/?ended=timed-out&limit=absolute` after the longest time a session may last.
 */
export function endedAddress(end: VisitEnd): string {
  const query = new URLSearchParams({ ended: end.kind });
  if (end.kind === "timed-out") {
    if (end.absolute) query.set("limit", "absolute");
    else query.set("idle", String(Math.max(0, Math.round(end.idleSeconds))));
  }
  return `/?${query.toString()}`;
}

/** Ends the visit: a full load of the start page that replaces this history entry. */
export function leaveTo(end: VisitEnd, location: Pick<Location, "replace"> = window.location): void {
  location.replace(endedAddress(end));
}

/**
 * How the last visit ended, read from the address, which is then put back to "/" so that
 * nothing of it stays there; null when the address says nothing (or nothing we know).
 */
export function takeVisitEnd(win: Window = window): VisitEnd | null {
  const query = new URLSearchParams(win.location.search);
  const kind = query.get("ended");
  if (kind === null) return null;
  win.history.replaceState(null, "", "/");
  switch (kind) {
    case "logged-out":
    case "key-removed":
      return { kind };
    case "timed-out": {
      const idle = query.get("idle") ?? "";
      return { kind, idleSeconds: /^\d{1,6}$/.test(idle) ? Number(idle) : 0, absolute: query.get("limit") === "absolute" };
    }
    default:
      return null;
  }
}

export interface KioskWatchOptions {
  api: Pick<KioskApi, "sessionEnded">;
  /** The shell has ended the session because the security key was taken out. */
  keyRemoved(): void;
  /** Resolves after `ms`; tests pass their own. */
  wait?: (ms: number) => Promise<void>;
}

/**
 * Asks the shell every 2 seconds whether it has ended the session, one request at a time.
 * It stops for good when the endpoint is not there (not kiosk mode) and once the key is out.
 */
export class KioskWatch {
  private running = false;
  private readonly wait: (ms: number) => Promise<void>;

  constructor(private readonly options: KioskWatchOptions) {
    this.wait = options.wait ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.running = false;
  }

  /** Whether stop() has been called: asked again after every await, since it may run during one. */
  private stopped(): boolean {
    return !this.running;
  }

  get watching(): boolean {
    return this.running;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      await this.wait(KIOSK_POLL_MS);
      if (this.stopped()) return;
      let ended: Awaited<ReturnType<KioskApi["sessionEnded"]>>;
      try {
        ended = await this.options.api.sessionEnded();
      } catch (error) {
        console.error(error); // no answer this time: ask again next time
        continue;
      }
      if (this.stopped()) return;
      if (ended === undefined) {
        this.running = false; // not kiosk mode: nothing to watch
        return;
      }
      if (ended === "key-removed") {
        this.running = false;
        this.options.keyRemoved();
        return;
      }
    }
  }
}

/** Adds "Staff: close the app" to the footer (kiosk mode only), once. */
export function offerKioskExit(root: ParentNode): void {
  const list = root.querySelector(".nhsuk-footer__list");
  if (!list || list.querySelector(`a[href="${KIOSK_EXIT_PATH}"]`)) return;
  const item = document.createElement("li");
  item.className = "nhsuk-footer__list-item";
  item.innerHTML = html`<a class="nhsuk-footer__list-item-link" href="${KIOSK_EXIT_PATH}">Staff: close the app</a>`.value;
  list.append(item);
}
