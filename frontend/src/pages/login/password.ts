// `/login/password`: the fallback when a passkey cannot be used. The email
// typed on /login is offered again (from memory, never from the address).

import type { App } from "../../shell/app";
import { backLink, button, errorSummary, input, passwordInput, type ErrorSummaryItem } from "../../ui/components";
import { fieldErrorsFrom, fieldValue, markBusy, onSubmit, submitButton, summaryItems } from "../../ui/forms";
import { html } from "../../ui/html";
import type { Page, PageContext } from "../../shell/router";
import { hasErrors, validatePasswordLogin, type FieldErrors } from "../../ui/validation";
import { loginRefusal } from "./refusals";
import { ApiError, SERVICE_PROBLEM } from "../../api/request";
import { messageFor } from "../../ceremony/ceremony";

interface State {
  email: string;
  errors: FieldErrors;
  problems: string[];
  /** What to do about the problems (a lockout: how long, and what if it was not you). */
  advice?: string | null;
  /** Logging in with the password is paused, but not with a passkey: offer that. */
  offerPasskey?: boolean;
}

export function loginPasswordPage(app: App): Page {
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
    beforeContent: backLink("/login"),
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${
      items.length
        ? errorSummary(
            items,
            html`${state.advice ? html`<p>${state.advice}</p>` : ""}${
              state.offerPasskey ? html`<p><a href="/login">Log in with a passkey</a></p>` : ""
            }`,
          )
        : ""
    }
    <h1>Log in with your password</h1>
    <form method="post" novalidate>
      ${input({
        id: "email",
        label: "Email address",
        type: "email",
        autocomplete: "username",
        spellcheck: false,
        value: state.email,
        error: state.errors.email,
      })}
      ${passwordInput({
        id: "password",
        label: "Password",
        autocomplete: "current-password",
        error: state.errors.password,
      })}
      ${button({ text: "Log in" })}
    </form>
  </div>
</div>`,
  });
  if (!main) return;

  onSubmit(main, async (form) => {
    const email = fieldValue(form, "email").trim();
    const password = fieldValue(form, "password");
    app.journey.email = email;
    const errors = validatePasswordLogin(email, password);
    if (hasErrors(errors)) {
      render(app, ctx, { email, errors, problems: [] });
      return;
    }

    const done = markBusy(submitButton(form));
    try {
      await app.api.loginWithPassword(email, password);
      app.journey.loggedInWith = "password";
    } catch (error) {
      done();
      if (!ctx.isCurrent()) return;
      const fieldErrors = error instanceof ApiError ? fieldErrorsFrom(error, ["email", "password"]) : {};
      const refusal = loginRefusal(error);
      const problems = hasErrors(fieldErrors) ? [] : [refusal?.message ?? messageFor(error, SERVICE_PROBLEM)];
      render(app, ctx, {
        email,
        errors: fieldErrors,
        problems,
        advice: refusal?.advice ?? null,
        offerPasskey: refusal?.offerPasskey === true,
      });
      return;
    }
    if (ctx.isCurrent()) await ctx.navigate("/account/security");
  });
}
