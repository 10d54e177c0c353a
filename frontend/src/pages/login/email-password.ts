// The form of /create-account and /login/password: an email address and a password. The email
// typed earlier in this visit is offered again (from memory, never from the address); the
// fields are checked here, then by the server, whose refusal is shown against its field or
// in the error summary, with what the person can do about it.

import type { App } from "../../shell/app";
import { backLink, button, errorSummary, input, passwordInput, statusArea, type ErrorSummaryItem } from "../../ui/components";
import { fieldErrorsFrom, fieldValue, markBusy, onSubmit, summaryItems } from "../../ui/forms";
import { html, type SafeHtml } from "../../ui/html";
import type { Page, PageContext } from "../../shell/router";
import { hasErrors, type FieldErrors } from "../../ui/validation";
import { ApiError, SERVICE_PROBLEM } from "../../api/request";
import { messageFor } from "../../ceremony/ceremony";

export interface EmailPasswordForm {
  heading: string;
  /** Said under the heading. */
  intro?: SafeHtml;
  /** Where the back link goes. */
  back: string;
  emailAutocomplete: "email" | "username";
  password: { label: string; hint?: string; autocomplete: "new-password" | "current-password" };
  submit: string;
  /** What the live region says while the form is being sent ("Creating your account…"). */
  busy: string;
  /** The page's own checks, before anything is sent. */
  validate(email: string, password: string): FieldErrors;
  /** Sends the form; a refusal throws. */
  send(email: string, password: string): Promise<unknown>;
  /** What the page says about a refusal, beyond the server's messages; null: the server's message. */
  refusal(error: unknown): Refusal | null;
}

export interface Refusal {
  /** Said against the fields instead of in the summary (an email that already has an account). */
  fields?: FieldErrors;
  /** Said instead of the server's message. */
  message?: string;
  /** What to do about it, after the message. */
  advice?: string;
  /** Logging in with the password is paused, but not with a passkey: offer that. */
  offerPasskey?: boolean;
}

interface State {
  email: string;
  errors: FieldErrors;
  /** Problems that belong to no single field. */
  problems: string[];
  advice?: string | null;
  offerPasskey?: boolean;
}

/** The page; after it is sent, Login and security settings. */
export function emailPasswordPage(app: App, form: EmailPasswordForm): Page {
  return (ctx) => {
    render(app, ctx, form, { email: app.journey.email, errors: {}, problems: [] });
  };
}

function render(app: App, ctx: PageContext, form: EmailPasswordForm, state: State): void {
  const items: ErrorSummaryItem[] = [
    ...state.problems.map((text) => ({ text })),
    ...summaryItems(state.errors, ["email", "password"]),
  ];
  const after = html`${state.advice ? html`<p>${state.advice}</p>` : ""}${
    state.offerPasskey ? html`<p><a href="/login">Log in with a passkey</a></p>` : ""
  }`;
  const main = ctx.show({
    beforeContent: backLink(form.back),
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${items.length ? errorSummary(items, after) : ""}
    <h1>${form.heading}</h1>
    ${form.intro ?? ""}
    <form method="post" novalidate>
      ${input({
        id: "email",
        label: "Email address",
        type: "email",
        autocomplete: form.emailAutocomplete,
        spellcheck: false,
        value: state.email,
        error: state.errors.email,
      })}
      ${passwordInput({
        id: "password",
        label: form.password.label,
        hint: form.password.hint,
        autocomplete: form.password.autocomplete,
        error: state.errors.password,
      })}
      ${statusArea("form-status")}
      ${button({ text: form.submit })}
    </form>
  </div>
</div>`,
  });
  if (!main) return;

  onSubmit(main, async (element) => {
    const email = fieldValue(element, "email").trim();
    const password = fieldValue(element, "password");
    app.journey.email = email;
    const errors = form.validate(email, password);
    if (hasErrors(errors)) {
      render(app, ctx, form, { email, errors, problems: [] });
      return;
    }

    const done = markBusy(element, form.busy);
    try {
      await form.send(email, password);
    } catch (error) {
      done();
      if (!ctx.isCurrent()) return;
      const refusal = form.refusal(error);
      if (refusal?.fields) {
        render(app, ctx, form, { email, errors: refusal.fields, problems: [] });
        return;
      }
      const fieldErrors = error instanceof ApiError ? fieldErrorsFrom(error, ["email", "password"]) : {};
      const problems = hasErrors(fieldErrors) ? [] : [refusal?.message ?? messageFor(error, SERVICE_PROBLEM)];
      render(app, ctx, form, {
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
