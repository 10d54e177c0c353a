// `/login`: log in with a passkey. The email is optional: left empty, the
// device offers the passkeys it holds for NHS login (the page says so). Whatever
// goes wrong, the password is one link away, with the typed email carried over in
// memory. When the passkey is not on this device (the usual case after losing
// one), the page says so first and offers the password.
// In the desktop app the device part is a few steps in this page (which
// security key, touch it, its PIN): see ceremony/device.ts.

import type { App } from "../../shell/app";
import { adviceFor, CeremonyError, type Ceremonies, messageFor } from "../../ceremony/ceremony";
import { backLink, button, details, errorSummary, input, insetText, statusInsetText, statusArea, type ErrorSummaryItem } from "../../ui/components";
import { fieldErrorsFrom, fieldValue, markBusy, onSubmit, summaryItems } from "../../ui/forms";
import { html, type SafeHtml } from "../../ui/html";
import type { Page, PageContext } from "../../shell/router";
import { hasErrors, validatePasskeyLogin, type FieldErrors } from "../../ui/validation";
import { loginRefusal } from "./refusals";
import { ApiError, SERVICE_PROBLEM } from "../../api/request";

const PASSWORD_LINK = html`<a href="/login/password">Log in with your password instead</a>`;
/** In the error summary, after what went wrong: the way in that still works. */
const SUMMARY_PASSWORD_LINK = html`<a href="/login/password">Log in with your password</a>`;

/** Under "Email address": it may be left empty, and what happens then. */
function emailHint(client: State["client"]): string {
  const then =
    client === "windows"
      ? "Windows will then offer the passkeys it can find for NHS login."
      : client === "device"
        ? "The app will then look for your passkey on the security key you choose."
        : "Your device will then show you the passkeys it has for NHS login, so you can choose one.";
  return `You can leave this empty. ${then}`;
}

const IF_DEVICE_IS_GONE =
  "If you no longer have the device your passkey is on, log in with your password. Then, in your Login and security settings, remove the passkey that was on it.";

/**
 * A passkey that may not be on this device. A browser says only "not allowed" (WebAuthn L3
 * §5.1.4.1: cancelled, timed out, or no passkey for NHS login here, deliberately alike), and
 * after losing a device the missing passkey is the likeliest, so it is said first. The desktop
 * app knows (no_passkey_on_key) and says what it looked on; either way the person is told what
 * to do if the device with their passkey is gone, and the password is offered.
 */
function notOnThisDevice(error: CeremonyError, client: State["client"]): { problem: string; advice: SafeHtml } | null {
  if (error.kind !== "get") return null;
  if (error.reason === "cancelled" && (client === "browser" || client === null)) {
    return {
      problem: "Your passkey may not be on this device.",
      advice: html`<p>If your passkey is on a different phone or tablet, select Continue, then choose <strong>Use a different phone or tablet</strong> and scan the QR code with it.</p>
        <p>${IF_DEVICE_IS_GONE}</p>
        <p>If you cancelled or your device took too long, select Continue to try again.</p>`,
    };
  }
  if (error.reason !== "no_passkey_on_key") return null;
  // The shell's own words say where it looked ("on this security key", "in Windows Hello on
  // this computer"); what to do next is said after them.
  const advice = adviceFor(error);
  return { problem: error.message, advice: html`${advice ? html`<p>${advice}</p>` : ""}<p>${IF_DEVICE_IS_GONE}</p>` };
}

const HELP_LINK = html`<p><a href="/help/log-in">Get help with logging in with a passkey</a></p>`;

/** Help where the person needs it: what to check, for a browser or for the desktop app's security keys. */
function problemsLoggingIn(client: State["client"]): SafeHtml {
  return details(
    "Problems logging in with a passkey",
    client === "windows"
      ? html`<p>If your passkey is on a phone or tablet, turn on Bluetooth on this computer and on the phone or tablet, then choose <strong>Use a different phone or tablet</strong> and scan the QR code that Windows shows.</p>
    <p>If your passkey is on a security key, check that it is plugged into this computer.</p>
    <p>If you still cannot log in, use your password instead.</p>
    ${HELP_LINK}`
      : client === "device"
      ? html`<p>Check that your security key is plugged into this computer. If you have more than one, try another one.</p>
    <p>If your passkey is on a phone or tablet, choose <strong>Use a different phone or tablet</strong>, if the app lists it. Turn on Bluetooth on this computer and on the phone or tablet, then scan the QR code with it.</p>
    <p>If the app does not list it, you cannot use a passkey on your phone or tablet to log in to this app. Use a security key, or log in with your password instead.</p>
    ${HELP_LINK}`
      : html`<p>If your passkey is on a different phone or tablet, select <strong>Continue</strong>, then choose <strong>Use a different phone or tablet</strong> and scan the QR code with it.</p>
    <p>On an iPhone or iPad, check that <strong>Password AutoFill</strong> and <strong>Passkey AutoFill</strong> are turned on in your settings.</p>
    <p>If you still cannot log in, use your password instead.</p>
    ${HELP_LINK}`,
  );
}

