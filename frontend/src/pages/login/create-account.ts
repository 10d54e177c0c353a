// `/create-account`: an email address and a password. On success the server
// signs the person in and they land on their settings.

import type { App } from "../../shell/app";
import { backLink, button, errorSummary, input, passwordInput, type ErrorSummaryItem } from "../../ui/components";
import { fieldErrorsFrom, fieldValue, markBusy, onSubmit, submitButton, summaryItems } from "../../ui/forms";
import { html } from "../../ui/html";
import type { Page, PageContext } from "../../shell/router";
import { hasErrors, validateNewAccount, type FieldErrors } from "../../ui/validation";
import { ApiError, SERVICE_PROBLEM } from "../../api/request";
import { messageFor } from "../../ceremony/ceremony";

interface State {
  email: string;
  errors: FieldErrors;
  /** Problems that belong to no single field. */
  problems: string[];
}

export function createAccountPage(app: App): Page {
  return (ctx) => {
    render(app, ctx, { email: app.journey.email, errors: {}, problems: [] });
  };
}

function render(app: App, ctx: PageContext, state: State): void {
  const items: ErrorSummaryItem[] = [
    ...state.problems.map((text) => ({ text })),
    ...summaryItems(state.errors, ["email", "password"]),
  ];
  const main = ctx.show({
    beforeContent: backLink("/"),
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${items.length ? errorSummary(items) : ""}
    <h1>Create an account</h1>
    <p>You will use your email address and password to log in. Once you are in, you can set up a passkey so that you do not need your password.</p>
    <form method="post" novalidate>
      ${input({
        id: "email",
        label: "Email address",
        type: "email",
        autocomplete: "email",
        spellcheck: false,
        value: state.email,
        error: state.errors.email,
      })}
      ${passwordInput({
        id: "password",
        label: "Create a password",
        hint: "It must be 8 characters or more.",
        autocomplete: "new-password",
        error: state.errors.password,
      })}
      ${button({ text: "Continue" })}
    </form>
  </div>
</div>`,
  });
  if (!main) return;

  onSubmit(main, async (form) => {
    const email = fieldValue(form, "email").trim();
    const password = fieldValue(form, "password");
    app.journey.email = email;
    const errors = validateNewAccount(email, password);
    if (hasErrors(errors)) {
      render(app, ctx, { email, errors, problems: [] });
      return;
    }

    const done = markBusy(submitButton(form));
    try {
      await app.api.createAccount(email, password);
    } catch (error) {
      done();
      if (!ctx.isCurrent()) return;
      if (error instanceof ApiError && error.code === "email_taken") {
        render(app, ctx, { email, errors: { email: error.message }, problems: [] });
        return;
      }
      const fieldErrors = error instanceof ApiError ? fieldErrorsFrom(error, ["email", "password"]) : {};
      const problems = hasErrors(fieldErrors) ? [] : [messageFor(error, SERVICE_PROBLEM)];
      render(app, ctx, { email, errors: fieldErrors, problems });
      return;
    }
    if (ctx.isCurrent()) await ctx.navigate("/account/security");
  });
}
