// `/login`: log in with a passkey. The email is optional: left empty, the
// device offers the passkeys it holds for NHS login. Whatever goes wrong, the
// password is one link away, with the typed email carried over in memory.

import { ApiError, SERVICE_PROBLEM } from "../api";
import type { App } from "../app";
import { CeremonyError } from "../ceremony";
import { backLink, button, errorSummary, input, insetText, statusArea, type ErrorSummaryItem } from "../components";
import { fieldErrorsFrom, fieldValue, markBusy, messageFor, onSubmit, submitButton, summaryItems } from "../forms";
import { html } from "../html";
import type { Page, PageContext } from "../router";
import { hasErrors, validatePasskeyLogin, type FieldErrors } from "../validation";

const PASSWORD_LINK = html`<a href="/login/password">Log in with your password instead</a>`;

interface State {
  email: string;
  errors: FieldErrors;
  /** Why the passkey step did not work; shown with the way to use the password. */
  problem: string | null;
  /** Set when this build cannot use passkeys at all (the desktop app, for now). */
  unavailable: string | null;
}

export function loginPage(app: App): Page {
  return async (ctx) => {
    let unavailable: string | null = null;
    try {
      unavailable = (await app.ceremonies()).unavailable("get")?.message ?? null;
    } catch {
      // No config yet: find out again when the person selects Continue.
    }
    render(app, ctx, { email: app.journey.email, errors: {}, problem: null, unavailable });
  };
}

function render(app: App, ctx: PageContext, state: State): void {
  const items: ErrorSummaryItem[] = [
    ...(state.problem ? [{ text: state.problem }] : []),
    ...summaryItems(state.errors, ["email"]),
  ];
  const summary = items.length
    ? errorSummary(items, state.problem ? html`<p>${PASSWORD_LINK}</p>` : undefined)
    : "";
  const main = ctx.show({
    beforeContent: backLink("/"),
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${summary}
    <h1>Log in</h1>
    ${state.unavailable ? insetText(html`<p>${state.unavailable}</p>`) : ""}
    <p>Enter your email address, then follow the instructions on your device to use your passkey.</p>
    <form method="post" novalidate>
      ${input({
        id: "email",
        label: "Email address",
        type: "email",
        autocomplete: "username webauthn",
        spellcheck: false,
        value: state.email,
        error: state.errors.email,
      })}
      ${statusArea("passkey-status")}
      ${button({ text: "Continue" })}
    </form>
    <p>${PASSWORD_LINK}</p>
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
    const again = (patch: Partial<State>): void => render(app, ctx, { ...state, email, errors: {}, problem: null, ...patch });

    const errors = validatePasskeyLogin(email);
    if (hasErrors(errors)) {
      again({ errors });
      return;
    }

    const done = markBusy(submitButton(form), main.querySelector<HTMLElement>("#passkey-status"), "Follow the instructions on your device.");
    try {
      const ceremonies = await app.ceremonies();
      const unavailable = ceremonies.unavailable("get");
      if (unavailable) throw unavailable;
      const start = await app.api.beginPasskeyLogin(email);
      const credential = await ceremonies.get(start.publicKey);
      await app.api.finishPasskeyLogin(start.ceremony, credential);
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
      if (!(error instanceof ApiError) && !(error instanceof CeremonyError)) console.error(error);
      again({ problem: messageFor(error, SERVICE_PROBLEM) });
      return;
    }
    if (ctx.isCurrent()) await ctx.navigate("/account/security");
  });
}
