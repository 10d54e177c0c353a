// `/security-keys/{id}/reset`: a factory reset. First a check (with the key's
// PIN, when it has a usable one) of which NHS login passkeys are on the key and
// that the account keeps another way to log in; then a confirmation page naming
// them; then, since a key can only be reset in the first seconds after it is
// plugged in, "remove it and insert it again" (the virtual key has a button for
// that), and the reset starts by itself as soon as the key is back; the key asks
// for a touch.

import type { App } from "../../shell/app";
import { backLink, button, buttonGroup, errorSummary, insetText, column, warningCallout } from "../../ui/components";
import { disableButtons, onAction, takeField } from "../../ui/forms";
import { html, type SafeHtml } from "../../ui/html";
import type { KeyJob, ResetCheck, SecurityKey } from "../../api/keys";
import type { Page, PageContext } from "../../shell/router";
import { LiveRegion } from "../../ui/live-region";
import { problemFrom, type Problem } from "./messages";
import { pinField, pinHint } from "../../ui/pin";
import { PIN_MESSAGES } from "../../ui/validation";
import { JOB_POLL_MS, keyForPage, keyPath, KEYS_POLL_MS, SECURITY_KEYS_PATH, type KeyPagesOptions } from "./key-pages";
import { ApiError, SERVICE_PROBLEM } from "../../api/request";
import { messageFor } from "../../ceremony/ceremony";

export function securityKeyResetPage(app: App, options: KeyPagesOptions): Page {
  return async (ctx) => {
    const key = await keyForPage(app, options, ctx);
    if (!key) return;
    new Reset(ctx, options, key).start();
  };
}

/** The key can be asked what is on it (else the check assumes the worst, without a PIN). */
function pinUsable(key: SecurityKey): boolean {
  return key.pin.set && !key.pin.blocked && !key.pin.mustChange && key.passkeys.manageable;
}

class Reset {
  constructor(
    private readonly ctx: PageContext,
    private readonly options: KeyPagesOptions,
    private key: SecurityKey,
  ) {}

  start(problem?: Problem): void {
    const askPin = pinUsable(this.key);
    const main = this.ctx.show({
      beforeContent: backLink(keyPath(this.key.id)),
      content: column(html`${problem?.summary.length ? errorSummary(problem.summary) : ""}
    <h1>Reset ${this.key.name}</h1>
    ${warningCallout(
      "Resetting deletes everything on the key",
      html`<p>Every passkey and fingerprint on the key is deleted, and so is its PIN. This includes passkeys for other websites and apps. You cannot undo this.</p>`,
    )}
    <p>${
      askPin
        ? "First we will check which of your NHS login passkeys are on this key, so you keep a way to log in."
        : "First we will check that you keep a way to log in to your NHS login."
    }</p>
    <form method="post" novalidate>
      ${askPin ? pinField({ label: "Enter your security key PIN", hint: pinHint(this.key.pin.retriesLeft), error: problem?.fields["pin"] }) : ""}
      ${
        // Forgetting the PIN is why most people reset a key: they must not have to use up
        // its tries first. Without the PIN the key cannot be asked what is on it.
        askPin ? html`<p><button class="nhsuk-link" type="button" data-action="pin-forgotten">I have forgotten the PIN</button></p>` : ""
      }
      ${buttonGroup(button({ text: "Continue" }), html`<a class="nhsuk-link" href="${keyPath(this.key.id)}">Cancel</a>`)}
    </form>`),
    });
    if (!main) return;
    let sending = false;
    const check = (pin: string | undefined, pinForgotten: boolean): void => {
      sending = true;
      disableButtons(main);
      void (async () => {
        let answer: ResetCheck;
        try {
          answer = await this.options.keys.checkReset(this.key.id, pin, pinForgotten);
        } catch (error) {
          if (!this.ctx.isCurrent()) return;
          if (error instanceof ApiError && error.code === "last_way_to_log_in") {
            this.refused(error.message);
            return;
          }
          this.key = await this.options.keys.getKey(this.key.id).catch(() => this.key);
          if (this.ctx.isCurrent()) this.start(problemFrom(error));
          return;
        }
        if (this.ctx.isCurrent()) this.confirm(answer);
      })().catch((error: unknown) => console.error(error));
    };
    main.querySelector("form")?.addEventListener("submit", (event) => {
      event.preventDefault();
      if (sending) return;
      const pin = askPin ? takeField(main, "pin") : undefined;
      if (pin === "") {
        this.start({ fields: { pin: PIN_MESSAGES.pinMissing }, summary: [{ text: PIN_MESSAGES.pinMissing, href: "#pin" }] });
        return;
      }
      check(pin, false);
    });
    onAction(main, (action) => {
      if (action !== "pin-forgotten" || sending) return;
      takeField(main, "pin"); // whatever was typed is not sent
      check(undefined, true);
    });
  }

