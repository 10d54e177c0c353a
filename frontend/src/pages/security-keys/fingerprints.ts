// `/security-keys/{id}/fingerprints` (keys with a fingerprint sensor): after the
// key's PIN, the fingerprints on it; add one (the person touches the sensor a few
// times, with the progress said in a live region), name it, rename or delete one.

import type { App } from "../../shell/app";
import { backLink, button, buttonGroup, errorSummary, input, insetText, successBanner, actionList, column, warningCallout } from "../../ui/components";
import { disableButtons, onAction } from "../../ui/forms";
import { html, type SafeHtml } from "../../ui/html";
import type { Fingerprint, KeyJob, SecurityKey } from "../../api/keys";
import type { Page, PageContext } from "../../shell/router";
import { LiveRegion } from "../../ui/live-region";
import type { Problem } from "./messages";
import { pinField, pinHint } from "../../ui/pin";
import { JOB_POLL_MS, keyPath, keyToWorkOn, type KeyPagesOptions } from "./key-pages";
import { askForKeyPin, deleteWithPinForm, onDeleteWithPin, onKeyForm } from "./key-form";

export function securityKeyFingerprintsPage(app: App, options: KeyPagesOptions): Page {
  return async (ctx) => {
    const key = await keyToWorkOn(app, options, ctx);
    if (!key) return;
    const flow = new Fingerprints(ctx, options, key);
    if (!key.fingerprints.supported || !key.pin.set || key.pin.blocked) flow.cannot();
    else flow.askForPin();
  };
}

function times(n: number): string {
  return `${n} more ${n === 1 ? "time" : "times"}`;
}

/** What the live region says while a fingerprint is being added. */
export function progressText(job: KeyJob): string {
  if (job.state === "done") return "Fingerprint added";
  const left = job.samplesLeft ?? 0;
  if (!job.lastSample) return "Touch the sensor on your security key with the finger you want to add";
  if (job.lastSample === "good") return `Touch the sensor again, ${times(left)}`;
  return `${job.feedback ?? "The key could not read that touch."} Touch the sensor again, ${times(left)}`;
}

function fingerprintName(f: Fingerprint, index: number): string {
  return f.name || `Fingerprint ${index + 1}`;
}

class Fingerprints {
  private list: Fingerprint[] = [];

  constructor(
    readonly ctx: PageContext,
    readonly options: KeyPagesOptions,
    public key: SecurityKey,
  ) {}

  cannot(): void {
    const why = !this.key.fingerprints.supported
      ? "This security key does not have a fingerprint sensor."
      : this.key.pin.blocked
        ? "The PIN of this security key is blocked. To use the key again, you need to reset it."
        : "This security key needs a PIN before you can add a fingerprint.";
    this.ctx.show({
      beforeContent: backLink(keyPath(this.key.id)),
      content: column(html`<h1>Fingerprints on ${this.key.name}</h1>
    <p>${why}</p>
    <p><a href="${keyPath(this.key.id)}">Back to ${this.key.name}</a></p>`),
    });
  }

  askForPin(): void {
    askForKeyPin(this, "fingerprints", async (pin) => {
      this.list = await this.options.keys.listFingerprints(this.key.id, pin);
      this.showList();
    });
  }

  private showList(banner?: SafeHtml): void {
    const list = this.list;
    const main = this.ctx.show({
      beforeContent: backLink(keyPath(this.key.id), `Back to ${this.key.name}`),
      content: column(html`${banner ?? ""}
    <h1>Fingerprints on ${this.key.name}</h1>
    ${
      list.length === 0
        ? html`<p>You have not added a fingerprint to this key yet. With a fingerprint, you can touch the key instead of entering its PIN.</p>`
        : actionList(
            list.map((f, i) => ({
              key: fingerprintName(f, i),
              value: "Can be used instead of the PIN",
              actions: [
                { text: "Rename", hidden: fingerprintName(f, i), data: `rename:${i}` },
                { text: "Delete", hidden: fingerprintName(f, i), data: `delete:${i}` },
              ],
            })),
          )
    }
    ${buttonGroup(button({ text: "Add a fingerprint", type: "button", id: "add", preventDoubleClick: false }))}
    <p><a href="${keyPath(this.key.id)}">Back to ${this.key.name}</a></p>`),
    });
    if (!main) return;
    onAction(main, (action) => {
      const [verb, at] = action.split(":");
      const f = list[Number(at)];
      if (verb === "rename" && f) this.rename(f, Number(at));
      if (verb === "delete" && f) this.confirmDelete(f, Number(at));
    });
    main.querySelector("#add")?.addEventListener("click", () => this.add());
  }

  private add(problem?: Problem, note?: string): void {
    const main = this.ctx.show({
      beforeContent: backLink(keyPath(this.key.id, "fingerprints")),
      content: column(html`${problem?.summary.length ? errorSummary(problem.summary) : ""}
    <h1>Add a fingerprint</h1>
    ${note ? insetText(html`<p>${note}</p>`) : ""}
    <p>You will touch the sensor on ${this.key.name} a few times with the same finger. Lift your finger off the sensor between touches.</p>
    <form method="post" novalidate>
      ${pinField({ label: "Enter your security key PIN", hint: pinHint(this.key.pin.retriesLeft), error: problem?.fields["pin"] })}
      ${buttonGroup(button({ text: "Continue" }), html`<a class="nhsuk-link" href="${keyPath(this.key.id)}">Cancel</a>`)}
    </form>`),
    });
    if (!main) return;
    onKeyForm(this, main, { pin: true }, async ({ pin }) => {
      const job = await this.options.keys.addFingerprint(this.key.id, pin);
      await this.follow(job);
    }, (p) => this.add(p));
  }

