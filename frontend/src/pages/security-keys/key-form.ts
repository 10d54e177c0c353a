// The forms of the key pages that work on what is on a key (its passkeys, its fingerprints):
// the PIN asked for before the list is shown, and how each of their forms is sent (the PIN
// taken out of its field, checks, buttons disabled while the key works, and a failure shown
// on the form again, or on the key's page once the PIN is blocked).

import type { SecurityKey } from "../../api/keys";
import type { PageContext } from "../../shell/router";
import { backLink, button, buttonGroup, column, errorSummary } from "../../ui/components";
import { disableButtons, fieldValue, onAction, takeField } from "../../ui/forms";
import { html, type SafeHtml } from "../../ui/html";
import { length, pinProblem } from "../../ui/validation";
import { keyPath, showBlockedPin, type KeyPagesOptions } from "./key-pages";
import { problemFrom, type Problem } from "./messages";
import { pinField, pinHint } from "../../ui/pin";

/** A key page in progress: the key is read again after a failure (its PIN tries left). */
export interface KeyPageState {
  readonly ctx: PageContext;
  readonly options: KeyPagesOptions;
  key: SecurityKey;
}

/** The key's PIN, asked for before showing `what` is on it ("passkeys", "fingerprints"). */
export function askForKeyPin(page: KeyPageState, what: string, use: (pin: string) => Promise<void>, problem?: Problem): void {
  const { key } = page;
  const main = page.ctx.show({
    beforeContent: backLink(keyPath(key.id)),
    content: column(html`${problem?.summary.length ? errorSummary(problem.summary) : ""}
    <form method="post" novalidate>
      ${pinField({
        label: "Enter your security key PIN",
        heading: true,
        hint: pinHint(key.pin.retriesLeft, `We need it to show the ${what} on ${key.name}.`),
        error: problem?.fields["pin"],
      })}
      ${buttonGroup(button({ text: "Continue" }), html`<a class="nhsuk-link" href="${keyPath(key.id)}">Cancel</a>`)}
    </form>`),
  });
  if (!main) return;
  onKeyForm(page, main, { pin: true }, ({ pin }) => use(pin), (again) => {
    askForKeyPin(page, what, use, again);
  });
}

/**
 * Sends the form in `main`: the PIN from #pin (taken out of the field) and, with `name`, a
 * fingerprint's name from #name. A problem with them, or a failure, shows `again` with it.
 */
export function onKeyForm(
  page: KeyPageState,
  main: HTMLElement,
  wants: { pin: boolean; name?: boolean },
  use: (values: { pin: string; name: string }) => Promise<void>,
  again: (problem: Problem) => void,
): void {
  let sending = false;
  main.querySelector("form")?.addEventListener("submit", (event) => {
    event.preventDefault();
    if (sending) return;
    // A fingerprint's name in Normalization Form C, as the server saves and counts it: an "e"
    // and a combining accent are one character.
    const name = wants.name ? fieldValue(main, "name").normalize("NFC").trim() : "";
    const pin = takeField(main, "pin");
    const fields: Record<string, string> = {};
    if (wants.name && name === "") fields["name"] = "Enter a name for this fingerprint";
    else if (wants.name && length(name) > 30) fields["name"] = "Name must be 30 characters or fewer";
    // The ceremony's rule (ui/validation's pinProblem): a PIN no key could have is not sent,
    // since a wrong PIN costs one of the key's few tries.
    const pinWrong = wants.pin ? pinProblem(pin) : null;
    if (pinWrong) fields["pin"] = pinWrong;
    if (Object.keys(fields).length > 0) {
      again({ fields, summary: ["name", "pin"].flatMap((id) => (fields[id] ? [{ text: fields[id], href: `#${id}` }] : [])) });
      return;
    }
    sending = true;
    disableButtons(main);
    void (async () => {
      try {
        await use({ pin, name });
      } catch (error) {
        if (!page.ctx.isCurrent() || (await showBlockedPin(page.ctx, page.key.id, error))) return;
        page.key = await page.options.keys.getKey(page.key.id).catch(() => page.key);
        if (page.ctx.isCurrent()) again(problemFrom(error));
      }
    })().catch((error: unknown) => console.error(error));
  });
}

/**
 * The end of a page that deletes something from the key ("passkey", "fingerprint"): its PIN,
 * the warning button, and Cancel (an in-page action back to the list, onDeleteWithPin).
 */
export function deleteWithPinForm(key: SecurityKey, what: string, problem?: Problem): SafeHtml {
  return html`<form method="post" novalidate>
      ${pinField({ label: "Enter your security key PIN to delete it", hint: pinHint(key.pin.retriesLeft), error: problem?.fields["pin"] })}
      ${buttonGroup(
        button({ text: `Delete ${what}`, variant: "warning" }),
        html`<button class="nhsuk-link" type="button" data-action="cancel">Cancel</button>`,
      )}
    </form>`;
}

/** Sends deleteWithPinForm's PIN with `use`; Cancel calls `cancel`, a failure `again`. */
export function onDeleteWithPin(
  page: KeyPageState,
  main: HTMLElement,
  cancel: () => void,
  use: (pin: string) => Promise<void>,
  again: (problem: Problem) => void,
): void {
  onAction(main, (action) => {
    if (action === "cancel") cancel();
  });
  onKeyForm(page, main, { pin: true }, ({ pin }) => use(pin), again);
}
