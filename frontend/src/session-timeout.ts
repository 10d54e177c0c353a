// The warning before the app logs a person out for doing nothing (WCAG 2.2 success
// criterion 2.2.1, Timing Adjustable: warn, and let them extend with a simple action).
//
// The server says on every answer how long the session has left (docs/api.md:
// Session-Idle-Ends-In, Session-Ends-In); api.ts passes that here. Two minutes before the end
// a modal dialog counts down, with "Stay logged in" (which asks the server, so the idle timeout
// starts again) and "Log out". The design system has no modal, so this follows the GOV.UK and
// HMRC timeout warning pattern with nhsuk-frontend's type, buttons and spacing in a <dialog>.
//
// When the time is up the page asks the server before saying anything: another window may
// have used the session meanwhile. Only a server that says "signed out" ends the visit here.

import type { Api, SessionTiming } from "./api";
import { button, buttonGroup } from "./components";
import { html } from "./html";

/** How long before the end the warning opens (GOV.UK's pattern uses 2 minutes). */
export const WARNING_SECONDS = 120;

export interface SessionTimeoutOptions {
  api: Pick<Api, "getSession" | "logout">;
  /** The person chose "Log out" in the warning: the server has ended the session. */
  loggedOut(): void | Promise<void>;
  /** The time ran out and the server confirms the session has ended. */
  timedOut(idleSeconds: number): void | Promise<void>;
  document?: Document;
}

export class SessionTimeout {
  private readonly doc: Document;
  private deadline = 0; // Date.now() milliseconds when the session ends
  private extendable = true;
  private idleSeconds = 0;
  private warnTimer: ReturnType<typeof setTimeout> | undefined;
  private endTimer: ReturnType<typeof setTimeout> | undefined;
  private tick: ReturnType<typeof setInterval> | undefined;
  private dialog: HTMLDialogElement | null = null;
  private returnFocus: HTMLElement | null = null;
  private announced = "";

  constructor(private readonly options: SessionTimeoutOptions) {
    this.doc = options.document ?? document;
  }

  /** What the latest answer said: the time left, or null once signed out. */
  update(timing: SessionTiming | null): void {
    this.stopTimers();
    if (!timing) {
      this.close();
      return;
    }
    const left = Math.min(timing.idleEndsIn, timing.endsIn);
    this.extendable = timing.idleEndsIn < timing.endsIn;
    this.idleSeconds = timing.idleEndsIn;
    this.deadline = Date.now() + left * 1000;
    // A short timeout (a kiosk, a test) gets a warning of half its length, never under 10 s.
    const warnFor = Math.min(WARNING_SECONDS, Math.max(10, Math.floor(timing.idleEndsIn / 2)));
    if (this.dialog && this.extendable) this.close(); // the session was just used: no need to warn
    this.warnTimer = setTimeout(() => this.warn(), Math.max(0, (left - warnFor) * 1000));
    // A second after the end, so that the server's clock has certainly passed it too.
    this.endTimer = setTimeout(() => void this.end(), left * 1000 + 1000);
  }

  /** Stops everything (the app is going away). */
  stop(): void {
    this.stopTimers();
    this.close();
  }

  private stopTimers(): void {
    clearTimeout(this.warnTimer);
    clearTimeout(this.endTimer);
    clearInterval(this.tick);
  }

  private secondsLeft(): number {
    return Math.max(0, Math.ceil((this.deadline - Date.now()) / 1000));
  }

