// The warning before the app logs a person out for doing nothing (WCAG 2.2 success
// criterion 2.2.1, Timing Adjustable: warn, and let them extend with a simple action).
//
// The server says on every answer how long the session has left (docs/api.md:
// Session-Idle-Ends-In, Session-Ends-In); api/request.ts passes that here. Two minutes before the end
// a modal dialog counts down, with "Stay logged in" (which asks the server, so the idle timeout
// starts again) and "Log out". The design system has no modal, so this follows the GOV.UK and
// HMRC timeout warning pattern with nhsuk-frontend's type, buttons and spacing in a <dialog>.
//
// When the time is up the page asks the server before saying anything: another window may
// have used the session meanwhile. It only peeks (Session-Peek), which does not count as
// activity, so two windows asking in turn cannot keep an unused session alive for ever. Only
// a server that says "signed out" ends the visit here.

import type { Api } from "../api/service";
import { button, buttonGroup } from "../ui/components";
import { html } from "../ui/html";
import type { SessionTiming } from "../api/request";

/** How long before the end the warning opens (GOV.UK's pattern uses 2 minutes). */
export const WARNING_SECONDS = 120;

/** The shortest warning: WCAG 2.2.1 asks for at least 20 seconds to act. */
export const MIN_WARNING_SECONDS = 20;

/** The server's absolute timeout (backend/session: DefaultAbsoluteTimeout), in words. */
export const ABSOLUTE_LIMIT = "12 hours";

/**
 * Milliseconds on the page's monotonic clock (HTML "current high resolution time"): the
 * countdowns measure time that has passed with it, never with the wall clock (Date.now()),
 * which jumps when the computer's time is set or put right by NTP, as a kiosk's often is
 * some minutes after it starts. The timers (setTimeout) already run on time that passes.
 */
export function elapsedMs(): number {
  return performance.now();
}

/** How long the warning gives for an idle timeout of `idleSeconds`: half of it, 20 s to 2 minutes. */
export function warningSeconds(idleSeconds: number): number {
  return Math.min(WARNING_SECONDS, Math.max(MIN_WARNING_SECONDS, Math.floor(idleSeconds / 2)));
}

/** How a session ended without the person logging out. */
export interface TimedOut {
  /** The idle timeout, in seconds. */
  idleSeconds: number;
  /** True when the session reached the absolute limit (12 hours), not the idle timeout. */
  absolute: boolean;
}

export interface SessionTimeoutOptions {
  /** getSession extends the session ("Stay logged in"); peekSession only asks (the end). */
  api: Pick<Api, "getSession" | "peekSession" | "logout">;
  /** The person chose "Log out" in the warning: the server has ended the session. */
  loggedOut(): void | Promise<void>;
  /** The time ran out and the server confirms the session has ended. */
  timedOut(end: TimedOut): void | Promise<void>;
  document?: Document;
}

