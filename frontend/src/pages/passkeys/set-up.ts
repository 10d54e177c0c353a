// `/account/passkeys/set-up` (from Passkeys, "Set up a passkey"): what you need, then the
// registration ceremony: begin -> the device -> finish, and back to Passkeys with a success
// banner. With a passkey already, the page first says what will happen: confirm it's you with
// a passkey you have, then create the new one.
// When the server wants "Confirm it's you" first (403 reauth_required at begin, or at
// finish if the proof was used meanwhile), the page asks for it (reauth.ts), then comes back
// holding the proof and the person selects Continue again: browsers want a fresh click
// before they create a passkey.
// In the desktop app the device part is a few steps in this page (which
// security key, touch it, its PIN): see ceremony/device.ts.

import { failureToShow, isKiosk, requireAccount, type App } from "../../shell/app";
import { adviceFor, CeremonyError, isFinal, type Ceremonies, messageFor } from "../../ceremony/ceremony";
import { backLink, button, errorSummary, insetText, statusInsetText, statusArea } from "../../ui/components";
import { markBusy, onSubmit } from "../../ui/forms";
import { html, type SafeHtml } from "../../ui/html";
import type { Page, PageContext } from "../../shell/router";
import { PASSKEYS_PATH } from "./passkeys";
import { confirmItsYou, needsReauth, NOT_CONFIRMED } from "../account/reauth";
import { ApiError, SERVICE_PROBLEM } from "../../api/request";
import type { Account } from "../../api/account";

interface State {
  account: Account;
  /** From "Confirm it's you", for register begin; kept until a passkey is set up. */
  proof: string | null;
  problem: string | null;
  /** What to do about the problem. */
  nextStep: SafeHtml | null;
  unavailable: string | null;
  /**
   * Said under the heading, not as an error: the person cancelled on their security key's
   * steps, or has just confirmed it's you (or not).
   */
  cancelled: string | null;
  /** Who will ask the person where to save the passkey; null until GET /api/config answers. */
  client: Ceremonies["client"] | null;
  /** Kiosk mode: a shared computer, so the passkey goes on the person's own key, phone or tablet. */
  kiosk: boolean;
}

const TRY_AGAIN = html`<p>Select <strong>Continue</strong> to try again.</p>`;
const BACK_TO_SETTINGS = html`<p><a href="${PASSKEYS_PATH}">Go back to your passkeys</a></p>`;

export function passkeySetUpPage(app: App): Page {
  return async (ctx) => {
    const account = await requireAccount(app, ctx);
    if (!account) return;
    let unavailable: string | null = null;
    let client: State["client"] = null;
    try {
      const ceremonies = await app.ceremonies();
      client = ceremonies.client;
      unavailable = ceremonies.unavailable("create")?.message ?? null;
    } catch {
      // No config yet: find out again when the person selects Continue.
    }
    const kiosk = await isKiosk(app);
    render(app, ctx, { account, proof: null, problem: null, nextStep: null, unavailable, cancelled: null, client, kiosk });
  };
}

/** What the person can do next, depending on what went wrong. */
function nextStepFor(error: unknown): SafeHtml {
  if (error instanceof CeremonyError) {
    const advice = adviceFor(error);
    if (isFinal(error)) return advice ? html`<p>${advice}</p>${BACK_TO_SETTINGS}` : BACK_TO_SETTINGS;
    if (advice) return html`<p>${advice}</p>`;
  }
  if (error instanceof ApiError && error.code === "passkey_already_registered") return BACK_TO_SETTINGS;
  return TRY_AGAIN;
}

const WHAT_YOU_NEED_HELP = html`<p><a href="/help/what-you-need">Find out more about what you need to set up a passkey</a></p>`;
const SET_UP_HELP = html`<p><a href="/help/set-up">Get help with setting up a passkey</a></p>`;

