// `/account/password`: "Change your password", or "Set a password" for an account that has
// none (POST /api/account/password), after "Confirm it's you" when the server asks
// (reauth.ts). The server then logs the account out everywhere else; the settings page says
// so in its success banner.

import { failureToShow, requireAccount, type App } from "../../shell/app";
import { backLink, button, buttonGroup, errorSummary, statusInsetText, passwordInput, statusArea, type ErrorSummaryItem } from "../../ui/components";
import { fieldErrorsFrom, fieldValue, markBusy, onSubmit, summaryItems } from "../../ui/forms";
import { html } from "../../ui/html";
import type { Page, PageContext } from "../../shell/router";
import { hasErrors, MIN_PASSWORD_LENGTH, validateNewPassword, type FieldErrors } from "../../ui/validation";
import { NOT_CONFIRMED, SensitiveChange } from "./reauth";
import { ApiError, SERVICE_PROBLEM } from "../../api/request";
import { messageFor } from "../../ceremony/ceremony";
import type { Account } from "../../api/account";

export const PASSWORD_PATH = "/account/password";

interface State {
  account: Account;
  errors: FieldErrors;
  problem: string | null;
  note: string | null;
}

export function passwordChangePage(app: App): Page {
  return async (ctx) => {
    const account = await requireAccount(app, ctx);
    if (!account) return;
    const change = new SensitiveChange(app, ctx, { action: "change-password", account, back: PASSWORD_PATH });
    render(app, ctx, change, { account, errors: {}, problem: null, note: null });
  };
}

function render(app: App, ctx: PageContext, change: SensitiveChange, state: State): void {
  const changing = state.account.hasPassword;
  const items: ErrorSummaryItem[] = [
    ...(state.problem ? [{ text: state.problem }] : []),
    ...summaryItems(state.errors, ["newPassword"]),
  ];
  const main = ctx.show({
    beforeContent: backLink("/account/security"),
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${items.length ? errorSummary(items) : ""}
    <h1>${changing ? "Change your password" : "Set a password"}</h1>
    ${state.note ? statusInsetText(state.note) : ""}
    ${
      changing
        ? html`<p>Your new password will replace the one you use now.</p>`
        : html`<p>With a password, you can still log in if you cannot use any of your passkeys.</p>`
    }
    <p>When you save it, you will be logged out on all your other devices. You will stay logged in on this one.</p>
    <form method="post" novalidate>
      ${passwordInput({
        id: "newPassword",
        label: "New password",
        hint: `It must be ${MIN_PASSWORD_LENGTH} characters or more.`,
        autocomplete: "new-password",
        error: state.errors.newPassword,
      })}
      ${statusArea("password-status")}
      ${buttonGroup(
        button({ text: changing ? "Change password" : "Set password" }),
        html`<a class="nhsuk-link" href="/account/security">Cancel</a>`,
      )}
    </form>
  </div>
</div>`,
  });
  if (!main) return;

  onSubmit(main, async (form) => {
    const newPassword = fieldValue(form, "newPassword");
    const again = (patch: Partial<State>): void => {
      if (ctx.isCurrent()) render(app, ctx, change, { ...state, errors: {}, problem: null, note: null, ...patch });
    };
    const errors = validateNewPassword(newPassword);
    if (hasErrors(errors)) {
      again({ errors });
      return;
    }

    const done = markBusy(form, changing ? "Changing your password…" : "Setting your password…");
    try {
      const result = await change.run((proof) => app.api.changePassword(newPassword, proof));
      if (!result) {
        again({ note: NOT_CONFIRMED });
        return;
      }
    } catch (error) {
      done();
      if (!(await failureToShow(ctx, error))) return;
      const fieldErrors = error instanceof ApiError ? fieldErrorsFrom(error, ["newPassword"]) : {};
      if (hasErrors(fieldErrors)) {
        again({ errors: fieldErrors });
        return;
      }
      if (!(error instanceof ApiError)) console.error(error);
      again({ problem: messageFor(error, SERVICE_PROBLEM) });
      return;
    }
    app.journey.notice = { kind: "password-changed", wasSet: !changing };
    if (ctx.isCurrent()) await ctx.navigate("/account/security");
  });
}