  private warn(): void {
    if (this.dialog) return;
    const active = this.doc.activeElement;
    this.returnFocus = active instanceof HTMLElement && active !== this.doc.body ? active : null;
    this.announced = "";
    const dialog = this.doc.createElement("dialog");
    dialog.className = "app-timeout-dialog";
    dialog.setAttribute("aria-labelledby", "timeout-heading");
    dialog.setAttribute("aria-describedby", "timeout-message");
    dialog.innerHTML = html`<h2 class="nhsuk-heading-m" id="timeout-heading" tabindex="-1">You're about to be logged out</h2>
<div id="timeout-message">
  <p class="nhsuk-body" aria-hidden="true">For your security, we will log you out in <strong data-countdown></strong>.</p>
  <p class="nhsuk-u-visually-hidden" data-announce aria-live="polite" aria-atomic="true"></p>
  <p class="nhsuk-body">${
    this.extendable
      ? "Anything you have not saved will be lost."
      : "You have been logged in for the longest time allowed. Log in again to carry on."
  }</p>
</div>
${buttonGroup(
  this.extendable ? button({ text: "Stay logged in", type: "button", preventDoubleClick: false }) : html``,
  button({ text: "Log out", type: "button", variant: this.extendable ? "secondary" : undefined, preventDoubleClick: false }),
)}`.value;
    const [first, second] = Array.from(dialog.querySelectorAll("button"));
    const stay = this.extendable ? first : null;
    const logOut = this.extendable ? second : first;
    stay?.addEventListener("click", () => void this.stay());
    logOut?.addEventListener("click", () => void this.logOut());
    // Escape means "I'm still here", as in the GOV.UK pattern, never "log me out".
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      if (this.extendable) void this.stay();
    });
    this.doc.body.append(dialog);
    this.dialog = dialog;
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    dialog.querySelector<HTMLElement>("#timeout-heading")?.focus();
    this.render();
    this.tick = setInterval(() => this.render(), 1000);
  }

  /** Updates the countdown; screen readers hear it when the words change, not every second. */
  private render(): void {
    const dialog = this.dialog;
    if (!dialog) return;
    const left = this.secondsLeft();
    const shown = dialog.querySelector("[data-countdown]");
    if (shown) shown.textContent = duration(left);
    // Announced at the start, at each whole minute, and at 20 seconds.
    const spoken = left > 60 ? `${Math.ceil(left / 60)} minutes` : left > 20 ? "1 minute" : "20 seconds";
    if (spoken !== this.announced) {
      this.announced = spoken;
      const live = dialog.querySelector("[data-announce]");
      if (live) live.textContent = `For your security, we will log you out in ${spoken}.`;
    }
  }

  private close(): void {
    const dialog = this.dialog;
    if (!dialog) return;
    this.dialog = null;
    clearInterval(this.tick);
    if (dialog.open && typeof dialog.close === "function") dialog.close();
    dialog.remove();
    if (this.returnFocus?.isConnected) this.returnFocus.focus();
    this.returnFocus = null;
  }

  private async stay(): Promise<void> {
    try {
      // Any answer with a live session restarts the idle timeout and calls update().
      const session = await this.options.api.getSession();
      if (!session.signedIn) await this.end();
    } catch (error) {
      // Leave the warning up: the person can try again, and the end still comes.
      console.error(error);
    }
  }

  private async logOut(): Promise<void> {
    try {
      await this.options.api.logout();
    } catch (error) {
      console.error(error);
      return;
    }
    this.stop();
    await this.options.loggedOut();
  }

  private async end(): Promise<void> {
    this.stopTimers();
    let signedIn = false;
    try {
      signedIn = (await this.options.api.getSession()).signedIn; // if still in, update() re-arms
    } catch {
      signedIn = false; // no answer: the end has passed, so act as the server will have
    }
    if (signedIn) return;
    // The session has ended on the server; logging out as well makes the desktop app forget
    // its cookie at once (a kiosk keeps nothing of the patient, not even a dead token).
    await this.options.api.logout().catch(() => undefined);
    this.close();
    await this.options.timedOut(this.idleSeconds);
  }
}

/** "1 minute 5 seconds", "2 minutes", "40 seconds". */
export function duration(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  const parts: string[] = [];
  if (m > 0) parts.push(`${m} ${m === 1 ? "minute" : "minutes"}`);
  if (s > 0 || m === 0) parts.push(`${s} ${s === 1 ? "second" : "seconds"}`);
  return parts.join(" ");
}
