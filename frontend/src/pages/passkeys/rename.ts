// `/account/passkeys/rename`: a new name for the passkey chosen on the Passkeys page
// (PATCH /api/passkeys/{id}), then back to that page with a success banner. The server may
// first want "Confirm it's you" (reauth.ts).

import { failureToShow, type App } from "../../shell/app";
import { backLink, button, buttonGroup, errorSummary, input, statusInsetText, statusArea, type ErrorSummaryItem } from "../../ui/components";
import { fieldErrorsFrom, fieldValue, markBusy, onSubmit, summaryItems } from "../../ui/forms";
import { html } from "../../ui/html";
import type { Page, PageContext } from "../../shell/router";
import { hasErrors, MAX_PASSKEY_NAME_LENGTH, validatePasskeyName, type FieldErrors } from "../../ui/validation";
import { goBackTo, loadChosenPasskey } from "./chosen";
import { PASSKEYS_PATH } from "./passkeys";
import { NOT_CONFIRMED, SensitiveChange } from "../account/reauth";
import { ApiError, SERVICE_PROBLEM } from "../../api/request";
import { messageFor } from "../../ceremony/ceremony";
import type { Passkey } from "../../api/passkeys";

export const RENAME_PATH = "/account/passkeys/rename";

interface State {
  passkey: Passkey;
  /** The page the passkey was chosen on, to go back to. */
  back: string;
  /** What is in the field. */
  name: string;
  errors: FieldErrors;
  problem: string | null;
  /** Said under the heading: the person did not confirm it's you. */
  note: string | null;
  /** The passkey has been removed meanwhile (404 not_found). */
  gone?: boolean;
}


export function passkeyRenamePage(app: App): Page {
  return async (ctx) => {
    const chosen = await loadChosenPasskey(app, ctx, PASSKEYS_PATH);
    if (!chosen) return;
    const change = new SensitiveChange(app, ctx, { action: "rename-passkey", account: chosen.account, back: RENAME_PATH });
    render(app, ctx, change, { passkey: chosen.passkey, back: chosen.back, name: chosen.passkey.name, errors: {}, problem: null, note: null });
  };
}

function render(app: App, ctx: PageContext, change: SensitiveChange, state: State): void {
  const items: ErrorSummaryItem[] = [
    ...(state.problem ? [{ text: state.problem }] : []),
    ...summaryItems(state.errors, ["name"]),
  ];
  const main = ctx.show({
    beforeContent: backLink(state.back),
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${items.length ? errorSummary(items, state.gone ? goBackTo(state.back) : undefined) : ""}
    <h1>Rename your passkey</h1>
    ${state.note ? statusInsetText(state.note) : ""}
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
      ${statusArea("rename-status")}
      ${buttonGroup(button({ text: "Save name" }), html`<a class="nhsuk-link" href="${state.back}">Cancel</a>`)}
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

    const done = markBusy(form, "Saving the new name…");
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
      if (!(await failureToShow(ctx, error))) return;
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
    if (ctx.isCurrent()) await ctx.navigate(state.back);
  });
}
