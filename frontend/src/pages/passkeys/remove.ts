// `/account/passkeys/remove`: "Are you sure you want to remove …?" for the passkey chosen on
// Login and security settings or on Passkeys: what removing it means, how to stop the device
// offering it, then DELETE /api/passkeys/{id} (after "Confirm it's you" when the server asks:
// reauth.ts), the hook in pages/passkeys/removed.ts, and back to the page it was chosen on with a
// success banner. The server refuses to remove the last way to log in (409
// last_way_to_log_in): the page says how to add another way first.
//
// A patient who has lost several devices removes their passkeys one after the other: the
// server lets one confirmation cover every removal for 5 minutes (docs/api.md,
// "Re-authentication"), so the proof is kept for the visit (app.journey.removalProof) and the
// next removal sends it without asking again.

import { failureToShow, type App } from "../../shell/app";
import type { Ceremonies } from "../../ceremony/ceremony";
import { backLink, button, buttonGroup, errorSummary, statusInsetText, statusArea } from "../../ui/components";
import { markBusy, onSubmit } from "../../ui/forms";
import { html, type SafeHtml } from "../../ui/html";
import { afterPasskeyRemoved } from "./removed";
import type { Page, PageContext } from "../../shell/router";
import { goBackTo, loadChosenPasskey } from "./chosen";
import { NOT_CONFIRMED, SensitiveChange } from "../account/reauth";
import { WINDOWS_SETTINGS } from "../security-keys/list";
import { ApiError, SERVICE_PROBLEM } from "../../api/request";
import { messageFor } from "../../ceremony/ceremony";
import type { Account } from "../../api/account";
import type { Passkey } from "../../api/passkeys";

export const REMOVE_PATH = "/account/passkeys/remove";

interface State {
  account: Account;
  passkey: Passkey;
  /** The account's other passkeys. */
  others: Passkey[];
  /** The page the passkey was chosen on, to go back to. */
  back: string;
  client: Ceremonies["client"] | null;
  problem: string | null;
  /** What to do about the problem. */
  nextStep: SafeHtml | null;
  note: string | null;
}


export function passkeyRemovePage(app: App): Page {
  return async (ctx) => {
    // Remove's place in the help article is Login and security settings.
    const chosen = await loadChosenPasskey(app, ctx, "/account/security");
    if (!chosen) return;
    let client: State["client"] = null;
    try {
      client = (await app.ceremonies()).client;
    } catch {
      // Without the config the page still works; it just cannot tell which app this is.
    }
    const change = new SensitiveChange(app, ctx, { action: "remove-passkey", account: chosen.account, back: REMOVE_PATH }, {
      get: () => app.journey.removalProof ?? undefined,
      set: (proof) => {
        app.journey.removalProof = proof ?? null;
      },
    });
    render(app, ctx, change, {
      account: chosen.account,
      passkey: chosen.passkey,
      others: chosen.passkeys.filter((p) => p.id !== chosen.passkey.id),
      back: chosen.back,
      client,
      problem: null,
      nextStep: null,
      note: null,
    });
  };
}

/** How to stop the device offering the passkey, wherever it is saved. */
function removeFromDevice(passkey: Passkey, client: State["client"]): SafeHtml {
  switch (passkey.storedOn) {
    case "security-key":
      return client === "windows"
        ? html`<p>This passkey is saved on a security key. Removing it here does not delete it from the key. To do that, open Windows Settings and go to <strong>${WINDOWS_SETTINGS}</strong>, then select <strong>Manage</strong>.</p>`
        : client === "device"
        ? html`<p>This passkey is saved on a security key. Removing it here does not delete it from the key. To do that, go to <a href="/security-keys">Security keys</a> in your Login and security settings.</p>`
        : html`<p>This passkey is saved on a security key. Removing it here does not delete it from the key. To do that, use the security key settings on your computer, for example in your browser's settings.</p>`;
    case "synced":
      return html`<p>This passkey is synced${passkey.provider ? html` with ${passkey.provider}` : ""}, so it is saved on all your devices that use the same account. Remove it in the passwords or passkeys settings of one of those devices, and it will be removed from all of them.</p>`;
    default:
      return html`<p>To stop this, also remove it in the settings of the device it is saved on. Look in the passwords or passkeys settings, for example:</p>
    <ul>
      <li>on an iPhone, iPad or Mac: Passwords</li>
      <li>on an Android phone or tablet: Google Password Manager</li>
      <li>on Windows: Settings, then Accounts, then Passkeys</li>
    </ul>`;
  }
}

/** 409 last_way_to_log_in: add another way to log in first. */
function addAnotherWay(account: Account): SafeHtml {
  return html`<p>To keep a way to log in, first ${
    account.hasPassword ? "" : html`<a href="/account/password">set a password</a> or `
  }<a href="/account/passkeys/set-up">set up another passkey</a>. Then you can remove this one.</p>`;
}

function render(app: App, ctx: PageContext, change: SensitiveChange, state: State): void {
  const { passkey } = state;
  const stillHas = state.account.hasPassword
    ? html`<p>You can still log in with your password${state.others.length ? " or your other passkeys" : ""}.</p>`
    : state.others.length
      ? html`<p>You can still log in with your other passkeys.</p>`
      : "";
  const main = ctx.show({
    beforeContent: backLink(state.back),
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${state.problem ? errorSummary([{ text: state.problem }], state.nextStep ?? undefined) : ""}
    <h1>Are you sure you want to remove “${passkey.name}”?</h1>
    ${state.note ? statusInsetText(state.note) : ""}
    <p>If you remove this passkey, you will not be able to use it to log in to your NHS login.</p>
    ${stillHas}
    <h2>Remove it from your device too</h2>
    <p>Next time you log in, your device may still offer you this passkey.</p>
    ${removeFromDevice(passkey, state.client)}
    <form method="post" novalidate>
      ${statusArea("remove-status")}
      ${buttonGroup(button({ text: "Remove passkey", variant: "warning" }), html`<a class="nhsuk-link" href="${state.back}">Cancel</a>`)}
    </form>
  </div>
</div>`,
  });
  if (!main) return;

  onSubmit(main, async (form) => {
    const again = (patch: Partial<State>): void => {
      if (ctx.isCurrent()) render(app, ctx, change, { ...state, problem: null, nextStep: null, note: null, ...patch });
    };
    const done = markBusy(form, "Removing your passkey…");
    try {
      const result = await change.run((proof) => app.api.removePasskey(passkey.id, proof));
      if (!result) {
        again({ note: NOT_CONFIRMED });
        return;
      }
    } catch (error) {
      done();
      if (!(await failureToShow(ctx, error))) return;
      if (!(error instanceof ApiError)) console.error(error);
      const code = error instanceof ApiError ? error.code : "";
      again({
        problem: messageFor(error, SERVICE_PROBLEM),
        nextStep: code === "last_way_to_log_in" ? addAnotherWay(state.account) : code === "not_found" ? goBackTo(state.back) : null,
      });
      return;
    }

    let next: string | null = null;
    try {
      next = await afterPasskeyRemoved(passkey, app);
    } catch (error) {
      console.error(error); // the passkey is removed whatever the hook does
    }
    app.journey.passkey = null;
    app.journey.notice = { kind: "passkey-removed", passkeyName: passkey.name, passkeyId: passkey.id, provider: passkey.provider ?? null };
    if (ctx.isCurrent()) await ctx.navigate(next ?? state.back);
  });
}
