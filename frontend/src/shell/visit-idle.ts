// Kiosk mode: a visit nobody has logged in to ends too (issue #7, "nothing of a patient
// stays"). The idle timeout (shell/session-timeout.ts) hangs on the server's session, so
// without this a patient who typed their email on Log in or Create an account and walked
// away would leave it on the screen for the next person, for ever: there is no session to
// time out. So with nobody logged in, after the kiosk's idle timeout (GET /api/config,
// `idleTimeout`) with no key pressed, nothing pointed at and nothing typed, the visit ends as
// every kiosk visit does: POST /api/logout, which ends whatever the visit started in the
// shell (a ceremony waiting for a touch, a phone's QR code: app/device/kioskapi), then a full
// load of the start page.
//
// WCAG 2.2.1 (Timing Adjustable): a warning comes first, as long as the session's (half the
// timeout, 20 seconds to 2 minutes), and "I'm still here" (or Escape) keeps the page as it is.
// The start page with nothing typed holds nothing of anyone: it is left alone, so a kiosk
// waiting for its next patient does not warn every few minutes.
//
// While someone is logged in the session's own timeout does this, with its own warning: this
// one then stays quiet, so there are never two warnings.

import { button, buttonGroup } from "../ui/components";
import { html } from "../ui/html";
import { duration, elapsedMs, focusBack, focusBefore, warningSeconds } from "./session-timeout";

/** What counts as someone being there. Listened to on the document, before the page sees it. */
export const ACTIVITY_EVENTS = ["keydown", "pointerdown", "input", "wheel", "touchstart"] as const;

export interface VisitIdleOptions {
  /** The kiosk's idle timeout, in seconds (GET /api/config, `idleTimeout`). */
  idleSeconds: number;
  /** Whether someone is logged in now: then the session's timeout is the one that ends the visit. */
  signedIn(): boolean;
  /** Ends the visit: tells the shell (POST /api/logout), then loads the start page afresh. */
  end(): void | Promise<void>;
  document?: Document;
}

export class VisitIdle {
  private readonly doc: Document;
  private readonly warnFor: number;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private endTimer: ReturnType<typeof setTimeout> | undefined;
  private tick: ReturnType<typeof setInterval> | undefined;
  private dialog: HTMLDialogElement | null = null;
  private returnFocus: HTMLElement | null = null;
  private deadline = 0;
  /** Something was typed on this page load: the start page then holds it too. */
  private typed = false;
  private ending = false;

  private readonly onActivity = (event: Event): void => {
    if (event.type === "input") this.typed = true;
    // While the warning is up only its own answer counts, as in the session's warning: a
    // stray touch must not hide it unread.
    if (!this.dialog) this.arm();
  };

  constructor(private readonly options: VisitIdleOptions) {
    this.doc = options.document ?? document;
    this.warnFor = warningSeconds(options.idleSeconds);
  }

  start(): void {
    for (const type of ACTIVITY_EVENTS) this.doc.addEventListener(type, this.onActivity, { capture: true, passive: true });
    this.arm();
  }

  stop(): void {
    for (const type of ACTIVITY_EVENTS) this.doc.removeEventListener(type, this.onActivity, { capture: true });
    this.clearTimers();
    this.close();
  }

  private clearTimers(): void {
    clearTimeout(this.idleTimer);
    clearTimeout(this.endTimer);
    clearInterval(this.tick);
  }

  /** Starts the quiet time again: the warning comes warnFor seconds before the end. */
  private arm(): void {
    this.clearTimers();
    this.idleTimer = setTimeout(() => this.warn(), Math.max(0, this.options.idleSeconds - this.warnFor) * 1000);
  }

  /** Whether the page holds nothing of anyone: the start page, with nothing typed since it loaded. */
  private empty(): boolean {
    return this.doc.location.pathname === "/" && !this.typed;
  }

  private warn(): void {
    if (this.dialog || this.ending) return;
    if (this.options.signedIn() || this.empty()) {
      this.arm();
      return;
    }
    this.returnFocus = focusBefore(this.doc);
    const dialog = this.doc.createElement("dialog");
    dialog.className = "app-timeout-dialog";
    dialog.setAttribute("aria-labelledby", "visit-idle-heading");
    dialog.setAttribute("aria-describedby", "visit-idle-message");
    dialog.innerHTML = html`<h2 class="nhsuk-heading-m" id="visit-idle-heading" tabindex="-1">Are you still there?</h2>
<div id="visit-idle-message">
  <p class="nhsuk-body">This is a shared computer. To keep your details private, this page will go back to the start in <strong data-countdown></strong> and anything you have typed will be cleared.</p>
</div>
${buttonGroup(button({ text: "I'm still here", type: "button", preventDoubleClick: false }))}`.value;
    dialog.querySelector("button")?.addEventListener("click", () => this.stay());
    // Escape means "I'm still here", as in the session's warning.
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      this.stay();
    });
    // Chromium closes a modal on a second Escape even though the first was prevented.
    dialog.addEventListener("close", () => {
      if (this.dialog === dialog) this.stay();
    });
    this.dialog = dialog;
    this.deadline = elapsedMs() + this.warnFor * 1000;
    this.render();
    this.doc.body.append(dialog);
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
    dialog.querySelector<HTMLElement>("#visit-idle-heading")?.focus();
    this.tick = setInterval(() => this.render(), 1000);
    this.endTimer = setTimeout(() => void this.finish(), this.warnFor * 1000);
  }

  private render(): void {
    const shown = this.dialog?.querySelector("[data-countdown]");
    if (shown) shown.textContent = duration(Math.max(0, Math.ceil((this.deadline - elapsedMs()) / 1000)));
  }

  /** "I'm still here": the page stays as it is, and the quiet time starts again. */
  private stay(): void {
    this.close();
    this.arm();
  }

  private close(): void {
    const dialog = this.dialog;
    if (!dialog) return;
    this.dialog = null;
    clearInterval(this.tick);
    clearTimeout(this.endTimer);
    if (dialog.open && typeof dialog.close === "function") dialog.close();
    dialog.remove();
    focusBack(this.doc, this.returnFocus);
    this.returnFocus = null;
  }

  private async finish(): Promise<void> {
    if (this.ending) return;
    this.clearTimers();
    if (this.options.signedIn()) {
      // Logged in while the warning was up (in another way than this page): the session's
      // timeout is the one that counts now.
      this.close();
      this.arm();
      return;
    }
    this.ending = true;
    await this.options.end();
  }
}
