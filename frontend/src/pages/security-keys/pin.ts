// `/security-keys/{id}/pin`: create a security key's first PIN, or change it
// (the current PIN, then the new one twice). The key's page shows the same form
// first when the key itself asks for a new PIN (forcePINChange).

import type { App } from "../../shell/app";
import { backLink, button, buttonGroup, errorSummary, insetText, column } from "../../ui/components";
import { html } from "../../ui/html";
import type { SecurityKey } from "../../api/keys";
import type { Page, PageContext } from "../../shell/router";
import { disableButtons, takeField } from "../../ui/forms";
import { newPinProblems } from "../../ui/validation";
import { problemFrom, type Problem } from "./messages";
import { FORGOTTEN_PIN, newPinFields, pinField, pinHint } from "../../ui/pin";
import { keyForPage, keyPath, leaveNotice, SECURITY_KEYS_PATH, showBlockedPin, type KeyPagesOptions } from "./key-pages";

export function securityKeyPinPage(app: App, options: KeyPagesOptions): Page {
  return async (ctx) => {
    const key = await keyForPage(app, options, ctx);
    if (!key) return;
    if (key.pin.blocked) {
      // Only a reset helps, which the key's page explains.
      await ctx.navigate(keyPath(key.id), { replace: true });
      return;
    }
    renderPinForm(ctx, options, key, { forced: key.pin.mustChange });
  };
}

const FIELDS = { pin: "current-pin", newPin: "new-pin" };

export function renderPinForm(
  ctx: PageContext,
  options: KeyPagesOptions,
  key: SecurityKey,
  state: { forced: boolean; problem?: Problem },
): void {
  const first = !key.pin.set;
  const errors = state.problem?.fields ?? {};
  const heading = first ? "Create a PIN for your security key" : "Change your security key PIN";
  const main = ctx.show({
    beforeContent: backLink(state.forced ? SECURITY_KEYS_PATH : keyPath(key.id)),
    content: column(html`${state.problem?.summary.length ? errorSummary(state.problem.summary) : ""}
    <h1>${heading}</h1>
    ${
      state.forced
        ? html`<p>Your security key ${key.name} needs a new PIN before you can use it again. This can happen when the rules for its PIN change, for example to ask for a longer one.</p>`
        : first
          ? html`<p>You will enter this PIN each time you use ${key.name} to log in.</p>`
          : html`<p>Change the PIN of ${key.name}.</p>`
    }
    ${first ? insetText(html`<p>${FORGOTTEN_PIN}</p>`) : ""}
    <form method="post" novalidate>
      ${first ? "" : pinField({ id: FIELDS.pin, label: "Current PIN", hint: pinHint(key.pin.retriesLeft), error: errors[FIELDS.pin] })}
      ${newPinFields({ id: FIELDS.newPin, keyMinLength: key.pin.minLength, errors: { pin: errors[FIELDS.newPin], again: errors["new-pin-confirm"] } })}
      ${buttonGroup(button({ text: "Save PIN" }), html`<a class="nhsuk-link" href="${state.forced ? SECURITY_KEYS_PATH : keyPath(key.id)}">Cancel</a>`)}
    </form>`),
  });
  if (!main) return;
  const form = main.querySelector("form");
  let sending = false;
  form?.addEventListener("submit", (event) => {
    event.preventDefault();
    if (sending) return;
    const current = first ? "" : takeField(main, FIELDS.pin);
    const next = takeField(main, FIELDS.newPin);
    const again = takeField(main, "new-pin-confirm");
    const fields: Record<string, string> = {};
    if (!first && current === "") fields[FIELDS.pin] = "Enter your current PIN";
    const problems = newPinProblems(next, again, key.pin.minLength, first ? undefined : current);
    if (problems.pin) fields[FIELDS.newPin] = problems.pin;
    if (problems.again) fields["new-pin-confirm"] = problems.again;
    if (Object.keys(fields).length > 0) {
      const order = [FIELDS.pin, FIELDS.newPin, "new-pin-confirm"];
      renderPinForm(ctx, options, key, {
        ...state,
        problem: { fields, summary: order.flatMap((id) => (fields[id] ? [{ text: fields[id], href: `#${id}` }] : [])) },
      });
      return;
    }
    sending = true;
    disableButtons(main);
    void (async () => {
      try {
        await options.keys.savePin(key.id, next, first ? undefined : current);
      } catch (error) {
        if (!ctx.isCurrent() || (await showBlockedPin(ctx, key.id, error))) return;
        // The key may have changed (tries left): show the form again as it is now.
        const fresh = await options.keys.getKey(key.id).catch(() => key);
        if (ctx.isCurrent()) renderPinForm(ctx, options, fresh, { ...state, problem: problemFrom(error, FIELDS) });
        return;
      }
      leaveNotice(options, { kind: "pin-saved", keyId: key.id, first });
      // The forced change is on the key's own page, which now shows the key.
      if (ctx.isCurrent()) await ctx.navigate(keyPath(key.id), { replace: state.forced });
    })().catch((error: unknown) => console.error(error));
  });
}