interface State {
  email: string;
  errors: FieldErrors;
  /** Why the passkey step did not work; shown with the way to use the password. */
  problem: string | null;
  /** What to do about the problem, besides using the password: a sentence, or paragraphs. */
  advice: string | SafeHtml | null;
  /** During a lockout the password cannot be used either, so it is not offered with the problem. */
  locked?: boolean;
  /** Set when passkeys cannot be used here at all (a browser without WebAuthn). */
  unavailable: string | null;
  /** The person cancelled on their security key's steps: said under the heading, not as an error. */
  cancelled: string | null;
  /** Who will ask the person for their passkey; null until GET /api/config answers. */
  client: Ceremonies["client"] | null;
}

export function loginPage(app: App): Page {
  return async (ctx) => {
    let unavailable: string | null = null;
    let client: State["client"] = null;
    try {
      const ceremonies = await app.ceremonies();
      client = ceremonies.client;
      unavailable = ceremonies.unavailable("get")?.message ?? null;
    } catch {
      // No config yet: find out again when the person selects Continue.
    }
    render(app, ctx, {
      email: app.journey.email,
      errors: {},
      problem: null,
      advice: null,
      unavailable,
      cancelled: null,
      client,
    });
  };
}

function render(app: App, ctx: PageContext, state: State): void {
  const items: ErrorSummaryItem[] = [
    ...(state.problem ? [{ text: state.problem }] : []),
    ...summaryItems(state.errors, ["email"]),
  ];
  const summary = items.length
    ? errorSummary(
        items,
        state.problem
          ? html`${typeof state.advice === "string" ? html`<p>${state.advice}</p>` : (state.advice ?? "")}${
              state.locked ? "" : html`<p>${SUMMARY_PASSWORD_LINK}</p>`
            }`
          : undefined,
      )
    : "";
  const main = ctx.show({
    beforeContent: backLink("/"),
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${summary}
    <h1>Log in</h1>
    ${state.cancelled ? statusInsetText(state.cancelled) : ""}
    ${state.unavailable ? insetText(html`<p>${state.unavailable}</p>`) : ""}
    ${
      state.client === "windows"
        ? html`<p>Enter your email address, then choose where your passkey is saved and follow the instructions from Windows.</p>`
        : state.client === "device"
          ? html`<p>Enter your email address, then choose the security key that has your passkey. Enter its PIN and touch it when it flashes or lights up.</p>`
          : html`<p>Enter your email address, then follow the instructions on your device to use your passkey.</p>`
    }
    <form method="post" novalidate>
      ${input({
        id: "email",
        label: "Email address",
        type: "email",
        autocomplete: "username webauthn",
        spellcheck: false,
        value: state.email,
        hint: emailHint(state.client),
        error: state.errors.email,
      })}
      ${statusArea("passkey-status")}
      ${button({ text: "Continue" })}
    </form>
    <p>${PASSWORD_LINK}</p>
    ${problemsLoggingIn(state.client)}
  </div>
</div>`,
  });
  if (!main) return;

  const emailField = main.querySelector<HTMLInputElement>("#email");
  emailField?.addEventListener("input", () => {
    app.journey.email = emailField.value.trim();
  });

  onSubmit(main, async (form) => {
    const email = fieldValue(form, "email").trim();
    app.journey.email = email;
    let client = state.client;
    const again = (patch: Partial<State>): void =>
      render(app, ctx, { ...state, email, client, errors: {}, problem: null, advice: null, locked: false, cancelled: null, ...patch });

    const errors = validatePasskeyLogin(email);
    if (hasErrors(errors)) {
      again({ errors });
      return;
    }

    const done = markBusy(form, "Follow the instructions on your device.");
    try {
      const ceremonies = await app.ceremonies();
      client = ceremonies.client;
      const unavailable = ceremonies.unavailable("get");
      if (unavailable) throw unavailable;
      const start = await app.api.beginPasskeyLogin(email);
      const credential = await ceremonies.get(start.publicKey, ctx, email || undefined);
      await app.api.finishPasskeyLogin(start.ceremony, credential);
      app.journey.loggedInWith = "passkey";
    } catch (error) {
      done();
      if (!ctx.isCurrent()) return;
      if (error instanceof ApiError && error.code === "invalid_input") {
        const fieldErrors = fieldErrorsFrom(error, ["email"]);
        if (hasErrors(fieldErrors)) {
          again({ errors: fieldErrors });
          return;
        }
      }
      if (error instanceof CeremonyError && error.reason === "you_cancelled") {
        again({ cancelled: error.message });
        return;
      }
      const missing = error instanceof CeremonyError ? notOnThisDevice(error, client) : null;
      if (missing) {
        again(missing);
        return;
      }
      if (!(error instanceof ApiError) && !(error instanceof CeremonyError)) console.error(error);
      const refusal = loginRefusal(error);
      again({
        problem: refusal?.message ?? messageFor(error, SERVICE_PROBLEM),
        advice: error instanceof CeremonyError ? adviceFor(error) : (refusal?.advice ?? null),
        locked: refusal ? !refusal.offerPassword : false,
      });
      return;
    }
    if (ctx.isCurrent()) await ctx.navigate("/account/security");
  });
}