const BROWSER_HOW_TO = html`<p>You can set up passkeys on your phone, tablet, computer or security key, and have more than one.</p>
    <h2>What you need</h2>
    <ul>
      <li>a screen lock on your device, such as a fingerprint, face, PIN, passcode or pattern</li>
      <li>Bluetooth turned on, if you want to save the passkey on a phone or tablet near you</li>
    </ul>
    <p>On an Apple device, you may be asked to turn on iCloud Keychain. Your passkey will then work on all your Apple devices.</p>
    ${WHAT_YOU_NEED_HELP}
    ${insetText(html`<p>Only set up a passkey on a device that belongs to you or one you trust.</p>`)}
    <h2>Choosing where to save it</h2>
    <p>After you select Continue, your device may ask where to save the passkey:</p>
    <ul>
      <li>choose <strong>This device</strong> (or something similar) to save it on the device you are using now</li>
      <li>choose <strong>Use a different phone or tablet</strong> to save it on another device, then scan the QR code with that device</li>
      <li>on a Windows computer, choose <strong>Windows Hello or external security key</strong></li>
    </ul>
    <p>Your device will then ask you to unlock it, for example with your fingerprint, face or PIN.</p>
    ${SET_UP_HELP}`;

const DEVICE_HOW_TO = html`<p>In this app, you save your passkey on a security key. You can then log in by plugging in the key, entering its PIN and touching it. You can have more than one passkey.</p>
    <p>If the app lists <strong>Use a different phone or tablet</strong>, you can save your passkey on your phone or tablet instead, by scanning a QR code with its camera.</p>
    <h2>What you need</h2>
    <ul>
      <li>a security key that works with passkeys (sometimes called a FIDO2 key), plugged into this computer</li>
      <li>the PIN for your security key, if it has one</li>
      <li>for a phone or tablet: Bluetooth turned on, on this computer and on the phone or tablet</li>
    </ul>
    ${WHAT_YOU_NEED_HELP}
    ${insetText(html`<p>Only set up a passkey on a security key that belongs to you.</p>`)}
    <h2>What happens next</h2>
    <p>After you select Continue, choose the security key to save your passkey on. Enter its PIN (or create one if it does not have a PIN yet), then touch the key when it flashes or lights up.</p>
    ${SET_UP_HELP}`;

// The desktop app on Windows: the app lists what Windows can use, and Windows' own dialogs
// do the rest.
const WINDOWS_HOW_TO = html`<p>You can save your passkey on this computer with Windows Hello, on a phone or tablet near you, or on a security key. You can have more than one passkey.</p>
    <h2>What you need</h2>
    <ul>
      <li>for this computer: Windows Hello set up, so you can unlock it with your fingerprint, face or Windows Hello PIN</li>
      <li>for a phone or tablet: Bluetooth turned on, on this computer and on the phone or tablet</li>
      <li>for a security key: a key that works with passkeys (sometimes called a FIDO2 key), and its PIN if it has one</li>
    </ul>
    ${WHAT_YOU_NEED_HELP}
    ${insetText(html`<p>Only set up a passkey on a device that belongs to you or that you trust.</p>`)}
    <h2>What happens next</h2>
    <p>After you select Continue, choose where to save your passkey. Then follow the instructions from Windows.</p>
    ${SET_UP_HELP}`;

// Kiosk mode (the desktop app on a shared computer): the trusted-device advice in its terms.
const KIOSK_HOW_TO = html`<p>This is a shared computer, so your passkey cannot be saved on it. Save it on your own security key instead, or on your own phone or tablet if the app offers one. You can then use it to log in on any computer.</p>
    <h2>What you need</h2>
    <ul>
      <li>your own security key that works with passkeys (sometimes called a FIDO2 key), plugged into this computer</li>
      <li>the PIN for your security key, if it has one</li>
    </ul>
    ${WHAT_YOU_NEED_HELP}
    ${insetText(html`<p>Only save a passkey on a security key, phone or tablet that belongs to you. Never leave your security key with this computer: take it with you when you have finished.</p>`)}
    <h2>What happens next</h2>
    <p>After you select Continue, choose your security key, or your phone or tablet. Then follow the instructions, for example touch your security key when it flashes or lights up, and enter its PIN if you are asked for it.</p>
    ${SET_UP_HELP}`;