export class SessionTimeout {
  private readonly doc: Document;
  private deadline = 0; // elapsedMs() when the session ends
  private extendable = true;
  /** The idle timeout: the whole of it comes with every answer that counted as activity. */
  private idleSeconds = 0;
  private warnTimer: ReturnType<typeof setTimeout> | undefined;
  private endTimer: ReturnType<typeof setTimeout> | undefined;
  private tick: ReturnType<typeof setInterval> | undefined;
  private dialog: HTMLDialogElement | null = null;
  private returnFocus: HTMLElement | null = null;
  /** The moment (moment()) the person has last been told about. */
  private told = 0;
  private staying = false;

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
    const extendable = timing.idleEndsIn < timing.endsIn;
    // A peek (Session-Peek) says what is left of the idle timeout, never more than all of it.
    this.idleSeconds = Math.max(this.idleSeconds, timing.idleEndsIn);
    const before = this.secondsLeft();
    this.deadline = elapsedMs() + left * 1000;
    const warnFor = warningSeconds(this.idleSeconds);
    if (this.dialog) {
      // The session was used (here or in another window): no need to warn yet.
      if (left > warnFor || extendable !== this.extendable) this.close();
      else this.carryOn(before);
    }
    this.extendable = extendable;
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
    return Math.max(0, Math.ceil((this.deadline - elapsedMs()) / 1000));
  }

  private warn(): void {
    if (this.dialog) return;
    this.returnFocus = focusBefore(this.doc);
    const dialog = this.doc.createElement("dialog");
    dialog.className = "app-timeout-dialog";
    dialog.setAttribute("aria-labelledby", "timeout-heading");
    dialog.setAttribute("aria-describedby", "timeout-message");
    // The countdown changes every second, so screen readers are kept from it. They hear the
    // sentence in the dialog's description when the heading takes focus, and the live region
    // (empty until then) says the time again at each whole minute and at 20 seconds.
    dialog.innerHTML = html`<h2 class="nhsuk-heading-m" id="timeout-heading" tabindex="-1">You're about to be logged out</h2>
<div id="timeout-message">
  <p class="nhsuk-body" aria-hidden="true">For your security, we will log you out in <strong data-countdown></strong>.</p>
  <p class="nhsuk-u-visually-hidden" data-told></p>
  <p class="nhsuk-body">${
    this.extendable
      ? "Anything you have not saved will be lost."
      : "You have been logged in for the longest time allowed. Log in again to carry on."
  }</p>
</div>
<p class="nhsuk-u-visually-hidden" data-announce aria-live="polite" aria-atomic="true"></p>
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
    // Chromium closes a modal on a second Escape even though the first was prevented.
    dialog.addEventListener("close", () => this.closedByBrowser(dialog));
    this.dialog = dialog;
    this.tellTime(this.secondsLeft(), false);
    this.render();
    this.doc.body.append(dialog);
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    dialog.querySelector<HTMLElement>("#timeout-heading")?.focus();
    this.tick = setInterval(() => this.render(), 1000);
  }

  /** The warning stays open with a new end (another window used the session): count to it. */
  private carryOn(before: number): void {
    const left = this.secondsLeft();
    if (Math.abs(left - before) > 2) this.tellTime(left, true);
    this.render();
    this.tick = setInterval(() => this.render(), 1000);
  }

  /** Updates the countdown; screen readers hear it when the words change, not every second. */
  private render(): void {
    if (!this.dialog) return;
    const left = this.secondsLeft();
    const shown = this.dialog.querySelector("[data-countdown]");
    if (shown) shown.textContent = duration(left);
    if (moment(left) < this.told) this.tellTime(left, true);
  }

  /** Says how long is left: in the dialog's description, and out loud when `aloud`. */
  private tellTime(left: number, aloud: boolean): void {
    const dialog = this.dialog;
    if (!dialog) return;
    this.told = moment(left);
    const sentence = `For your security, we will log you out in ${duration(roughly(left))}.`;
    const told = dialog.querySelector("[data-told]");
    if (told) told.textContent = sentence;
    const live = dialog.querySelector("[data-announce]");
    if (live && aloud) live.textContent = sentence;
  }

  private close(): void {
    const dialog = this.dialog;
    if (!dialog) return;
    this.dialog = null;
    clearInterval(this.tick);
    if (dialog.open && typeof dialog.close === "function") dialog.close();
    dialog.remove();
    focusBack(this.doc, this.returnFocus);
    this.returnFocus = null;
  }

  /** The browser closed the warning itself (Escape again): as "Stay logged in". */
  private closedByBrowser(dialog: HTMLDialogElement): void {
    if (this.dialog !== dialog) return; // closed here, by close()
    this.close();
    if (this.extendable) void this.stay();
    else this.warn(); // nothing can extend it: the warning stays until the end
  }

  private async stay(): Promise<void> {
    if (this.staying) return;
    this.staying = true;
    try {
      // Any answer with a live session restarts the idle timeout and calls update().
      const session = await this.options.api.getSession();
      if (!session.signedIn) await this.end();
    } catch (error) {
      // Leave the warning up: the person can try again, and the end still comes.
      console.error(error);
    } finally {
      this.staying = false;
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
    const absolute = !this.extendable;
    let signedIn: boolean;
    try {
      // Only a peek: asking must not keep the session alive. If still in, update() re-arms.
      signedIn = (await this.options.api.peekSession()).signedIn;
    } catch {
      signedIn = false; // no answer: the end has passed, so act as the server will have
    }
    if (signedIn) return;
    // The session has ended on the server; logging out as well makes the desktop app forget
    // its cookie at once (a kiosk keeps nothing of the patient, not even a dead token).
    await this.options.api.logout().catch(() => undefined);
    this.close();
    await this.options.timedOut({ idleSeconds: this.idleSeconds, absolute });
  }
}

/** Where focus was before a warning opened: what it goes back to when it closes (focusBack). */
export function focusBefore(doc: Document): HTMLElement | null {
  const active = doc.activeElement;
  return active instanceof HTMLElement && active !== doc.body ? active : null;
}

/**
 * After a warning closes, focus goes back where it was; if it was nowhere (or that is gone),
 * to the page's h1, as after a page change, rather than to <body> with the dialog (a screen
 * reader would start again from the top).
 */
export function focusBack(doc: Document, before: HTMLElement | null): void {
  const back = before?.isConnected ? before : doc.querySelector<HTMLElement>("main h1");
  if (back && back !== before) back.setAttribute("tabindex", "-1");
  back?.focus();
}

/** The whole minute the countdown will next reach, or its last 20 seconds: when to say the time. */
function moment(left: number): number {
  return left <= MIN_WARNING_SECONDS ? MIN_WARNING_SECONDS : Math.ceil(left / 60) * 60;
}

/** Over a minute, to the nearest 5 seconds ("2 minutes", not "1 minute 59 seconds"). */
function roughly(seconds: number): number {
  return seconds > 60 ? Math.round(seconds / 5) * 5 : seconds;
}

/** Why the app logged someone out without their asking: the sentence the next page starts with. */
export function timedOutReason(end: TimedOut): string {
  if (end.absolute) return `We logged you out because you had been logged in for ${ABSOLUTE_LIMIT}, the longest time allowed.`;
  const idle = end.idleSeconds > 0 ? duration(end.idleSeconds) : "a while";
  return `We logged you out because you had not done anything for ${idle}.`;
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
