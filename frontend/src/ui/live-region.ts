// A live region for what changes while the person waits (a key job, a reinserted key).

import { html, type SafeHtml } from "./html";

/**
 * A role="status" live region that screen readers announce without moving
 * focus. It is rendered empty; the first text is put in just after, so the
 * change is announced.
 */
export class LiveRegion {
  private said = "";
  private ready = false;
  private wanted = "";

  constructor(
    private readonly main: HTMLElement,
    private readonly id = "key-status",
  ) {
    setTimeout(() => {
      this.ready = true;
      this.say(this.wanted);
    }, 0);
  }

  static markup(id = "key-status"): SafeHtml {
    return html`<div class="nhsuk-body-l nhsuk-u-font-weight-bold nhsuk-u-margin-bottom-5" id="${id}" role="status" aria-live="polite"></div>`;
  }

  say(text: string): void {
    this.wanted = text;
    const region = this.main.querySelector<HTMLElement>(`#${this.id}`);
    if (!this.ready || !region || this.said === text) return;
    this.said = text;
    region.textContent = text;
  }
}