  /** The account would be left with no way to log in. */
  private refused(message: string): void {
    this.ctx.show({
      beforeContent: backLink(keyPath(this.key.id)),
      content: column(html`<h1>You cannot reset this security key yet</h1>
    <p>${message}</p>
    <p>Resetting it would delete the only passkey you can use to log in to your NHS login.</p>
    <p><a href="/account/security">Go to Login and security settings</a> to set up another passkey.</p>
    <p><a href="${keyPath(this.key.id)}">Back to ${this.key.name}</a></p>`),
    });
  }

  private confirm(check: ResetCheck, problem?: string): void {
    const names = check.accountPasskeys.map((p) => html`<li>${p.name}</li>`);
    const affected: SafeHtml = check.accountPasskeys.length
      ? html`<p>${
          check.certain
            ? "These NHS login passkeys are on this key and will stop working:"
            : "We could not check the key, so these NHS login passkeys may be on it. If they are, they will stop working:"
        }</p>
    <ul>${names}</ul>
    ${
      check.certain
        ? html`<p>Remove them from your NHS login afterwards, in Login and security settings.</p>`
        : html`<p>A passkey saved on another security key will still work, so keep it in your NHS login.</p>`
    }`
      : html`<p>None of your NHS login passkeys are on this key.</p>`;
    // The check made sure the account keeps a way in; say which, so the person knows.
    const keeps = check.otherWaysIn;
    const passkeys = keeps.passkeys.map((p) => html`<li>${p.name}</li>`);
    const waysIn: SafeHtml | string = keeps.passkeys.length
      ? html`<p>You can still log in to your NHS login with ${keeps.password ? "your password or " : ""}${keeps.passkeys.length === 1 ? "this passkey" : "these passkeys"}:</p>
    <ul>${passkeys}</ul>`
      : keeps.password
        ? html`<p>You can still log in to your NHS login with your password.</p>`
        : "";
    const main = this.ctx.show({
      beforeContent: backLink(keyPath(this.key.id)),
      content: column(html`${problem ? errorSummary([{ text: problem }]) : ""}
    <h1>Are you sure you want to reset ${this.key.name}?</h1>
    ${warningCallout("Everything on the key will be deleted", html`${affected}${waysIn}`)}
    <p>Passkeys for other websites and apps on the key will stop working too. You cannot undo this.</p>
    <form method="post" novalidate>
      ${buttonGroup(button({ text: "Reset security key", variant: "warning" }), html`<a class="nhsuk-link" href="${keyPath(this.key.id)}">Cancel</a>`)}
    </form>`),
    });
    if (!main) return;
    main.querySelector("form")?.addEventListener("submit", (event) => {
      event.preventDefault();
      disableButtons(main);
      void this.whenInWindow(check).catch((error: unknown) => {
        console.error(error);
        if (this.ctx.isCurrent()) this.confirm(check, messageFor(error, SERVICE_PROBLEM));
      });
    });
  }

  /**
   * Starts the reset when the key is in its window after being plugged in;
   * otherwise asks the person to remove and reinsert it, and watches the list of
   * keys until it is back (perhaps under a new id).
   */
  private async whenInWindow(check: ResetCheck, problem?: string): Promise<void> {
    // After a refusal the key must go out and back in, whatever the app saw before.
    const now = problem ? null : await this.options.keys.getKey(this.key.id).catch(() => null);
    if (!this.ctx.isCurrent()) return;
    if (now && now.resetSecondsLeft > 0) {
      await this.reset(check, now.id);
      return;
    }
    const virtual = this.key.kind === "virtual";
    const main = this.ctx.show({
      beforeContent: backLink(keyPath(this.key.id)),
      content: column(html`${problem ? errorSummary([{ text: problem }]) : ""}
    <h1>Remove your security key and insert it again</h1>
    <p>A security key can only be reset in the first few seconds after it is plugged in. Take ${this.key.name} out of the USB port, then put it back in. The reset will start straight away.</p>
    ${virtual ? insetText(html`<p>This is the virtual security key, so you cannot take it out. Select <strong>Remove and insert the virtual key</strong> instead.</p>`) : ""}
    ${LiveRegion.markup()}
    ${buttonGroup(
      ...(virtual ? [button({ text: "Remove and insert the virtual key", type: "button", id: "replug" })] : []),
      button({ text: "Cancel", variant: "secondary", type: "button", id: "cancel", preventDoubleClick: false }),
    )}`),
    });
    if (!main) return;
    const region = new LiveRegion(main);
    // An object, not booleans: set by the listeners, which control-flow analysis cannot see.
    const chosen = { cancelled: false, replugged: false };
    main.querySelector("#cancel")?.addEventListener("click", () => {
      chosen.cancelled = true;
    });
    main.querySelector("#replug")?.addEventListener("click", () => {
      chosen.replugged = true;
      disableButtons(main);
    });
    let removed = false;
    const before = new Set((await this.options.keys.listKeys()).keys.map((k) => k.id));
    for (;;) {
      if (!this.ctx.isCurrent()) return;
      if (chosen.cancelled) {
        await this.ctx.navigate(keyPath(this.key.id));
        return;
      }
      if (chosen.replugged) {
        const key = await this.options.keys.replug(this.key.id);
        if (this.ctx.isCurrent()) await this.reset(check, key.id);
        return;
      }
      const { keys } = await this.options.keys.listKeys();
      if (!this.ctx.isCurrent()) return;
      const same = keys.find((k) => k.id === this.key.id);
      if (!same) removed = true;
      // Back in: the same key, or (the computer may give it a new id) a key of the same
      // kind that was not there before.
      const back = same ?? keys.find((k) => !before.has(k.id) && k.name === this.key.name);
      if (removed && back && back.resetSecondsLeft > 0) {
        await this.reset(check, back.id);
        return;
      }
      region.say(removed ? "Now insert your security key again" : virtual ? "" : "Take your security key out of the USB port");
      await this.options.wait(KEYS_POLL_MS);
    }
  }

