// `/account/passkeys/set-up`: what you need, then the registration ceremony:
// begin -> the device -> finish, and back to the settings with a success banner.

import { ApiError, SERVICE_PROBLEM } from "../api";
import { isNotSignedIn, requireAccount, type App } from "../app";
import { CeremonyError } from "../ceremony";
import { backLink, button, errorSummary, insetText, statusArea } from "../components";
import { markBusy, messageFor, onSubmit, submitButton } from "../forms";
import { html, type SafeHtml } from "../html";
import type { Page, PageContext } from "../router";

interface State {
  problem: string | null;
  /** What to do about the problem. */
  nextStep: SafeHtml | null;
  unavailable: string | null;
}

const TRY_AGAIN = html`<p>Select <strong>Continue</strong> to try again.</p>`;
const BACK_TO_SETTINGS = html`<p><a href="/account/security">Go back to your login and security settings</a></p>`;

export function passkeySetUpPage(app: App): Page {
  return async (ctx) => {
    const account = await requireAccount(app, ctx);
    if (!account) return;
    let unavailable: string | null = null;
    try {
      unavailable = (await app.ceremonies()).unavailable("create")?.message ?? null;
    } catch {
      // No config yet: find out again when the person selects Continue.
    }
    render(app, ctx, { problem: null, nextStep: null, unavailable });
  };
}

/** What the person can do next, depending on what went wrong. */
function nextStepFor(error: unknown): SafeHtml {
  if (error instanceof CeremonyError) {
    if (error.reason === "already_registered" || error.reason === "not_available_yet") return BACK_TO_SETTINGS;
    if (error.reason === "browser_unsupported" || error.reason === "security") return BACK_TO_SETTINGS;
  }
  if (error instanceof ApiError && error.code === "passkey_already_registered") return BACK_TO_SETTINGS;
  return TRY_AGAIN;
}

function render(app: App, ctx: PageContext, state: State): void {
  const main = ctx.show({
    beforeContent: backLink("/account/security"),
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${state.problem ? errorSummary([{ text: state.problem }], state.nextStep ?? undefined) : ""}
    <h1>Set up a passkey</h1>
    ${state.unavailable ? insetText(html`<p>${state.unavailable}</p>`) : ""}
    <p>You can set up passkeys on your phone, tablet, computer or security key, and have more than one.</p>
    <h2>What you need</h2>
    <ul>
      <li>a screen lock on your device, such as a fingerprint, face, PIN, passcode or pattern</li>
      <li>Bluetooth turned on, if you want to save the passkey on a phone or tablet near you</li>
    </ul>
    <p>On an Apple device, you may be asked to turn on iCloud Keychain. Your passkey will then work on all your Apple devices.</p>
    ${insetText(html`<p>Only set up a passkey on a device that belongs to you or one you trust.</p>`)}
    <h2>Choosing where to save it</h2>
    <p>After you select Continue, your device may ask where to save the passkey:</p>
    <ul>
      <li>choose <strong>This device</strong> (or something similar) to save it on the device you are using now</li>
      <li>choose <strong>Use a different phone or tablet</strong> to save it on another device, then scan the QR code with that device</li>
      <li>on a Windows computer, choose <strong>Windows Hello or external security key</strong></li>
    </ul>
    <p>Your device will then ask you to unlock it, for example with your fingerprint, face or PIN.</p>
    <form method="post" novalidate>
      ${statusArea("passkey-status")}
      ${button({ text: "Continue" })}
    </form>
  </div>
</div>`,
  });
  if (!main) return;

  onSubmit(main, async (form) => {
    const done = markBusy(submitButton(form), main.querySelector<HTMLElement>("#passkey-status"), "Follow the instructions on your device.");
    let passkeyName: string;
    try {
      const ceremonies = await app.ceremonies();
      const unavailable = ceremonies.unavailable("create");
      if (unavailable) throw unavailable;
      const start = await app.api.beginPasskeyRegistration();
      const credential = await ceremonies.create(start.publicKey);
      passkeyName = (await app.api.finishPasskeyRegistration(start.ceremony, credential)).name;
    } catch (error) {
      done();
      if (!ctx.isCurrent()) return;
      if (isNotSignedIn(error)) {
        await ctx.navigate("/login", { replace: true });
        return;
      }
      if (!(error instanceof ApiError) && !(error instanceof CeremonyError)) console.error(error);
      render(app, ctx, { ...state, problem: messageFor(error, SERVICE_PROBLEM), nextStep: nextStepFor(error) });
      return;
    }
    app.journey.notice = { kind: "passkey-set-up", passkeyName };
    if (ctx.isCurrent()) await ctx.navigate("/account/security");
  });
}