  /** Shows the samples as they are taken, until the job ends (or the person leaves or cancels). */
  private async follow(first: KeyJob): Promise<void> {
    const main = this.ctx.show({
      beforeContent: backLink(keyPath(this.key.id, "fingerprints")),
      content: column(html`<h1>Add a fingerprint</h1>
    <p>Keep your security key plugged in. Touch its sensor with the same finger each time, and lift your finger off between touches.</p>
    ${LiveRegion.markup()}
    ${buttonGroup(button({ text: "Cancel", variant: "secondary", type: "button", id: "cancel", preventDoubleClick: false }))}`),
    });
    if (!main) return;
    const region = new LiveRegion(main);
    // An object, not a boolean: set by the Cancel listener, which control-flow analysis cannot see.
    const cancel = { cancelling: false };
    main.querySelector("#cancel")?.addEventListener("click", () => {
      if (cancel.cancelling) return;
      cancel.cancelling = true;
      disableButtons(main);
      region.say("Cancelling…");
      void this.options.keys.cancelJob(first.id).catch((error: unknown) => console.error(error));
    });
    let job = first;
    for (;;) {
      if (!this.ctx.isCurrent()) {
        // Gone to another page: the key must not keep waiting for a finger.
        void this.options.keys.cancelJob(job.id).catch(() => {});
        return;
      }
      if (job.state === "done" && job.fingerprint) {
        this.added(job.fingerprint);
        return;
      }
      if (job.state === "failed") {
        if (job.error?.code === "cancelled") this.add(undefined, "You cancelled adding a fingerprint. Nothing was saved.");
        else this.add({ fields: {}, summary: [{ text: job.error?.message ?? "Something went wrong with your security key. Try again." }] });
        return;
      }
      if (!cancel.cancelling) region.say(progressText(job));
      await this.options.wait(JOB_POLL_MS);
      job = await this.options.keys.getJob(job.id);
    }
  }

  /** The fingerprint is on the key: offer to name it. */
  private added(fingerprint: Fingerprint, problem?: Problem): void {
    const main = this.ctx.show({
      beforeContent: backLink(keyPath(this.key.id)),
      content: column(html`${problem?.summary.length ? errorSummary(problem.summary) : successBanner("Fingerprint added", html`<p>You can now touch ${this.key.name} instead of entering its PIN.</p>`)}
    <h1>Give your fingerprint a name</h1>
    <p>A name, like “Right thumb”, helps you tell your fingerprints apart.</p>
    <form method="post" novalidate>
      ${input({ id: "name", label: "Name", error: problem?.fields["name"], autocomplete: "off", spellcheck: false })}
      ${pinField({ label: "Enter your security key PIN to save the name", hint: pinHint(this.key.pin.retriesLeft), error: problem?.fields["pin"] })}
      ${buttonGroup(button({ text: "Save name" }), html`<a class="nhsuk-link" href="${keyPath(this.key.id)}">Skip</a>`)}
    </form>`),
    });
    if (!main) return;
    onKeyForm(this, main, { pin: true, name: true }, async ({ pin, name }) => {
      this.list = await this.options.keys.renameFingerprint(this.key.id, fingerprint.id, name, pin);
      this.showList(successBanner("Fingerprint added", html`<p>It is called “${name}”.</p>`));
    }, (p) => this.added(fingerprint, p));
  }

  private rename(f: Fingerprint, index: number, problem?: Problem): void {
    const main = this.ctx.show({
      beforeContent: backLink(keyPath(this.key.id, "fingerprints")),
      content: column(html`${problem?.summary.length ? errorSummary(problem.summary) : ""}
    <h1>Rename ${fingerprintName(f, index)}</h1>
    <form method="post" novalidate>
      ${input({ id: "name", label: "New name", value: f.name, error: problem?.fields["name"], autocomplete: "off", spellcheck: false })}
      ${pinField({ label: "Enter your security key PIN", hint: pinHint(this.key.pin.retriesLeft), error: problem?.fields["pin"] })}
      ${buttonGroup(button({ text: "Save name" }), html`<button class="nhsuk-link" type="button" data-action="cancel">Cancel</button>`)}
    </form>`),
    });
    if (!main) return;
    onAction(main, (action) => {
      if (action === "cancel") this.showList();
    });
    onKeyForm(this, main, { pin: true, name: true }, async ({ pin, name }) => {
      this.list = await this.options.keys.renameFingerprint(this.key.id, f.id, name, pin);
      this.showList(successBanner("Fingerprint renamed", html`<p>It is now called “${name}”.</p>`));
    }, (p) => this.rename(f, index, p));
  }

  private confirmDelete(f: Fingerprint, index: number, problem?: Problem): void {
    const main = this.ctx.show({
      beforeContent: backLink(keyPath(this.key.id, "fingerprints")),
      content: column(html`${problem?.summary.length ? errorSummary(problem.summary) : ""}
    <h1>Are you sure you want to delete ${fingerprintName(f, index)}?</h1>
    ${warningCallout("You cannot undo this", html`<p>You will not be able to use this fingerprint with the key any more. You can still use the key's PIN, and add the fingerprint again later.</p>`)}
    ${deleteWithPinForm(this.key, "fingerprint", problem)}`),
    });
    if (!main) return;
    onDeleteWithPin(this, main, () => this.showList(), async (pin) => {
      this.list = await this.options.keys.deleteFingerprint(this.key.id, f.id, pin);
      this.showList(successBanner("Fingerprint deleted", html`<p>${fingerprintName(f, index)} has been deleted from ${this.key.name}.</p>`));
    }, (p) => this.confirmDelete(f, index, p));
  }
}