  private async reset(check: ResetCheck, keyId: string): Promise<void> {
    let job: KeyJob;
    try {
      job = await this.options.keys.reset(keyId, check.ticket);
    } catch (error) {
      if (!this.ctx.isCurrent()) return;
      if (error instanceof ApiError && error.code === "reset_window_passed") {
        await this.whenInWindow(check, error.message);
        return;
      }
      if (error instanceof ApiError && error.code === "last_way_to_log_in") {
        this.refused(error.message);
        return;
      }
      this.confirm(check, messageFor(error, SERVICE_PROBLEM));
      return;
    }
    this.key = { ...this.key, id: keyId };
    const main = this.ctx.show({
      beforeContent: backLink(keyPath(keyId)),
      content: column(html`<h1>Resetting ${this.key.name}</h1>
    <p>Keep your security key plugged in until this has finished.</p>
    ${LiveRegion.markup()}
    ${buttonGroup(button({ text: "Cancel", variant: "secondary", type: "button", id: "cancel", preventDoubleClick: false }))}`),
    });
    if (!main) return;
    const region = new LiveRegion(main);
    main.querySelector("#cancel")?.addEventListener("click", () => {
      disableButtons(main);
      region.say("Cancelling…");
      void this.options.keys.cancelJob(job.id).catch((error: unknown) => console.error(error));
    });
    for (;;) {
      if (!this.ctx.isCurrent()) {
        void this.options.keys.cancelJob(job.id).catch(() => {});
        return;
      }
      if (job.state === "done") {
        this.done(check);
        return;
      }
      if (job.state === "failed") {
        if (job.error?.code === "reset_window_passed") {
          await this.whenInWindow(check, job.error.message);
        } else if (job.error?.code === "cancelled") {
          this.confirm(check, job.error.message);
        } else {
          this.confirm(check, job.error?.message ?? SERVICE_PROBLEM);
        }
        return;
      }
      region.say(job.state === "touch" ? "Touch your security key to reset it" : "Resetting…");
      await this.options.wait(JOB_POLL_MS);
      job = await this.options.keys.getJob(job.id);
    }
  }

  private done(check: ResetCheck): void {
    this.ctx.show({
      beforeContent: backLink(SECURITY_KEYS_PATH, "Back to security keys"),
      content: column(html`<div class="nhsuk-panel">
      <h1 class="nhsuk-panel__title">Your security key has been reset</h1>
      <div class="nhsuk-panel__body">It has no passkeys, fingerprints or PIN now.</div>
    </div>
    ${check.accountPasskeys.length ? nextSteps(check) : ""}
    <p>To use the key for your NHS login again, set up a passkey on it. It will ask you to create a new PIN.</p>
    <p><a href="${SECURITY_KEYS_PATH}">Back to security keys</a></p>`),
    });
  }
}

/**
 * What to do with the account's passkeys after a reset. A check that could not ask the key
 * (its PIN blocked or to be changed) listed every passkey on a key of this model, and one of
 * them may be on the person's other key of the same model, where it still works: removing
 * that one from the account would lose a way in that works.
 */
function nextSteps(check: ResetCheck): SafeHtml {
  const names = html`<ul>${check.accountPasskeys.map((p) => html`<li>${p.name}</li>`)}</ul>`;
  const settings = html`<p><a href="/account/security">Go to Login and security settings</a></p>`;
  if (check.certain) {
    return html`<h2>What you need to do next</h2>
    <p>Remove these passkeys from your NHS login, as they no longer work:</p>
    ${names}${settings}`;
  }
  return html`<h2>What you need to do next</h2>
    <p>These NHS login passkeys may have been on the key:</p>
    ${names}
    <p>Remove from your NHS login only the ones that were saved on this key. Do not remove a passkey that is saved on another security key, as it still works.</p>
    ${settings}`;
}