/**
 * A second passkey: before anything pops up, the two steps the person will go through. The
 * server asks for "Confirm it's you" unless they logged in within the last 5 minutes
 * (docs/api.md, "Re-authentication"), and then a passkey they have is what it takes.
 */
function secondPasskeySteps(state: State): SafeHtml {
  const confirm =
    state.client === "device" || state.kiosk
      ? "confirm it's you with a security key that has one of your passkeys"
      : "confirm it's you with a passkey you already have";
  return html`<h2>Because you already have a passkey</h2>
    <p>After you select Continue, there are 2 steps:</p>
    <ol>
      <li>First, ${confirm}. This keeps your account safe.</li>
      <li>Then, create your new passkey.</li>
    </ol>
    <p>If you logged in less than 5 minutes ago, you will not need to confirm it's you first.</p>`;
}

function howTo(state: State): SafeHtml {
  if (state.client === "browser") return BROWSER_HOW_TO;
  // A kiosk, on Linux or on Windows (issue #20), never saves a passkey on the computer: its
  // advice comes before Windows' own, which offers Windows Hello.
  if (state.kiosk) return KIOSK_HOW_TO;
  return state.client === "windows" ? WINDOWS_HOW_TO : DEVICE_HOW_TO;
}

function render(app: App, ctx: PageContext, state: State): void {
  const main = ctx.show({
    beforeContent: backLink(PASSKEYS_PATH),
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${state.problem ? errorSummary([{ text: state.problem }], state.nextStep ?? undefined) : ""}
    <h1>Set up a passkey</h1>
    ${state.cancelled ? statusInsetText(state.cancelled) : ""}
    ${state.unavailable ? insetText(html`<p>${state.unavailable}</p>`) : ""}
    ${howTo(state)}
    ${state.account.hasPasskey && !state.proof ? secondPasskeySteps(state) : ""}
    <form method="post" novalidate>
      ${statusArea("passkey-status")}
      ${button({ text: "Continue" })}
    </form>
  </div>
</div>`,
  });
  if (!main) return;

  onSubmit(main, async (form) => {
    const done = markBusy(form, "Follow the instructions on your device.");
    let passkeyName: string;
    let client = state.client;
    try {
      const ceremonies = await app.ceremonies();
      client = ceremonies.client;
      const unavailable = ceremonies.unavailable("create");
      if (unavailable) throw unavailable;
      const start = await app.api.beginPasskeyRegistration(state.proof ?? undefined);
      const credential = await ceremonies.create(start.publicKey, ctx);
      passkeyName = (await app.api.finishPasskeyRegistration(start.ceremony, credential)).name;
    } catch (error) {
      done();
      if (!(await failureToShow(ctx, error))) return;
      if (needsReauth(error)) {
        const proof = await confirmItsYou(app, ctx, { action: "add-passkey", account: state.account, back: "/account/passkeys/set-up" });
        if (!ctx.isCurrent()) return;
        render(app, ctx, {
          ...state,
          client,
          proof,
          problem: null,
          nextStep: null,
          cancelled: proof ? "You have confirmed it's you. Select Continue to set up your passkey." : NOT_CONFIRMED,
        });
        return;
      }
      if (error instanceof CeremonyError && error.reason === "you_cancelled") {
        render(app, ctx, { ...state, client, problem: null, nextStep: null, cancelled: error.message });
        return;
      }
      if (!(error instanceof ApiError) && !(error instanceof CeremonyError)) console.error(error);
      render(app, ctx, {
        ...state,
        client,
        problem: messageFor(error, SERVICE_PROBLEM),
        nextStep: nextStepFor(error),
        cancelled: null,
      });
      return;
    }
    app.journey.notice = { kind: "passkey-set-up", passkeyName };
    if (ctx.isCurrent()) await ctx.navigate(PASSKEYS_PATH);
  });
}
