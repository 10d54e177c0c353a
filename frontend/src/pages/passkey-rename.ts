// `/account/passkeys/rename`: a new name for the passkey chosen on the settings page
// (PATCH /api/passkeys/{id}), then back to the settings with a success banner. The server
// may first want "Confirm it's you" (reauth.ts).

import { ApiError, SERVICE_PROBLEM, type Passkey } from "../api";
import { isNotSignedIn, type App } from "../app";
import { backLink, button, buttonGroup, errorSummary, input, insetText, type ErrorSummaryItem } from "../components";
import { fieldErrorsFrom, fieldValue, markBusy, messageFor, onSubmit, submitButton, summaryItems } from "../forms";
import { html } from "../html";
import type { Page, PageContext } from "../router";
import { hasErrors, MAX_PASSKEY_NAME_LENGTH, validatePasskeyName, type FieldErrors } from "../validation";
import { loadChosenPasskey } from "./chosen-passkey";
import { NOT_CONFIRMED, SensitiveChange } from "./reauth";

export const RENAME_PATH = "/account/passkeys/rename";

interface State {
  passkey: Passkey;
  /** What is in the field. */
  name: string;
  errors: FieldErrors;
  problem: string | null;
  /** Said under the heading: the person did not confirm it's you. */
  note: string | null;
  /** The passkey has been removed meanwhile (404 not_found). */
  gone?: boolean;
}

const BACK_TO_SETTINGS = html`<p><a href="/account/security">Go back to your login and security settings</a></p>`;

export function passkeyRenamePage(app: App): Page {
  return async (ctx) => {
    const chosen = await loadChosenPasskey(app, ctx);
    if (!chosen) return;
    const change = new SensitiveChange(app, ctx, { action: "rename-passkey", account: chosen.account, back: RENAME_PATH });
    render(app, ctx, change, { passkey: chosen.passkey, name: chosen.passkey.name, errors: {}, problem: null, note: null });
  };
}

function render(app: App, ctx: PageContext, change: SensitiveChange, state: State): void {
  const items: ErrorSummaryItem[] = [
    ...(state.problem ? [{ text: state.problem }] : []),
    ...summaryItems(state.errors, ["name"]),
  ];
  const main = ctx.show({
    beforeContent: backLink("/account/security"),
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${items.length ? errorSummary(items, state.gone ? BACK_TO_SETTINGS : undefined) : ""}
    <h1>Rename your passkey</h1>
    ${state.note ? insetText(html`<p>${state.note}</p>`) : ""}
    <p>This passkey is called <strong>“${state.passkey.name}”</strong>.</p>
    <p>Give it a name that helps you tell your passkeys apart, such as the device or security key it is saved on.</p>
    <form method="post" novalidate>
      ${input({
        id: "name",
        label: "New name",
        hint: `For example, Work laptop or Pat's phone. Use ${MAX_PASSKEY_NAME_LENGTH} characters or fewer.`,
        value: state.name,
        error: state.errors.name,
        autocomplete: "off",
      })}
      ${buttonGroup(button({ text: "Save name" }), html`<a class="nhsuk-link" href="/account/security">Cancel</a>`)}
    </form>
  </div>
</div>`,
  });
  if (!main) return;

  onSubmit(main, async (form) => {
    const name = fieldValue(form, "name");
    const again = (patch: Partial<State>): void => {
      if (ctx.isCurrent()) render(app, ctx, change, { ...state, name, errors: {}, problem: null, note: null, gone: false, ...patch });
    };
    const errors = validatePasskeyName(name);
    if (hasErrors(errors)) {
      again({ errors });
      return;
    }

    const done = markBusy(submitButton(form));
    let renamed: Passkey;
    try {
      const result = await change.run((proof) => app.api.renamePasskey(state.passkey.id, name.trim(), proof));
      if (!result) {
        again({ note: NOT_CONFIRMED });
        return;
      }
      renamed = result.value;
    } catch (error) {
      done();
      if (!ctx.isCurrent()) return;
      if (isNotSignedIn(error)) {
        await ctx.navigate("/login", { replace: true });
        return;
      }
      if (error instanceof ApiError && error.code === "name_taken") {
        again({ errors: { name: error.message } });
        return;
      }
      if (error instanceof ApiError && error.code === "invalid_input") {
        const fieldErrors = fieldErrorsFrom(error, ["name"]);
        if (hasErrors(fieldErrors)) {
          again({ errors: fieldErrors });
          return;
        }
      }
      if (!(error instanceof ApiError)) console.error(error);
      again({ problem: messageFor(error, SERVICE_PROBLEM), gone: error instanceof ApiError && error.code === "not_found" });
      return;
    }
    app.journey.passkey = null;
    app.journey.notice = { kind: "passkey-renamed", passkeyName: renamed.name };
    if (ctx.isCurrent()) await ctx.navigate("/account/security");
  });
}
